/**
 * An HNSW search replayed in plain TypeScript over the index's own graph, the
 * way faiss 1.7.3 searches (faiss/impl/HNSW.cpp, HNSW::search with upper_beam 1
 * and the bounded queue): from the entry point, a greedy descent on each upper
 * level, then a beam of efSearch candidates on level 0. Every distance computed
 * and every hop is recorded, so a notebook can show the walk the sheet's Fig. 1
 * describes and count what it cost against the flat index's n.
 *
 * The heaps are faiss's (MinimaxHeap, the k-result max-heap, their tie-breaks on
 * the node number), so the replay returns faiss's top-k; the distances are summed
 * in float64 and rounded to float32, where faiss's SIMD sums round on the way, so
 * two candidates within a float32 rounding of each other may swap.
 *
 * @example
 * index.hnsw.efSearch = 16;
 * const walk = hnswWalk(index, xq.subarray(0, d), { k: 3 });
 * walk.labels;    // what index.search(xq, 3) answers for the first query
 * walk.ndis;      // distances computed, against index.ntotal for a flat scan
 */
import { type HNSWGraph, IndexHNSW } from '../faiss/hnsw';
import type { Matrix } from '../types';
import { ArgumentError, checkInteger, FLT_MAX, invalid } from '../util/check';
import { MetricType, metricName } from './results';

/** What a walk reads: the graph, the stored vectors (node i is row i) and the metric. */
export interface HNSWWalkSource {
  graph: HNSWGraph;
  /** Row-major ntotal * d: the index's vectors (decoded, for SQ and PQ storage). */
  vectors: Float32Array;
  d: number;
  metricType: MetricType;
}

/** One distance the search computed: to `node`, found among the links of `from` (-1: the entry point). */
export interface WalkStep {
  level: number;
  node: number;
  /** As faiss reports it: squared L2, L1, Linf, or the inner product (larger is closer). */
  distance: number;
  from: number;
}

/**
 * One move: on an upper level, the greedy step from `from` to its nearest link
 * `to`; on level 0, the expansion of candidate `to` (its links are read), which
 * the expansion of `from` had found (-1: the node the upper levels ended on).
 */
export interface WalkHop {
  level: number;
  from: number;
  to: number;
  distance: number;
}

export interface WalkLevel {
  level: number;
  /** The node the level starts from and the one it hands down (level 0: the nearest found). */
  start: number;
  end: number;
  computed: WalkStep[];
  hops: WalkHop[];
}

export interface HNSWWalk {
  /** A copy of the query. */
  query: Float32Array;
  k: number;
  efSearch: number;
  metricType: MetricType;
  ntotal: number;
  entryPoint: number;
  maxLevel: number;
  /** Top level first; empty for an empty index. */
  levels: WalkLevel[];
  /** The top-k as faiss returns them, nearest first, -1 where fewer than k were found. */
  labels: number[];
  distances: number[];
  /** Distances computed in all (the entry point's, the greedy descents', level 0's). A flat scan computes ntotal. */
  ndis: number;
  /** Why level 0 stopped: 'efSearch' (efSearch candidates were nearer than the next), or 'exhausted'. */
  stop: 'efSearch' | 'exhausted' | 'empty';
  /** The exact top-k by a full scan of the same vectors (unless options.exact is false). */
  exact?: { labels: number[]; distances: number[] };
  /** Exact neighbours the walk did not return (with exact). */
  missed: number[];
  /** Share of the exact top-k the walk returned (with exact; NaN without). */
  recall: number;
}

export interface HNSWWalkOptions {
  /** Neighbours to return (default 10). */
  k?: number;
  /** hnsw.efSearch for this walk (default: the index's). As faiss, the beam holds max(efSearch, k). */
  efSearch?: number;
  /** Also scan all vectors for the exact top-k and the missed neighbours (default true). */
  exact?: boolean;
}

/** The graph and vectors of an HNSW index, read once for many walks. */
export function hnswWalkSource(index: unknown): HNSWWalkSource {
  if (!(index instanceof IndexHNSW)) {
    throw invalid('index', 'an HNSW index (IndexHNSWFlat, IndexHNSWSQ, IndexHNSWPQ) or hnswWalkSource(index)', index);
  }
  const graph = index.hnsw.graph();
  const vectors = index.reconstructN(0, graph.ntotal);
  return { graph, vectors, d: index.d, metricType: index.metricType };
}

