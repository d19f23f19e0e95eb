/**
 * An IVF search replayed in plain TypeScript over the index's own lists: which
 * nprobe cells a query visits (the nearest centroids: all nlist ranked, as a flat
 * quantizer does, or the quantizer's own HNSW walk replayed when it is an
 * IndexHNSWFlat) and, for an IndexIVFFlat, the vectors scanned there and the top-k found.
 * Distances are computed as the HNSW walk computes them (float64 sums rounded to
 * float32); faiss rounds on the way, so near-ties may swap.
 *
 * @example
 * index.nprobe = 8;
 * const probe = ivfProbe(index, xq.subarray(0, d), { k: 10 });
 * probe.cells;     // the 8 cells visited, nearest centroid first
 * probe.ndis;      // centroid distances (nlist, fewer with an HNSW quantizer) + the vectors of those cells
 */
import { IndexHNSW } from '../faiss/hnsw';
import { IndexIVF, IndexIVFFlat, type IVFLists, ivfLists } from '../faiss/ivf';
import type { Matrix } from '../types';
import { checkInteger, invalid } from '../util/check';
import { type HNSWWalkSource, hnswWalk, hnswWalkSource, oneQuery, walkDistance } from './hnsw-walk';
import { MetricType } from './results';

export interface IVFProbeOptions {
  /** Cells to visit (default: the index's nprobe; at most nlist). */
  nprobe?: number;
  /** Neighbours to return (default 10). */
  k?: number;
  /**
   * With ivfLists(...) as the index, whose quantizer is an IndexHNSWFlat: hnswWalkSource(index.quantizer), so that
   * the cells are chosen as faiss chooses them (an IVF index passed itself is read directly).
   */
  quantizer?: HNSWWalkSource;
}

export interface IVFProbe {
  /** A copy of the query. */
  query: Float32Array;
  nprobe: number;
  nlist: number;
  ntotal: number;
  k: number;
  metricType: MetricType;
  /** The visited cells, nearest centroid first, and the query's distance to each centroid (faiss's sign). */
  cells: number[];
  cellDistances: number[];
  /** How the cells were chosen: every centroid ranked ('exact', a flat quantizer) or an HNSW walk over them. */
  coarse: 'exact' | 'hnsw';
  /** Centroid distances computed to choose the cells: nlist, or the quantizer's walk's. */
  coarseNdis: number;
  /** Vectors stored in the visited cells (scanned), and the share of all vectors that is. */
  scanned: number;
  /** Distances computed: coarseNdis to the centroids, then one per scanned vector. A flat scan computes ntotal. */
  ndis: number;
  /** The top-k ids found in the visited cells and the exact top-k over every cell, nearest first (IndexIVFFlat only). */
  labels?: number[];
  distances?: number[];
  exact?: { labels: number[]; distances: number[]; cells: number[] };
  /** Exact neighbours outside the visited cells (IndexIVFFlat only). */
  missed?: number[];
  recall?: number;
}

/** Positions 0..n-1 sorted by ("smaller is closer") distance, ties to the lower id (faiss's heaps). */
function ranked(dis: Float64Array, ids?: BigInt64Array): number[] {
  const tie = ids
    ? (a: number, b: number) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0)
    : (a: number, b: number) => a - b;
  return Array.from({ length: dis.length }, (_, j) => j).sort((a, b) => dis[a] - dis[b] || tie(a, b));
}

function safeId(id: bigint): number {
  const v = Number(id);
  if (!Number.isSafeInteger(v)) throw new RangeError(`id ${id} is beyond 2^53: the probe reports ids as numbers`);
  return v;
}

/**
 * Replays an IVF search's probe for one query (see the module's comment). `index`
 * is an IVF index, or ivfLists(index, { vectors: true }) when one index is probed
 * many times (without vectors: the cells only).
 */
export function ivfProbe(
  index: IndexIVF | IVFLists,
  query: Float32Array | Matrix,
  options: IVFProbeOptions = {},
): IVFProbe {
  const lists = index instanceof IndexIVF ? ivfLists(index, { vectors: index instanceof IndexIVFFlat }) : index;
  if (!lists || !(lists.centroids instanceof Float32Array))
    throw invalid('index', 'an IVF index or ivfLists(index)', index);
  const { nlist, d, metricType: metric } = lists;
  const q = oneQuery(query, d, 'probe');
  const nprobe = checkInteger(options.nprobe ?? (index instanceof IndexIVF ? index.nprobe : 1), 'nprobe', 1);
  const k = checkInteger(options.k ?? 10, 'k', 1, 1 << 20);
  const sign = metric === MetricType.INNER_PRODUCT ? -1 : 1;
  const ntotal = lists.ids.length;

  // The coarse step (faiss: quantizer->search(q, min(nprobe, nlist))): with a flat quantizer every centroid's
  // distance, the nprobe nearest kept; with an HNSW quantizer its greedy walk, which may miss a near cell.
  const graph =
    options.quantizer ??
    (index instanceof IndexIVF && index.quantizer instanceof IndexHNSW ? hnswWalkSource(index.quantizer) : undefined);
  let cells: number[];
  let cellDistances: number[];
  let coarseNdis: number;
  if (graph) {
    if (graph.graph.ntotal !== nlist || graph.d !== d)
      throw invalid('options.quantizer', `hnswWalkSource(index.quantizer) of ${nlist} centroids of d=${d}`, graph);
    const w = hnswWalk(graph, q, { k: Math.min(nprobe, nlist), exact: false });
    cells = w.labels.filter((c) => c >= 0);
    cellDistances = w.distances.slice(0, cells.length);
    coarseNdis = w.ndis;
  } else {
    const cdis = new Float64Array(nlist);
    for (let c = 0; c < nlist; c++) cdis[c] = walkDistance(metric, q, lists.centroids, c, d);
    cells = ranked(cdis).slice(0, Math.min(nprobe, nlist));
    cellDistances = cells.map((c) => sign * cdis[c]);
    coarseNdis = nlist;
  }
  const scanned = cells.reduce((s, c) => s + lists.sizes[c], 0);
  const probe: IVFProbe = {
    query: q.slice(),
    nprobe: cells.length,
    nlist,
    ntotal,
    k,
    metricType: metric,
    cells,
    cellDistances,
    coarse: graph ? 'hnsw' : 'exact',
    coarseNdis,
    scanned,
    ndis: coarseNdis + scanned,
  };
  const xb = lists.vectors;
  if (!xb) return probe;

  // The scan: every stored vector's distance, then the top-k among the visited cells and among all.
  const all = new Float64Array(ntotal);
  for (let j = 0; j < ntotal; j++) all[j] = walkDistance(metric, q, xb, j, d);
  const cellOf = new Int32Array(ntotal);
  for (let c = 0; c < nlist; c++) cellOf.fill(c, lists.lims[c], lists.lims[c + 1]);
  const visited = new Set(cells);
  const order = ranked(all, lists.ids);
  const top = (pos: number[]) => pos.slice(0, k);
  const found = top(order.filter((j) => visited.has(cellOf[j])));
  const best = top(order);
  probe.labels = found.map((j) => safeId(lists.ids[j]));
  probe.distances = found.map((j) => sign * all[j]);
  probe.exact = {
    labels: best.map((j) => safeId(lists.ids[j])),
    distances: best.map((j) => sign * all[j]),
    cells: best.map((j) => cellOf[j]),
  };
  const got = new Set(probe.labels);
  probe.missed = probe.exact.labels.filter((id) => !got.has(id));
  probe.recall = best.length ? (best.length - probe.missed.length) / best.length : 1;
  return probe;
}
