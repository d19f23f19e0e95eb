/**
 * Exact k-NN in plain TypeScript: the independent reference that tests and
 * evaluations compare faiss against. Slow (no BLAS, one thread), obviously right.
 * Distances follow faiss: L2 is squared, INNER_PRODUCT is larger-is-closer.
 */
import { MetricType, type SearchResult } from './faiss';

/** The largest float32, faiss's distance for missing results. */
export const FLT_MAX = 3.4028234663852886e38;

/** Distance between row i of a and row j of b (both row-major, dimension d), in float64. */
export function distance(metric: MetricType, a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  const ai = i * d;
  const bj = j * d;
  for (let t = 0; t < d; t++) {
    const x = a[ai + t];
    const y = b[bj + t];
    switch (metric) {
      case MetricType.L2: s += (x - y) * (x - y); break;
      case MetricType.INNER_PRODUCT: s += x * y; break;
      case MetricType.L1: s += Math.abs(x - y); break;
      case MetricType.Linf: s = Math.max(s, Math.abs(x - y)); break;
      default: throw new Error(`unsupported metric ${metric}`);
    }
  }
  return s;
}

/** The k nearest rows of xb for each row of xq; ties go to the lower label. */
export function knnBruteForce(xb: Float32Array, xq: Float32Array, d: number, k: number, metric: MetricType): SearchResult {
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
  return { distances, labels, n: nq, k };
}
