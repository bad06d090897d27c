#!/usr/bin/python3
"""Peer for `bench ann`: hnswlib (Debian python3-hnswlib) on the vectors, queries and exact top-k that `bench ann`
wrote to --data, at the same M, ef_construction and ef sweep; inner-product space on unit vectors, all threads for
the build, one query at a time for QPS (as ours). Prints 'figure' lines; run with /usr/bin/python3.
"""
import argparse
import os
import tempfile
import time

import hnswlib
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "labelplatform-ann.f32"))
parser.add_argument("--m", type=int, default=16)
parser.add_argument("--ef-add", type=int, default=128)
parser.add_argument("--ef", default="32,64,128,256")
parser.add_argument("--threads", type=int, default=os.cpu_count())
args = parser.parse_args()

n, q, d, k = np.fromfile(args.data, dtype=np.int32, count=4)
raw = np.memmap(args.data, dtype=np.float32, mode="r", offset=16)
vectors = np.asarray(raw[: n * d]).reshape(n, d)
queries = np.asarray(raw[n * d: n * d + q * d]).reshape(q, d)
truth = np.fromfile(args.data, dtype=np.int32, offset=16 + 4 * (n * d + q * d), count=q * k).reshape(q, k)

print(f"# hnswlib {n} x {d}, M={args.m}, ef_construction={args.ef_add}, {args.threads} threads")
index = hnswlib.Index(space="ip", dim=int(d))
index.init_index(max_elements=int(n), M=args.m, ef_construction=args.ef_add)
index.set_num_threads(args.threads)
start = time.perf_counter()
index.add_items(vectors, np.arange(n))
print(f"figure hnswlib.ann.build_s {time.perf_counter() - start:.3f} s")
index.set_num_threads(1)
for ef in (int(e) for e in args.ef.split(",")):
    index.set_ef(ef)
    index.knn_query(queries[:1], k=int(k))
    labels = []
    start = time.perf_counter()
    for i in range(q):
        labels.append(index.knn_query(queries[i:i + 1], k=int(k))[0][0])
    seconds = time.perf_counter() - start
    found = sum(len(set(l.tolist()) & set(t.tolist())) for l, t in zip(labels, truth))
    print(f"figure hnswlib.ann.ef{ef}.qps {q / seconds:.1f} q/s")
    print(f"figure hnswlib.ann.ef{ef}.recall {found / (q * k):.4f} recall@10")
