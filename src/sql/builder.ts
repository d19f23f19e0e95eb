/**
 * The SQL store's HNSW index as a grid builder: runGrid builds one table per
 * build setting and sweeps the store's query knobs on it, as for FAISS.
 *
 * - Build knobs: M (links per node, default 16), efConstruction (default 128),
 *   quantization ('bf16', the default, or 'f32'; also 'f16', 'i8').
 * - Query knobs (setQueryArguments): efSearch (the search list), exact (1: brute
 *   force on the same table), rescoring, fetchMultiplier.
 * - Metrics: METRIC_L2 (L2Distance; squared distances, as faiss) and
 *   METRIC_INNER_PRODUCT, served by cosineDistance (ClickHouse's index has no
 *   inner product): on L2-normalised vectors cosine orders as inner product and
 *   the store reports 1 - cosineDistance, the inner product, as IndexFlatIP on
 *   those vectors does. Normalise the data first (normalizeRows), as for IndexFlatIP.
 * - create opens a table named from the knobs (grid_hnsw_<metric>_M<M>_efc<efC>_<q>)
 *   in mode 'replace'; fit inserts the data, merges it into one part (store.optimize:
 *   ClickHouse builds one graph per part and a search visits each) and builds the
 *   index; memoryBytes is the index's size (indexInfo). No save/load: the table
 *   itself persists in the database, but a grid measures the build, so it builds
 *   again. release drops the table (each is a full copy of the data); with
 *   sqlHnswBuilder({ keep: true }) it only closes the store, and the tables stay.
 *
 * @example
 * await runGrid({ builder: builders.sqlHnsw, data: normalizeRows(xb), queries: normalizeRows(xq), k: 10,
 *   metrics: [METRIC_INNER_PRODUCT], build: { M: [16, 64], efConstruction: [128, 256] },
 *   query: { efSearch: [8, 32, 256] } });
 */
import type { BuildArguments, IndexBuilder } from '../search/interface';
import { MetricType, metricName } from '../search/results';
import type { Matrix } from '../types';
import { ArgumentError, checkInteger, invalid } from '../util/check';
import type { SqlBackend } from './backend';
import { type IndexOptions, type SqlMetric, SqlVectorStore } from './store';

const QUANTIZATIONS = ['bf16', 'f32', 'f16', 'i8'] as const;
const KNOBS = ['M', 'efConstruction', 'quantization'];

export interface SqlHnswBuilderOptions {
  /** Where the tables go (default: the store's default, chdb in config.sqlDir or LAB_CLICKHOUSE_URL's server). */
  backend?: SqlBackend;
  /** Keep each build's table when the grid is done with it (default false: dropped). */
  keep?: boolean;
  /** Start of the tables' names (default 'grid_hnsw'). */
  prefix?: string;
}

function indexOptions(build: BuildArguments): Required<Pick<IndexOptions, 'M' | 'efConstruction' | 'quantization'>> {
  for (const key of Object.keys(build)) {
    if (!KNOBS.includes(key))
      throw new ArgumentError(`SqlHNSW has no build argument "${key}" (it has: ${KNOBS.join(', ')})`);
  }
  const quantization = build.quantization ?? 'bf16';
  if (!(QUANTIZATIONS as readonly unknown[]).includes(quantization)) {
    throw invalid(
      'build argument quantization',
      `one of ${QUANTIZATIONS.map((q) => `'${q}'`).join(', ')}`,
      quantization,
    );
  }
  return {
    M: checkInteger(build.M ?? 16, 'build argument M', 2, 1024),
    efConstruction: checkInteger(build.efConstruction ?? 128, 'build argument efConstruction', 1, 1 << 16),
    quantization: quantization as IndexOptions['quantization'] & string,
  };
}

function sqlMetric(metric: MetricType): SqlMetric {
  if (metric === MetricType.L2) return 'L2';
  if (metric === MetricType.INNER_PRODUCT) return 'cosine';
  throw new ArgumentError(
    `ClickHouse's vector index serves L2Distance and cosineDistance only, not ${metricName(metric)}: ` +
      'use METRIC_L2, or METRIC_INNER_PRODUCT on L2-normalised vectors (searched by cosineDistance)',
  );
}

/** A builder of the SQL store's HNSW index for runGrid; see the module's description. */
export function sqlHnswBuilder(options: SqlHnswBuilderOptions = {}): IndexBuilder<SqlVectorStore> {
  const { backend, keep = false, prefix = 'grid_hnsw' } = options ?? {};
  if (typeof keep !== 'boolean') throw invalid('keep', 'a boolean', keep);
  const builds = new WeakMap<SqlVectorStore, ReturnType<typeof indexOptions>>();
  return {
    name: 'SqlHNSW',
    async create(d: number, metric: MetricType, build: BuildArguments): Promise<SqlVectorStore> {
      const o = indexOptions(build);
      const m = sqlMetric(metric);
      const table = `${prefix}_${m}_M${o.M}_efc${o.efConstruction}_${o.quantization}`;
      const store = await SqlVectorStore.open({
        table,
        d,
        metric: m,
        mode: 'replace',
        ...(backend ? { backend } : {}),
      });
      builds.set(store, o);
      return store;
    },
    async fit(store: SqlVectorStore, xb: Matrix): Promise<void> {
      const o = builds.get(store);
      if (!o) throw new ArgumentError(`${store.table} was not created by this builder: create it with builder.create`);
      await store.addAsync(xb, { progress: false });
      await store.optimize(); // one part, one graph (as FAISS's one index)
      await store.createIndex(o);
    },
    // As for FAISS's HNSW: about efConstruction distance computations per level and link.
    cost: (build) => {
      const o = indexOptions(build);
      return o.efConstruction * Math.sqrt(o.M);
    },
    memoryBytes: async (store) => (await store.indexInfo())?.bytes ?? 0,
    release: async (store) => {
      if (keep) store.dispose();
      else await store.drop();
    },
  };
}

/** The SQL store's HNSW index for grids: builders.sqlHnsw (tables dropped when done). */
export const sqlHnsw: IndexBuilder<SqlVectorStore> = sqlHnswBuilder();
