/**
 * Vectors in a ClickHouse table, searched with SQL: the lab's index interface
 * (VectorIndex) over embedded ClickHouse (chdb, default) or a ClickHouse
 * server, with metadata columns to filter on and ClickHouse's HNSW index.
 *
 * One table per dataset: id UInt64 (the row number, as FAISS labels), path,
 * label, your metadata columns, and vec Array(Float32) with CONSTRAINTs on its
 * length and finiteness. k-NN is `ORDER BY L2Distance(vec, {q}) LIMIT k`
 * (cosineDistance, L1Distance; the L2 distances come back squared, as in
 * faiss; cosine results are similarities, as IndexFlatIP on normalised vectors).
 * Every value is a bound parameter; table and column names are checked.
 *
 * @example
 * const store = await SqlVectorStore.open({ table: 'dogs', d: 512, columns: { pose: 'String' }, mode: 'replace' });
 * await store.addAsync(xb, { rows: rows.map((r) => ({ path: r.filename, label: r.class, pose: r.pose })) });
 * const res = await store.search(xq, 5, { where: { label: 'beagle', idNotIn: [17] } });
 * res.join(rows, 0);                                 // [{ rank: 1, id, distance, row }, ...]
 * await store.createIndex({ quantization: 'bf16', M: 16, efConstruction: 128 });
 * store.setQueryArguments({ efSearch: 64 });           // or { exact: 1 }: brute force
 * await store.search(xq, 5, new SearchParameters({ sel: new IDSelectorNot(new IDSelectorBatch([17])) }));
 * await store.usesIndex(xq);                         // true (EXPLAIN indexes = 1)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { QueryArguments, VectorIndex } from '../search/interface';
import { MetricType, metricName, SearchResults } from '../search/results';
import {
  IDSelector,
  IDSelectorArray,
  IDSelectorBatch,
  IDSelectorNot,
  IDSelectorRange,
  SearchParameters,
  SearchParametersHNSW,
  SearchParametersIVF,
} from '../search/selectors';
import { Progress } from '../show/progress';
import type { Matrix } from '../types';
import {
  ArgumentError,
  checkInteger,
  checkVectors,
  describe,
  FLT_MAX,
  firstNonFinite,
  invalid,
  valueLimit,
} from '../util/check';
import { defaultBackend, type SqlBackend, type SqlParams } from './backend';
import { checkIdentifier, compileFilter, describeValue, type Filter, OWN_PREFIX } from './filter';
import { decodeVectorsRowBinary, type NativeColumn, writeNativeFile } from './native';
import { type SqlStatement, StatementLog } from './statements';

/** Distances the store searches with: L2 (squared in results), cosine (results: similarity), L1 and inner product (brute force only). */
export type SqlMetric = 'L2' | 'cosine' | 'L1' | 'IP';

/** Types a metadata column may have. */
export type ColumnType = 'String' | 'LowCardinality(String)' | 'Int64' | 'Float64' | 'Bool';

const COLUMN_TYPES: readonly ColumnType[] = ['String', 'LowCardinality(String)', 'Int64', 'Float64', 'Bool'];

interface MetricSql {
  fn: string;
  order: 'ASC' | 'DESC';
  metricType: MetricType;
  /** From the SQL value to the reported distance. */
  out: (v: number) => number;
  /** The index's distance function, when ClickHouse's HNSW index serves it. */
  index?: string;
}

const METRICS: Record<SqlMetric, MetricSql> = {
  L2: {
    fn: 'L2Distance',
    order: 'ASC',
    metricType: MetricType.L2,
    out: (v) => Math.fround(v * v),
    index: 'L2Distance',
  },
  cosine: {
    fn: 'cosineDistance',
    order: 'ASC',
    metricType: MetricType.INNER_PRODUCT,
    out: (v) => Math.fround(1 - v),
    index: 'cosineDistance',
  },
  L1: { fn: 'L1Distance', order: 'ASC', metricType: MetricType.L1, out: (v) => v },
  IP: { fn: 'dotProduct', order: 'DESC', metricType: MetricType.INNER_PRODUCT, out: (v) => v },
};

function toSqlMetric(m: unknown): SqlMetric {
  if (typeof m === 'string' && m in METRICS) return m as SqlMetric;
  if (m === MetricType.L2) return 'L2';
  if (m === MetricType.L1) return 'L1';
  if (m === MetricType.INNER_PRODUCT) return 'IP';
  throw invalid('metric', "'L2', 'cosine', 'L1' or 'IP' (or MetricType.L2, L1, INNER_PRODUCT)", m);
}

export interface SqlStoreOptions {
  /** The table: a plain name, or database.table. */
  table: string;
  /** Vector dimension; required for a new table, checked against an existing one. */
  d?: number;
  /** Default 'L2'. The table does not fix it: one table can be searched with any metric (store.withMetric). */
  metric?: SqlMetric | MetricType;
  /** Metadata columns beside id, path and label, e.g. { pose: 'String', score: 'Float64' }. */
  columns?: Record<string, ColumnType>;
  /** Where to run (default: a server if LAB_CLICKHOUSE_URL is set, else chdb in config.sqlDir). A backend passed in is not closed by dispose(). */
  backend?: SqlBackend;
  /** 'open' (default) uses an existing table as it is; 'replace' drops it first. */
  mode?: 'open' | 'replace';
  /** Called with every statement the store sends (after it ran), e.g. (s) => console.log(formatStatement(s)). */
  onStatement?: (statement: SqlStatement) => void;
}

