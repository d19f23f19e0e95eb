/**
 * Exact k-NN in plain TypeScript: the independent reference that tests and
 * evaluations compare faiss against. Slow (no BLAS, one thread), obviously right.
 * Distances follow faiss: L2 is squared, INNER_PRODUCT is larger-is-closer.
 */
import type { Matrix } from '../types';
import { ArgumentError, checkInteger, checkVectors, FLT_MAX, invalid } from '../util/check';
import type { QueryArguments, VectorIndex } from './interface';
import { isMetric, MetricType, SearchResults } from './results';

/** Distance between row i of a and row j of b (both row-major, dimension d), in float64. */
export function distance(
  metric: MetricType,
  a: Float32Array,
  i: number,
  b: Float32Array,
  j: number,
  d: number,
): number {
  let s = 0;
  const ai = i * d;
  const bj = j * d;
  for (let t = 0; t < d; t++) {
    const x = a[ai + t];
    const y = b[bj + t];
    switch (metric) {
      case MetricType.L2:
        s += (x - y) * (x - y);
        break;
      case MetricType.INNER_PRODUCT:
        s += x * y;
        break;
      case MetricType.L1:
        s += Math.abs(x - y);
        break;
      case MetricType.Linf:
        s = Math.max(s, Math.abs(x - y));
        break;
      default:
        throw new Error(`unsupported metric ${metric}`);
    }
  }
  return s;
}

/** The k nearest rows of xb for each row of xq; ties go to the lower label. */
export function knnBruteForce(
  xb: Float32Array,
  xq: Float32Array,
  d: number,
  k: number,
  metric: MetricType,
): SearchResults {
  const nb = xb.length / d;
  const nq = xq.length / d;
  const larger = metric === MetricType.INNER_PRODUCT;
  const distances = new Float32Array(nq * k).fill(larger ? -FLT_MAX : FLT_MAX); // faiss's padding
  const labels = new BigInt64Array(nq * k).fill(-1n);
  const dist = new Float64Array(nb);
  const order = new Int32Array(nb);
  for (let q = 0; q < nq; q++) {
    for (let j = 0; j < nb; j++) {
      dist[j] = distance(metric, xq, q, xb, j, d);
      order[j] = j;
    }
    const sorted = Array.from(order).sort((a, b) => (larger ? dist[b] - dist[a] : dist[a] - dist[b]) || a - b);
    for (let r = 0; r < Math.min(k, nb); r++) {
      distances[q * k + r] = dist[sorted[r]];
      labels[q * k + r] = BigInt(sorted[r]);
    }
  }
  return new SearchResults({ distances, labels, n: nq, k }, metric);
}

/**
 * The brute-force reference behind the lab's index interface: what a grid or a
 * test compares an approximate index with, with no native code at all.
 */
export class BruteForceIndex implements VectorIndex {
  private chunks: Float32Array[] = [];
  private count = 0;
  private freed = false;

  constructor(
    readonly d: number,
    readonly metricType: MetricType = MetricType.L2,
  ) {
    checkInteger(d, 'd', 1);
    if (!isMetric(metricType)) throw invalid('metric', 'a MetricType', metricType);
  }

  get ntotal(): number {
    return this.count;
  }

  add(x: Float32Array | Matrix): void {
    this.alive();
    const data = x instanceof Float32Array ? x : x.data;
    if (!(x instanceof Float32Array) && x.d !== this.d)
      throw new ArgumentError(`x has vectors of d=${x.d}, but the index has d=${this.d}`);
    this.count += checkVectors(data, this.d);
    this.chunks.push(Float32Array.from(data));
  }

  async addAsync(x: Float32Array | Matrix): Promise<void> {
    this.add(x);
  }

  search(xq: Float32Array | Matrix, k: number): SearchResults {
    this.alive();
    const q = xq instanceof Float32Array ? xq : xq.data;
    checkVectors(q, this.d, 'xq');
    checkInteger(k, 'k', 1, 1 << 20);
    if (this.chunks.length > 1) {
      const all = new Float32Array(this.count * this.d);
      let at = 0;
      for (const c of this.chunks) {
        all.set(c, at);
        at += c.length;
      }
      this.chunks = [all];
    }
    return knnBruteForce(this.chunks[0] ?? new Float32Array(0), q, this.d, k, this.metricType);
  }

  setQueryArguments(args: QueryArguments): void {
    const names = Object.keys(args ?? {});
    if (names.length) throw new ArgumentError(`BruteForceIndex has no query arguments (received ${names.join(', ')})`);
  }

  get queryArguments(): QueryArguments {
    return {};
  }

  dispose(): void {
    this.chunks = [];
    this.freed = true;
  }

  private alive(): void {
    if (this.freed) throw new Error('this BruteForceIndex was disposed');
  }
}
