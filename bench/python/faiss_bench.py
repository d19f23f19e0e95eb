"""The Python side of bench/faiss.ts: the same operations with Debian's python3-faiss.

  faiss_bench.py XB.npy XQ.npy OUTDIR REPS GRID(full|small)
Prints one JSON object {case: median seconds}; saves result labels as OUTDIR/py.<case>.I.npy.
Mirrors bench/faiss.ts case for case: change both together.
"""
import json
import statistics
import sys
import time

import faiss
import numpy as np

xb_file, xq_file, out, reps, grid = sys.argv[1:6]
reps = int(reps)
xb = np.load(xb_file)
xq = np.load(xq_file)
d = xb.shape[1]
res = {}


def timed(name, fn, n=reps):
    times = []
    value = None
    for _ in range(n):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    res[name] = statistics.median(times)
    return value


def save(name, I):
    np.save("%s/py.%s.I.npy" % (out, name), I)


for metric, mname in [(faiss.METRIC_L2, "L2"), (faiss.METRIC_L1, "L1")]:
    def build():
        index = faiss.IndexFlat(d, metric)
        index.add(xb)
        return index
    index = timed("flat-%s add" % mname, build)
    for nq in (1, 10, 1000):
        D, I = timed("flat-%s search nq=%d" % (mname, nq), lambda: index.search(xq[:nq], 5))
        save("flat-%s.nq%d" % (mname, nq), I)

def train():
    quantizer = faiss.IndexFlatL2(d)
    index = faiss.IndexIVFFlat(quantizer, d, 143)
    index.train(xb)
    return index
ivf = timed("ivf143 train", train, max(1, reps // 2))
timed("ivf143 add", lambda: (ivf.reset(), ivf.add(xb)), max(1, reps // 2))
for nprobe in (1, 8, 32):
    ivf.nprobe = nprobe
    D, I = timed("ivf143 search nprobe=%d nq=1000" % nprobe, lambda: ivf.search(xq, 5))
    save("ivf143.np%d" % nprobe, I)

Ms, efCs = ([8, 16, 32], [40, 100, 200]) if grid == "full" else ([16], [40])
total = 0.0
for metric, mname in [(faiss.METRIC_L2, "L2"), (faiss.METRIC_L1, "L1")]:
    for M in Ms:
        for efC in efCs:
            index = faiss.IndexHNSWFlat(d, M, metric)
            index.hnsw.efConstruction = efC
            t0 = time.perf_counter()
            index.add(xb)
            build = time.perf_counter() - t0
            res["hnsw-%s M=%d efC=%d build" % (mname, M, efC)] = build
            total += build
            for efS in (10, 50, 100):
                index.hnsw.efSearch = efS
                D, I = timed("hnsw-%s M=%d efC=%d efS=%d search nq=10" % (mname, M, efC, efS), lambda: index.search(xq[:10], 5), reps * 4)
                total += res["hnsw-%s M=%d efC=%d efS=%d search nq=10" % (mname, M, efC, efS)]
                save("hnsw-%s.M%d.efC%d.efS%d" % (mname, M, efC, efS), I)
res["hnsw grid total (builds + median searches)"] = total
print(json.dumps(res))
