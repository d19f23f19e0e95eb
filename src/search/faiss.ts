/**
 * FAISS for TypeScript: the names of faiss's Python API, camelCased.
 *
 * Every argument is checked here before the native call; the addon
 * (native/faiss) only turns faiss exceptions into JS errors. Vectors are
 * row-major Float32Array (n*d values) and are handed to faiss without a copy.
 *
 * @example
 * const index = new IndexHNSWFlat(512, 32, MetricType.L1);
 * index.hnsw.efConstruction = 100;
 * await index.addAsync(xb);
 * index.hnsw.efSearch = 50;
 * const { distances, labels } = index.search(xq, 5); // each nq*5, row-major
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as Addon from 'faiss-lab-native';
import type { NativeIndex, NativeSearchParams } from 'faiss-lab-native';
import { writeFileAtomic } from '../io/files';
import { type EmbeddingSource, type Matrix, sourceMismatch } from '../types';
import type { QueryArguments, VectorIndex } from './interface';
import { MetricType, type SearchResult, SearchResults, isMetric, metricName } from './results';
import {
  ArgumentError, checkInt32, checkInt64, checkInteger, checkPath, checkString, checkVectors, describe, invalid, valueLimit,
} from '../util/check';
import { type FactorySpec, HNSW_M_MAX, HNSW_M_MIN, NLIST_MAX, checkKindMetric, checkPQ, parseFactory } from './factory';
import { RangeSearchResults } from './range';
import { IDSelectorArray, SearchParameters, SearchParametersHNSW, SearchParametersIVF } from './selectors';
import { checkSerialized } from './serialized';

// Loaded on first use, so the rest of the library (file formats, embeddings,
// display) still imports where the FAISS build failed; the first FAISS call then
// throws the addon's own error, which lists the ways to fix it.
let addon: typeof Addon | undefined;
const native = new Proxy({} as typeof Addon, {
  get: (_, name) => (addon ??= require('faiss-lab-native') as typeof Addon)[name as keyof typeof Addon],
});

export const METRIC_INNER_PRODUCT = MetricType.INNER_PRODUCT;
export const METRIC_L2 = MetricType.L2;
export const METRIC_L1 = MetricType.L1;
export const METRIC_Linf = MetricType.Linf;
export { MetricType, metricName, type SearchResult, SearchResults };
export { RangeSearchResults, type RangeSearchResult } from './range';
export {
  IDSelector, IDSelectorArray, IDSelectorBatch, IDSelectorNot, IDSelectorRange, SearchParameters, SearchParametersHNSW,
  SearchParametersIVF, type IdList,
} from './selectors';

/**
 * The most hits one rangeSearch call returns by default (options.maxResults, up to
 * 2^31 - 1): 2^26 (67,108,864 hits, 800 MB). Beyond it the call is refused (code
 * ERR_FAISS_LIMIT) instead of filling the machine's memory inside faiss.
 */
export const RANGE_SEARCH_MAX_RESULTS = 2 ** 26;

/** Options of rangeSearch. */
export interface RangeSearchOptions {
  /** Refuse the call once more hits than this are found (default RANGE_SEARCH_MAX_RESULTS). */
  maxResults?: number;
}

/** How an IVF index finds a vector by id (faiss.DirectMap): none, an array (ids 0..ntotal-1) or a hash table. */
export const DirectMap = { NoMap: 0, Array: 1, Hashtable: 2 } as const;
export type DirectMapType = (typeof DirectMap)[keyof typeof DirectMap];
const DIRECT_MAP_NAMES = ['NoMap', 'Array', 'Hashtable'];

/** Options of the async add: progress reports split the add into batches. */
export interface AddOptions {
  /** Called after each batch with the vectors added so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Vectors per batch when onProgress is given (default 2048). */
  batchSize?: number;
}

/** The faiss version the addon was built against, e.g. "1.7.3" ("unavailable" if the addon does not load). */
export const faissVersion: string = (() => {
  try {
    return native.faissVersion;
  } catch {
    return 'unavailable';
  }
})();
/** Which faiss library the addon links: 'avx2' (setup's build), 'generic' (Debian's), 'prefix:<dir>' or 'conda:<env>'. */
export const faissBuild: string = (() => { try { return native.faissBuild; } catch { return 'unavailable'; } })();

/** Threads faiss uses (OpenMP), like faiss.omp_get_max_threads(). */
export function ompGetMaxThreads(): number {
  return native.ompGetMaxThreads();
}

/**
 * The most threads ompSetNumThreads accepts: 4 per core, at least 64. More only
 * slow faiss down, and thousands can exceed the process's thread limit, which
 * OpenMP answers by ending the process.
 */
export const OMP_MAX_THREADS = Math.min(1024, Math.max(64, 4 * os.availableParallelism()));

/** Sets the threads faiss uses, like faiss.omp_set_num_threads(n) (1 .. OMP_MAX_THREADS). */
export function ompSetNumThreads(n: number): void {
  native.ompSetNumThreads(checkInteger(n, 'n (threads, at most 4 per core)', 1, OMP_MAX_THREADS));
}

