/**
 * Pure measures over search results, like faiss's contrib/evaluation and
 * ann-benchmarks' metrics: results in, numbers out; shapes checked first.
 *
 * @example
 * recallAtK(exact, approx, 5)                          // mean over queries, ties tolerated
 * precisionAtK(res, queryBreeds, (id) => rows[id].class, 3)
 * precisionPerQuery(res, queryBreeds, (id) => rows[id].class, 3)  // [1, 0.667, undefined, ...]
 */
import { distance } from '../search/bruteforce';
import { largerIsCloser, type MetricType, type SearchResult } from '../search/results';
import type { Matrix } from '../types';
import { FLT_MAX } from '../util/check';

export interface RecallOptions {
  /**
   * Relative tolerance for ties (default 1e-4, well above float32 rounding of
   * distances computed two ways, e.g. BLAS vs direct): a returned neighbour whose
   * distance is within epsilon of the true k-th distance counts as found, as
   * ann-benchmarks does. Identical or near-identical photos give equal
   * distances, and an approximate index may return either of them.
   */
  epsilon?: number;
}

function isResult(x: unknown): x is SearchResult {
  return typeof x === 'object' && x !== null && 'labels' in x && 'distances' in x && 'k' in x && 'n' in x;
}

function checkShapes(exact: SearchResult, found: SearchResult, k: number, what: string): void {
  if (exact.n !== found.n) {
    throw new Error(
      `${what}: the exact result has ${exact.n} queries and the result to check ${found.n}: search the same queries`,
    );
  }
  if (!Number.isInteger(k) || k < 1 || k > exact.k || k > found.k) {
    throw new Error(
      `${what}: k=${k} needs at least k columns in both results (exact has k=${exact.k}, the other k=${found.k})`,
    );
  }
}

/**
 * Recall@k of each query: the fraction of its true k nearest neighbours (from
 * an exact search with the same metric) among the k returned. Each result is
 * read with its own k, so recall@1 of a k=5 result reads column 0 only.
 */
export function recallPerQuery(
  exact: SearchResult,
  found: SearchResult,
  k: number = found.k,
  options: RecallOptions = {},
): Float64Array {
  checkShapes(exact, found, k, 'recall');
  const eps = options.epsilon ?? 1e-4;
  const larger = 'metric' in exact && largerIsCloser((exact as { metric: 0 | 1 | 2 | 3 }).metric);
  const out = new Float64Array(exact.n);
  for (let q = 0; q < exact.n; q++) {
    const truth = new Set<bigint>();
    let valid = 0;
    for (let r = 0; r < k; r++) {
      const id = exact.labels[q * exact.k + r];
      if (id >= 0n) {
        truth.add(id);
        valid++;
      }
    }
    if (valid === 0) {
      out[q] = 1;
      continue;
    }
    const kth = exact.distances[q * exact.k + valid - 1];
    const tol = eps * Math.max(1, Math.abs(kth));
    const seen = new Set<bigint>();
    let hits = 0;
    for (let r = 0; r < k; r++) {
      const id = found.labels[q * found.k + r];
      if (id < 0n || seen.has(id)) continue;
      seen.add(id);
      const dist = found.distances[q * found.k + r];
      const tie = larger ? dist >= kth - tol : dist <= kth + tol;
      if (truth.has(id) || tie) hits++;
    }
    out[q] = Math.min(1, hits / valid);
  }
  return out;
}

/**
 * The found ids with their true distances to the queries (recomputed in plain
 * TypeScript, float64, faiss's conventions): what recall's tie rule must read
 * when an index reports approximate distances (PQ, SQ, a database's bf16), as
 * ann-benchmarks recomputes them. Otherwise a PQ index whose distances are
 * underestimated would have every returned id counted as a tie.
 */