export interface SqlAddOptions {
  /** One metadata row per vector ({ path, label, ...columns }); keys that are not columns are ignored. */
  rows?: ArrayLike<Record<string, unknown>>;
  /** Ids of the vectors (default ntotal .. ntotal+n-1, like faiss). */
  ids?: BigInt64Array;
  /** Show progress (default true; a notebook shows a bar). */
  progress?: boolean;
  /** Rows per Native file and INSERT (default 65536). */
  batchRows?: number;
}

export interface SqlSearchOptions {
  /** Only rows passing this filter: { label: 'beagle' }, { idNotIn: [...] }, or { sql, params }. */
  where?: Filter;
  /**
   * Filter first, then search (vector_search_filter_strategy = 'prefilter'):
   * exact for selective filters, where the index's post-filtering finds few
   * or no rows. Default: ClickHouse's choice (post-filtering with the index).
   */
  prefilter?: boolean;
  /**
   * Exact: this query ignores the vector index (use_skip_indexes = 0), whatever
   * the query arguments say, and computes every distance (brute force on the table).
   */
  exact?: boolean;
  /**
   * faiss's per-call parameters, as FAISS indexes take them: `sel` (an IDSelectorBatch,
   * IDSelectorArray, IDSelectorRange or IDSelectorNot of one) becomes a condition on id
   * in the WHERE, with `where` if both are given; SearchParametersHNSW's efSearch is this
   * call's search list. SearchParametersIVF is refused (the store has no IVF).
   */
  params?: SearchParameters;
}

export interface IndexOptions {
  /** How the index stores vectors: 'bf16' (default, half the memory, approximate distances), 'f32', 'f16', 'i8', 'b1'. */
  quantization?: 'bf16' | 'f32' | 'f16' | 'i8' | 'b1';
  /** Links per node (default 16; ClickHouse's hnsw_max_connections_per_layer). */
  M?: number;
  /** Candidate list while building (default 128; hnsw_candidate_list_size_for_construction). */
  efConstruction?: number;
}

/** What the HNSW index is and holds. */
export interface IndexInfo {
  name: string;
  /** The index type as declared, e.g. vector_similarity('hnsw', 'L2Distance', 512, 'bf16', 16, 128). */
  type: string;
  /** Bytes of the index on disk (uncompressed; about its size in memory when loaded). */
  bytes: number;
  /** Active parts of the table: ClickHouse builds one graph per part and a search visits every one. */
  parts: number;
}

/** An error from the database, naming the table, the statement and what was expected. */
export class SqlError extends Error {
  readonly code = 'ERR_SQL';
  constructor(
    message: string,
    readonly table: string,
    readonly statement: string,
    /** ClickHouse's error code (e.g. 469 VIOLATED_CONSTRAINT), when it gave one. */
    readonly clickhouseCode: number | undefined,
  ) {
    super(message);
    this.name = 'SqlError';
  }
}

function engineCode(e: unknown): number | undefined {
  const x = e as { clickhouseCode?: unknown; code?: unknown; message?: unknown };
  if (typeof x?.clickhouseCode === 'number') return x.clickhouseCode;
  if (typeof x?.code === 'string' && /^\d+$/.test(x.code)) return Number(x.code);
  const m = /Code: (\d+)/.exec(String(x?.message ?? ''));
  return m ? Number(m[1]) : undefined;
}

/** The index the store creates, on column vec. */
export const INDEX_NAME = 'vec_index';

/** The shortest decimal that reads back as the same float32 (keeps URL parameters short on a server). */
function f32(x: number): string {
  for (let p = 1; p < 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return s;
  }
  return x.toPrecision(9);
}

/** A query vector as the text of an Array(Float32) parameter, bit-exact. */
export function vectorParam(x: Float32Array): string {
  let s = '[';
  for (let i = 0; i < x.length; i++) s += (i ? ',' : '') + f32(x[i]);
  return s + ']';
}

