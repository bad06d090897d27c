#!/usr/bin/python3
"""Peer for `bench search`: FAISS IndexFlatIP (Debian python3-faiss, OpenBLAS) exact top-k.

One query at a time and batches of --batch queries, on random unit vectors of the same sizes as the C# bench.
The index is filled in chunks so memory stays at the vectors (5 GB at 1M x 1280). Prints 'figure' lines.
"""
import argparse
import time

import faiss
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--sizes", default="100000,1000000")
parser.add_argument("--batch", type=int, default=64)
parser.add_argument("--queries", type=int, default=100)
parser.add_argument("--dimension", type=int, default=1280)
parser.add_argument("--k", type=int, default=10)
parser.add_argument("--batches", type=int, default=4, help="timed batches per size (the best is reported)")
args = parser.parse_args()

d = args.dimension
rng = np.random.default_rng(2026)


def units(rows):
    x = rng.standard_normal((rows, d), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


queries = units(max(args.queries, args.batches * args.batch))
print(f"# faiss {faiss.__version__}, {faiss.omp_get_max_threads()} OpenMP threads")
for n in (int(s) for s in args.sizes.split(",")):
    label = f"{n // 1_000_000}m" if n >= 1_000_000 else f"{n // 1000}k"
    index = faiss.IndexFlatIP(d)
    for first in range(0, n, 65536):
        index.add(units(min(65536, n - first)))
    for i in range(3):
        index.search(queries[i:i + 1], args.k)
    start = time.perf_counter()
    for i in range(args.queries):
        index.search(queries[i:i + 1], args.k)
    single = (time.perf_counter() - start) / args.queries
    b = args.batch
    index.search(queries[:b], args.k)
    times = []
    for j in range(args.batches):
        start = time.perf_counter()
        index.search(queries[j * b:(j + 1) * b], args.k)
        times.append(time.perf_counter() - start)
    batch = min(times)
    print(f"figure faiss.search.{label}.single_ms {single * 1000:.4f} ms")
    print(f"figure faiss.search.{label}.batch{b}_ms {batch * 1000:.4f} ms")
    del index