/**
 * Distance from q to row j of xb, "smaller is closer" (inner products negated, as
 * faiss's HNSW does), summed in float64, rounded to float32 like faiss's result.
 */
export function walkDistance(metric: MetricType, q: Float32Array, xb: Float32Array, j: number, d: number): number {
  let s = 0;
  const o = j * d;
  if (metric === MetricType.L2) {
    for (let t = 0; t < d; t++) {
      const x = q[t] - xb[o + t];
      s += x * x;
    }
  } else if (metric === MetricType.INNER_PRODUCT) {
    for (let t = 0; t < d; t++) s -= q[t] * xb[o + t];
  } else if (metric === MetricType.L1) {
    for (let t = 0; t < d; t++) s += Math.abs(q[t] - xb[o + t]);
  } else if (metric === MetricType.Linf) {
    for (let t = 0; t < d; t++) s = Math.max(s, Math.abs(q[t] - xb[o + t]));
  } else {
    throw new ArgumentError(`the walk computes L2, INNER_PRODUCT, L1 and Linf distances, not ${metricName(metric)}`);
  }
  return Math.fround(s);
}

// ---- faiss's heaps (utils/Heap.h), 1-based as there; CMax: (a1 > b1) || (a1 == b1 && a2 > b2) ----

function cmax2(a1: number, b1: number, a2: number, b2: number): boolean {
  return a1 > b1 || (a1 === b1 && a2 > b2);
}

/** heap_push<CMax>(k, val, ids, v, id): val/ids hold the heap in [0, k). */
function heapPush(k: number, val: Float32Array, ids: Int32Array, v: number, id: number): void {
  let i = k;
  while (i > 1) {
    const father = i >> 1;
    if (!cmax2(v, val[father - 1], id, ids[father - 1])) break;
    val[i - 1] = val[father - 1];
    ids[i - 1] = ids[father - 1];
    i = father;
  }
  val[i - 1] = v;
  ids[i - 1] = id;
}

/**
 * heap_pop<CMax>(k, ...): removes the top; the last element sifts down. faiss 1.7.3 sifts it with the bounds of k
 * (not k - 1), exactly as heap_replace_top with the last element: so it is that, for the same tie-breaks.
 */
function heapPop(k: number, val: Float32Array, ids: Int32Array): void {
  heapReplaceTop(k, val, ids, val[k - 1], ids[k - 1]);
}

/** heap_replace_top<CMax>(k, ...): the top becomes (v, id), which sifts down. */
function heapReplaceTop(k: number, val: Float32Array, ids: Int32Array, v: number, id: number): void {
  let i = 1;
  for (;;) {
    const i1 = i << 1;
    const i2 = i1 + 1;
    if (i1 > k) break;
    if (i2 === k + 1 || cmax2(val[i1 - 1], val[i2 - 1], ids[i1 - 1], ids[i2 - 1])) {
      if (cmax2(v, val[i1 - 1], id, ids[i1 - 1])) break;
      val[i - 1] = val[i1 - 1];
      ids[i - 1] = ids[i1 - 1];
      i = i1;
    } else {
      if (cmax2(v, val[i2 - 1], id, ids[i2 - 1])) break;
      val[i - 1] = val[i2 - 1];
      ids[i - 1] = ids[i2 - 1];
      i = i2;
    }
  }
  val[i - 1] = v;
  ids[i - 1] = id;
}

/** heap_reorder<CMax>(k, ...): sorts nearest first, -1 entries moved to the end. */
function heapReorder(k: number, val: Float32Array, ids: Int32Array): void {
  let ii = 0;
  for (let i = 0; i < k; i++) {
    const v = val[0];
    const id = ids[0];
    heapPop(k - i, val, ids);
    val[k - ii - 1] = v;
    ids[k - ii - 1] = id;
    if (id !== -1) ii++;
  }
  val.copyWithin(0, k - ii, k);
  ids.copyWithin(0, k - ii, k);
  for (; ii < k; ii++) {
    val[ii] = FLT_MAX;
    ids[ii] = -1;
  }
}