function parseFloatText(s: string): number {
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/** Vectors in a ClickHouse table: see the module comment. */
export class SqlVectorStore implements VectorIndex {
  private rowCount = 0;
  private nextId = 0n;
  private freed = false;
  private args: LabQueryArguments = { ...DEFAULT_QUERY_ARGUMENTS };

  private constructor(
    private readonly backend: SqlBackend,
    private readonly ownsBackend: boolean,
    /** The table as written in SQL (database.table or table). */
    readonly table: string,
    readonly d: number,
    readonly metric: SqlMetric,
    /** Columns of the table: name -> ClickHouse type. */
    readonly columns: ReadonlyMap<string, string>,
    private readonly log: StatementLog = new StatementLog(),
  ) {}

  /**
   * Opens the table (creating it with `d` and `columns` when missing).
   * With mode 'replace' an existing table is dropped first.
   */
  static async open(options: SqlStoreOptions): Promise<SqlVectorStore> {
    if (options == null || typeof options !== 'object') throw invalid('options', '{ table, d, ... }', options);
    const parts = String(options.table).split('.');
    if (parts.length > 2) throw invalid('table', 'a table name or database.table', options.table);
    parts.forEach((p) => {
      checkIdentifier(p, 'the table');
    });
    const table = parts.join('.');
    const metric = toSqlMetric(options.metric ?? 'L2');
    const extra = options.columns ?? {};
    for (const [name, type] of Object.entries(extra)) {
      checkIdentifier(name, 'a column');
      if (['id', 'vec', 'path', 'label'].includes(name))
        throw new ArgumentError(`column "${name}" is the store's own: id, path, label and vec are always there`);
      if (!COLUMN_TYPES.includes(type)) throw invalid(`columns.${name}`, `one of ${COLUMN_TYPES.join(', ')}`, type);
    }
    if (options.d !== undefined) checkInteger(options.d, 'd', 1, 65536);
    if (options.onStatement !== undefined && typeof options.onStatement !== 'function') {
      throw invalid('onStatement', 'a function called with each statement', options.onStatement);
    }
    const backend = options.backend ?? defaultBackend();
    const owns = options.backend === undefined;
    const log = new StatementLog(options.onStatement);
    try {
      const probe = new SqlVectorStore(backend, false, table, options.d ?? 0, metric, new Map(), log);
      if (options.mode === 'replace')
        await probe.exec('dropping the table', 'nothing', `DROP TABLE IF EXISTS ${table}`);
      else if (options.mode !== undefined && options.mode !== 'open')
        throw invalid('mode', "'open' or 'replace'", options.mode);
      let existing = await probe.describe();
      if (!existing) {
        if (options.d === undefined)
          throw new ArgumentError(`table ${table} does not exist: give d (the vector dimension) to create it`);
        const cols = [
          'id UInt64',
          'path String',
          'label LowCardinality(String)',
          ...Object.entries(extra).map(([n, t]) => `${n} ${t}`),
          'vec Array(Float32)',
          `CONSTRAINT vec_length CHECK length(vec) = ${options.d}`,
          'CONSTRAINT vec_finite CHECK arrayAll(x -> isFinite(x), vec)',
        ];
        await probe.exec(
          'creating the table',
          `a new MergeTree table with vectors of d=${options.d}`,
          `CREATE TABLE IF NOT EXISTS ${table} (\n  ${cols.join(',\n  ')}\n) ENGINE = MergeTree ORDER BY id`,
        );
        existing = await probe.describe();
        if (!existing) throw new Error(`table ${table} was created but cannot be found in system.columns`);
      }
      if (options.d !== undefined && existing.d !== options.d) {
        throw new ArgumentError(
          `table ${table} holds vectors of d=${existing.d}, but d=${options.d} was given: use another table or mode 'replace'`,
        );
      }
      for (const [name, type] of Object.entries(extra)) {
        const have = existing.columns.get(name);
        if (have !== type) {
          throw new ArgumentError(
            `table ${table} has ${have ? `column ${name} of type ${have}` : `no column ${name}`}, but ${name}: '${type}' was asked for: use mode 'replace' to recreate it`,
          );
        }
      }
      const store = new SqlVectorStore(backend, owns, table, existing.d, metric, existing.columns, log);
      await store.refreshCount();
      return store;
    } catch (e) {
      if (owns) backend.close();
      throw e;
    }
  }

  /** The same table searched with another metric (shares the connection; dispose the original last). */
  withMetric(metric: SqlMetric | MetricType): SqlVectorStore {
    this.alive();
    const s = new SqlVectorStore(this.backend, false, this.table, this.d, toSqlMetric(metric), this.columns, this.log);
    s.rowCount = this.rowCount;
    s.nextId = this.nextId;
    s.args = { ...this.args };
    return s;
  }

  /** Number of vectors (rows) in the table, as of the last add or open. */
  get ntotal(): number {
    return this.rowCount;
  }

  /** The faiss metric of the results: L2 (squared), INNER_PRODUCT (cosine similarity or dot product), L1. */
  get metricType(): MetricType {
    return METRICS[this.metric].metricType;
  }

  /** 'chdb' or 'server', and where. */
  get backendName(): string {
    return `${this.backend.kind} ${this.backend.where}`;
  }

  /**
   * The statements sent so far (the last 200, oldest first), each verbatim with
   * its parameters: the CREATE TABLE, each INSERT, ALTER TABLE ... ADD INDEX,
   * MATERIALIZE INDEX, OPTIMIZE, every search's SELECT, and the catalog reads.
   * Shared with withMetric copies. Show them with showSql or formatStatement.
   */
  get statements(): readonly SqlStatement[] {
    return [...this.log.kept];
  }

  /** The last statement sent, or the last one whose `what` ('searching') or text matches. */
  lastStatement(match?: string | RegExp): SqlStatement | undefined {
    const kept = this.log.kept;
    for (let i = kept.length - 1; i >= 0; i--) {
      const s = kept[i];
      if (match === undefined || (typeof match === 'string' ? s.what === match : match.test(s.sql))) return s;
    }
    return undefined;
  }

  /**
   * Adds vectors (and their metadata rows) through ClickHouse Native-format
   * files, one INSERT per batch, with progress. Every vector is checked
   * (length d, finite) before anything is written; the table's CONSTRAINTs
   * check again. Ids default to ntotal .. ntotal+n-1.
   */
  async addAsync(x: Float32Array | Matrix, options: SqlAddOptions = {}): Promise<void> {
    this.alive();
    const data = this.vectors(x, 'x');
    const n = data.length / this.d;
    if (n === 0) throw invalid('x', `at least one vector of d=${this.d} values`, data);
    const { rows, progress = true } = options;
    if (rows !== undefined && (rows == null || rows.length !== n)) {
      throw invalid('rows', `one metadata row per vector (${n})`, rows);
    }
    let ids = options.ids;
    if (ids !== undefined) {
      if (!(ids instanceof BigInt64Array) || ids.length !== n) throw invalid('ids', `a BigInt64Array of ${n} ids`, ids);
      for (let i = 0; i < n; i++) if (ids[i] < 0n) throw new ArgumentError(`ids[${i}] is ${ids[i]}: ids must be >= 0`);
    } else {
      ids = new BigInt64Array(n);
      for (let i = 0; i < n; i++) ids[i] = this.nextId + BigInt(i);
    }
    const meta = [...this.columns].filter(([c]) => c !== 'id' && c !== 'vec');
    const metaValues = meta.map(([name, type]) => this.columnValues(name, type, rows, n));
    const batch = checkInteger(options.batchRows ?? 65536, 'batchRows', 1);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-sql-'));
    const bar = new Progress(`inserting into ${this.table}`, n, 'vectors', { enabled: progress });
    const names = ['id', ...meta.map(([c]) => c), 'vec'];
    try {
      for (let i = 0; i < n; i += batch) {
        const end = Math.min(n, i + batch);
        const file = path.join(dir, `batch-${i}.native`);
        const cols: NativeColumn[] = [
          { name: 'id', type: 'UInt64', values: ids.subarray(i, end) },
          ...meta.map(([name], j) => slice(name, metaValues[j], i, end)),
          { name: 'vec', type: 'Array(Float32)', values: data.subarray(i * this.d, end * this.d), d: this.d },
        ];
        writeNativeFile(file, cols, end - i);
        const what = `inserting rows ${i}..${end - 1}`;
        const sent = this.backend.insertStatement(this.table, names, file);
        const t0 = performance.now();
        try {
          await this.backend.insertNativeFile(this.table, names, file);
          this.log.add({ what, ...sent, format: 'Native', ms: performance.now() - t0 });
        } catch (e) {
          const error = String((e as Error)?.message ?? e);
          this.log.add({ what, ...sent, format: 'Native', ms: performance.now() - t0, error });
          throw this.error(
            e,
            what,
            `${end - i} rows of (${names.join(', ')}) with vectors of d=${this.d}, finite`,
            `${sent.sql}${sent.data ? ` <${sent.data}>` : ''}`,
          );
        } finally {
          fs.rmSync(file, { force: true });
        }
        bar.tick(end - i);
      }
      bar.done();
    } catch (e) {
      await this.refreshCount().catch(() => undefined);
      throw e;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    this.rowCount += n;
    let max = this.nextId - 1n;
    for (let i = 0; i < n; i++) if (ids[i] > max) max = ids[i];
    this.nextId = max + 1n;
  }

  /**
   * The k nearest rows of each query (one statement per query vector),
   * nearest first, padded with -1 labels like faiss; labels are the rows' ids.
   */
  async search(
    xq: Float32Array | Matrix,
    k: number,
    options: SqlSearchOptions | SearchParameters = {},
  ): Promise<SearchResults> {
    this.alive();
    const q = this.queries(xq);
    checkInteger(k, 'k', 1, 1 << 20);
    options = searchOptions(options);
    const m = METRICS[this.metric];
    const nq = q.length / this.d;
    const distances = new Float32Array(nq * k).fill(
      m.order === 'DESC' || this.metric === 'cosine' ? -FLT_MAX : FLT_MAX,
    );
    const labels = new BigInt64Array(nq * k).fill(-1n);
    for (let i = 0; i < nq; i++) {
      const { sql, params } = this.searchSql(q.subarray(i * this.d, (i + 1) * this.d), k, options);
      const text = (
        await this.exec('searching', `rows of (id, distance), at most k=${k}`, sql, params, 'TabSeparated')
      ).toString('utf8');
      let r = 0;
      for (const line of text.split('\n')) {
        if (!line) continue;
        const tab = line.indexOf('\t');
        labels[i * k + r] = BigInt(line.slice(0, tab));
        distances[i * k + r] = m.out(parseFloatText(line.slice(tab + 1)));
        r++;
      }
    }
    return new SearchResults({ distances, labels, n: nq, k }, m.metricType);
  }

  /** The statement search() runs for one query vector (values as parameters). */
  searchSql(
    q: Float32Array,
    k: number,
    options: SqlSearchOptions | SearchParameters = {},
  ): { sql: string; params: SqlParams } {
    const m = METRICS[this.metric];
    const o = searchOptions(options);
    const where = compileFilter(o.where, this.columns);
    const sel = o.params?.sel;
    if (sel !== undefined) {
      let n = 0;
      const bind = (type: string, value: unknown): string => {
        const name = `${OWN_PREFIX}sel${n++}`;
        where.params[name] = value;
        return `{${name}:${type}}`;
      };
      const cond = selectorSql(sel, bind);
      where.sql = where.sql ? `(${where.sql}) AND (${cond})` : cond;
    }
    const efSearch =
      o.params instanceof SearchParametersHNSW
        ? checkInteger(o.params.efSearch, 'params.efSearch', 1, 1 << 20)
        : this.args.efSearch;
    // A brute force reads no index: its statement says so and carries none of the index's knobs.
    const exact = o.exact || this.args.exact;
    const settings: string[] = exact
      ? ['use_skip_indexes = 0']
      : [
          `hnsw_candidate_list_size_for_search = ${efSearch}`,
          `vector_search_with_rescoring = ${this.args.rescoring}`,
          'use_skip_indexes = 1',
          `vector_search_index_fetch_multiplier = ${this.args.fetchMultiplier}`,
        ];
    if (o.prefilter && !exact) settings.push(`vector_search_filter_strategy = 'prefilter'`);
    const sql =
      `SELECT id, ${m.fn}(vec, {${OWN_PREFIX}q:Array(Float32)}) AS distance\nFROM ${this.table}\n` +
      (where.sql ? `WHERE ${where.sql}\n` : '') +
      `ORDER BY distance ${m.order}\nLIMIT {${OWN_PREFIX}k:UInt32}\nSETTINGS ${settings.join(', ')}`;
    return { sql, params: { ...where.params, [`${OWN_PREFIX}q`]: vectorParam(q), [`${OWN_PREFIX}k`]: k } };
  }

  /** ClickHouse's plan for the search of the first query (EXPLAIN indexes = 1): shows whether the vector index is used. */
  async explain(xq: Float32Array | Matrix, k = 10, options: SqlSearchOptions | SearchParameters = {}): Promise<string> {
    this.alive();
    const q = this.queries(xq).subarray(0, this.d);
    const { sql, params } = this.searchSql(q, k, options);
    return (
      await this.exec('explaining a search', 'the query plan', `EXPLAIN indexes = 1\n${sql}`, params, 'TSVRaw')
    ).toString('utf8');
  }

  /** Whether the search of the first query reads the vector index (from explain()). */
  async usesIndex(
    xq: Float32Array | Matrix,
    k = 10,
    options: SqlSearchOptions | SearchParameters = {},
  ): Promise<boolean> {
    const plan = await this.explain(xq, k, options);
    return new RegExp(`Name: ${INDEX_NAME}\\b`).test(plan);
  }

  /**
   * Adds ClickHouse's HNSW index (vector_similarity) on vec and builds it for
   * the rows already there (MATERIALIZE INDEX, waiting for it); later inserts
   * are indexed as they come. Only L2 and cosine (refused for L1, IP: search
   * those by brute force). An existing index is replaced. Returns the build time.
   */
  async createIndex(options: IndexOptions = {}): Promise<{ seconds: number; info: IndexInfo }> {
    this.alive();
    const m = METRICS[this.metric];
    if (!m.index) {
      throw new ArgumentError(
        `ClickHouse's vector index serves L2 and cosine only, not ${this.metric}: search ${this.table} by brute force, or use store.withMetric('L2')`,
      );
    }
    const quantization = options.quantization ?? 'bf16';
    if (!['bf16', 'f32', 'f16', 'i8', 'b1'].includes(quantization))
      throw invalid('quantization', "'bf16', 'f32', 'f16', 'i8' or 'b1'", quantization);
    const M = checkInteger(options.M ?? 16, 'M', 2, 1024);
    const efC = checkInteger(options.efConstruction ?? 128, 'efConstruction', 1, 1 << 16);
    // DDL takes no parameters: every value here is a checked integer or one of a fixed set of words.
    const type = `vector_similarity('hnsw', '${m.index}', ${this.d}, '${quantization}', ${M}, ${efC})`;
    const t0 = performance.now();
    await this.exec(
      'dropping the old index',
      'nothing',
      `ALTER TABLE ${this.table} DROP INDEX IF EXISTS ${INDEX_NAME}`,
    );
    await this.exec(
      'adding the vector index',
      `an index ${type}`,
      `ALTER TABLE ${this.table} ADD INDEX ${INDEX_NAME} vec TYPE ${type}`,
    );
    await this.exec(
      'building the vector index',
      'the index built on every part',
      `ALTER TABLE ${this.table} MATERIALIZE INDEX ${INDEX_NAME} SETTINGS mutations_sync = 2`,
    );
    const seconds = (performance.now() - t0) / 1000;
    const info = await this.indexInfo();
    if (!info)
      throw new SqlError(
        `the index ${INDEX_NAME} on ${this.table} was added but is not listed in system.data_skipping_indices`,
        this.table,
        '',
        undefined,
      );
    return { seconds, info };
  }

  /** Removes the vector index (searches become brute force). */
  async dropIndex(): Promise<void> {
    this.alive();
    await this.exec(
      'dropping the vector index',
      'nothing',
      `ALTER TABLE ${this.table} DROP INDEX IF EXISTS ${INDEX_NAME}`,
    );
  }

  /** The vector index and its size, or undefined when there is none. */
  async indexInfo(): Promise<IndexInfo | undefined> {
    const rows = await this.queryRows<{ name: string; type_full: string; bytes: string | number }>(
      `SELECT name, type_full, data_uncompressed_bytes AS bytes FROM system.data_skipping_indices
       WHERE database = ${this.databaseExpr()} AND table = {lab_t:String} AND name = {lab_i:String}`,
      { ...this.tableParams(), lab_i: INDEX_NAME },
      'reading the index description',
    );
    return rows[0]
      ? { name: rows[0].name, type: rows[0].type_full, bytes: Number(rows[0].bytes), parts: await this.parts() }
      : undefined;
  }

  /** Active data parts of the table (each insert batch starts as one; background merges join them). */
  async parts(): Promise<number> {
    this.alive();
    const rows = await this.queryRows<{ n: string | number }>(
      `SELECT count() AS n FROM system.parts WHERE database = ${this.databaseExpr()} AND table = {lab_t:String} AND active`,
      this.tableParams(),
      "counting the table's parts",
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Merges the table's parts into one (OPTIMIZE TABLE ... FINAL, waiting for it).
   * The HNSW index is one graph per part, so a table loaded in many batches is
   * searched graph by graph until merges join them; merge before createIndex
   * (one build instead of one per part and another after the merge) and before
   * measuring. Returns the time taken and the parts left.
   */
  async optimize(): Promise<{ seconds: number; parts: number }> {
    this.alive();
    const t0 = performance.now();
    await this.exec(
      "merging the table's parts",
      'one part',
      `OPTIMIZE TABLE ${this.table} FINAL SETTINGS alter_sync = 2`,
    );
    return { seconds: (performance.now() - t0) / 1000, parts: await this.parts() };
  }

  /** Rows passing a filter (all rows without one). */
  async count(where?: Filter): Promise<number> {
    this.alive();
    const f = compileFilter(where, this.columns);
    const sql = `SELECT count() FROM ${this.table}${f.sql ? ` WHERE ${f.sql}` : ''}`;
    return Number(
      (await this.exec('counting rows', 'one number', sql, f.params, 'TabSeparated')).toString('utf8').trim(),
    );
  }

  /** The metadata rows (id and columns, no vector) of the given ids, in that order (missing ids are left out). */
  async getRows(ids: ArrayLike<number | bigint>): Promise<Array<Record<string, unknown>>> {
    this.alive();
    const list = Array.from(ids, (v) => (typeof v === 'bigint' ? v : BigInt(checkInteger(v, 'id', 0))));
    if (list.length === 0) return [];
    const cols = [...this.columns.keys()].filter((c) => c !== 'vec');
    const rows = await this.queryRows<Record<string, unknown>>(
      `SELECT ${cols.join(', ')} FROM ${this.table} WHERE id IN {lab_ids:Array(UInt64)}`,
      { lab_ids: list },
      'reading rows',
    );
    const byId = new Map(rows.map((r) => [String(r.id), { ...r, id: Number(r.id) }]));
    return list
      .map((v) => byId.get(v.toString()))
      .filter((r): r is Record<string, unknown> & { id: number } => r !== undefined);
  }

  /** Stored vectors in id order: rows i0 .. i0+n-1 of that order (all by default), bit-exact. */
  async reconstructN(i0 = 0, n = this.rowCount - i0): Promise<Float32Array> {
    this.alive();
    checkInteger(i0, 'i0', 0);
    checkInteger(n, 'n', 0);
    const bytes = await this.exec(
      'reading vectors',
      `${n} vectors of d=${this.d}`,
      `SELECT vec FROM ${this.table} ORDER BY id LIMIT {lab_n:UInt64} OFFSET {lab_o:UInt64}`,
      { lab_n: n, lab_o: i0 },
      'RowBinary',
    );
    return decodeVectorsRowBinary(bytes, this.d);
  }

  /**
   * Any SQL with {name:Type} parameters, rows as objects (JSONEachRow). For
   * reading: write `${store.table}` where the table goes.
   */
  async query<T = Record<string, unknown>>(sql: string, params: SqlParams = {}): Promise<T[]> {
    this.alive();
    if (typeof sql !== 'string' || !sql.trim()) throw invalid('sql', 'a statement', sql);
    return this.queryRows<T>(sql, params, 'running a query');
  }

  /**
   * Sets query-time knobs by the lab's names, as a grid sweeps them: efSearch (the HNSW
   * search list, hnsw_candidate_list_size_for_search), exact (1: brute force,
   * use_skip_indexes = 0), rescoring (vector_search_with_rescoring), fetchMultiplier
   * (vector_search_index_fetch_multiplier). ClickHouse's setting names are accepted too.
   */
  setQueryArguments(args: QueryArguments): void {
    if (args == null || typeof args !== 'object') throw invalid('args', 'an object such as { efSearch: 64 }', args);
    const next = { ...this.args };
    for (const [name, value] of Object.entries(args)) {
      const alias = CLICKHOUSE_NAMES[name];
      const key = (alias?.lab ?? name) as keyof LabQueryArguments;
      if (!(key in next)) {
        throw new ArgumentError(
          `SqlVectorStore has no query argument "${name}" (it has: ${Object.keys(next).join(', ')}; ` +
            `and ClickHouse's names ${Object.keys(CLICKHOUSE_NAMES).join(', ')})`,
        );
      }
      if (key === 'fetchMultiplier') {
        if (typeof value !== 'number' || !(value >= 1 && value <= 1000))
          throw invalid(name, 'a number from 1 to 1000', value);
        next.fetchMultiplier = value;
      } else if (key === 'efSearch') {
        next.efSearch = checkInteger(value, name, 1, 1 << 20);
      } else {
        const v = checkInteger(value, name, 0, 1);
        next[key] = alias?.inverted ? 1 - v : v;
      }
    }
    this.args = next;
  }

  /**
   * The lab's names: { efSearch (256, ClickHouse's default list), exact (0; 1 searches by
   * brute force), rescoring (0), fetchMultiplier (1) }.
   */
  get queryArguments(): QueryArguments {
    return { ...this.args };
  }

  /** Deletes the table and closes the store. */
  async drop(): Promise<void> {
    this.alive();
    await this.exec('dropping the table', 'nothing', `DROP TABLE IF EXISTS ${this.table}`);
    this.dispose();
  }

  /** Closes the store's connection (the table stays: open it again later); later calls throw. */
  dispose(): void {
    if (this.freed) return;
    this.freed = true;
    if (this.ownsBackend) this.backend.close();
  }

  toString(): string {
    return `SqlVectorStore(${this.table}, d=${this.d}, metric=${this.metric} (${metricName(this.metricType)}), ntotal=${this.rowCount}, ${this.backendName})`;
  }

  // -------------------------------------------------------------------------

  private alive(): void {
    if (this.freed) throw new Error(`this SqlVectorStore (${this.table}) was disposed: open the table again`);
  }

  private queries(xq: Float32Array | Matrix): Float32Array {
    const data = this.vectors(xq, 'xq');
    if (data.length === 0) throw invalid('xq', `at least one vector of d=${this.d} values`, data);
    return data;
  }

  /**
   * The data of a Float32Array or a Matrix, checked as FAISS checks what it is
   * given: d and n agree with the data's length, every value finite and within
   * valueLimit(d). Beyond that limit squared distances overflow float32 (in
   * ClickHouse's L2Distance/cosineDistance as in faiss) and the order of the
   * results becomes arbitrary.
   */
  private vectors(x: Float32Array | Matrix, name: string): Float32Array {
    let data: unknown = x;
    if (x && !(x instanceof Float32Array) && typeof x === 'object' && 'data' in x) {
      data = x.data; // read once
      if (x.d !== this.d) {
        throw new ArgumentError(`${name} has vectors of d=${x.d}, but table ${this.table} holds d=${this.d}`);
      }
      if (x.n !== undefined && data instanceof Float32Array && x.n * x.d !== data.length) {
        throw new ArgumentError(
          `${name} says n=${describe(x.n)} vectors of d=${x.d} (${x.n * x.d} values), ` +
            `but its data holds ${data.length} values`,
        );
      }
      name = `${name}.data`;
    }
    checkVectors(data, this.d, name, undefined, true);
    const v = data as Float32Array;
    const limit = valueLimit(this.d);
    let bad = firstNonFinite(v, limit);
    if (bad >= 0) {
      for (let i = bad + 1; i < v.length; i++) if (Math.abs(v[i]) > Math.abs(v[bad])) bad = i;
      throw new ArgumentError(
        `${name} holds ${v[bad].toExponential(3)} at row ${Math.floor(bad / this.d)}, column ${bad % this.d}, ` +
          'its largest |value|: ' +
          `with d=${this.d}, squared distances overflow float32 (ClickHouse's, as faiss's) for values beyond ` +
          `±${limit.toExponential(3)}, and the results come back in arbitrary order: scale the vectors down ` +
          '(dividing all of them by one constant keeps every neighbour)',
      );
    }
    return v;
  }

  private columnValues(
    name: string,
    type: string,
    rows: ArrayLike<Record<string, unknown>> | undefined,
    n: number,
  ): unknown[] {
    const out = new Array<unknown>(n);
    const t = /String/.test(type) ? 'string' : type === 'Bool' ? 'boolean' : 'number';
    for (let i = 0; i < n; i++) {
      const v = rows?.[i]?.[name];
      if (v === undefined || v === null) {
        out[i] = t === 'string' ? '' : t === 'boolean' ? false : 0;
        continue;
      }
      if (
        typeof v !== t ||
        (t === 'number' && !Number.isFinite(v as number)) ||
        (type === 'Int64' && !Number.isInteger(v))
      ) {
        const want = t === 'number' ? (type === 'Int64' ? ' (integers)' : ' (finite numbers)') : '';
        throw new ArgumentError(
          `rows[${i}].${name} is ${describeValue(v)}: column ${name} of ${this.table} is ${type}${want}`,
        );
      }
      out[i] = v;
    }
    return out;
  }

  private databaseExpr(): string {
    return this.table.includes('.') ? '{lab_db:String}' : 'currentDatabase()';
  }

  private tableParams(): SqlParams {
    const [a, b] = this.table.split('.');
    return b === undefined ? { lab_t: a } : { lab_db: a, lab_t: b };
  }

  private async describe(): Promise<{ d: number; columns: Map<string, string> } | undefined> {
    const rows = await this.queryRows<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = ${this.databaseExpr()} AND table = {lab_t:String} ORDER BY position`,
      this.tableParams(),
      "reading the table's columns",
    );
    if (rows.length === 0) return undefined;
    const columns = new Map(rows.map((r) => [r.name, r.type]));
    if (columns.get('id') !== 'UInt64' || columns.get('vec') !== 'Array(Float32)') {
      throw new SqlError(
        `table ${this.table} is not a vector table (it needs id UInt64 and vec Array(Float32); it has ${rows.map((r) => `${r.name} ${r.type}`).join(', ')}): use another name or mode 'replace'`,
        this.table,
        '',
        undefined,
      );
    }
    const create = await this.queryRows<{ q: string }>(
      `SELECT create_table_query AS q FROM system.tables WHERE database = ${this.databaseExpr()} AND name = {lab_t:String}`,
      this.tableParams(),
      "reading the table's definition",
    );
    const m = /length\(vec\) = (\d+)/.exec(create[0]?.q ?? '');
    if (!m)
      throw new SqlError(
        `table ${this.table} has no CONSTRAINT length(vec) = d: it was not made by SqlVectorStore (use mode 'replace')`,
        this.table,
        '',
        undefined,
      );
    return { d: Number(m[1]), columns };
  }

  private async refreshCount(): Promise<void> {
    const rows = await this.queryRows<{ n: string | number; next: string | number }>(
      `SELECT count() AS n, if(count() = 0, 0, max(id) + 1) AS next FROM ${this.table}`,
      {},
      'counting rows',
    );
    this.rowCount = Number(rows[0].n);
    this.nextId = BigInt(rows[0].next);
  }

  private async queryRows<T>(sql: string, params: SqlParams, what: string): Promise<T[]> {
    const text = (await this.exec(what, 'rows', sql, params, 'JSONEachRow')).toString('utf8');
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as T);
  }

  private async exec(
    what: string,
    expected: string,
    sql: string,
    params: SqlParams = {},
    format = 'TabSeparated',
  ): Promise<Buffer> {
    const t0 = performance.now();
    try {
      const out = await this.backend.run(sql, params, format);
      this.log.add({ what, sql, params, format, ms: performance.now() - t0 });
      return out;
    } catch (e) {
      const error = String((e as Error)?.message ?? e);
      this.log.add({ what, sql, params, format, ms: performance.now() - t0, error });
      throw this.error(e, what, expected, sql);
    }
  }

  private error(e: unknown, what: string, expected: string, sql: string): SqlError {
    const code = engineCode(e);
    let msg = String((e as Error)?.message ?? e)
      .split('\n')[0]
      .slice(0, 600);
    const type = (e as { type?: unknown })?.type;
    if (code !== undefined && !msg.includes('Code:'))
      msg = `Code: ${code}${typeof type === 'string' ? ` (${type})` : ''}. ${msg}`;
    const err = new SqlError(
      `${what} on table ${this.table} (${this.backend.kind}) failed: ${msg}\n  expected: ${expected}\n  statement: ${sql.replace(/\s+/g, ' ').slice(0, 400)}`,
      this.table,
      sql,
      code,
    );
    (err as { cause?: unknown }).cause = e;
    return err;
  }
}

/** The store's query-time knobs by the lab's names (as a grid sweeps them), and ClickHouse's setting names. */
export interface SqlQueryArguments {
  /** The HNSW search list (faiss's efSearch; hnsw_candidate_list_size_for_search): larger finds more true neighbours, a little slower. Default 256. */
  efSearch?: number;
  /** 1: ignore the vector index and compute every distance (brute force; use_skip_indexes = 0). Default 0. */
  exact?: number;
  /** 1: recompute exact distances of the index's candidates (vector_search_with_rescoring; bf16/i8 indexes return approximate ones). Default 0. */
  rescoring?: number;
  /** Fetch this many times k candidates from the index before a post-filter or rescoring (1 to 1000). Default 1. */
  fetchMultiplier?: number;
  /** ClickHouse's name of efSearch. */
  hnsw_candidate_list_size_for_search?: number;
  /** ClickHouse's name of rescoring. */
  vector_search_with_rescoring?: number;
  /** ClickHouse's name of 1 - exact (0: brute force). */
  use_skip_indexes?: number;
  /** ClickHouse's name of fetchMultiplier. */
  vector_search_index_fetch_multiplier?: number;
}

interface LabQueryArguments {
  efSearch: number;
  exact: number;
  rescoring: number;
  fetchMultiplier: number;
}

const DEFAULT_QUERY_ARGUMENTS: Readonly<LabQueryArguments> = {
  efSearch: 256,
  exact: 0,
  rescoring: 0,
  fetchMultiplier: 1,
};

/** ClickHouse's setting names, and the lab's knob each sets (use_skip_indexes is 1 - exact). */
const CLICKHOUSE_NAMES: Readonly<Record<string, { lab: keyof LabQueryArguments; inverted?: boolean }>> = {
  hnsw_candidate_list_size_for_search: { lab: 'efSearch' },
  vector_search_with_rescoring: { lab: 'rescoring' },
  use_skip_indexes: { lab: 'exact', inverted: true },
  vector_search_index_fetch_multiplier: { lab: 'fetchMultiplier' },
};

const SEARCH_OPTIONS = ['where', 'prefilter', 'exact', 'params'];

/** Search options from { where, prefilter, exact, params } or faiss's SearchParameters alone (checked). */
function searchOptions(options: SqlSearchOptions | SearchParameters | undefined): SqlSearchOptions {
  if (options === undefined) return {};
  if (options instanceof SearchParameters) options = { params: options };
  if (options === null || typeof options !== 'object') {
    throw invalid('options', '{ where, prefilter, exact, params } or a SearchParameters', options);
  }
  for (const key of Object.keys(options)) {
    if (!SEARCH_OPTIONS.includes(key)) {
      throw new ArgumentError(`search options have no "${key}" (they have: ${SEARCH_OPTIONS.join(', ')})`);
    }
  }
  const p = options.params;
  if (p !== undefined) {
    if (!(p instanceof SearchParameters)) {
      throw invalid('params', "faiss's SearchParameters({ sel }) or SearchParametersHNSW({ sel, efSearch })", p);
    }
    if (p instanceof SearchParametersIVF) {
      throw new ArgumentError(
        'the SQL store has no IVF: pass SearchParameters({ sel }) or SearchParametersHNSW({ sel, efSearch }), not SearchParametersIVF',
      );
    }
    if (p.sel !== undefined && !(p.sel instanceof IDSelector)) {
      throw invalid(
        'params.sel',
        'an IDSelector (IDSelectorRange, IDSelectorArray, IDSelectorBatch, IDSelectorNot)',
        p.sel,
      );
    }
  }
  return options;
}

/** A faiss id selector as a condition on the id column, its values bound as parameters. */
function selectorSql(sel: IDSelector, bind: (type: string, value: unknown) => string): string {
  if (sel instanceof IDSelectorNot) return `NOT (${selectorSql(sel.sel, bind)})`;
  if (sel instanceof IDSelectorRange) {
    // ids are UInt64: [imin, imax) clipped at 0.
    if (sel.imax <= 0n || sel.imax <= sel.imin) return 'false';
    const lo = sel.imin < 0n ? 0n : sel.imin;
    return `id >= ${bind('UInt64', lo)} AND id < ${bind('UInt64', sel.imax)}`;
  }
  if (sel instanceof IDSelectorBatch || sel instanceof IDSelectorArray) {
    const ids = Array.from(sel.ids).filter((v) => v >= 0n); // a negative id is no row's
    return ids.length ? `id IN ${bind('Array(UInt64)', ids)}` : 'false';
  }
  throw invalid('params.sel', 'an IDSelectorRange, IDSelectorArray, IDSelectorBatch or IDSelectorNot', sel);
}

function slice(name: string, values: unknown[], i: number, end: number): NativeColumn {
  const part = values.slice(i, end);
  const v0 = part[0];
  if (typeof v0 === 'string') return { name, type: 'String', values: part as string[] };
  if (typeof v0 === 'boolean')
    return { name, type: 'Bool', values: Uint8Array.from(part as boolean[], (b) => (b ? 1 : 0)) };
  return { name, type: 'Float64', values: Float64Array.from(part as number[]) };
}
