/**
 * Parameter grids, as ann-benchmarks runs them: the cartesian product of
 * build-time knobs x metrics builds each index once; every query-time setting
 * is then searched on it. Exact ground truth is computed once per metric.
 * Each setting gets build time, median search latency, recall@k against the
 * exact search with the same metric, precision@k (when classes are given) and
 * memory: one plain row per setting.
 *
 * Built indexes are kept on disk (keyed by the data's hash and the build
 * knobs), so re-running a notebook reuses them, and each is disposed as soon as
 * its query settings are done.
 *
 * @example
 * const grid = await runGrid({
 *   builder: hnswFlat, data: xb, queries: xq, k: 5,
 *   metrics: [MetricType.L2, MetricType.L1],
 *   build: { M: [8, 16, 32], efConstruction: [40, 100, 200] },
 *   query: { efSearch: [10, 50, 100] },
 *   classes: { queries: queryBreeds, of: (id) => rows[id].class },
 * });
 * fastest(grid.rows); mostPrecise(grid.rows); paretoFront(grid.rows);
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { config } from '../config';
import { IndexFlat } from '../faiss';
import { matrixHash } from '../search/index-cache';
import type { BuildArguments, IndexBuilder, QueryArguments, VectorIndex } from '../search/interface';
import { MetricType, metricName, type SearchResults } from '../search/results';
import type { Matrix, ProgressReport } from '../types';
import { ArgumentError, checkInteger, invalid } from '../util/check';
import { mean, precisionAtK, recallPerQuery, withTrueDistances } from './metrics';
import { timeSearch } from './timing';

/** One setting of a grid: its knobs and what was measured. */
export interface GridRow {
  /** Readable name, e.g. "HNSWFlat(M=16, efConstruction=40) L2 efSearch=50". */
  label: string;
  index: string;
  metric: string;
  /** Build and query knobs by name, as columns (M, efConstruction, efSearch, ...). */
  [knob: string]: number | string | boolean | number[] | undefined;
  /** Seconds to build (fill) the index; from the cache's record when it was reused. */
  buildSeconds: number;
  /** Whether the built index came from the cache. */
  cached: boolean;
  /** Median over repeats of searching all queries at once, in milliseconds. */
  latencyMs: number;
  /** Every timed search of the batch, in milliseconds (their spread is the timing noise). */
  runsMs?: number[];
  /** Queries per second at that median. */
  qps: number;
  /** Mean recall@k against the exact search with the same metric (ties tolerated). */
  recall: number;
  /** Mean precision@k (same class as the query), when classes were given. */
  precision?: number;
  /** Memory the index holds, in MB (when the builder can tell). */
  memoryMB?: number;
}

export interface GridOptions<I extends VectorIndex> {
  builder: IndexBuilder<I>;
  /** The database (n, d). */
  data: Matrix;
  /** The queries (nq, d). */
  queries: Matrix;
  /** Neighbours per query. */
  k: number;
  /** Metrics to build for (default [L2]). */
  metrics?: MetricType[];
  /** Build-time knobs: each combination is built once per metric. */
  build?: Record<string, Array<number | string>>;
  /** Query-time knobs: each combination is searched on every built index. */
  query?: Record<string, number[]>;
  /** Classes for precision@k: the queries' (undefined: unknown, left out) and each database id's. */
  classes?: { queries: ArrayLike<string | number | undefined>; of: (id: number) => string | number | undefined };
  /** Timed searches per setting (after one warm-up); the median is reported. Default 5. */
  repeats?: number;
  /** Folder for built indexes, or false (default: cache/indexes). */
  cache?: string | false;
  /**
   * Where build progress goes: a report (done, total, { work, totalWork, note }), e.g. show's
   * progressCallback('building HNSW graphs', 'indexes'); false or absent: nowhere. The facade's
   * runGrid (src/index.ts) draws a bar unless given false, so notebooks see one by default.
   */
  progress?: boolean | ProgressReport;
}

export interface GridResult {
  rows: GridRow[];
  k: number;
  /** The search results of each setting, by row label. */
  results: Map<string, SearchResults>;
  /** The exact results per metric name (the ground truth). */
  exact: Map<string, SearchResults>;
  /** Total wall time, in seconds. */
  seconds: number;
}

