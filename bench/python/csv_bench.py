"""The Python side of bench/csv.ts: loading the course's vectors.csv.gz with pandas.

  csv_bench.py FILE OUTDIR REPS
Prints JSON {case: median seconds}; saves each way's float32 matrix as OUTDIR/py.csv.<way>.npy.
"""
import ast
import json
import statistics
import sys
import time

import numpy as np
import pandas as pd

file, out, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
res = {}


def literal_eval():
    # As most course notebooks do it.
    df = pd.read_csv(file)
    return np.array([ast.literal_eval(e) for e in df["embedding"]], dtype="float32")


def fromstring():
    # The fastest common way.
    df = pd.read_csv(file)
    return np.stack([np.fromstring(e.strip("[]"), sep=",") for e in df["embedding"]]).astype("float32")


for name, fn, n in [("pandas + ast.literal_eval", literal_eval, 1), ("pandas + np.fromstring", fromstring, reps)]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        x = fn()
        times.append(time.perf_counter() - t0)
    res[name] = statistics.median(times)
    np.save("%s/py.csv.%s.npy" % (out, "eval" if "ast" in name else "fromstring"), x)
print(json.dumps(res))
