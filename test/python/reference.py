"""Python faiss + numpy, the reference the tests compare our binding with.

  reference.py search INDEX XQ.npy K OUT_PREFIX        -> OUT_PREFIX.D.npy, OUT_PREFIX.I.npy
  reference.py build FACTORY METRIC XB.npy OUT_INDEX [XT.npy]   (METRIC: L2, INNER_PRODUCT, L1, Linf; trained on XT, else XB)
  reference.py dataset NAME ARGS... OUT_PREFIX         -> OUT_PREFIX.xt/xb/xq.npy: faiss's test data sets
      get_dataset D NB NT NQ / get_dataset_2 D NT NB NQ (tests/common_faiss_tests.py), randu10k
  reference.py describe INDEX                           -> JSON: class, d, ntotal, metric, params
  reference.py npyinfo FILE.npy                         -> JSON: dtype, shape, sum, first values
  reference.py npysave KIND OUT.npy                     (a fixed array written by np.save)
  reference.py run JOB.json                             a sequence of calls on one index (index-extras tests):
      {"index": PATH, "ops": [OP, ...]}, each OP one of
      {"op": "search", "xq": NPY, "k": K, "params": PARAMS?, "out": PREFIX}      -> PREFIX.D.npy, PREFIX.I.npy
      {"op": "range", "xq": NPY, "radius": R, "params": PARAMS?, "out": PREFIX}  -> PREFIX.lims/D/I.npy
      {"op": "reconstruct_n", "i0": I0, "n": N, "out": NPY}
      {"op": "reconstruct_batch", "keys": [..], "out": NPY}
      {"op": "reconstruct", "key": KEY, "out": NPY}
      {"op": "add", "x": NPY} / {"op": "add_with_ids", "x": NPY, "ids": NPY} / {"op": "train", "x": NPY}
      {"op": "remove_ids", "ids": [..], "array": BOOL?}
      {"op": "merge", "other": PATH, "add_id": N}           merge_from (the other read from PATH)
      {"op": "clone"}                                       the index becomes faiss.clone_index(index)
      {"op": "make_direct_map"} / {"op": "set_direct_map_type", "type": 0|1|2}
      {"op": "write", "path": PATH} / {"op": "describe", "out": JSON}
      {"op": "sa_encode", "x": NPY, "out": NPY} / {"op": "sa_decode", "codes": NPY, "out": NPY}   (uint8 codes)
      PARAMS: {"kind": "base"|"hnsw"|"ivf", "efSearch", "checkRelativeDistance", "nprobe", "maxCodes", "sel": SEL}
      SEL: {"type": "range", "imin", "imax", "assumeSorted"} | {"type": "array"|"batch", "ids": [..]} | {"type": "not", "sel": SEL}
  reference.py vectorscsv STYLE XB.npy OUT.csv[.gz]      the course's CSV as pandas writes it;
      STYLE list: embeddings as Python lists (repr of each float), with the index column
      STYLE array: embeddings as str(numpy array) (line breaks inside quotes), no index column
      also OUT.expected.npy: float32(float(text)) of every value written, numpy's reading
"""
import csv
import gzip
import json
import sys

import faiss
import numpy as np

METRICS = {"L2": faiss.METRIC_L2, "INNER_PRODUCT": faiss.METRIC_INNER_PRODUCT,
           "L1": faiss.METRIC_L1, "Linf": faiss.METRIC_Linf}


def selector(spec, keep):
    """faiss's IDSelector for SEL (keep holds what the selector points at)."""
    t = spec["type"]
    if t == "range":
        sel = faiss.IDSelectorRange(int(spec["imin"]), int(spec["imax"]), bool(spec.get("assumeSorted", False)))
    elif t in ("array", "batch"):
        ids = np.array(spec["ids"], dtype="int64")
        keep.append(ids)
        sel = faiss.IDSelectorArray(ids) if t == "array" else faiss.IDSelectorBatch(ids)
    elif t == "not":
        sel = faiss.IDSelectorNot(selector(spec["sel"], keep))
    else:
        raise SystemExit("unknown selector " + t)
    keep.append(sel)
    return sel


