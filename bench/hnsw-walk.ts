/**
 * The walk replay at the course's scale: 20,580 synthetic 512-d vectors (clustered like
 * CLIP's), an IndexHNSWFlat with M = 32, efConstruction = 100, 100 queries. Prints, per
 * metric and efSearch, how often hnswWalk returns faiss's top-10 in order, the distances a
 * query computes against the flat scan's n, recall@10 and the size of a walk's chart.
 *   npx tsx bench/hnsw-walk.ts
 */
import {
  clusteredVectors,
  hnswWalk,
  hnswWalkFigure,
  hnswWalkSource,
  IndexHNSWFlat,
  METRIC_L1,
  METRIC_L2,
  pca2,
} from '../src/internal';

const d = 512,
  n = 20580,
  nq = 100,
  k = 10;
const xb = clusteredVectors({ n, d, clusters: 120, seed: 7, spread: 0.6 });
const xq = clusteredVectors({ n: 2 * nq, d, clusters: 120, seed: 7, spread: 0.7 }).data.subarray(nq * d);
for (const metric of [METRIC_L2, METRIC_L1]) {
  const index = new IndexHNSWFlat(d, 32, metric);
  index.hnsw.efConstruction = 100;
  index.add(xb.data);
  const src = hnswWalkSource(index);
  for (const ef of [16, 64]) {
    index.hnsw.efSearch = ef;
    const res = index.search(xq, k);
    let same = 0,
      ndis = 0,
      rec = 0,
      pts = 0,
      bytes = 0;
    for (let i = 0; i < nq; i++) {
      const w = hnswWalk(src, xq.subarray(i * d, (i + 1) * d), { k, efSearch: ef });
      if (Array.from(res.labels.subarray(i * k, (i + 1) * k), Number).join() === w.labels.join()) same++;
      ndis += w.ndis;
      rec += w.recall;
      if (i < 5) {
        const rows = w.levels.flatMap((l) => l.computed.map((c) => c.node));
        const f = hnswWalkFigure(src, w, pca2(src.vectors, d, rows));
        pts += f.points;
        bytes += JSON.stringify(f.figure).length;
      }
    }
    console.log(
      `${metric === METRIC_L2 ? 'L2' : 'L1'} M=32 efC=100 efSearch=${ef}: ${same}/${nq} identical top-${k}; ${(ndis / nq).toFixed(0)} distances/query (${((100 * ndis) / nq / n).toFixed(2)}% of ${n}); recall@${k} ${(rec / nq).toFixed(3)}; chart ${(pts / 5).toFixed(0)} points, ${(bytes / 5 / 1024).toFixed(0)} KiB`,
    );
  }
}
