#!/usr/bin/python3
"""Peer for `bench loo`: leave-one-out all-pairs scores with numpy + OpenBLAS (Debian python3-numpy).

The same work as Evaluator.ScoreOnly: unit vectors, blocks of rows times all rows transposed (sgemm), every score
summed so nothing is skipped. Prints 'figure' lines like the C# bench; run with /usr/bin/python3.
"""
import argparse
import time

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--items", type=int, default=9144)
parser.add_argument("--dimension", type=int, default=1280)
parser.add_argument("--block", type=int, default=1024)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()

n, d = args.items, args.dimension
x = np.random.default_rng(2021).standard_normal((n, d), dtype=np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)


def scores():
    total = 0.0
    for first in range(0, n, args.block):
        s = x[first:first + args.block] @ x.T
        total += float(s.sum())
    return total


scores()
times = []
for _ in range(args.repeats):
    start = time.perf_counter()
    scores()
    times.append(time.perf_counter() - start)
best = min(times)
print(f"# numpy {np.__version__} leave-one-out {n} x {n} x {d}, blocks of {args.block}")
print(f"figure numpy.loo.scores_s {best:.4f} s")
print(f"figure numpy.loo.scores_gflops {2.0 * n * n * d / best / 1e9:.2f} GFLOP/s")