def search_params(spec, keep):
    if spec is None:
        return None
    sel = selector(spec["sel"], keep) if spec.get("sel") else None
    kind = spec["kind"]
    if kind == "base":
        p = faiss.SearchParameters()
    elif kind == "hnsw":
        p = faiss.SearchParametersHNSW()
        p.efSearch = int(spec["efSearch"])
        p.check_relative_distance = bool(spec.get("checkRelativeDistance", True))
    elif kind == "ivf":
        p = faiss.SearchParametersIVF()
        p.nprobe = int(spec["nprobe"])
        p.max_codes = int(spec.get("maxCodes", 0))
    else:
        raise SystemExit("unknown params kind " + kind)
    if sel is not None:
        p.sel = sel
    keep.append(p)
    return p


def run(job):
    # read_index already returns the exact class; faiss.downcast_index would wrap it
    # again without owning it, and the first wrapper's garbage collection would free it.
    index = faiss.read_index(job["index"])
    keep = []
    for op in job["ops"]:
        o = op["op"]
        if o == "search":
            D, I = index.search(np.load(op["xq"]), int(op["k"]), params=search_params(op.get("params"), keep))
            np.save(op["out"] + ".D.npy", D)
            np.save(op["out"] + ".I.npy", I)
        elif o == "range":
            lims, D, I = index.range_search(np.load(op["xq"]), float(op["radius"]), params=search_params(op.get("params"), keep))
            np.save(op["out"] + ".lims.npy", lims.astype("int64"))
            np.save(op["out"] + ".D.npy", D)
            np.save(op["out"] + ".I.npy", I)
        elif o == "reconstruct_n":
            np.save(op["out"], index.reconstruct_n(int(op["i0"]), int(op["n"])))
        elif o == "reconstruct_batch":
            np.save(op["out"], index.reconstruct_batch(np.array(op["keys"], dtype="int64")))
        elif o == "reconstruct":
            np.save(op["out"], index.reconstruct(int(op["key"])))
        elif o == "add":
            index.add(np.load(op["x"]))
        elif o == "add_with_ids":
            index.add_with_ids(np.load(op["x"]), np.load(op["ids"]))
        elif o == "train":
            index.train(np.load(op["x"]))
        elif o == "remove_ids":
            ids = np.array(op["ids"], dtype="int64")
            # "array": through an IDSelectorArray (what a hash-table direct map needs)
            index.remove_ids(faiss.IDSelectorArray(ids) if op.get("array") else ids)
        elif o == "merge":
            other = faiss.read_index(op["other"])
            index.merge_from(other, int(op.get("add_id", 0)))
            keep.append(other)
        elif o == "clone":
            keep.append(index)
            index = faiss.clone_index(index)
        elif o == "make_direct_map":
            index.make_direct_map()
        elif o == "set_direct_map_type":
            index.set_direct_map_type(int(op["type"]))
        elif o == "write":
            faiss.write_index(index, op["path"])
        elif o == "describe":
            with open(op["out"], "w") as f:
                json.dump({"class": type(index).__name__, "ntotal": index.ntotal, "d": index.d,
                           "metric": int(index.metric_type)}, f)
        elif o == "sa_encode":
            np.save(op["out"], index.sa_encode(np.load(op["x"])))
        elif o == "sa_decode":
            np.save(op["out"], index.sa_decode(np.load(op["codes"])))
        else:
            raise SystemExit("unknown op " + o)


def random_unitary(n, d, seed):
    x = faiss.randn(n * d, seed).reshape(n, d)
    faiss.normalize_L2(x)
    return x


def dataset(name, *args):
    """faiss's test data sets (tests/common_faiss_tests.py), as xt, xb, xq."""
    if name == "get_dataset":
        d, nb, nt, nq = map(int, args)
        rs = np.random.RandomState(123)
        xb = rs.rand(nb, d).astype("float32")
        xt = rs.rand(nt, d).astype("float32")
        xq = rs.rand(nq, d).astype("float32")
        return xt, xb, xq
    if name == "get_dataset_2":
        d, nt, nb, nq = map(int, args)
        d1 = 10
        n = nb + nt + nq
        rs = np.random.RandomState(1338)
        x = rs.normal(size=(n, d1))
        x = np.dot(x, rs.rand(d1, d))
        x = x * (rs.rand(d) * 4 + 0.1)
        x = np.sin(x).astype("float32")
        return x[:nt], x[nt:nt + nb], x[nt + nb:]
    if name == "randu10k":
        return random_unitary(10000, 128, 2), random_unitary(10000, 128, 1), random_unitary(1000, 128, 3)
    raise SystemExit("unknown data set " + name)