/** The cartesian product of named value lists: { a: [1, 2], b: ['x'] } -> [{a:1,b:'x'}, {a:2,b:'x'}]. */
export function cartesian<T>(knobs: Record<string, T[]> = {}): Array<Record<string, T>> {
  let out: Array<Record<string, T>> = [{}];
  for (const [name, values] of Object.entries(knobs)) {
    if (!Array.isArray(values) || values.length === 0) throw invalid(name, 'a non-empty array of values', values);
    out = out.flatMap((partial) => values.map((v) => ({ ...partial, [name]: v })));
  }
  return out;
}

function describeKnobs(knobs: Record<string, unknown>): string {
  return Object.entries(knobs)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

interface CacheRecord {
  buildSeconds: number;
  ntotal: number;
}

async function buildOrLoad<I extends VectorIndex>(
  builder: IndexBuilder<I>,
  data: Matrix,
  metric: MetricType,
  build: BuildArguments,
  cacheDir: string | undefined,
): Promise<{ index: I; buildSeconds: number; cached: boolean }> {
  const knobs =
    Object.entries(build)
      .map(([k, v]) => `${k}${v}`)
      .join('.') || 'default';
  const name = `${builder.name}.${metricName(metric)}.${knobs}`.replace(/[^A-Za-z0-9._-]+/g, '_');
  const file = cacheDir && builder.save && builder.load ? path.join(cacheDir, `${name}.faissindex`) : undefined;
  if (file && fs.existsSync(file) && fs.existsSync(`${file}.json`)) {
    try {
      const rec = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as CacheRecord;
      const index = builder.load!(file);
      if (index.ntotal === data.n && index.d === data.d && index.metricType === metric) {
        return { index, buildSeconds: rec.buildSeconds, cached: true };
      }
      index.dispose();
    } catch {
      // A damaged or foreign file: build again and overwrite it.
    }
  }
  const index = await builder.create(data.d, metric, build);
  const t0 = performance.now();
  if (builder.fit) await builder.fit(index, data);
  else await index.addAsync(data);
  const buildSeconds = (performance.now() - t0) / 1000;
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    builder.save!(index, file);
    fs.writeFileSync(`${file}.json`, JSON.stringify({ buildSeconds, ntotal: index.ntotal } satisfies CacheRecord));
  }
  return { index, buildSeconds, cached: false };
}

/** Exact k-NN per metric, with faiss's flat index (the ground truth of recall@k). */
export function exactSearch(data: Matrix, queries: Matrix, k: number, metric: MetricType): SearchResults {
  const truth = new IndexFlat(data.d, metric);
  try {
    truth.add(data.data);
    return truth.search(queries.data, k);
  } finally {
    truth.dispose();
  }
}

