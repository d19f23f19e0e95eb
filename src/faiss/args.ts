/** Argument marshalling at the TS boundary: metrics, vectors, ids; errors keep their call site. */
import type { SearchResult } from '../search/results';
import { isMetric, type MetricType } from '../search/results';
import type { Matrix } from '../types';
import { ArgumentError, checkVectors, invalid, valueLimit } from '../util/check';

export function checkMetric(metric: unknown, name = 'metric'): MetricType {
  if (!isMetric(metric)) {
    throw invalid(name, 'a MetricType (MetricType.L2, INNER_PRODUCT, L1 or Linf)', metric);
  }
  return metric as MetricType;
}

/**
 * Accepts a Float32Array or a Matrix, checks it against d and the value limit,
 * returns the data. For async work (`copy`), a copy: the caller may change x
 * while the thread pool reads it, and faiss must only see checked values.
 */
export function vectorsOf(x: Float32Array | Matrix, d: number, name = 'x', copy = false): Float32Array {
  const limit = valueLimit(d);
  let data: unknown = x;
  if (x && !(x instanceof Float32Array) && typeof x === 'object' && 'data' in x && 'd' in x) {
    data = x.data; // read once: a getter could answer differently the second time
    if (x.d !== d) throw new ArgumentError(`${name} has vectors of d=${x.d}, but the index has d=${d}`);
    if (x.n !== undefined && data instanceof Float32Array && x.n * x.d !== data.length) {
      throw new ArgumentError(
        `${name} says n=${x.n} vectors of d=${x.d} (${x.n * x.d} values), but its data holds ${data.length} values`,
      );
    }
    name = `${name}.data`;
  }
  if (copy && data instanceof Float32Array) data = data.slice();
  // faiss takes a batch of 0 vectors: add adds nothing, search answers (0, k).
  checkVectors(data, d, name, limit, true);
  return data as Float32Array;
}

export function checkIds(ids: unknown, n: number, name = 'ids'): BigInt64Array {
  if (!(ids instanceof BigInt64Array)) {
    throw invalid(name, 'a BigInt64Array (faiss ids are int64; e.g. BigInt64Array.from(list, BigInt))', ids);
  }
  if (ids.length !== n) throw invalid(name, `one id per vector (${n})`, ids);
  return ids;
}

// Keeps the JS stack of the call site on errors from the thread pool.
export function keepStack<T>(p: Promise<T>, site: Error): Promise<T> {
  return p.catch((e: unknown) => {
    if (e instanceof Error && site.stack) {
      e.stack = `${e.stack ?? e.message}\n    at (async faiss call)${site.stack.slice(site.stack.indexOf('\n'))}`;
    }
    throw e;
  });
}

// ---- ownership ------------------------------------------------------------------

export function allocateResult(n: number, k: number): SearchResult {
  return { distances: new Float32Array(n * k), labels: new BigInt64Array(n * k), n, k };
}

export function emptyRange(): { lims: Float64Array; distances: Float32Array; labels: BigInt64Array } {
  return { lims: new Float64Array(1), distances: new Float32Array(0), labels: new BigInt64Array(0) };
}

/** Prefixes an error's message with what was being done. */
export function withContext(e: unknown, what: string): unknown {
  if (e instanceof Error) e.message = `${what}: ${e.message}`;
  return e;
}