export function withTrueDistances(
  found: SearchResult,
  data: Matrix,
  queries: Matrix,
  metric: MetricType,
): SearchResult {
  if (!isResult(found)) throw new Error('withTrueDistances(found, data, queries, metric) takes a search result');
  if (queries.n !== found.n || queries.d !== data.d) {
    throw new Error(
      `withTrueDistances: ${found.n} results for ${queries.n} queries of d=${queries.d}, data d=${data.d}`,
    );
  }
  const distances = new Float32Array(found.labels.length);
  const larger = largerIsCloser(metric);
  for (let q = 0; q < found.n; q++) {
    for (let r = 0; r < found.k; r++) {
      const at = q * found.k + r;
      const id = Number(found.labels[at]);
      distances[at] =
        id >= 0 && id < data.n ? distance(metric, queries.data, q, data.data, id, data.d) : larger ? -FLT_MAX : FLT_MAX;
    }
  }
  return { labels: found.labels, distances, n: found.n, k: found.k };
}

/** Mean recall@k over queries (see recallPerQuery), tie-tolerant. */
export function recallAtK(exact: SearchResult, found: SearchResult, k?: number, options: RecallOptions = {}): number {
  if (!isResult(exact) || !isResult(found)) {
    throw new Error('recallAtK(exact, found, k?) takes two search results (for label arrays only: labelRecall)');
  }
  return mean(recallPerQuery(exact, found, k ?? found.k, options));
}

/**
 * Recall@k by ids alone, from faiss's label arrays (nq * k each): for results
 * whose distances are not comparable (another precision, a database's
 * rounding), so no tie can count. labelRecall(Iref, I, nq, k?).
 */
export function labelRecall(Iref: BigInt64Array, I: BigInt64Array, nq: number, k?: number): number {
  if (!(Iref instanceof BigInt64Array && I instanceof BigInt64Array) || !Number.isInteger(nq) || nq < 1) {
    throw new Error('labelRecall(Iref, I, nq, k?) takes two BigInt64Array label arrays and the number of queries');
  }
  const kref = Iref.length / nq;
  const kfound = I.length / nq;
  if (!Number.isInteger(kref) || !Number.isInteger(kfound)) {
    throw new Error(
      `labelRecall: Iref holds ${Iref.length} labels and I ${I.length} for ${nq} queries; need nq*k each`,
    );
  }
  // Found distances of Infinity are never ties: only ids count.
  const exact = { labels: Iref, distances: new Float32Array(Iref.length), n: nq, k: kref };
  const found = { labels: I, distances: new Float32Array(I.length).fill(Infinity), n: nq, k: kfound };
  return mean(recallPerQuery(exact, found, k ?? kfound));
}

/**
 * precision@k of each query as the course defines it ("how many of the 3
 * neighbours are of the query's breed"): the share of its first k results
 * whose class equals the query's. A query whose class is unknown (undefined,
 * null or '') gets undefined and is left out of the mean; -1 padding is a miss.
 */
export function precisionPerQuery(
  found: SearchResult,
  queryClasses: ArrayLike<number | string | undefined | null>,
  classOf: (id: number) => number | string | undefined,
  k: number = found.k,
): Array<number | undefined> {
  if (queryClasses.length !== found.n) {
    throw new Error(
      `precision: ${queryClasses.length} query classes for a result of ${found.n} queries: give one class per query`,
    );
  }
  if (!Number.isInteger(k) || k < 1 || k > found.k) {
    throw new Error(`precision: k=${k} needs k columns, but the result has k=${found.k}`);
  }
  const out: Array<number | undefined> = [];
  for (let q = 0; q < found.n; q++) {
    const want = queryClasses[q];
    if (want === undefined || want === null || want === '') {
      out.push(undefined);
      continue;
    }
    let hits = 0;
    for (let r = 0; r < k; r++) {
      const id = found.labels[q * found.k + r];
      if (id >= 0n && classOf(Number(id)) === want) hits++;
    }
    out.push(hits / k);
  }
  return out;
}

/** Mean precision@k over the queries whose class is known (NaN when none is). */
export function precisionAtK(
  found: SearchResult,
  queryClasses: ArrayLike<number | string | undefined | null>,
  classOf: (id: number) => number | string | undefined,
  k?: number,
): number {
  if (!isResult(found)) throw new Error('precisionAtK(found, queryClasses, classOf, k?) takes a search result');
  const per = precisionPerQuery(found, queryClasses, classOf, k ?? found.k).filter((v): v is number => v !== undefined);
  return per.length ? mean(per) : NaN;
}

/** Arithmetic mean (NaN for none). */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Median (NaN for none). */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  const v = Float64Array.from(values).sort();
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