/** Runs a parameter grid; see the module's description. */
export async function runGrid<I extends VectorIndex>(options: GridOptions<I>): Promise<GridResult> {
  const { builder, data, queries } = options;
  if (!builder || typeof builder.create !== 'function')
    throw invalid('builder', 'an IndexBuilder (e.g. hnswFlat)', builder);
  const k = checkInteger(options.k, 'k', 1, 1 << 16);
  if (queries.d !== data.d) throw new ArgumentError(`queries have d=${queries.d}, but the data has d=${data.d}`);
  const metrics = options.metrics ?? [MetricType.L2];
  const repeats = checkInteger(options.repeats ?? 5, 'repeats', 1, 1000);
  const builds = cartesian(options.build ?? {});
  const querySettings = cartesian<number>(options.query ?? {});
  if (!['undefined', 'boolean', 'function'].includes(typeof options.progress)) {
    const expected = 'a report (done, total) => void, e.g. progressCallback(label), or true/false';
    throw invalid('progress', expected, options.progress);
  }
  if (options.classes && options.classes.queries.length !== queries.n) {
    throw new ArgumentError(
      `classes.queries holds ${options.classes.queries.length} classes for ${queries.n} queries: give one per query (undefined when unknown)`,
    );
  }
  const cacheDir =
    options.cache === false
      ? undefined
      : path.join(options.cache ?? path.join(config.cacheDir, 'indexes'), matrixHash(data));
  const cost = (b: BuildArguments) => builder.cost?.(b) ?? 1;
  const totalWork = metrics.length * builds.reduce((s, b) => s + cost(b), 0);
  const report = typeof options.progress === 'function' ? options.progress : undefined;
  const total = metrics.length * builds.length;
  let built = 0;
  let work = 0;
  report?.(0, total, { work, totalWork });
  const t0 = performance.now();
  const rows: GridRow[] = [];
  const results = new Map<string, SearchResults>();
  const exact = new Map<string, SearchResults>();
  for (const metric of metrics) {
    const truth = exactSearch(data, queries, k, metric);
    exact.set(metricName(metric), truth);
    for (const build of builds) {
      const { index, buildSeconds, cached } = await buildOrLoad(builder, data, metric, build, cacheDir);
      try {
        const memoryMB = builder.memoryBytes ? (await builder.memoryBytes(index)) / 2 ** 20 : undefined;
        for (const q of querySettings) {
          index.setQueryArguments(q as QueryArguments);
          const { result: res, medianMs: latencyMs, runsMs } = await timeSearch(index, queries, k, { repeats });
          const label = `${builder.name}(${describeKnobs(build)}) ${metricName(metric)}${Object.keys(q).length ? ' ' + describeKnobs(q) : ''}`;
          // Mean over queries of known class; NaN (none known) is reported as no precision.
          const p = options.classes ? precisionAtK(res, options.classes.queries, options.classes.of, k) : NaN;
          const precision = Number.isNaN(p) ? undefined : p;
          rows.push({
            label,
            index: builder.name,
            metric: metricName(metric),
            ...build,
            ...q,
            buildSeconds,
            cached,
            latencyMs,
            runsMs,
            qps: (queries.n * 1000) / latencyMs,
            // Ties judged on true distances: PQ/SQ/bf16 report approximate ones.
            recall: mean(recallPerQuery(truth, withTrueDistances(res, data, queries, metric), k)),
            ...(precision !== undefined ? { precision } : {}),
            ...(memoryMB !== undefined ? { memoryMB } : {}),
          });
          results.set(label, res);
        }
      } finally {
        if (builder.release) await builder.release(index);
        else index.dispose();
      }
      built += 1;
      work += cost(build);
      const note = rows.some((r) => r.cached) ? ' (indexes reused from the cache)' : '';
      report?.(built, total, { work, totalWork, note });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return { rows, k, results, exact, seconds };
}

type Quality = 'precision' | 'recall';

function qualityOf(row: GridRow, quality: Quality): number {
  const v = row[quality];
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new ArgumentError(
      `the grid rows have no ${quality}` +
        (quality === 'precision' ? ': run the grid with classes, or use recall' : ''),
    );
  }
  return v;
}

/** The setting with the lowest latency (ties: the better quality). */
export function fastest(rows: GridRow[], quality: Quality = 'recall'): GridRow {
  if (rows.length === 0) throw new ArgumentError('no grid rows');
  return rows.reduce((a, b) =>
    b.latencyMs < a.latencyMs || (b.latencyMs === a.latencyMs && qualityOf(b, quality) > qualityOf(a, quality)) ? b : a,
  );
}

/** The setting with the best precision (or recall); ties go to the faster. */
export function mostPrecise(rows: GridRow[], quality: Quality = 'precision'): GridRow {
  if (rows.length === 0) throw new ArgumentError('no grid rows');
  return rows.reduce((a, b) => {
    const qa = qualityOf(a, quality);
    const qb = qualityOf(b, quality);
    return qb > qa || (qb === qa && b.latencyMs < a.latencyMs) ? b : a;
  });
}

/**
 * The best trade-off: the fastest setting whose quality is within `tolerance`
 * of the best (default 0.01, i.e. one percentage point).
 */
export function bestTradeoff(rows: GridRow[], quality: Quality = 'precision', tolerance = 0.01): GridRow {
  const best = qualityOf(mostPrecise(rows, quality), quality);
  return fastest(
    rows.filter((r) => qualityOf(r, quality) >= best - tolerance),
    quality,
  );
}

/**
 * The Pareto front of quality against latency, fastest first: the settings
 * that no other setting beats on both (as faiss's OperatingPoints keeps).
 */
export function paretoFront(rows: GridRow[], quality: Quality = 'precision'): GridRow[] {
  const sorted = [...rows].sort((a, b) => a.latencyMs - b.latencyMs || qualityOf(b, quality) - qualityOf(a, quality));
  const front: GridRow[] = [];
  let best = -Infinity;
  for (const r of sorted) {
    const q = qualityOf(r, quality);
    if (q > best) {
      front.push(r);
      best = q;
    }
  }
  return front;
}
