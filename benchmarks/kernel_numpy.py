#!/usr/bin/env python3
"""The Monte-Carlo kernel distance of `widesparse kernel` in NumPy, for timing beside it
(benchmarks/kernel.sh). Same computation: Gaussian input pairs [P, d], for each of I networks a
sparse first layer u [n, d] (kept with probability p, N(0, 1/p)), Theta = (1/(n d)) sum_i
relu(u_i.x) relu(u_i.y) per pair via two float32 matrix products, D = mean (Theta - K1/d)^2.
Benchmark-only: widesparse never runs Python."""
import argparse, json, time
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--pairs", type=int, default=10_000)
parser.add_argument("--dimension", type=int, default=784)
parser.add_argument("--width", type=int, default=10_000)
parser.add_argument("--np", type=float, default=8)
parser.add_argument("--initialisations", type=int, default=10)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()

rng = np.random.default_rng(0)
P, d, n = args.pairs, args.dimension, args.width
p = min(1.0, args.np / n)
X = rng.standard_normal((P, d), dtype=np.float32)
Y = rng.standard_normal((P, d), dtype=np.float32)

def distance():
    xx = np.einsum("ij,ij->i", X, X, dtype=np.float64)
    yy = np.einsum("ij,ij->i", Y, Y, dtype=np.float64)
    xy = np.einsum("ij,ij->i", X, Y, dtype=np.float64)
    t = np.arccos(np.clip(xy / np.sqrt(xx * yy), -1, 1))
    reference = np.sqrt(xx * yy) * (np.sin(t) + (np.pi - t) * np.cos(t)) / (2 * np.pi) / d
    values = []
    for _ in range(args.initialisations):
        u = (rng.random((n, d)) < p).astype(np.float32) * rng.standard_normal((n, d), dtype=np.float32) / np.float32(np.sqrt(p))
        ax = np.maximum(u @ X.T, 0)
        ay = np.maximum(u @ Y.T, 0)
        theta = np.einsum("ij,ij->j", ax, ay, dtype=np.float64) / (n * d)
        values.append(np.mean((theta - reference) ** 2))
    return float(np.mean(values))

times = []
for _ in range(args.repeats):
    start = time.perf_counter()
    value = distance()
    times.append(time.perf_counter() - start)
print(json.dumps({"numpy": np.__version__, "seconds": sorted(times), "median_seconds": sorted(times)[len(times) // 2], "D": value}))