/** HNSW::MinimaxHeap: a max-heap of at most n candidates; pop_min scans for the nearest and marks it -1. */
class MinimaxHeap {
  k = 0;
  nvalid = 0;
  readonly ids: Int32Array;
  readonly dis: Float32Array;
  constructor(readonly n: number) {
    this.ids = new Int32Array(n);
    this.dis = new Float32Array(n);
  }
  push(i: number, v: number): void {
    if (this.k === this.n) {
      if (v >= this.dis[0]) return;
      heapPop(this.k--, this.dis, this.ids);
      this.nvalid--;
    }
    heapPush(++this.k, this.dis, this.ids, v, i);
    this.nvalid++;
  }
  size(): number {
    return this.nvalid;
  }
  popMin(): [number, number] {
    let i = this.k - 1;
    while (i >= 0 && this.ids[i] === -1) i--;
    if (i === -1) return [-1, 0];
    let imin = i;
    let vmin = this.dis[i];
    for (i--; i >= 0; i--) {
      if (this.ids[i] !== -1 && this.dis[i] < vmin) {
        vmin = this.dis[i];
        imin = i;
      }
    }
    const ret = this.ids[imin];
    this.ids[imin] = -1;
    this.nvalid--;
    return [ret, vmin];
  }
  countBelow(thresh: number): number {
    let n = 0;
    for (let i = 0; i < this.k; i++) if (this.dis[i] < thresh) n++;
    return n;
  }
}

/** @internal One finite query vector of d values, for a walk or a probe (`what`). */
export function oneQuery(query: Float32Array | Matrix, d: number, what = 'walk'): Float32Array {
  const q = query instanceof Float32Array ? query : query?.data;
  if (!(q instanceof Float32Array))
    throw invalid('query', `one vector of d=${d} values (a Float32Array or a Matrix)`, query);
  if (q.length !== d) {
    throw new ArgumentError(
      `query holds ${q.length} values; a ${what} follows one query of d=${d} values (take one row: xq.subarray(i * d, (i + 1) * d))`,
    );
  }
  for (let t = 0; t < d; t++) {
    if (!Number.isFinite(q[t]))
      throw new ArgumentError(`query contains ${q[t]} at ${t}: vectors must be finite numbers`);
  }
  return q;
}

/** The exact top-k of q among the vectors, nearest first, ties to the lower node. */
function exactTopK(src: HNSWWalkSource, q: Float32Array, k: number): { labels: number[]; dis: number[] } {
  const n = src.graph.ntotal;
  const dis = new Float64Array(n);
  for (let j = 0; j < n; j++) dis[j] = walkDistance(src.metricType, q, src.vectors, j, src.d);
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => dis[a] - dis[b] || a - b);
  const top = order.slice(0, k);
  return { labels: top, dis: top.map((j) => dis[j]) };
}

function checkSource(src: HNSWWalkSource): void {
  const g = src.graph;
  if (g.upperBeam !== 1 || !g.searchBoundedQueue) {
    throw new ArgumentError(
      `the replay follows faiss's default search (upper_beam 1, bounded queue); this graph has upper_beam ${g.upperBeam}` +
        `${g.searchBoundedQueue ? '' : ' and an unbounded queue'}`,
    );
  }
  if (src.vectors.length !== g.ntotal * src.d) {
    throw new ArgumentError(
      `the walk's vectors hold ${src.vectors.length} values, not ntotal * d = ${g.ntotal} * ${src.d}: read them again with hnswWalkSource(index)`,
    );
  }
}

/**
 * Replays index.search(query, k) at efSearch (see the module's comment), one query,
 * recording every distance and hop. `index` is an HNSW index, or hnswWalkSource(index)
 * when one index is walked many times.
 */
