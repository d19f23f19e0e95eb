"""Python faiss + numpy, the reference the tests compare our binding with.

  reference.py search INDEX XQ.npy K OUT_PREFIX        -> OUT_PREFIX.D.npy, OUT_PREFIX.I.npy
  reference.py build FACTORY METRIC XB.npy OUT_INDEX    (METRIC: L2, INNER_PRODUCT, L1, Linf)
  reference.py describe INDEX                           -> JSON: class, d, ntotal, metric, params
  reference.py npyinfo FILE.npy                         -> JSON: dtype, shape, sum, first values
  reference.py npysave KIND OUT.npy                     (a fixed array written by np.save)
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


def main(cmd, *args):
    if cmd == "search":
        path, xq, k, out = args
        index = faiss.read_index(path)
        D, I = index.search(np.load(xq), int(k))
        np.save(out + ".D.npy", D)
        np.save(out + ".I.npy", I)
    elif cmd == "build":
        factory, metric, xb, out = args
        x = np.load(xb)
        index = faiss.index_factory(x.shape[1], factory, METRICS[metric])
        if not index.is_trained:
            index.train(x)
        if factory.startswith("IDMap"):
            index.add_with_ids(x, np.arange(x.shape[0], dtype="int64") * 10 + 7)
        else:
            index.add(x)
        if "HNSW" in factory:
            faiss.downcast_index(index).hnsw.efSearch = 77
        faiss.write_index(index, out)
    elif cmd == "describe":
        index = faiss.downcast_index(faiss.read_index(args[0]))
        info = {"class": type(index).__name__, "d": index.d, "ntotal": index.ntotal,
                "metric": int(index.metric_type), "is_trained": bool(index.is_trained)}
        if hasattr(index, "hnsw"):
            info.update(efSearch=index.hnsw.efSearch, efConstruction=index.hnsw.efConstruction)
        if hasattr(index, "nprobe"):
            info.update(nprobe=index.nprobe, nlist=index.nlist)
        print(json.dumps(info))
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
