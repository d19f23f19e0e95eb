/**
 * Search latency as a benchmark measures it: one warm-up, then the median of
 * repeated searches of the whole query batch (the median resists a noisy
 * neighbour on a shared machine better than the mean).
 *
 * @example
 * const t = await timeSearch(index, q.vectors, 3);   // { result, medianMs, msPerQuery, qps }
 */
import { performance } from 'node:perf_hooks';
import type { VectorIndex } from '../search/interface';
import type { SearchResults } from '../search/results';
import type { Matrix } from '../types';
import { checkInteger } from '../util/check';
import { median } from './metrics';

export interface Timing {
  /** The search's answer (from the warm-up run). */
  result: SearchResults;
  /** Median time to search the whole batch, in milliseconds. */
  medianMs: number;
  /** medianMs divided by the number of queries. */
  msPerQuery: number;
  /** Queries per second at the median. */
  qps: number;
  /** Every timed run, in milliseconds. */
  runsMs: number[];
}

export async function timeSearch(
  index: VectorIndex,
  xq: Matrix,
  k: number,
  options: { repeats?: number } = {},
): Promise<Timing> {
  const repeats = checkInteger(options.repeats ?? 5, 'repeats', 1, 10000);
  const result = await index.search(xq, k);
  const runsMs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await index.search(xq, k);
    runsMs.push(performance.now() - t0);
  }
  const medianMs = median(runsMs);
  return { result, medianMs, msPerQuery: medianMs / xq.n, qps: (xq.n * 1000) / medianMs, runsMs };
}