export function hnswWalk(
  index: IndexHNSW | HNSWWalkSource,
  query: Float32Array | Matrix,
  options: HNSWWalkOptions = {},
): HNSWWalk {
  const src = index instanceof IndexHNSW ? hnswWalkSource(index) : index;
  if (!src || !(src.vectors instanceof Float32Array) || !src.graph) {
    throw invalid('index', 'an HNSW index or hnswWalkSource(index)', index);
  }
  checkSource(src);
  const g = src.graph;
  const { d, metricType: metric, vectors } = src;
  const q = oneQuery(query, d);
  const k = checkInteger(options.k ?? 10, 'k', 1, 1 << 20);
  const efSearch = checkInteger(options.efSearch ?? g.efSearch, 'efSearch', 1, 1 << 20);
  const sign = metric === MetricType.INNER_PRODUCT ? -1 : 1; // back to faiss's reported sign
  const walk: HNSWWalk = {
    query: q.slice(),
    k,
    efSearch,
    metricType: metric,
    ntotal: g.ntotal,
    entryPoint: g.entryPoint,
    maxLevel: g.maxLevel,
    levels: [],
    labels: [],
    distances: [],
    ndis: 0,
    stop: 'empty',
    missed: [],
    recall: Number.NaN,
  };
  const D = new Float32Array(k);
  const I = new Int32Array(k).fill(-1);
  D.fill(FLT_MAX); // maxheap_heapify(k): neutral entries
  const dist = (level: number, node: number, from: number, steps: WalkStep[]): number => {
    const v = walkDistance(metric, q, vectors, node, d);
    walk.ndis++;
    steps.push({ level, node, distance: sign * v, from });
    return v;
  };

  if (g.entryPoint !== -1) {
    const { neighbors, offsets, cumNneighborPerLevel: cum } = g;
    // Greedy descent on the upper levels (greedy_update_nearest).
    let nearest = g.entryPoint;
    const first: WalkStep[] = [];
    let dNearest = dist(g.maxLevel, nearest, -1, first);
    for (let level = g.maxLevel; level >= 1; level--) {
      const lv: WalkLevel = {
        level,
        start: nearest,
        end: nearest,
        computed: level === g.maxLevel ? first : [],
        hops: [],
      };
      for (;;) {
        const prev = nearest;
        const begin = offsets[prev] + cum[level];
        const end = offsets[prev] + cum[level + 1];
        for (let i = begin; i < end; i++) {
          const v = neighbors[i];
          if (v < 0) break;
          const dv = dist(level, v, prev, lv.computed);
          if (dv < dNearest) {
            nearest = v;
            dNearest = dv;
          }
        }
        if (nearest === prev) break;
        lv.hops.push({ level, from: prev, to: nearest, distance: sign * dNearest });
      }
      lv.end = nearest;
      walk.levels.push(lv);
    }

    // Level 0: search_from_candidates with a MinimaxHeap of max(efSearch, k).
    const l0: WalkLevel = { level: 0, start: nearest, end: nearest, computed: g.maxLevel === 0 ? first : [], hops: [] };
    const candidates = new MinimaxHeap(Math.max(efSearch, k));
    candidates.push(nearest, dNearest);
    const visited = new Uint8Array(g.ntotal);
    const parent = new Int32Array(g.ntotal).fill(-1);
    let nres = 0;
    const keep = (v: number, dv: number): void => {
      if (nres < k) heapPush(++nres, D, I, dv, v);
      else if (dv < D[0]) heapReplaceTop(nres, D, I, dv, v);
    };
    for (let i = 0; i < candidates.size(); i++) {
      keep(candidates.ids[i], candidates.dis[i]);
      visited[candidates.ids[i]] = 1;
    }
    walk.stop = 'exhausted';
    let nstep = 0;
    while (candidates.size() > 0) {
      const [v0, d0] = candidates.popMin();
      if (g.checkRelativeDistance && candidates.countBelow(d0) >= efSearch) {
        walk.stop = 'efSearch';
        break;
      }
      l0.hops.push({ level: 0, from: parent[v0], to: v0, distance: sign * d0 });
      const begin = offsets[v0] + cum[0];
      const end = offsets[v0] + cum[1];
      for (let j = begin; j < end; j++) {
        const v1 = neighbors[j];
        if (v1 < 0) break;
        if (visited[v1]) continue;
        visited[v1] = 1;
        parent[v1] = v0;
        const dv = dist(0, v1, v0, l0.computed);
        keep(v1, dv);
        candidates.push(v1, dv);
      }
      nstep++;
      if (!g.checkRelativeDistance && nstep > efSearch) break;
    }
    walk.levels.push(l0);
  }
  heapReorder(k, D, I);
  walk.labels = Array.from(I);
  walk.distances = Array.from(D, (v, i) => (I[i] === -1 ? sign * FLT_MAX : sign * v));
  const l0 = walk.levels[walk.levels.length - 1];
  if (l0 && walk.labels[0] >= 0) l0.end = walk.labels[0];

  if (options.exact !== false) {
    const ex = exactTopK(src, q, Math.min(k, g.ntotal));
    walk.exact = { labels: ex.labels, distances: ex.dis.map((v) => sign * v) };
    const found = new Set(walk.labels);
    walk.missed = ex.labels.filter((j) => !found.has(j));
    walk.recall = ex.labels.length ? (ex.labels.length - walk.missed.length) / ex.labels.length : 1;
  }
  return walk;
}
