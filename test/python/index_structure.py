"""Python faiss's view of an index's structure, for test/hnsw-graph.test.ts.

  index_structure.py hnsw INDEX OUT_PREFIX  -> OUT_PREFIX.{levels,offsets,neighbors,cum}.npy and OUT_PREFIX.json
      (entry_point, max_level, efConstruction, efSearch, upper_beam): faiss.vector_to_array(index.hnsw.<field>)
  index_structure.py ivf INDEX OUT_PREFIX   -> OUT_PREFIX.{sizes,ids,centroids}.npy: list_size(l) for each list,
      the ids list after list, index.quantizer.reconstruct_n(0, nlist)
"""
import json
import sys

import faiss
import numpy as np


def hnsw(path, out):
    read = faiss.read_index(path)  # a downcast view does not own the index: keep this referenced
    index = faiss.downcast_index(read)
    h = index.hnsw
    for name, field in (("levels", h.levels), ("offsets", h.offsets), ("neighbors", h.neighbors),
                        ("cum", h.cum_nneighbor_per_level)):
        # offsets are size_t (uint64): saved as int64, which the lab's readNpy reads
        np.save(out + "." + name + ".npy", faiss.vector_to_array(field).astype("int64"))
    with open(out + ".json", "w") as f:
        json.dump({"entry_point": int(h.entry_point), "max_level": int(h.max_level),
                   "efConstruction": int(h.efConstruction), "efSearch": int(h.efSearch),
                   "upper_beam": int(h.upper_beam)}, f)


def ivf(path, out):
    read = faiss.read_index(path)
    index = faiss.extract_index_ivf(read)
    il = index.invlists
    sizes = np.array([il.list_size(l) for l in range(index.nlist)], dtype="int64")
    ids = [faiss.rev_swig_ptr(il.get_ids(l), int(sizes[l])).copy() for l in range(index.nlist) if sizes[l] > 0]
    np.save(out + ".sizes.npy", sizes)
    np.save(out + ".ids.npy", np.concatenate(ids) if ids else np.zeros(0, dtype="int64"))
    np.save(out + ".centroids.npy", index.quantizer.reconstruct_n(0, index.nlist))


if __name__ == "__main__":
    cmd, path, out = sys.argv[1:]
    {"hnsw": hnsw, "ivf": ivf}[cmd](path, out)