def describe(read):
    # read_index returns the exact class already; a downcast_index wrapper does not own
    # the index, so `read` must stay referenced while it is used.
    index = faiss.downcast_index(read)
    info = {"class": type(index).__name__, "d": index.d, "ntotal": index.ntotal,
            "metric": int(index.metric_type), "is_trained": bool(index.is_trained)}
    if hasattr(index, "hnsw"):
        info.update(efSearch=index.hnsw.efSearch, efConstruction=index.hnsw.efConstruction)
    if hasattr(index, "nprobe"):
        info.update(nprobe=index.nprobe, nlist=index.nlist)
    # The codes' parameters: of the index inside an IDMap, of an HNSW's storage.
    core = faiss.downcast_index(index.index) if hasattr(index, "id_map") else index
    inner = faiss.downcast_index(core.storage) if hasattr(core, "storage") else core
    if hasattr(inner, "pq"):
        info.update(pqM=inner.pq.M, pqNbits=inner.pq.nbits)
    if hasattr(inner, "sq"):
        info.update(sqType=int(inner.sq.qtype))
    if hasattr(inner, "code_size"):
        info.update(codeSize=int(inner.code_size))
    if hasattr(core, "by_residual"):
        info.update(byResidual=bool(core.by_residual))
    return info


def main(cmd, *args):
    if cmd == "search":
        path, xq, k, out = args
        index = faiss.read_index(path)
        D, I = index.search(np.load(xq), int(k))
        np.save(out + ".D.npy", D)
        np.save(out + ".I.npy", I)
    elif cmd == "build":
        factory, metric, xb, out = args[:4]
        x = np.load(xb)
        index = faiss.index_factory(x.shape[1], factory, METRICS[metric])
        if not index.is_trained:
            index.train(np.load(args[4]) if len(args) > 4 else x)
        if factory.startswith("IDMap"):
            index.add_with_ids(x, np.arange(x.shape[0], dtype="int64") * 10 + 7)
        else:
            index.add(x)
        if "HNSW" in factory:
            h = faiss.downcast_index(index.index if factory.startswith("IDMap") else index)
            if hasattr(h, "hnsw"):
                h.hnsw.efSearch = 77
        faiss.write_index(index, out)
    elif cmd == "describe":
        print(json.dumps(describe(faiss.read_index(args[0]))))
    elif cmd == "dataset":
        xt, xb, xq = dataset(*args[:-1])
        for name, a in (("xt", xt), ("xb", xb), ("xq", xq)):
            np.save(args[-1] + "." + name + ".npy", np.ascontiguousarray(a, dtype="float32"))
    elif cmd == "run":
        with open(args[0]) as f:
            run(json.load(f))
    elif cmd == "npyinfo":
        a = np.load(args[0])
        print(json.dumps({"dtype": a.dtype.str, "shape": list(a.shape),
                          "sum": float(a.astype("float64").sum()),
                          "first": [float(v) for v in a.ravel()[:4]]}))
    elif cmd == "npysave":
        kind, out = args
        if kind == "f4":
            np.save(out, (np.arange(12, dtype="float32") / 4 - 1).reshape(3, 4))
        elif kind == "i8":
            np.save(out, np.array([[-1, 2 ** 40], [3, -(2 ** 50)]], dtype="int64"))
        else:
            raise SystemExit("unknown kind " + kind)
    elif cmd == "vectorscsv":
        style, xb, out = args
        x = np.load(xb)
        opener = gzip.open if out.endswith(".gz") else open
        np.set_printoptions(threshold=sys.maxsize)
        expected = []
        with opener(out, "wt", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            cols = ["filename", "dir", "class", "pose", "xmin", "ymin", "xmax", "ymax", "embedding"]
            w.writerow(([""] if style == "list" else []) + cols)
            for i, v in enumerate(x):
                breed = "n02%06d-breed_%d" % (i % 7, i % 7)
                meta = ["%s_%d.jpg" % (breed, i), "Images/" + breed, breed, "Frontal, left" if i % 3 == 0 else "Unspecified",
                        i, i + 1, i + 100, i + 200]
                emb = str([float(t) for t in v]) if style == "list" else str(v)
                expected.append([float(t) for t in emb.strip("[]").replace(",", " ").split()])
                w.writerow(([i] if style == "list" else []) + meta + [emb])
        np.save(out + ".expected.npy", np.array(expected, dtype="float64").astype("float32"))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:])
