#!/usr/bin/python3
"""Medians over rounds of ours/peer from the 'figure' lines rounds.sh collected (> 1 means ours is faster)."""
import collections
import glob
import os
import statistics
import sys

folder = sys.argv[1]
rounds = collections.defaultdict(dict)
for path in glob.glob(os.path.join(folder, "*-*-*.txt")):
    round_no = path.rsplit("-", 1)[1].split(".")[0]
    for line in open(path):
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "figure":
            rounds[round_no][parts[1]] = float(parts[2])

# (label, ours, peer, kind): "time" -> peer / ours, "rate" -> ours / peer.
pairs = [("leave-one-out scores vs numpy + OpenBLAS", "ours.loo.scores_s", "numpy.loo.scores_s", "time")]
for size in ("100k", "1m"):
    pairs.append((f"exact top-10 single query, {size} vs FAISS", f"ours.search.{size}.single_ms", f"faiss.search.{size}.single_ms", "time"))
    pairs.append((f"exact top-10 batches of 64, {size} vs FAISS", f"ours.search.{size}.batch64_ms", f"faiss.search.{size}.batch64_ms", "time"))
pairs.append(("leave-one-out scores vs the kernel alone", "ours.loo.scores_gflops", "ceiling.loo.kernel_gflops", "rate"))
pairs.append(("kernel vs OpenBLAS sgemm (1024 x 9144 x 1280)", f"ours.gemm.{512}bit", "openblas.gemm", "rate"))
pairs.append(("AVX2 kernel vs OpenBLAS sgemm", "ours.gemm.256bit", "openblas.gemm", "rate"))
pairs.append(("batch of 64 vs the kernel alone, 1m", "ours.search.1m.batch64_gflops", "ceiling.search.batch64.kernel_gflops", "rate"))

print("| work | ours / peer (median of rounds) | rounds |")
print("|---|---:|---|")
for label, ours, peer, kind in pairs:
    ratios = []
    for figures in rounds.values():
        if ours in figures and peer in figures and figures[ours] > 0 and figures[peer] > 0:
            ratios.append(figures[peer] / figures[ours] if kind == "time" else figures[ours] / figures[peer])
    if ratios:
        print(f"| {label} | {statistics.median(ratios):.2f}x | {', '.join(f'{r:.2f}' for r in sorted(ratios))} |")

print()
print("| figure | median | rounds |")
print("|---|---:|---|")
names = sorted({name for figures in rounds.values() for name in figures})
for name in names:
    values = [figures[name] for figures in rounds.values() if name in figures]
    print(f"| {name} | {statistics.median(values):.3f} | {', '.join(f'{v:.3f}' for v in values)} |")
