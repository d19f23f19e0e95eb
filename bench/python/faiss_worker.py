"""The Python side of bench/faiss.ts: Debian's python3-faiss, one operation per request,
so the two sides take turns case by case (bench/faiss.ts has the same operations).

Reads JSON requests, one per line, on stdin; answers each with one JSON line:
  {"op": "load", "xb": F, "xq": F}                          the data (.npy)
  {"op": "info"}                                            -> {"version", "compileOptions"}  e.g. "OPTIMIZE GENERIC"
  {"op": "flat", "metric": "L2"|"L1"}                       -> {"seconds"}  new IndexFlat + add
  {"op": "ivf", "nlist": N}                                 -> {"seconds"}  new IndexIVFFlat + train
  {"op": "ivf_add"}                                         -> {"seconds"}  reset + add
  {"op": "hnsw", "metric": m, "M": M, "efConstruction": e}  -> {"seconds"}  new IndexHNSWFlat + add
  {"op": "read", "file": F}                                 the index to search next (faiss.read_index)
  {"op": "search", "nq": n, "k": k, "efSearch"?, "nprobe"?, "save"?: F}
                                                            -> {"seconds"}  labels saved to F (.npy)
"""
import time

import faiss
import numpy as np

from jsonlines import serve

METRICS = {"L2": faiss.METRIC_L2, "L1": faiss.METRIC_L1}
state = {}


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return {"seconds": time.perf_counter() - t0}


def flat(metric):
    index = faiss.IndexFlat(state["xb"].shape[1], METRICS[metric])
    index.add(state["xb"])
    state["index"] = index


def ivf(nlist):
    d = state["xb"].shape[1]
    quantizer = faiss.IndexFlatL2(d)
    index = faiss.IndexIVFFlat(quantizer, d, nlist)
    index.train(state["xb"])
    state["index"] = index


def ivf_add():
    state["index"].reset()
    state["index"].add(state["xb"])


def hnsw(metric, M, efConstruction):
    index = faiss.IndexHNSWFlat(state["xb"].shape[1], M, METRICS[metric])
    index.hnsw.efConstruction = efConstruction
    index.add(state["xb"])
    state["index"] = index


def search(req):
    index = state["index"]
    if "efSearch" in req:
        index.hnsw.efSearch = req["efSearch"]
    if "nprobe" in req:
        index.nprobe = req["nprobe"]
    q = state["xq"][:req["nq"]]
    t0 = time.perf_counter()
    _, labels = index.search(q, req["k"])
    seconds = time.perf_counter() - t0
    if req.get("save"):
        np.save(req["save"], labels)
    return {"seconds": seconds}


def handle(req):
    op = req["op"]
    if op == "load":
        state["xb"], state["xq"] = np.load(req["xb"]), np.load(req["xq"])
        return {}
    if op == "info":
        return {"version": faiss.__version__, "compileOptions": faiss.get_compile_options().strip()}
    if op in ("flat", "ivf", "hnsw"):
        state["index"] = None  # the previous index is freed untimed (ours: dispose())
    if op == "flat":
        return timed(lambda: flat(req["metric"]))
    if op == "ivf":
        return timed(lambda: ivf(req["nlist"]))
    if op == "ivf_add":
        return timed(ivf_add)
    if op == "hnsw":
        return timed(lambda: hnsw(req["metric"], req["M"], req["efConstruction"]))
    if op == "read":
        state["index"] = faiss.read_index(req["file"])
        return {}
    if op == "search":
        return search(req)
    raise ValueError("unknown op %r" % op)


serve(handle)