function checkMetric(metric: unknown, name = 'metric'): MetricType {
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
function vectorsOf(x: Float32Array | Matrix, d: number, name = 'x', copy = false): Float32Array {
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

function checkIds(ids: unknown, n: number, name = 'ids'): BigInt64Array {
  if (!(ids instanceof BigInt64Array)) {
    throw invalid(name, 'a BigInt64Array (faiss ids are int64; e.g. BigInt64Array.from(list, BigInt))', ids);
  }
  if (ids.length !== n) throw invalid(name, `one id per vector (${n})`, ids);
  return ids;
}

// Keeps the JS stack of the call site on errors from the thread pool.
function keepStack<T>(p: Promise<T>, site: Error): Promise<T> {
  return p.catch((e: unknown) => {
    if (e instanceof Error && site.stack) {
      e.stack = `${e.stack ?? e.message}\n    at (async faiss call)${site.stack.slice(site.stack.indexOf('\n'))}`;
    }
    throw e;
  });
}

// ---- ownership ------------------------------------------------------------------
//
// An index another index is built on (an IVF's quantizer, an IDMap's index) must
// not change behind that index's back: faiss then reads past its tables or aborts
// (a quantizer with more centroids than lists, an IDMap whose inner index holds
// vectors its id table does not know). So, checked here before any native call:
//   - such an index is read-only from JS while the outer index lives (add,
//     addWithIds, train, reset, removeIds are refused; search and query knobs are
//     fine); views (ivf.quantizer, idmap.index of a read or factory-made index)
//     always are;
//   - an outer index's own write that would change an inner index which a third
//     index also uses is refused (two IVFs sharing a quantizer cannot train it).

type Role = 'quantizer' | 'index';
/** Writes: what changes an index's contents. */
type Op = 'add' | 'train' | 'reset' | 'removeIds';

interface Ownership {
  /** The index this one lives inside (a view), and what it is there. */
  container?: Index;
  role?: Role;
  /** Indexes built on this one, held weakly: this one is read-only while one of them lives. */
  users: Array<{ ref: WeakRef<Index>; role: Role }>;
}
const ownership = new WeakMap<Index, Ownership>();

function ownershipOf(x: Index): Ownership {
  let o = ownership.get(x);
  if (!o) ownership.set(x, (o = { users: [] }));
  return o;
}

interface Owner {
  owner: Index;
  role: Role;
  /** Whether x lives inside owner (a view) rather than being passed to its constructor. */
  view: boolean;
}

/** The live indexes x belongs to. */
function ownersOf(x: Index): Owner[] {
  const o = ownership.get(x);
  if (!o) return [];
  const out: Owner[] = [];
  if (o.container && !o.container.disposed) out.push({ owner: o.container, role: o.role!, view: true });
  o.users = o.users.filter((u) => {
    const w = u.ref.deref();
    return w !== undefined && !w.disposed;
  });
  for (const u of o.users) out.push({ owner: u.ref.deref()!, role: u.role, view: false });
  return out;
}

const OP_NAMES: Record<Op, string> = { add: 'add to', train: 'train', reset: 'reset', removeIds: 'remove ids from' };

function roleText(o: Owner): string {
  return o.role === 'quantizer' ? `the quantizer of an ${o.owner.className}` : `the index inside an ${o.owner.className}`;
}

function readOnlyError(x: Index, op: Op, o: Owner): Error {
  const why =
    o.role === 'quantizer'
      ? 'which sends each vector to the list of its nearest centroid (other centroids would name lists that do not exist)'
      : 'whose id table must stay in step with it';
  const instead =
    o.role === 'quantizer'
      ? `train, add to or reset the ${o.owner.className} itself`
      : `use the ${o.owner.className}'s addWithIds, removeIds, reset or train`;
  const free = o.view ? '' : `, or dispose() the ${o.owner.className} first`;
  return new Error(
    `cannot ${OP_NAMES[op]} this ${x.className}: it is ${roleText(o)}, ${why}, so it is read-only while that index lives. ` +
      `Instead, ${instead}${free}`,
  );
}

function sharedError(x: Index, op: Op, parent: Index, target: Index, other: Owner): Error {
  const mine = parent instanceof IndexIVF ? 'quantizer' : 'inner index';
  return new Error(
    `cannot ${OP_NAMES[op]} this ${x.className}: that changes ${parent === x ? 'its' : `its ${parent.className}'s`} ${mine} ` +
      `(an ${target.className}), which is also ${roleText(other)}. Build each index on an index of its own, ` +
      'e.g. new IndexIVFFlat(new IndexFlatL2(d), d, nlist)',
  );
}

/** The (outer, inner) pairs in which `op` on x writes into an inner index. */
function writeTargets(x: Index, op: Op): Array<[Index, Index]> {
  if (x instanceof IndexIDMap) {
    const inner = x.index;
    return [[x, inner], ...writeTargets(inner, op)];
  }
  if (x instanceof IndexIVF && op === 'train') {
    // faiss keeps a quantizer that already holds nlist centroids; otherwise k-means rewrites it.
    const q = x.quantizer;
    if (!(q.isTrained && q.ntotal === x.nlist)) return [[x, q]];
  }
  return [];
}

/**
 * Base of every index: the members of faiss.Index. Indexes returned by
 * readIndex and indexFactory are downcast to the most specific class below,
 * so `readIndex(p) instanceof IndexHNSWFlat` holds for an HNSW file.
 */
export class Index implements VectorIndex {
  /** @internal The addon object; not part of the API. */
  declare readonly native: NativeIndex;

  /** @internal Use a concrete class (IndexFlatL2, ...) or indexFactory. */
  protected constructor(nativeIndex: NativeIndex) {
    Object.defineProperty(this, 'native', { value: nativeIndex, enumerable: false });
  }

  /** Dimension of the vectors. */
  get d(): number {
    return this.native.d();
  }

  /** Number of indexed vectors. */
  get ntotal(): number {
    return this.native.ntotal();
  }

  get metricType(): MetricType {
    return this.native.metricType() as MetricType;
  }

  /** False until train() for indexes that need training (IVF); true otherwise. */
  get isTrained(): boolean {
    return this.native.isTrained();
  }

  /** faiss's class name of the underlying index, e.g. "IndexHNSWFlat". */
  get className(): string {
    return this.native.className();
  }

  /**
   * Adds n vectors (x holds n*d floats); their labels are ntotal .. ntotal+n-1.
   * Values must be finite and no larger in magnitude than valueLimit(d).
   */
  add(x: Float32Array | Matrix): void {
    const data = vectorsOf(x, this.d);
    checkEncodable(this, data, 'x');
    this.checkCanAdd();
    this.noteSource(x);
    if (data.length === 0) return; // faiss adds nothing
    this.native.add(data);
  }

  /**
   * add() on the thread pool: the event loop keeps running (a notebook stays
   * responsive). faiss reads a checked copy of x, so x may change meanwhile.
   * Bad arguments reject the promise, as with every ...Async method.
   */
  async addAsync(x: Float32Array | Matrix, options: AddOptions = {}): Promise<void> {
    const site = new Error();
    const data = vectorsOf(x, this.d, 'x', true);
    checkEncodable(this, data, 'x');
    this.checkCanAdd();
    this.noteSource(x);
    if (data.length === 0) return; // faiss adds nothing
    const { onProgress } = options;
    if (!onProgress) return keepStack(this.native.addAsync(data), site);
    const d = this.d;
    const n = data.length / d;
    const batch = checkInteger(options.batchSize ?? 2048, 'batchSize', 1);
    for (let i = 0; i < n; i += batch) {
      const end = Math.min(n, i + batch);
      if (i > 0) this.checkCanAdd();
      await keepStack(this.native.addAsync(data.subarray(i * d, end * d)), site);
      onProgress(end, n);
    }
  }

  /**
   * Trains the index on representative vectors (needed by IVF, PQ and SQ; a no-op for
   * flat and HNSWFlat). As in faiss, an IVF needs at least nlist vectors unless its
   * quantizer already holds nlist centroids, and a product quantizer 2^nbits.
   */
  train(x: Float32Array | Matrix): void {
    const data = vectorsOf(x, this.d);
    checkTrainingSet(this, data);
    this.beforeWrite('train');
    this.native.train(data);
  }

  /** train() on the thread pool. */
  async trainAsync(x: Float32Array | Matrix): Promise<void> {
    const site = new Error();
    const data = vectorsOf(x, this.d, 'x', true);
    checkTrainingSet(this, data);
    this.beforeWrite('train');
    return keepStack(this.native.trainAsync(data), site);
  }

  /**
   * The k nearest neighbours of each query (xq holds nq*d floats; nq may be 0).
   * Returns distances and labels, each nq*k, row-major, padded with -1 labels.
   * `params` (faiss 1.7.3's SearchParameters) set this call's efSearch / nprobe
   * and restrict it to the ids an IDSelector selects: SearchParameters for flat
   * indexes, SearchParametersHNSW for HNSW, SearchParametersIVF for IVF; an
   * IndexIDMap takes none in faiss 1.7.3.
   *
   * @example
   * index.search(xq, 10, new SearchParametersHNSW({ efSearch: 64, sel: new IDSelectorNot(new IDSelectorBatch(seen)) }));
   */
  search(xq: Float32Array | Matrix, k: number, params?: SearchParameters): SearchResults {
    const { data, n, p } = this.prepareSearch(xq, k, params);
    const res = allocateResult(n, k);
    if (n > 0) this.native.search(data, k, res.distances, res.labels, p);
    return new SearchResults(res, this.metricType);
  }

  /** search() on the thread pool; several may run at once on one index. */
  async searchAsync(xq: Float32Array | Matrix, k: number, params?: SearchParameters): Promise<SearchResults> {
    const site = new Error();
    const { data, n, p } = this.prepareSearch(xq, k, params, true);
    const res = allocateResult(n, k);
    if (n > 0) await keepStack(this.native.searchAsync(data, k, res.distances, res.labels, p), site);
    return new SearchResults(res, this.metricType);
  }

  /**
   * Every stored vector within `radius` of each query, faiss's range_search: for L2
   * a squared distance (hits have distance < radius), for inner product a
   * similarity (hits have similarity > radius). Flat indexes by L2 or inner
   * product, IVF indexes, and IDMaps over them; faiss 1.7.3 has no range search
   * for HNSW (refused with the reason). `params` as for search (not on an IDMap).
   * Returns faiss's lims / distances / labels and per-query hits.
   *
   * @example
   * const res = index.rangeSearch(xq, 0.8);   // squared L2 < 0.8
   * res.hits(0);                              // [{ rank: 1, id: 17, distance: 0.21 }, ...] nearest first
   */
  rangeSearch(xq: Float32Array | Matrix, radius: number, params?: SearchParameters, options: RangeSearchOptions = {}): RangeSearchResults {
    const { data, n, p, maxResults } = this.prepareRangeSearch(xq, radius, params, options);
    const res = n > 0 ? this.native.rangeSearch(data, radius, maxResults, p) : emptyRange();
    return new RangeSearchResults(res, this.metricType, radius);
  }

  /** rangeSearch() on the thread pool. */
  async rangeSearchAsync(
    xq: Float32Array | Matrix, radius: number, params?: SearchParameters, options: RangeSearchOptions = {},
  ): Promise<RangeSearchResults> {
    const site = new Error();
    const { data, n, p, maxResults } = this.prepareRangeSearch(xq, radius, params, options, true);
    const res = n > 0 ? await keepStack(this.native.rangeSearchAsync(data, radius, maxResults, p), site) : emptyRange();
    return new RangeSearchResults(res, this.metricType, radius);
  }

  /** Where the indexed vectors came from (model, normalised or raw), when they were added as an embedding Matrix. */
  get source(): EmbeddingSource | undefined {
    return (this as { sourceRef?: EmbeddingSource }).sourceRef;
  }

  /**
   * Query-time knobs, as ann-benchmarks' set_query_arguments: { efSearch } for
   * HNSW, { nprobe } for IVF, none for flat indexes. Build-time knobs (M,
   * efConstruction, nlist) belong to the constructor and to add().
   */
  setQueryArguments(args: QueryArguments): void {
    const known = this.queryArgumentNames();
    for (const [name, value] of Object.entries(args ?? {})) {
      if (!known.includes(name)) {
        throw new ArgumentError(
          `${this.className} has no query argument "${name}"` + (known.length ? ` (it has: ${known.join(', ')})` : ' (it has none)'),
        );
      }
      (this as unknown as Record<string, number>)[name] = value;
    }
  }

  /** The current query-time knobs, e.g. { efSearch: 16 }. */
  get queryArguments(): QueryArguments {
    return Object.fromEntries(this.queryArgumentNames().map((n) => [n, (this as unknown as Record<string, number>)[n]]));
  }

  /** @internal Names accepted by setQueryArguments. */
  protected queryArgumentNames(): string[] {
    return [];
  }

  /** Removes all vectors (and keeps the training). */
  reset(): void {
    this.beforeWrite('reset');
    this.native.reset();
  }

  /** Adds vectors with the given int64 ids (IndexIDMap, IndexIVF*). */
  addWithIds(x: Float32Array | Matrix, ids: BigInt64Array): void {
    const data = vectorsOf(x, this.d);
    const checked = checkIds(ids, data.length / this.d);
    checkEncodable(this, data, 'x');
    this.checkCanAddWithIds();
    this.noteSource(x);
    if (data.length === 0) return; // faiss adds nothing
    this.native.addWithIds(data, checked);
  }

  /** addWithIds() on the thread pool (on a copy of x and ids). */
  async addWithIdsAsync(x: Float32Array | Matrix, ids: BigInt64Array): Promise<void> {
    const site = new Error();
    const data = vectorsOf(x, this.d, 'x', true);
    const checked = checkIds(ids, data.length / this.d).slice();
    checkEncodable(this, data, 'x');
    this.checkCanAddWithIds();
    this.noteSource(x);
    if (data.length === 0) return; // faiss adds nothing
    return keepStack(this.native.addWithIdsAsync(data, checked), site);
  }

  /**
   * Removes the vectors with these ids; returns how many were removed. Flat and
   * IVF indexes, and an IDMap over a flat index; not HNSW (faiss cannot remove
   * from its graph), nor an IDMap over an IVF (the error says why).
   */
  removeIds(ids: BigInt64Array): number {
    if (!(ids instanceof BigInt64Array)) throw invalid('ids', 'a BigInt64Array (e.g. BigInt64Array.of(3n, 7n))', ids);
    this.beforeWrite('removeIds');
    const why = cannotRemove(this);
    if (why) throw new Error(why);
    if (ids.length === 0) return 0;
    return this.native.removeIds(ids);
  }

  /**
   * The stored vector with this key, faiss's reconstruct: a label below ntotal for
   * flat and HNSW indexes, an id for an IndexIDMap2 and for an IVF index (which
   * needs its direct map: makeDirectMap()).
   */
  reconstruct(key: number | bigint): Float32Array {
    const k = this.checkReconstruct(key, 'key');
    const out = new Float32Array(this.d);
    this.native.reconstruct(k, out);
    return out;
  }

  /**
   * Vectors i0 .. i0+n-1, row-major (n*d), faiss's reconstruct_n: labels for flat
   * and HNSW indexes; ids for an IVF index (no direct map needed: its lists are
   * scanned; a row whose id the index does not hold stays 0) and an IndexIDMap2.
   */
  reconstructN(i0: number | bigint, n: number): Float32Array {
    const byId = this instanceof IndexIDMap2;
    const start = byId ? checkInt64(i0, 'i0') : BigInt(checkInteger(i0, 'i0', 0));
    checkInteger(n, 'n', 0);
    this.checkCanReconstruct(false);
    if (!byId && Number(start) + n > this.ntotal) {
      throw new ArgumentError(`reconstructN(${i0}, ${n}) reaches label ${Number(start) + n - 1}, but the ${this.className} holds ntotal=${this.ntotal}`);
    }
    if (n * this.d > 2 ** 31 - 1) throw new ArgumentError(`n*d = ${n * this.d} values do not fit one array: reconstruct in batches`);
    const out = new Float32Array(n * this.d);
    if (n > 0) this.native.reconstructN(byId ? start : Number(start), n, out);
    return out;
  }

  /** The vectors with these keys, row-major (keys.length*d), faiss's reconstruct_batch; keys as for reconstruct. */
  reconstructBatch(keys: BigInt64Array | ArrayLike<number | bigint>): Float32Array {
    let list: BigInt64Array;
    if (keys instanceof BigInt64Array) list = keys.slice();
    else if (keys != null && typeof keys === 'object' && typeof (keys as ArrayLike<number>).length === 'number') {
      list = BigInt64Array.from(Array.from(keys as ArrayLike<number | bigint>, (k, i) => checkInt64(k, `keys[${i}]`)));
    } else throw invalid('keys', 'a BigInt64Array or an array of integers', keys);
    this.checkCanReconstruct(true);
    for (let i = 0; i < list.length; i++) this.checkReconstruct(list[i], `keys[${i}]`, true);
    if (list.length * this.d > 2 ** 31 - 1) throw new ArgumentError(`${list.length} keys * d values do not fit one array: reconstruct in batches`);
    const out = new Float32Array(list.length * this.d);
    if (list.length > 0) this.native.reconstructBatch(list, out);
    return out;
  }

  /**
   * Moves every vector of `other` into this index, faiss's merge_from: other is
   * left empty. Flat indexes (labels continue after ntotal), IVF indexes (trained,
   * same class, d, metric, nlist and centroids; no direct map; other's ids + addId, so
   * pass addId = ntotal to keep labels distinct), and IDMaps over flat indexes (ids
   * + addId). faiss 1.7.3 cannot merge HNSW graphs (refused with the way round).
   *
   * @example
   * const a = ivf, b = cloneIndex(trainedEmptyIvf);   // same centroids
   * b.add(more);
   * a.mergeFrom(b, a.ntotal);                          // b is now empty
   */
  mergeFrom(other: Index, addId: number | bigint = 0): void {
    if (!(other instanceof Index)) throw invalid('other', 'an Index', other);
    const add = checkInt64(addId, 'addId');
    const why = cannotMerge(this, other, add);
    if (why) throw new ArgumentError(why);
    const src = other.source;
    if (src && this.source) {
      const mismatch = sourceMismatch(this.source, src);
      if (mismatch) throw new ArgumentError(`cannot merge into this ${this.className}: ${mismatch.replace('the queries are', 'the other index\'s vectors are')}`);
    }
    this.beforeWrite('add');
    other.beforeWrite('reset');
    this.native.mergeFrom(other.native, add);
    if (src && !this.source) Object.defineProperty(this, 'sourceRef', { value: src, enumerable: false, configurable: true });
  }

  /**
   * Frees the index's memory now rather than whenever the garbage collector runs
   * (it cannot see native memory: a loop building many large indexes would
   * otherwise hold them all). Any later call on it, or on its views (an IVF's
   * quantizer, an IDMap's index), throws. Refused while async work on it runs or
   * while another index is built on it (dispose that one first). Safe to repeat.
   */
  dispose(): void {
    this.native.dispose();
  }

  /** Whether dispose() has freed this index (or the index it lives in). */
  get disposed(): boolean {
    return this.native.disposed();
  }

  toString(): string {
    if (this.disposed) return `${this.constructor.name}(disposed)`;
    return `${this.className}(d=${this.d}, metric=${metricName(this.metricType)}, ntotal=${this.ntotal})`;
  }

  /** @internal Records the origin of added vectors; refuses a mix of origins. */
  protected noteSource(x: Float32Array | Matrix): void {
    const src = x instanceof Float32Array ? undefined : x.source;
    if (!src) return;
    const had = this.source;
    if (had) {
      const why = sourceMismatch(had, src);
      if (why) throw new ArgumentError(`cannot add to this ${this.className}: ${why.replace('the queries are', 'the new vectors are')}`);
      return;
    }
    Object.defineProperty(this, 'sourceRef', { value: src, enumerable: false, configurable: true });
  }

  /**
   * @internal Before a write: the index is alive and not busy (async work), no
   * other index is built on it, and no index it writes into serves a third one.
   */
  protected beforeWrite(op: Op): void {
    this.native.checkWrite();
    const owners = ownersOf(this);
    if (owners.length > 0) throw readOnlyError(this, op, owners[0]);
    for (const [parent, target] of writeTargets(this, op)) {
      const other = ownersOf(target).find((o) => o.owner !== parent);
      if (other) throw sharedError(this, op, parent, target, other);
    }
  }

  protected checkCanAdd(): void {
    this.beforeWrite('add');
    if (!this.isTrained) {
      throw new Error(`${this.className} is not trained: call train(x) with representative vectors before add`);
    }
  }

  protected checkCanAddWithIds(): void {
    throw new Error(
      `${this.className} does not store ids: wrap it, new IndexIDMap(index), or build it with indexFactory(d, "IDMap,...")`,
    );
  }

  private prepareSearch(
    xq: Float32Array | Matrix, k: number, params: unknown, copy = false,
  ): { data: Float32Array; n: number; p?: NativeSearchParams } {
    const data = vectorsOf(xq, this.d, 'xq', copy);
    checkInteger(k, 'k', 1, 1 << 20);
    const n = data.length / this.d;
    if (n * k > 2 ** 31 - 1) throw new ArgumentError(`nq*k = ${n * k} results do not fit one array: search in batches`);
    this.checkSearchable(xq, 'search');
    return { data, n, p: searchParamsFor(this, params, 'search') };
  }

  private prepareRangeSearch(
    xq: Float32Array | Matrix, radius: number, params: unknown, options: RangeSearchOptions, copy = false,
  ): { data: Float32Array; n: number; p?: NativeSearchParams; maxResults: number } {
    const data = vectorsOf(xq, this.d, 'xq', copy);
    if (typeof radius !== 'number' || Number.isNaN(radius)) throw invalid('radius', 'a number (L2: a squared distance; inner product: a similarity)', radius);
    if (options === null || typeof options !== 'object') throw invalid('options', 'an object such as { maxResults }', options);
    const maxResults = checkInteger(options.maxResults ?? RANGE_SEARCH_MAX_RESULTS, 'maxResults', 1, 2 ** 31 - 1);
    const why = cannotRangeSearch(this);
    if (why) throw new ArgumentError(why);
    this.checkSearchable(xq, 'range-search');
    return { data, n: data.length / this.d, p: searchParamsFor(this, params, 'rangeSearch'), maxResults };
  }

  private checkSearchable(xq: Float32Array | Matrix, what: string): void {
    const why = xq instanceof Float32Array ? undefined : sourceMismatch(this.source, xq.source);
    if (why) throw new ArgumentError(`cannot ${what} this ${this.className}: ${why}`);
    this.native.checkRead();
    if (!this.isTrained) {
      throw new Error(`${this.className} is not trained: call train(x) and add(x) before ${what === 'search' ? 'search' : 'rangeSearch'}`);
    }
    if (this.ntotal === 0) throw new Error(`${what === 'search' ? 'search' : 'rangeSearch'} on an empty ${this.className} (ntotal = 0): add vectors first`);
  }

  /** Refuses a reconstruct this index cannot answer; returns the key as the addon takes it. */
  private checkReconstruct(key: unknown, name: string, checked = false): number | bigint {
    const byId = this instanceof IndexIDMap2 || this instanceof IndexIVF;
    if (!checked) this.checkCanReconstruct(true);
    if (byId) {
      const k = checkInt64(key, name);
      return k >= BigInt(Number.MIN_SAFE_INTEGER) && k <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(k) : k;
    }
    const k = typeof key === 'bigint' && key >= 0n && key <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(key) : key;
    checkInteger(k, name, 0);
    if ((k as number) >= this.ntotal) throw invalid(name, `a label below ntotal=${this.ntotal}`, key);
    return k as number;
  }

  /** Whether this index can give back stored vectors (byId: by key, as reconstruct). */
  private checkCanReconstruct(byKey: boolean): void {
    this.native.checkRead();
    if (this instanceof IndexIDMap && !(this instanceof IndexIDMap2)) {
      throw new Error(`${this.className} keeps no table from ids to vectors: build an IndexIDMap2 to reconstruct by id`);
    }
    const self: Index = this;
    const ivf: Index = self instanceof IndexIDMap2 ? self.index : self;
    if (ivf instanceof IndexIVFFlatDedup) {
      throw new Error(`faiss 1.7.3's ${ivf.className} cannot give back its vectors (reconstruct_from_offset is not implemented)`);
    }
    if (ivf instanceof IndexIVF && (byKey || ivf !== self) && ivf.directMapType === DirectMap.NoMap) {
      const where = ivf === self ? 'index' : 'index.index';
      throw new Error(
        `${ivf === self ? 'this' : 'the'} ${ivf.className} finds a vector by id only through its direct map, which it does not have: ` +
          `call ${where}.makeDirectMap() first (ids 0..ntotal-1; ${where}.setDirectMapType(DirectMap.Hashtable) for ids of your own)` +
          (ivf === self ? ', or read vectors by id range with reconstructN(i0, n), which needs none' : ''),
      );
    }
  }
}

function emptyRange(): { lims: Float64Array; distances: Float32Array; labels: BigInt64Array } {
  return { lims: new Float64Array(1), distances: new Float32Array(0), labels: new BigInt64Array(0) };
}

/**
 * The native form of `params` for a search on x, or undefined; refuses what faiss
 * 1.7.3 would reject, ignore, or turn into a read out of bounds.
 */
function searchParamsFor(x: Index, params: unknown, op: 'search' | 'rangeSearch'): NativeSearchParams | undefined {
  if (params === undefined) return undefined;
  if (!(params instanceof SearchParameters)) {
    throw invalid('params', 'a SearchParameters, SearchParametersHNSW or SearchParametersIVF (or undefined)', params);
  }
  const p = params.toNative();
  const cls = x.className;
  const kind = params.constructor.name;
  if (x instanceof IndexIDMap) {
    throw new ArgumentError(
      `faiss 1.7.3's ${cls} takes no search parameters (it throws "search params not supported for this index"): ` +
        'an IndexIVFFlat keeps ids of your own itself (addWithIds) and filters on them with SearchParametersIVF({ sel }); ' +
        'a flat or HNSW index filters on its labels',
    );
  }
  if (x instanceof IndexIVF) {
    if (!(params instanceof SearchParametersIVF)) throw new ArgumentError(`an ${cls} takes SearchParametersIVF({ nprobe, maxCodes, sel }), not ${kind}`);
    if (p.sel && x instanceof IndexIVFFlatDedup) {
      throw new ArgumentError(
        `faiss 1.7.3's ${cls} applies a selector before it adds the duplicates of each hit, so duplicates it should exclude ` +
          'still come back: search without sel and filter the hits',
      );
    }
  } else if (x instanceof IndexHNSW) {
    if (!(params instanceof SearchParametersHNSW)) throw new ArgumentError(`an ${cls} takes SearchParametersHNSW({ efSearch, sel }), not ${kind}`);
  } else if (x instanceof IndexFlat) {
    if (params instanceof SearchParametersHNSW || params instanceof SearchParametersIVF) {
      throw new ArgumentError(`an ${cls} has neither efSearch nor nprobe: pass new SearchParameters({ sel }), not ${kind}`);
    }
    if (p.sel && x.metricType !== MetricType.L2 && x.metricType !== MetricType.INNER_PRODUCT) {
      throw new ArgumentError(
        `faiss 1.7.3 filters a flat search with a selector by L2 and inner product only, not ${metricName(x.metricType)} ` +
          '(IndexFlat.cpp: \'!sel\' failed): search without sel and drop the ids you do not want, or use IndexHNSWFlat, which filters by any metric',
      );
    }
    if (op === 'search' && params.sel instanceof IDSelectorArray) {
      // faiss reads a top-level IDSelectorArray's ids as positions in the table, without a bounds check.
      const n = BigInt(x.ntotal);
      const bad = params.sel.ids.find((id) => id < 0n || id >= n);
      if (bad !== undefined) {
        throw new ArgumentError(
          `IDSelectorArray holds id ${bad}, not a label of this ${cls} (0..${x.ntotal - 1}): faiss 1.7.3 reads a flat ` +
            'index\'s vectors at the array\'s ids without a bounds check. Leave such ids out, or use IDSelectorBatch, which tests membership',
        );
      }
    }
  } else if (x instanceof IndexScalarQuantizer) {
    if (params instanceof SearchParametersHNSW || params instanceof SearchParametersIVF) {
      throw new ArgumentError(`an ${cls} has neither efSearch nor nprobe: pass new SearchParameters({ sel }), not ${kind}`);
    }
  } else if (x instanceof IndexPQ) {
    throw new ArgumentError(
      `faiss 1.7.3's ${cls} takes only its own SearchParametersPQ, without a selector ("selector not supported"): ` +
        'search without params and drop the ids you do not want, or use an IndexIVFPQ, which filters with SearchParametersIVF({ sel })',
    );
  } else {
    throw new ArgumentError(`an ${cls} takes no search parameters here`);
  }
  return p;
}

/** Why faiss 1.7.3 cannot range-search x, or undefined. */
function cannotRangeSearch(x: Index): string | undefined {
  const inner = x instanceof IndexIDMap ? x.index : x;
  const via = inner === x ? '' : ` (inside this ${x.className})`;
  if (inner instanceof IndexHNSW) {
    return (
      `faiss 1.7.3 has no range search for an ${inner.className}${via} (Index::range_search: "range search not implemented"): ` +
      'use an IndexFlat (exact) or an IndexIVFFlat, or search(xq, k) with a large k and keep the hits within the radius'
    );
  }
  if (inner instanceof IndexIVFFlatDedup) return `faiss 1.7.3's ${inner.className}${via} has no range search ("not implemented")`;
  if (inner instanceof IndexFlat && inner.metricType !== MetricType.L2 && inner.metricType !== MetricType.INNER_PRODUCT) {
    return (
      `faiss 1.7.3 range-searches a flat index by L2 and inner product only, not ${metricName(inner.metricType)}${via} ` +
      '("metric type not supported"): search(xq, k) and keep the hits within the radius'
    );
  }
  if (inner instanceof IndexPQ || inner instanceof IndexScalarQuantizer) {
    return (
      `faiss 1.7.3 has no range search for an ${inner.className}${via} ("range search not implemented"): use an ` +
      `${inner instanceof IndexPQ ? 'IndexIVFPQ' : 'IndexIVFScalarQuantizer'}, or search(xq, k) and keep the hits within the radius`
    );
  }
  if (!(inner instanceof IndexFlat || inner instanceof IndexIVF)) return `an ${inner.className}${via} has no range search here`;
  return undefined;
}

/** Why x.mergeFrom(other, addId) cannot run, or undefined. */
function cannotMerge(x: Index, other: Index, addId: bigint): string | undefined {
  if (other === x) return 'an index cannot merge from itself';
  x.native.checkRead();
  other.native.checkRead();
  const inner = x instanceof IndexIDMap ? x.index : x;
  if (inner instanceof IndexHNSW) {
    return (
      `faiss 1.7.3 cannot merge HNSW graphs ("merge_from() not implemented"): add the other's vectors instead, ` +
      'index.add(other.reconstructN(0, other.ntotal))' + (inner === x ? '' : ' (with their ids, for an IDMap2)')
    );
  }
  if (inner instanceof IndexIVFFlatDedup) {
    return `faiss 1.7.3 merges an ${inner.className}'s lists but not its table of duplicates, which would be lost: add the other's vectors instead`;
  }
  if (x instanceof IndexIDMap && inner instanceof IndexIVF) {
    return (
      `faiss 1.7.3 merges an ${x.className}'s inner ${inner.className} without renumbering the other's vectors, so they would ` +
      'answer with the wrong ids: merge IVF indexes that keep your ids themselves (ivf.addWithIds, then ivf.mergeFrom(other))'
    );
  }
  const codes = inner instanceof IndexPQ || inner instanceof IndexScalarQuantizer;
  if (!(inner instanceof IndexFlat || inner instanceof IndexIVF || codes)) {
    return `an ${x.className} cannot merge here (flat, PQ, SQ, IVF and IDMap-over-flat indexes can)`;
  }
  if (other.className !== x.className) {
    return `faiss merges indexes of one class only: this is an ${x.className}, the other an ${other.className}` +
      (x instanceof IndexFlat && other instanceof IndexFlat ? ' (indexFactory(d, "Flat") makes an IndexFlat, new IndexFlatL2(d) an IndexFlatL2)' : '');
  }
  if (other.d !== x.d) return `the other index has d=${other.d}, this one d=${x.d}`;
  if (other.metricType !== x.metricType) return `the other index searches by ${metricName(other.metricType)}, this one by ${metricName(x.metricType)}`;
  if (x instanceof IndexIDMap) {
    const oi = (other as IndexIDMap).index;
    if (oi.className !== inner.className || oi.metricType !== inner.metricType) {
      return `the two ${x.className}s wrap different indexes (${inner.className} and ${oi.className})`;
    }
    return codebookMismatch(inner, oi);
  }
  if (x instanceof IndexFlat || codes) {
    if (addId !== 0n) return 'a flat index\'s labels are positions: merged vectors are numbered from ntotal on their own, so addId must be 0';
    return codebookMismatch(x, other);
  }
  const a = x as IndexIVF;
  const b = other as IndexIVF;
  if (a.nlist !== b.nlist) return `the other IVF has nlist=${b.nlist}, this one nlist=${a.nlist}`;
  if (a.directMapType !== DirectMap.NoMap || b.directMapType !== DirectMap.NoMap) {
    return 'faiss 1.7.3 merges IVF indexes without a direct map only ("merge direct_map not implemented"): setDirectMapType(DirectMap.NoMap) on both first';
  }
  const qa = a.quantizer;
  const qb = b.quantizer;
  // faiss 1.7.3 compares the nlist centroids of both (check_compatible_for_merge_expensive_check)
  // and reads past the end of a quantizer that holds fewer.
  if (qa.ntotal !== a.nlist || qb.ntotal !== b.nlist) {
    return (
      `merging needs two trained IVFs, whose quantizers hold nlist=${a.nlist} centroids (this one's holds ${qa.ntotal}, ` +
      `the other's ${qb.ntotal}): train one, cloneIndex it while empty, add to each, then merge`
    );
  }
  if (qa !== qb) {
    const ca = qa.reconstructN(0, qa.ntotal);
    const cb = qb.reconstructN(0, qb.ntotal);
    if (ca.some((v, i) => v !== cb[i])) {
      return (
        'the two IVFs have different centroids (trained separately): the other\'s vectors would sit in lists of the wrong ' +
        'centroids. Train one, cloneIndex it while empty, add to each, then merge (or share one trained quantizer)'
      );
    }
  }
  return codebookMismatch(a, b);
}

/**
 * Why removeIds cannot run on x, or undefined. (HNSW cannot remove either; faiss
 * says so itself, with an exception, before changing anything.)
 */
function cannotRemove(x: Index): string | undefined {
  if (x instanceof IndexIVF && x.directMapType === DirectMap.Array) {
    return (
      `faiss 1.7.3 cannot remove from an ${x.className} with an array direct map ("remove not supported with this ` +
      'direct_map format"): setDirectMapType(DirectMap.Hashtable) keeps reconstruct by id and can remove'
    );
  }
  if (!(x instanceof IndexIDMap)) return undefined;
  const inner = x.index;
  if (!(inner instanceof IndexIVF)) return undefined;
  return (
    `this ${x.className} over an ${inner.className} cannot remove ids: the ${inner.className} keeps the numbers of ` +
    `its other vectors when some are removed, while the ${x.className}'s table moves up, so ids would name the ` +
    'wrong vectors (and faiss aborts on the next removal). An IVF index stores ids itself: use its ' +
    'addWithIds(x, ids) and removeIds(ids) without an IDMap'
  );
}

function allocateResult(n: number, k: number): SearchResult {
  return { distances: new Float32Array(n * k), labels: new BigInt64Array(n * k), n, k };
}

/** Exact search by brute force, faiss.IndexFlat(d, metric). */
export class IndexFlat extends Index {
  constructor(d: number, metric: MetricType = MetricType.L2) {
    super(native.newFlat(checkInt32(d, 'd', 1), checkMetric(metric)));
  }
}

/** Exact search with squared L2 distances, faiss.IndexFlatL2(d). */
export class IndexFlatL2 extends IndexFlat {
  constructor(d: number) {
    super(d, MetricType.L2);
  }
}

/** Exact search by inner product (cosine on normalised vectors), faiss.IndexFlatIP(d). */
export class IndexFlatIP extends IndexFlat {
  constructor(d: number) {
    super(d, MetricType.INNER_PRODUCT);
  }
}

/** The graph parameters of an HNSW index, as index.hnsw in faiss. */
export class HNSWParameters {
  constructor(private readonly owner: NativeIndex) {}

  /** Candidates kept while searching: higher is slower and more accurate (default 16). */
  get efSearch(): number {
    return this.owner.getParam('efSearch');
  }
  set efSearch(v: number) {
    this.owner.setParam('efSearch', checkInt32(v, 'hnsw.efSearch', 1, 1 << 20));
  }

  /** Candidates kept while adding; affects vectors added afterwards (default 40). */
  get efConstruction(): number {
    return this.owner.getParam('efConstruction');
  }
  set efConstruction(v: number) {
    this.owner.setParam('efConstruction', checkInt32(v, 'hnsw.efConstruction', 1, 1 << 20));
  }

  /** Neighbours per node above level 0 (2*M on level 0). Fixed at construction. */
  get M(): number {
    return this.owner.getParam('M');
  }

  /** Highest level of the graph so far (-1 while empty). */
  get maxLevel(): number {
    return this.owner.getParam('maxLevel');
  }
}

/** Any HNSW index (as read from a file or built by indexFactory). */
export class IndexHNSW extends Index {
  /** hnsw.efSearch, as a query argument. */
  get efSearch(): number {
    return this.hnsw.efSearch;
  }
  set efSearch(v: number) {
    this.hnsw.efSearch = v;
  }

  protected override queryArgumentNames(): string[] {
    return ['efSearch'];
  }

  /** Graph parameters: hnsw.efSearch, hnsw.efConstruction, hnsw.M. */
  get hnsw(): HNSWParameters {
    return new HNSWParameters(this.native);
  }
}

/**
 * Approximate search on a hierarchical navigable small-world graph over full
 * vectors, faiss.IndexHNSWFlat(d, M, metric). Needs no training.
 */
export class IndexHNSWFlat extends IndexHNSW {
  constructor(d: number, M = 32, metric: MetricType = MetricType.L2) {
    super(native.newHNSWFlat(checkInt32(d, 'd', 1), checkInt32(M, 'M', HNSW_M_MIN, HNSW_M_MAX), checkMetric(metric)));
  }
}

function ivfMetric(metric: unknown, what = 'IVF indexes'): MetricType {
  const m = checkMetric(metric);
  // faiss 1.7.3 aborts the process (an assertion, not an exception) on IVF with L1/Linf.
  if (m !== MetricType.L2 && m !== MetricType.INNER_PRODUCT) {
    throw new ArgumentError(
      `${what} support MetricType.L2 and INNER_PRODUCT only, not ${metricName(m)}: ` +
        'use IndexFlat or IndexHNSWFlat for this metric',
    );
  }
  return m;
}

/**
 * Checks an IVF constructor's quantizer, d and nlist (the metric already checked);
 * returns the metric. The quantizer is an IndexFlat or IndexHNSWFlat by L2 or inner
 * product, empty or holding nlist centroids.
 */
function checkIVFArgs(quantizer: Index, d: number, nlist: number, m: MetricType): MetricType {
  if (!(quantizer instanceof Index)) throw invalid('quantizer', 'an Index (e.g. new IndexFlatL2(d))', quantizer);
  checkInt32(d, 'd', 1);
  if (quantizer.d !== d) throw new ArgumentError(`quantizer has d=${quantizer.d}, but the IVF index has d=${d}`);
  checkInteger(nlist, 'nlist', 1, NLIST_MAX);
  if (!(quantizer instanceof IndexFlat || quantizer instanceof IndexHNSWFlat)) {
    throw new ArgumentError(
      `the quantizer must be an IndexFlat (IndexFlatL2, IndexFlatIP) or an IndexHNSWFlat, whose labels are the ` +
        `list numbers 0..nlist-1; an ${quantizer.className} is not one: use new IndexFlatL2(d)`,
    );
  }
  ivfMetric(quantizer.metricType, 'quantizers');
  if (quantizer.ntotal !== 0 && quantizer.ntotal !== nlist) {
    throw new ArgumentError(`quantizer holds ${quantizer.ntotal} centroids; it must be empty or hold nlist=${nlist}`);
  }
  return m;
}

/** Any inverted-file index: a coarse quantizer assigns vectors to nlist lists. */
export class IndexIVF extends Index {
  private declare quantizerRef?: Index;

  /** Lists visited per query: higher is slower and more accurate (default 1). */
  get nprobe(): number {
    return this.native.getParam('nprobe');
  }
  set nprobe(v: number) {
    this.native.setParam('nprobe', checkInteger(v, 'nprobe', 1, 1 << 30));
  }

  protected override queryArgumentNames(): string[] {
    return ['nprobe'];
  }

  /** Number of inverted lists. */
  get nlist(): number {
    return this.native.getParam('nlist');
  }

  /**
   * The coarse quantizer (holds the nlist centroids after training). Read-only
   * while this index lives: train, add to and reset the IVF instead.
   */
  get quantizer(): Index {
    if (!this.quantizerRef) {
      const q = this.native.sub('quantizer');
      if (!q) throw new Error(`${this.className} has no quantizer`);
      this.setQuantizer(downcast(q, this, 'quantizer'));
    }
    return this.quantizerRef!;
  }

  protected override checkCanAddWithIds(): void {
    this.checkCanAdd();
    if (this.directMapType === DirectMap.Array) {
      throw new Error(
        `this ${this.className} has an array direct map, which holds the ids 0..ntotal-1 only (faiss: "cannot have array ` +
          'direct map and add with ids"): add(x), or setDirectMapType(DirectMap.Hashtable) for ids of your own',
      );
    }
  }

  /** How this index finds a vector by id (faiss's direct_map.type): DirectMap.NoMap, Array or Hashtable. */
  get directMapType(): DirectMapType {
    return this.native.getParam('directMap') as DirectMapType;
  }

  /**
   * Keeps a table from ids to vectors so reconstruct(id) and reconstructBatch work,
   * faiss's make_direct_map(): an array over the ids 0..ntotal-1 (as add() numbers
   * them); `false` drops it. Ids of your own (addWithIds) need
   * setDirectMapType(DirectMap.Hashtable). Allowed on the IVF inside an IDMap (it
   * changes no vector or id).
   *
   * @example
   * ivf.makeDirectMap();
   * ivf.reconstruct(17);   // the vector added as number 17
   */
  makeDirectMap(maintain = true): void {
    if (typeof maintain !== 'boolean') throw invalid('maintain', 'a boolean', maintain);
    this.setDirectMapType(maintain ? DirectMap.Array : DirectMap.NoMap);
  }

  /** faiss's set_direct_map_type: DirectMap.NoMap, DirectMap.Array (ids 0..ntotal-1) or DirectMap.Hashtable (any ids). */
  setDirectMapType(type: DirectMapType): void {
    if (!(type === 0 || type === 1 || type === 2)) throw invalid('type', 'DirectMap.NoMap, DirectMap.Array or DirectMap.Hashtable', type);
    this.native.checkWrite();
    if (type !== DirectMap.NoMap && this instanceof IndexIVFFlatDedup) {
      throw new Error(
        `faiss 1.7.3's ${this.className} cannot reconstruct (reconstruct_from_offset is not implemented) and refuses to add ` +
          'with a direct map ("IVFFlatDedup not implemented with direct_map")',
      );
    }
    const idmap = ownersOf(this).find((o) => o.role === 'index');
    if (type === DirectMap.Hashtable && idmap) {
      throw new Error(
        `this ${this.className} is the index inside an ${idmap.owner.className}, which adds to it without ids; faiss 1.7.3 ` +
          'would then file them in a hash table under wrong ids: use DirectMap.Array (makeDirectMap()), which numbers them as it does',
      );
    }
    try {
      this.native.setDirectMap(type);
    } catch (e) {
      if (type === DirectMap.Array && e instanceof Error && /array direct map needs/.test(e.message)) {
        e.message = `cannot make an array direct map: ${e.message} (ids of your own: setDirectMapType(DirectMap.Hashtable))`;
      }
      throw e;
    }
  }

  /** @internal */
  protected setQuantizer(q: Index): void {
    Object.defineProperty(this, 'quantizerRef', { value: q, enumerable: false });
  }

  /** @internal A quantizer passed to the constructor: read-only while this index lives. */
  protected useQuantizer(q: Index): void {
    this.setQuantizer(q);
    ownershipOf(q).users.push({ ref: new WeakRef<Index>(this), role: 'quantizer' });
  }
}

/**
 * Inverted file with full vectors, faiss.IndexIVFFlat(quantizer, d, nlist, metric).
 * Train it first; nprobe trades speed for recall. The quantizer (an IndexFlat or
 * an IndexHNSWFlat, by L2 or inner product, empty or holding nlist centroids)
 * becomes read-only while this index lives.
 */
export class IndexIVFFlat extends IndexIVF {
  constructor(quantizer: Index, d: number, nlist: number, metric: MetricType = MetricType.L2) {
    const m = checkIVFArgs(quantizer, d, nlist, ivfMetric(metric));
    super(native.newIVFFlat(quantizer.native, d, nlist, m, new.target === IndexIVFFlatDedup));
    this.useQuantizer(quantizer);
  }
}

/**
 * IndexIVFFlat that stores identical vectors once, faiss.IndexIVFFlatDedup(quantizer,
 * d, nlist, metric): a search returns every id of a vector it finds. faiss 1.7.3
 * cannot give its vectors back, range-search it, filter it with a selector, merge or
 * give it a direct map: those calls are refused with the reason.
 */
export class IndexIVFFlatDedup extends IndexIVFFlat {
  constructor(quantizer: Index, d: number, nlist: number, metric: MetricType = MetricType.L2) {
    super(quantizer, d, nlist, metric);
  }
}

/**
 * Maps your own int64 ids onto another index, faiss.IndexIDMap(index).
 * Add with addWithIds; search returns your ids. The wrapped index (empty, a
 * flat, PQ, SQ, HNSW or IVF index) becomes read-only while the IDMap lives.
 */
export class IndexIDMap extends Index {
  private declare innerRef?: Index;

  constructor(index: Index) {
    super(IndexIDMap.wrapNative(index, new.target === IndexIDMap2));
    Object.defineProperty(this, 'innerRef', { value: index, enumerable: false });
    ownershipOf(index).users.push({ ref: new WeakRef<Index>(this), role: 'index' });
  }

  /** @internal */
  protected static wrapNative(index: Index, two: boolean): NativeIndex {
    if (!(index instanceof Index)) throw invalid('index', 'an Index (e.g. new IndexFlatL2(d))', index);
    if (index instanceof IndexIDMap) {
      throw new ArgumentError(`an IndexIDMap cannot wrap an ${index.className}: use that one, or wrap the index inside it`);
    }
    const codes = index instanceof IndexPQ || index instanceof IndexScalarQuantizer;
    if (!(index instanceof IndexFlat || index instanceof IndexHNSW || index instanceof IndexIVF || codes)) {
      throw new ArgumentError(`an IndexIDMap wraps a flat, PQ, SQ, HNSW or IVF index, not an ${index.className}`);
    }
    if (index.ntotal !== 0) {
      throw new ArgumentError(`IndexIDMap needs an empty index, but it holds ${index.ntotal} vectors`);
    }
    if (index instanceof IndexIVFFlatDedup) {
      throw new ArgumentError(`an IndexIDMap does not wrap an ${index.className} here: it keeps ids of your own itself (addWithIds)`);
    }
    if (index instanceof IndexIVF && index.directMapType === DirectMap.Hashtable) {
      throw new ArgumentError(
        `an IndexIDMap adds to its ${index.className} without ids, which faiss 1.7.3 files under wrong ids in a hash-table ` +
          'direct map: setDirectMapType(DirectMap.Array) (or NoMap) on it first',
      );
    }
    return native.newIDMap(index.native, two);
  }

  /** The wrapped index. Read-only while this IDMap lives. */
  get index(): Index {
    if (!this.innerRef) {
      const sub = this.native.sub('index');
      if (!sub) throw new Error(`${this.className} has no inner index`);
      Object.defineProperty(this, 'innerRef', { value: downcast(sub, this, 'index'), enumerable: false });
    }
    return this.innerRef!;
  }

  override add(): never {
    throw new Error(`${this.className} needs ids: use addWithIds(x, ids)`);
  }

  override async addAsync(): Promise<never> {
    throw new Error(`${this.className} needs ids: use addWithIdsAsync(x, ids)`);
  }

  protected override checkCanAddWithIds(): void {
    this.checkCanAdd();
  }
}

/** IndexIDMap that can also reconstruct vectors by id, faiss.IndexIDMap2(index). */
export class IndexIDMap2 extends IndexIDMap {
  constructor(index: Index) {
    super(index);
  }
}

// ---- quantizing indexes: product (PQ) and scalar (SQ) quantizers, alone, in IVF lists, in HNSW ----

/**
 * faiss.ScalarQuantizer's QuantizerType values, as `faiss.ScalarQuantizer.QT_8bit`:
 * bits per component, one range per component (non-uniform) or one for all
 * (uniform), or 16-bit floats. QT_8bit_direct is not supported here (faiss 1.7.3
 * casts values to bytes without clamping them).
 */
export const ScalarQuantizer = {
  QT_8bit: 0, QT_4bit: 1, QT_8bit_uniform: 2, QT_4bit_uniform: 3, QT_fp16: 4, QT_6bit: 6,
} as const;
export type QuantizerType = (typeof ScalarQuantizer)[keyof typeof ScalarQuantizer];
const QT_NAMES = Object.fromEntries(Object.entries(ScalarQuantizer).map(([k, v]) => [v, k])) as Record<number, string>;

function checkQtype(qtype: unknown): QuantizerType {
  if (typeof qtype !== 'number' || !(qtype in QT_NAMES)) {
    throw invalid('qtype', `a ScalarQuantizer type (${Object.keys(ScalarQuantizer).map((k) => `ScalarQuantizer.${k}`).join(', ')})`, qtype);
  }
  return qtype as QuantizerType;
}

/** The largest finite half float: SQfp16 codes hold no more. */
export const FP16_MAX = 65504;

/** The product quantizer of an index, as index.pq in faiss (read-only here). */
export class ProductQuantizerParameters {
  constructor(private readonly owner: NativeIndex) {}

  /** Dimension of the vectors. */
  get d(): number {
    return this.owner.d();
  }
  /** Sub-quantizers: each encodes d/M components (dsub) of a vector. */
  get M(): number {
    return this.owner.getParam('pqM');
  }
  /** Bits per sub-quantizer code: each has ksub = 2^nbits centroids. */
  get nbits(): number {
    return this.owner.getParam('pqNbits');
  }
  /** Centroids per sub-quantizer, 2^nbits. */
  get ksub(): number {
    return this.owner.getParam('pqKsub');
  }
  /** Components per sub-quantizer, d/M. */
  get dsub(): number {
    return this.owner.getParam('pqDsub');
  }
  /** Bytes per code, ceil(M * nbits / 8). */
  get codeSize(): number {
    return this.owner.getParam('pqCodeSize');
  }
  /** A copy of the centroids, M * ksub * dsub floats (sub-quantizer m's centroid j at (m * ksub + j) * dsub). */
  get centroids(): Float32Array {
    return this.owner.codebook()!;
  }
}

/** The scalar quantizer of an index, as index.sq in faiss (read-only here). */
export class ScalarQuantizerParameters {
  constructor(private readonly owner: NativeIndex) {}

  /** ScalarQuantizer.QT_8bit, QT_4bit, ... */
  get qtype(): QuantizerType {
    return this.owner.getParam('sqType') as QuantizerType;
  }
  /** Bytes per code: d (8 bit), ceil(d/2) (4 bit), ceil(6d/8) (6 bit), 2d (fp16). */
  get codeSize(): number {
    return this.owner.getParam('sqCodeSize');
  }
  /**
   * A copy of the trained ranges: [vmin, vdiff] (uniform), d vmins then d vdiffs
   * (non-uniform: component j decodes into [vmin_j, vmin_j + vdiff_j]); empty for fp16.
   */
  get trained(): Float32Array {
    return this.owner.codebook()!;
  }
}

/** The index whose codes are stored (inside an IDMap: the wrapped one). */
function storedIn(x: Index): Index {
  return x instanceof IndexIDMap ? x.index : x;
}

/**
 * Refuses values an SQfp16 index cannot store: a half float holds at most 65504 (a
 * larger value becomes Infinity, and distances NaN); an IVF encodes the residual
 * x - centroid, so there each value must stay within 32752.
 */
function checkEncodable(x: Index, data: Float32Array, name: string, training = false): void {
  const inner = storedIn(x);
  const sq = inner instanceof IndexScalarQuantizer || inner instanceof IndexIVFScalarQuantizer || inner instanceof IndexHNSWSQ;
  if (!sq || inner.sq.qtype !== ScalarQuantizer.QT_fp16) return;
  const residual = inner instanceof IndexIVFScalarQuantizer && inner.byResidual;
  if (training && !residual) return;
  const limit = residual ? FP16_MAX / 2 : FP16_MAX;
  const at = native.firstNonFinite(data, limit);
  if (at >= 0) {
    throw new ArgumentError(
      `${name} holds ${data[at]} at vector ${Math.floor(at / x.d)}, component ${at % x.d}, but this ${inner.className} stores ` +
        `16-bit floats (QT_fp16), which hold |v| <= ${FP16_MAX}` +
        (residual ? ` (it encodes v - centroid, so |v| <= ${limit} here)` : '') +
        ': divide the vectors by a constant (neighbours stay the same), or use QT_8bit',
    );
  }
}

/** The product quantizer's parameters of x (through an IDMap), if it has one. */
function pqOf(x: Index): ProductQuantizerParameters | undefined {
  const inner = storedIn(x);
  return inner instanceof IndexPQ || inner instanceof IndexIVFPQ || inner instanceof IndexHNSWPQ ? inner.pq : undefined;
}

/**
 * Refuses a training set a quantizing index cannot be trained on: faiss's k-means
 * throws below one vector per centroid (a PQ's 2^nbits per sub-quantizer; an IVF's
 * nlist), after an IVF's quantizer was already trained; an SQ reads its first
 * vector without looking; and codes already stored would decode to other vectors.
 */
function checkTrainingSet(x: Index, data: Float32Array): void {
  const inner = storedIn(x);
  const quantizing = inner instanceof IndexPQ || inner instanceof IndexScalarQuantizer || inner instanceof IndexIVFPQ ||
    inner instanceof IndexIVFScalarQuantizer || inner instanceof IndexHNSWSQ || inner instanceof IndexHNSWPQ;
  if (!quantizing) return;
  const n = data.length / x.d;
  if (inner.ntotal > 0) {
    throw new Error(
      `this ${inner.className} holds ${inner.ntotal} vectors encoded with its current ${inner instanceof IndexScalarQuantizer ||
        inner instanceof IndexIVFScalarQuantizer || inner instanceof IndexHNSWSQ ? 'ranges' : 'codebook'}: training again would ` +
        'make them decode to other vectors. reset() it first (or train a new index)',
    );
  }
  const need: string[] = [];
  let min = 1;
  if (inner instanceof IndexIVF) {
    const q = inner.quantizer;
    if (!(q.isTrained && q.ntotal === inner.nlist)) {
      min = inner.nlist;
      need.push(`nlist=${inner.nlist} centroids for its lists`);
    }
  }
  const pq = pqOf(inner);
  if (pq) {
    min = Math.max(min, pq.ksub);
    need.push(`2^nbits=${pq.ksub} centroids per sub-quantizer`);
  }
  if (n < min) {
    const what = need.length ? `trains ${need.join(' and ')}` : 'learns each component\'s range from its training vectors';
    throw new ArgumentError(
      `this ${inner.className} ${what}: it needs at least ${min} training vectors, not ${n}` +
        (need.length ? ` (faiss's k-means throws below one per centroid, and warns below 39 per centroid: ` +
          `${39 * min} here)` : ''),
    );
  }
  checkEncodable(x, data, 'x', true);
}

/** Why two quantizing indexes' codes cannot be merged (different codebooks), or undefined. */
function codebookMismatch(a: Index, b: Index): string | undefined {
  const ca = a.native.codebook();
  const cb = b.native.codebook();
  if (ca === null && cb === null) return undefined;
  const pq = (x: Index) => (x instanceof IndexPQ || x instanceof IndexIVFPQ ? `M=${x.pq.M}, nbits=${x.pq.nbits}` : '');
  const sq = (x: Index) => (x instanceof IndexScalarQuantizer || x instanceof IndexIVFScalarQuantizer ? QT_NAMES[x.sq.qtype] : '');
  if (pq(a) !== pq(b) || sq(a) !== sq(b)) {
    return `the two ${a.className}s quantize differently (${pq(a) || sq(a)} and ${pq(b) || sq(b)})`;
  }
  const residual = (x: Index) => (x instanceof IndexIVFPQ || x instanceof IndexIVFScalarQuantizer ? x.byResidual : false);
  if (residual(a) !== residual(b)) return 'one of the two IVFs encodes residuals (byResidual) and the other does not';
  if (!ca || !cb || ca.length !== cb.length || ca.some((v, i) => v !== cb[i])) {
    return (
      `the two ${a.className}s have different codebooks (trained separately): the other's codes would decode with this one's ` +
      `${a instanceof IndexScalarQuantizer || a instanceof IndexIVFScalarQuantizer ? 'ranges' : 'centroids'}. ` +
      'Train one, cloneIndex it while empty, add to each, then merge'
    );
  }
  return undefined;
}

/** The standalone codec (faiss's sa_encode / sa_decode) of an index that has one. */
function saEncodeOf(x: Index, v: Float32Array | Matrix): Uint8Array {
  const data = vectorsOf(v, x.d);
  x.native.checkRead();
  if (!x.isTrained) throw new Error(`${x.className} is not trained: call train(x) before saEncode`);
  checkEncodable(x, data, 'x');
  const out = x.native.saEncode(data);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

function saDecodeOf(x: Index & { saCodeSize: number }, codes: Uint8Array): Float32Array {
  if (!(codes instanceof Uint8Array)) throw invalid('codes', 'a Uint8Array of n * saCodeSize bytes (from saEncode)', codes);
  x.native.checkRead();
  if (!x.isTrained) throw new Error(`${x.className} is not trained: call train(x) before saDecode`);
  const size = x.saCodeSize;
  if (codes.length % size !== 0) {
    throw new ArgumentError(`codes holds ${codes.length} bytes, not a multiple of this ${x.className}'s saCodeSize=${size}`);
  }
  const n = codes.length / size;
  if (n * x.d > 2 ** 31 - 1) throw new ArgumentError(`${n} codes * d values do not fit one array: decode in batches`);
  const out = new Float32Array(n * x.d);
  if (n > 0) x.native.saDecode(codes, out);
  return out;
}

/**
 * Product quantization, faiss.IndexPQ(d, M, nbits, metric): each vector split into M
 * sub-vectors of d/M components, each stored as the nbits-bit number of its nearest
 * of 2^nbits trained centroids (M * nbits / 8 bytes per vector); search compares
 * each query with the codes' centroids (asymmetric distance). M must divide d,
 * 1 <= nbits <= 16; train on at least 2^nbits vectors. L2 or inner product.
 *
 * @example
 * const index = new IndexPQ(512, 64, 8);   // 64 bytes per vector instead of 2048
 * index.train(xt); index.add(xb);
 * index.search(xq, 10);
 */
export class IndexPQ extends Index {
  constructor(d: number, M: number, nbits = 8, metric: MetricType = MetricType.L2) {
    checkInt32(d, 'd', 1);
    checkPQ('IndexPQ', M, nbits, d);
    const m = checkMetric(metric);
    checkKindMetric('PQ', m);
    super(native.newPQ(d, M, nbits, m));
  }

  /** The product quantizer: pq.M, pq.nbits, pq.ksub, pq.dsub, pq.codeSize, pq.centroids. */
  get pq(): ProductQuantizerParameters {
    return new ProductQuantizerParameters(this.native);
  }
  /** Bytes stored per vector (faiss's code_size). */
  get codeSize(): number {
    return this.native.getParam('codeSize');
  }
  /** Bytes per code of saEncode (faiss's sa_code_size()). */
  get saCodeSize(): number {
    return this.native.getParam('saCodeSize');
  }
  /** The codes of n vectors, n * saCodeSize bytes (faiss's sa_encode); the index must be trained. */
  saEncode(x: Float32Array | Matrix): Uint8Array {
    return saEncodeOf(this, x);
  }
  /** The vectors that codes decode to, n*d floats (faiss's sa_decode). */
  saDecode(codes: Uint8Array): Float32Array {
    return saDecodeOf(this, codes);
  }
}

/**
 * Scalar quantization, faiss.IndexScalarQuantizer(d, qtype, metric): each component
 * stored in 8, 6 or 4 bits within a trained range (ScalarQuantizer.QT_8bit, ...) or
 * as a 16-bit float (QT_fp16, values within ±65504, no training). L2 or inner product.
 *
 * @example
 * const index = new IndexScalarQuantizer(512, ScalarQuantizer.QT_8bit);   // 512 bytes per vector
 * index.train(xt); index.add(xb);
 */
export class IndexScalarQuantizer extends Index {
  constructor(d: number, qtype: QuantizerType = ScalarQuantizer.QT_8bit, metric: MetricType = MetricType.L2) {
    checkInt32(d, 'd', 1);
    const t = checkQtype(qtype);
    const m = checkMetric(metric);
    checkKindMetric('SQ', m);
    super(native.newSQ(d, t, m));
  }

  /** The scalar quantizer: sq.qtype, sq.codeSize, sq.trained. */
  get sq(): ScalarQuantizerParameters {
    return new ScalarQuantizerParameters(this.native);
  }
  /** Bytes stored per vector (faiss's code_size). */
  get codeSize(): number {
    return this.native.getParam('codeSize');
  }
  /** Bytes per code of saEncode (faiss's sa_code_size()). */
  get saCodeSize(): number {
    return this.native.getParam('saCodeSize');
  }
  /** The codes of n vectors, n * saCodeSize bytes (faiss's sa_encode); the index must be trained. */
  saEncode(x: Float32Array | Matrix): Uint8Array {
    return saEncodeOf(this, x);
  }
  /** The vectors that codes decode to, n*d floats (faiss's sa_decode). */
  saDecode(codes: Uint8Array): Float32Array {
    return saDecodeOf(this, codes);
  }
}

/**
 * Inverted file with product-quantized residuals, faiss.IndexIVFPQ(quantizer, d,
 * nlist, M, nbits, metric): how collections larger than memory are searched (M *
 * nbits / 8 bytes per vector plus its 8-byte id). M must divide d, 1 <= nbits <= 8;
 * train on at least max(nlist, 2^nbits) vectors. nprobe as for every IVF.
 *
 * @example
 * const ivfpq = new IndexIVFPQ(new IndexFlatL2(512), 512, 1024, 64, 8);
 * await ivfpq.trainAsync(xt); await ivfpq.addAsync(xb);
 * ivfpq.nprobe = 16;
 */
export class IndexIVFPQ extends IndexIVF {
  constructor(quantizer: Index, d: number, nlist: number, M: number, nbits = 8, metric: MetricType = MetricType.L2) {
    const m = checkMetric(metric);
    checkKindMetric('IVFPQ', m);
    checkIVFArgs(quantizer, d, nlist, m);
    checkPQ('IndexIVFPQ', M, nbits, d);
    super(native.newIVFPQ(quantizer.native, d, nlist, M, nbits, m));
    this.useQuantizer(quantizer);
  }

  /** The product quantizer (of the residuals, by default): pq.M, pq.nbits, pq.ksub, pq.centroids. */
  get pq(): ProductQuantizerParameters {
    return new ProductQuantizerParameters(this.native);
  }
  /**
   * Whether vectors are encoded as their difference to the list's centroid (faiss's
   * by_residual, default true: more accurate). Set before training only.
   */
  get byResidual(): boolean {
    return this.native.getParam('byResidual') === 1;
  }
  set byResidual(v: boolean) {
    if (typeof v !== 'boolean') throw invalid('byResidual', 'a boolean', v);
    this.beforeWrite('train');
    if (this.isTrained || this.ntotal > 0) throw new Error(`byResidual changes how an ${this.className} encodes vectors: set it before train()`);
    this.native.setParam('byResidual', v ? 1 : 0);
  }
  /** Bytes stored per vector in the lists (faiss's code_size; plus an 8-byte id each). */
  get codeSize(): number {
    return this.native.getParam('codeSize');
  }
  /** Bytes per code of saEncode: the list number, then the code (faiss's sa_code_size()). */
  get saCodeSize(): number {
    return this.native.getParam('saCodeSize');
  }
  /** The codes of n vectors, n * saCodeSize bytes (faiss's sa_encode); the index must be trained. */
  saEncode(x: Float32Array | Matrix): Uint8Array {
    return saEncodeOf(this, x);
  }
  /** The vectors that codes decode to, n*d floats (faiss's sa_decode); each list number must be below nlist. */
  saDecode(codes: Uint8Array): Float32Array {
    return saDecodeOf(this, codes);
  }
}

/**
 * Inverted file with scalar-quantized vectors, faiss.IndexIVFScalarQuantizer(quantizer,
 * d, nlist, qtype, metric, byResidual): each vector (by default its residual to the
 * list's centroid) stored with qtype (ScalarQuantizer.QT_8bit: d bytes).
 */
export class IndexIVFScalarQuantizer extends IndexIVF {
  constructor(
    quantizer: Index, d: number, nlist: number, qtype: QuantizerType = ScalarQuantizer.QT_8bit,
    metric: MetricType = MetricType.L2, byResidual = true,
  ) {
    const m = checkMetric(metric);
    checkKindMetric('IVFSQ', m);
    checkIVFArgs(quantizer, d, nlist, m);
    const t = checkQtype(qtype);
    if (typeof byResidual !== 'boolean') throw invalid('byResidual', 'a boolean', byResidual);
    super(native.newIVFSQ(quantizer.native, d, nlist, t, m, byResidual));
    this.useQuantizer(quantizer);
  }

  /** The scalar quantizer: sq.qtype, sq.codeSize, sq.trained. */
  get sq(): ScalarQuantizerParameters {
    return new ScalarQuantizerParameters(this.native);
  }
  /** Whether vectors are encoded as their difference to the list's centroid (faiss's by_residual). */
  get byResidual(): boolean {
    return this.native.getParam('byResidual') === 1;
  }
  /** Bytes stored per vector in the lists (faiss's code_size; plus an 8-byte id each). */
  get codeSize(): number {
    return this.native.getParam('codeSize');
  }
  /** Bytes per code of saEncode: the list number, then the code (faiss's sa_code_size()). */
  get saCodeSize(): number {
    return this.native.getParam('saCodeSize');
  }
  /** The codes of n vectors, n * saCodeSize bytes (faiss's sa_encode); the index must be trained. */
  saEncode(x: Float32Array | Matrix): Uint8Array {
    return saEncodeOf(this, x);
  }
  /** The vectors that codes decode to, n*d floats (faiss's sa_decode); each list number must be below nlist. */
  saDecode(codes: Uint8Array): Float32Array {
    return saDecodeOf(this, codes);
  }
}

/**
 * HNSW graph over scalar-quantized vectors, faiss.IndexHNSWSQ(d, qtype, M, metric):
 * train (the ranges), then add. L2 or inner product (faiss 1.7.3's scalar quantizer
 * throws on L1/Linf inside HNSW's parallel add, which would end the process).
 */
export class IndexHNSWSQ extends IndexHNSW {
  constructor(d: number, qtype: QuantizerType = ScalarQuantizer.QT_8bit, M = 32, metric: MetricType = MetricType.L2) {
    checkInt32(d, 'd', 1);
    const t = checkQtype(qtype);
    checkInt32(M, 'M', HNSW_M_MIN, HNSW_M_MAX);
    const m = checkMetric(metric);
    checkKindMetric('HNSWSQ', m);
    super(native.newHNSWSQ(d, t, M, m));
  }

  /** The scalar quantizer of the stored vectors: sq.qtype, sq.codeSize, sq.trained. */
  get sq(): ScalarQuantizerParameters {
    return new ScalarQuantizerParameters(this.native);
  }
  /** Bytes per stored vector (the graph's links come on top). */
  get codeSize(): number {
    return this.native.getParam('codeSize');
  }
}

/**
 * HNSW graph over product-quantized vectors, faiss.IndexHNSWPQ(d, pqM, M): 8-bit
 * codes, pqM bytes per vector, by L2 only (faiss 1.7.3 takes no metric here and
 * would search any other by L2). Train on at least 256 vectors, then add.
 */
export class IndexHNSWPQ extends IndexHNSW {
  constructor(d: number, pqM: number, M = 32) {
    checkInt32(d, 'd', 1);
    checkPQ('IndexHNSWPQ', pqM, 8, d);
    checkInt32(M, 'M', HNSW_M_MIN, HNSW_M_MAX);
    super(native.newHNSWPQ(d, pqM, M));
  }

  /** The product quantizer of the stored vectors: pq.M, pq.nbits (8), pq.centroids. */
  get pq(): ProductQuantizerParameters {
    return new ProductQuantizerParameters(this.native);
  }
  /** Bytes per stored vector (the graph's links come on top). */
  get codeSize(): number {
    return this.native.getParam('codeSize');
  }
}

const CLASSES: Array<[RegExp, { prototype: Index }]> = [
  [/^IndexIDMap2$/, IndexIDMap2],
  [/^IndexIDMap$/, IndexIDMap],
  [/^IndexHNSWFlat$/, IndexHNSWFlat],
  [/^IndexHNSWSQ$/, IndexHNSWSQ],
  [/^IndexHNSWPQ$/, IndexHNSWPQ],
  [/^IndexHNSW/, IndexHNSW],
  [/^IndexIVFFlatDedup$/, IndexIVFFlatDedup],
  [/^IndexIVFFlat$/, IndexIVFFlat],
  [/^IndexIVFPQ$/, IndexIVFPQ],
  [/^IndexIVFScalarQuantizer$/, IndexIVFScalarQuantizer],
  [/^IndexIVF/, IndexIVF],
  [/^IndexPQ$/, IndexPQ],
  [/^IndexScalarQuantizer$/, IndexScalarQuantizer],
  [/^IndexFlatL2$/, IndexFlatL2],
  [/^IndexFlatIP$/, IndexFlatIP],
  [/^IndexFlat$/, IndexFlat],
];

/**
 * Wraps a native index in the most specific class, like faiss.downcast_index.
 * A view (an index living inside `container`) is read-only.
 */
function downcast(n: NativeIndex, container?: Index, role?: Role): Index {
  const name = n.className();
  const cls = CLASSES.find(([re]) => re.test(name))?.[1] ?? Index;
  const obj = Object.create(cls.prototype) as Index;
  Object.defineProperty(obj, 'native', { value: n, enumerable: false });
  if (container) Object.assign(ownershipOf(obj), { container, role });
  return obj;
}

/**
 * Builds an index from a faiss factory string, faiss.index_factory(d, description, metric).
 * Only the strings the lab runs safely are accepted (src/search/factory.ts, the
 * README's list): Flat, HNSW<M>, IVF<nlist>,Flat, IVF<nlist>_HNSW<M>,Flat, PQ<M>,
 * IVF<nlist>,PQ<M>, SQ8 (SQ4, SQ6, SQfp16), IVF<nlist>,SQ8, HNSW<M>,SQ8, HNSW<M>,PQ<m>,
 * each optionally as IDMap,... or IDMap2,...; anything else, and parameters faiss
 * 1.7.3 cannot run (PQ2x0, PQ8x99, PQ7 with d=512), are refused with the reason.
 *
 * @example
 * indexFactory(512, 'IVF143,Flat')        // IndexIVFFlat, train before add
 * indexFactory(512, 'HNSW32', MetricType.L1)
 * indexFactory(512, 'IDMap,Flat')          // addWithIds
 * indexFactory(512, 'IVF143,PQ64np')       // IndexIVFPQ: 64-byte codes, train on >= 256 vectors
 */
export function indexFactory(d: number, description: string, metric: MetricType = MetricType.L2): Index {
  checkInt32(d, 'd', 1);
  checkString(description, 'description');
  const m = checkMetric(metric);
  const what = `indexFactory(${d}, ${JSON.stringify(description)})`;
  let spec: FactorySpec;
  try {
    spec = parseFactory(description, m, d);
  } catch (e) {
    throw withContext(e, what);
  }
  try {
    return downcast(native.indexFactory(d, spec.canonical, m));
  } catch (e) {
    throw withContext(e, what);
  }
}

/**
 * A deep copy of an index, faiss.clone_index: its vectors, ids, graph, lists and
 * quantizer (the copy owns its own). Unlike faiss 1.7.3's clone_index, an
 * IndexHNSWFlat, IndexHNSWSQ or IndexHNSWPQ keeps its class (faiss makes it a plain
 * IndexHNSW, which write_index refuses) and an IndexIVFFlatDedup keeps its duplicates.
 *
 * @example
 * const empty = indexFactory(d, 'IVF64,Flat'); empty.train(xt);
 * const a = cloneIndex(empty), b = cloneIndex(empty);   // same centroids: add to each, then a.mergeFrom(b, a.ntotal)
 */
export function cloneIndex(index: Index): Index {
  checkIndex(index);
  const copy = downcast(native.cloneIndex(index.native));
  const src = index.source;
  if (src) Object.defineProperty(copy, 'sourceRef', { value: src, enumerable: false, configurable: true });
  return copy;
}

function withContext(e: unknown, what: string): unknown {
  if (e instanceof Error) e.message = `${what}: ${e.message}`;
  return e;
}

function checkIndex(index: unknown): Index {
  if (!(index instanceof Index)) throw invalid('index', 'an Index', index);
  return index;
}

/**
 * Writes an index in faiss's file format (Python's faiss.read_index reads it).
 * Atomic: a crash mid-write leaves any previous file at `file` intact.
 */
export function writeIndex(index: Index, file: string): void {
  checkIndex(index);
  checkPath(file, 'file');
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new Error(`cannot write index to ${file}: folder ${dir} does not exist`);
  const bytes = index.native.serialize();
  try {
    writeFileAtomic(file, bytes);
  } catch (e) {
    throw withContext(e, `cannot write index to ${file}`);
  }
}

/**
 * An index from faiss's bytes, checked first (src/search/serialized.ts): a
 * damaged or foreign buffer is refused before faiss reads it.
 */
function fromBytes(bytes: Uint8Array, what: string): Index {
  try {
    checkSerialized(bytes);
  } catch (e) {
    throw withContext(e, what);
  }
  try {
    return downcast(native.deserializeIndex(bytes));
  } catch (e) {
    throw withContext(e, what);
  }
}

/**
 * Reads an index written by writeIndex or by Python's faiss.write_index: Flat,
 * HNSWFlat, IVFFlat, PQ, IVFPQ, ScalarQuantizer, IVFScalarQuantizer, HNSWSQ,
 * HNSWPQ and IDMap/IDMap2 over them. The bytes are checked before faiss reads
 * them; a truncated or damaged file is refused with what is wrong.
 */
export function readIndex(file: string): Index {
  checkPath(file, 'file');
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new Error(`cannot read index: ${file} does not exist`);
  }
  if (!stat.isFile()) throw new Error(`cannot read index: ${file} is not a file`);
  const bytes = fs.readFileSync(file);
  return fromBytes(bytes, `cannot read a faiss index from ${file} (truncated, or not a faiss index file?)`);
}

/** The index in faiss's file format, in memory (faiss.serialize_index). */
export function serializeIndex(index: Index): Buffer {
  return checkIndex(index).native.serialize();
}

/**
 * An index from bytes made by serializeIndex or faiss.serialize_index
 * (faiss.deserialize_index); checked like readIndex.
 */
export function deserializeIndex(data: Uint8Array): Index {
  if (!(data instanceof Uint8Array)) throw invalid('data', 'a Buffer or Uint8Array', data);
  if (data.length === 0) throw invalid('data', 'the bytes of a faiss index', data);
  // Bytes another thread could change between the check and faiss's read are copied first.
  const bytes = data.buffer instanceof ArrayBuffer ? data : new Uint8Array(data);
  return fromBytes(bytes, `cannot deserialize a faiss index from ${describe(data)} (truncated, or not a faiss index?)`);
}
