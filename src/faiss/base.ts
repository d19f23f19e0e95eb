/**
 * FAISS for TypeScript: the names of faiss's Python API, camelCased. This file
 * holds faiss.Index, the members every index has; each family of indexes
 * (flat.ts, hnsw.ts, ivf.ts, idmap.ts, quantizers.ts) overrides the hooks at the
 * end of the class to say what faiss 1.7.3 can and cannot do with it.
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
import type { NativeIndex, NativeSearchParams } from 'faiss-lab-native';
import type { QueryArguments, VectorIndex } from '../search/interface';
import { RangeSearchResults } from '../search/range';
import { type MetricType, metricName, SearchResults } from '../search/results';
import { type IDSelector, SearchParameters } from '../search/selectors';
import { type EmbeddingSource, type Matrix, sourceMismatch } from '../types';
import { ArgumentError, checkInt64, checkInteger, invalid } from '../util/check';
import { allocateResult, checkIds, emptyRange, keepStack, vectorsOf } from './args';
import { native } from './native';
import { type Op, ownersOf, type Role, readOnlyError, sharedError } from './ownership';
import { kindOfClass } from './registry';

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

/** Options of the async add: progress reports split the add into batches. */
export interface AddOptions {
  /** Called after each batch with the vectors added so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Vectors per batch when onProgress is given (default 2048). */
  batchSize?: number;
}

/** The largest finite half float: SQfp16 codes hold no more. */
export const FP16_MAX = 65504;

/** How a family stores vectors as 16-bit floats: as they are, or as the residual to a centroid. */
export type HalfFloatStorage = 'direct' | 'residual' | undefined;

type Downcast = (n: NativeIndex, container?: Index, role?: Role) => Index;
let downcastFn: Downcast | undefined;

/** @internal io.ts installs its downcast here: it imports every family, which cannot import it back. */
export function setDowncast(fn: Downcast): void {
  downcastFn = fn;
}

/** @internal Wraps an index living inside `container` (a read-only view) in its most specific class. */
export function downcastView(n: NativeIndex, container: Index, role: Role): Index {
  if (!downcastFn) throw new Error('faiss classes are not loaded: import the library from src/faiss (or src/internal)');
  return downcastFn(n, container, role);
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
    Index.checkEncodable(this, data, 'x');
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
    Index.checkEncodable(this, data, 'x');
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
    this.checkTrainingSet(data);
    this.beforeWrite('train');
    this.native.train(data);
  }

  /** train() on the thread pool. */
  async trainAsync(x: Float32Array | Matrix): Promise<void> {
    const site = new Error();
    const data = vectorsOf(x, this.d, 'x', true);
    this.checkTrainingSet(data);
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
  rangeSearch(
    xq: Float32Array | Matrix,
    radius: number,
    params?: SearchParameters,
    options: RangeSearchOptions = {},
  ): RangeSearchResults {
    const { data, n, p, maxResults } = this.prepareRangeSearch(xq, radius, params, options);
    const res = n > 0 ? this.native.rangeSearch(data, radius, maxResults, p) : emptyRange();
    return new RangeSearchResults(res, this.metricType, radius);
  }

  /** rangeSearch() on the thread pool. */
  async rangeSearchAsync(
    xq: Float32Array | Matrix,
    radius: number,
    params?: SearchParameters,
    options: RangeSearchOptions = {},
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
          `${this.className} has no query argument "${name}"` +
            (known.length ? ` (it has: ${known.join(', ')})` : ' (it has none)'),
        );
      }
      (this as unknown as Record<string, number>)[name] = value;
    }
  }

  /** The current query-time knobs, e.g. { efSearch: 16 }. */
  get queryArguments(): QueryArguments {
    return Object.fromEntries(
      this.queryArgumentNames().map((n) => [n, (this as unknown as Record<string, number>)[n]]),
    );
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
    Index.checkEncodable(this, data, 'x');
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
    Index.checkEncodable(this, data, 'x');
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
    const why = this.removeRefusal();
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
    const byId = this.reconstructNById();
    const start = byId ? checkInt64(i0, 'i0') : BigInt(checkInteger(i0, 'i0', 0));
    checkInteger(n, 'n', 0);
    this.checkCanReconstruct(false);
    if (!byId && Number(start) + n > this.ntotal) {
      throw new ArgumentError(
        `reconstructN(${i0}, ${n}) reaches label ${Number(start) + n - 1}, but the ${this.className} holds ntotal=${this.ntotal}`,
      );
    }
    if (n * this.d > 2 ** 31 - 1)
      throw new ArgumentError(`n*d = ${n * this.d} values do not fit one array: reconstruct in batches`);
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
    if (list.length * this.d > 2 ** 31 - 1)
      throw new ArgumentError(`${list.length} keys * d values do not fit one array: reconstruct in batches`);
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
    const why = this.cannotMerge(other, add);
    if (why) throw new ArgumentError(why);
    const src = other.source;
    if (src && this.source) {
      const mismatch = sourceMismatch(this.source, src);
      if (mismatch)
        throw new ArgumentError(
          `cannot merge into this ${this.className}: ${mismatch.replace('the queries are', "the other index's vectors are")}`,
        );
    }
    this.beforeWrite('add');
    other.beforeWrite('reset');
    this.native.mergeFrom(other.native, add);
    if (src && !this.source)
      Object.defineProperty(this, 'sourceRef', { value: src, enumerable: false, configurable: true });
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
      if (why)
        throw new ArgumentError(
          `cannot add to this ${this.className}: ${why.replace('the queries are', 'the new vectors are')}`,
        );
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
    for (const [parent, target, role] of this.allWriteTargets(op)) {
      const other = ownersOf(target).find((o) => o.owner !== parent);
      if (other) throw sharedError(this, op, parent, target, role, other);
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
    xq: Float32Array | Matrix,
    k: number,
    params: unknown,
    copy = false,
  ): { data: Float32Array; n: number; p?: NativeSearchParams } {
    const data = vectorsOf(xq, this.d, 'xq', copy);
    checkInteger(k, 'k', 1, 1 << 20);
    const n = data.length / this.d;
    if (n * k > 2 ** 31 - 1) throw new ArgumentError(`nq*k = ${n * k} results do not fit one array: search in batches`);
    this.checkSearchable(xq, 'search');
    return { data, n, p: this.searchParamsFor(params, 'search') };
  }

  private prepareRangeSearch(
    xq: Float32Array | Matrix,
    radius: number,
    params: unknown,
    options: RangeSearchOptions,
    copy = false,
  ): { data: Float32Array; n: number; p?: NativeSearchParams; maxResults: number } {
    const data = vectorsOf(xq, this.d, 'xq', copy);
    if (typeof radius !== 'number' || Number.isNaN(radius))
      throw invalid('radius', 'a number (L2: a squared distance; inner product: a similarity)', radius);
    if (options === null || typeof options !== 'object')
      throw invalid('options', 'an object such as { maxResults }', options);
    const maxResults = checkInteger(options.maxResults ?? RANGE_SEARCH_MAX_RESULTS, 'maxResults', 1, 2 ** 31 - 1);
    const why = this.cannotRangeSearch();
    if (why) throw new ArgumentError(why);
    this.checkSearchable(xq, 'range-search');
    return { data, n: data.length / this.d, p: this.searchParamsFor(params, 'rangeSearch'), maxResults };
  }

  private checkSearchable(xq: Float32Array | Matrix, what: string): void {
    const why = xq instanceof Float32Array ? undefined : sourceMismatch(this.source, xq.source);
    if (why) throw new ArgumentError(`cannot ${what} this ${this.className}: ${why}`);
    this.native.checkRead();
    if (!this.isTrained) {
      throw new Error(
        `${this.className} is not trained: call train(x) and add(x) before ${what === 'search' ? 'search' : 'rangeSearch'}`,
      );
    }
    if (this.ntotal === 0)
      throw new Error(
        `${what === 'search' ? 'search' : 'rangeSearch'} on an empty ${this.className} (ntotal = 0): add vectors first`,
      );
  }

  /** Refuses a reconstruct this index cannot answer; returns the key as the addon takes it. */
  private checkReconstruct(key: unknown, name: string, checked = false): number | bigint {
    const byId = this.keysAreIds();
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

  /** Whether this index can give back stored vectors (byKey: by key, as reconstruct). */
  private checkCanReconstruct(byKey: boolean): void {
    this.native.checkRead();
    const why = this.reconstructRefusal();
    if (why) throw new Error(why);
    this.storedIndex().checkStoredReconstruct(byKey, this);
  }

  /**
   * The native form of `params` for a search on this index, or undefined; refuses what
   * faiss 1.7.3 would reject, ignore, or turn into a read out of bounds.
   */
  private searchParamsFor(params: unknown, op: 'search' | 'rangeSearch'): NativeSearchParams | undefined {
    if (params === undefined) return undefined;
    if (!(params instanceof SearchParameters)) {
      throw invalid('params', 'a SearchParameters, SearchParametersHNSW or SearchParametersIVF (or undefined)', params);
    }
    const p = params.toNative();
    this.checkSearchParams(params, p, op);
    return p;
  }

  /** Why faiss 1.7.3 cannot range-search this index, or undefined. */
  private cannotRangeSearch(): string | undefined {
    const inner = this.storedIndex();
    return inner.rangeSearchRefusal(inner === this ? '' : ` (inside this ${this.className})`);
  }

  /** Why this.mergeFrom(other, addId) cannot run, or undefined. */
  private cannotMerge(other: Index, addId: bigint): string | undefined {
    if (other === this) return 'an index cannot merge from itself';
    this.native.checkRead();
    other.native.checkRead();
    const refused = this.storedIndex().mergeRefusal(this);
    if (refused) return refused;
    if (other.className !== this.className) {
      return (
        `faiss merges indexes of one class only: this is an ${this.className}, the other an ${other.className}` +
        this.mergeClassHint(other)
      );
    }
    if (other.d !== this.d) return `the other index has d=${other.d}, this one d=${this.d}`;
    if (other.metricType !== this.metricType) {
      return `the other index searches by ${metricName(other.metricType)}, this one by ${metricName(this.metricType)}`;
    }
    return this.mergeCheck(other, addId);
  }

  /** The (outer, inner, role) triples in which `op` on this index writes into an inner index, nested ones too. */
  private allWriteTargets(op: Op): Array<[Index, Index, Role]> {
    return this.writeTargets(op).flatMap((t) => (t[2] === 'index' ? [t, ...t[1].allWriteTargets(op)] : [t]));
  }

  /** Refuses a training set the stored index cannot be trained on. */
  private checkTrainingSet(data: Float32Array): void {
    this.storedIndex().checkTrainingSetHere(this, data);
    Index.checkEncodable(this, data, 'x', true);
  }

  /**
   * @internal Refuses values an SQfp16 index cannot store: a half float holds at most
   * 65504 (a larger value becomes Infinity, and distances NaN); an IVF encodes the
   * residual x - centroid, so there each value must stay within 32752.
   */
  protected static checkEncodable(x: Index, data: Float32Array, name: string, training = false): void {
    const inner = x.storedIndex();
    const storage = inner.halfFloatStorage();
    if (!storage) return;
    const residual = storage === 'residual';
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

  /** @internal Why two quantizing indexes' codes cannot be merged (different codebooks), or undefined. */
  protected static codebookMismatch(a: Index, b: Index): string | undefined {
    const ca = a.native.codebook();
    const cb = b.native.codebook();
    if (ca === null && cb === null) return undefined;
    if (a.codebookLabel() !== b.codebookLabel()) {
      return `the two ${a.className}s quantize differently (${a.codebookLabel()} and ${b.codebookLabel()})`;
    }
    if (a.encodesResidual() !== b.encodesResidual())
      return 'one of the two IVFs encodes residuals (byResidual) and the other does not';
    if (!ca || !cb || ca.length !== cb.length || ca.some((v, i) => v !== cb[i])) {
      return (
        `the two ${a.className}s have different codebooks (trained separately): the other's codes would decode with this one's ` +
        `${a.codebookWord()}. ` +
        'Train one, cloneIndex it while empty, add to each, then merge'
      );
    }
    return undefined;
  }

  // ---- the standalone codec (faiss's sa_encode / sa_decode), where faiss 1.7.3 has one ----

  /** Refuses the codec on kinds without one (HNSW, IDMap), before faiss would throw. */
  private checkCodec(op: string): void {
    if (kindOfClass(this.className)?.codec) return;
    throw new Error(
      `${this.className} has no standalone codec in faiss 1.7.3, so ${op} cannot run on it: flat, PQ, SQ and IVF ` +
        "indexes have one (an HNSW index's storage does, as a flat, PQ or SQ index)",
    );
  }

  /** Bytes per code of saEncode (faiss's sa_code_size(); an IVF's codes start with the list number). */
  get saCodeSize(): number {
    this.checkCodec('saCodeSize');
    this.native.checkRead();
    return this.native.getParam('saCodeSize');
  }

  /** The codes of n vectors, n * saCodeSize bytes (faiss's sa_encode); the index must be trained. */
  saEncode(v: Float32Array | Matrix): Uint8Array {
    this.checkCodec('saEncode');
    const data = vectorsOf(v, this.d);
    this.native.checkRead();
    if (!this.isTrained) throw new Error(`${this.className} is not trained: call train(x) before saEncode`);
    Index.checkEncodable(this, data, 'x');
    const out = this.native.saEncode(data);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  /** The vectors that codes decode to, n*d floats (faiss's sa_decode). */
  saDecode(codes: Uint8Array): Float32Array {
    this.checkCodec('saDecode');
    if (!(codes instanceof Uint8Array))
      throw invalid('codes', 'a Uint8Array of n * saCodeSize bytes (from saEncode)', codes);
    this.native.checkRead();
    if (!this.isTrained) throw new Error(`${this.className} is not trained: call train(x) before saDecode`);
    const size = this.native.getParam('saCodeSize');
    if (codes.length % size !== 0) {
      throw new ArgumentError(
        `codes holds ${codes.length} bytes, not a multiple of this ${this.className}'s saCodeSize=${size}`,
      );
    }
    const n = codes.length / size;
    if (n * this.d > 2 ** 31 - 1)
      throw new ArgumentError(`${n} codes * d values do not fit one array: decode in batches`);
    const out = new Float32Array(n * this.d);
    if (n > 0) this.native.saDecode(codes, out);
    return out;
  }

  /**
   * The search parameters with which this index filters its own search by `sel`, at its current query settings
   * (efSearch, nprobe); undefined where faiss 1.7.3 takes no selector for it (an IDMap, an IVFFlatDedup, a flat
   * index by L1 or Linf, PQ, SQ): then search without one and drop the hits you do not want.
   */
  searchParametersFiltering(_sel: IDSelector): SearchParameters | undefined {
    return undefined;
  }

  // ---- what a family can do: each family (flat.ts, hnsw.ts, ...) overrides these ----

  /** @internal The index whose vectors are stored (inside an IDMap: the wrapped one). */
  protected storedIndex(): Index {
    return this;
  }

  /** @internal The (this, inner, role) pairs in which `op` writes directly into an inner index. */
  protected writeTargets(_op: Op): Array<[Index, Index, Role]> {
    return [];
  }

  /** @internal Refuses search parameters this family does not take (params is a SearchParameters). */
  protected checkSearchParams(_params: SearchParameters, _p: NativeSearchParams, _op: 'search' | 'rangeSearch'): void {
    throw new ArgumentError(`an ${this.className} takes no search parameters here`);
  }

  /** @internal Why this stored index cannot be range-searched (`via`: inside which IDMap), or undefined. */
  protected rangeSearchRefusal(via: string): string | undefined {
    return `an ${this.className}${via} has no range search here`;
  }

  /** @internal Why `outer` (this index, or the IDMap around it) cannot merge at all, or undefined. */
  protected mergeRefusal(outer: Index): string | undefined {
    return `an ${outer.className} cannot merge here (flat, PQ, SQ, IVF and IDMap-over-flat indexes can)`;
  }

  /** @internal A hint added when `other` is of another class. */
  protected mergeClassHint(_other: Index): string {
    return '';
  }

  /** @internal Why other (same class, d and metric) cannot merge into this index, or undefined. */
  protected mergeCheck(_other: Index, _addId: bigint): string | undefined {
    return undefined;
  }

  /** @internal mergeCheck for indexes whose labels are positions (flat, PQ, SQ). */
  protected mergeByPosition(other: Index, addId: bigint): string | undefined {
    if (addId !== 0n)
      return "a flat index's labels are positions: merged vectors are numbered from ntotal on their own, so addId must be 0";
    return Index.codebookMismatch(this, other);
  }

  /** @internal How the codes are made, e.g. "M=8, nbits=8" or "QT_8bit" ('' without a codebook). */
  protected codebookLabel(): string {
    return '';
  }

  /** @internal Whether the codes are of residuals to an IVF centroid. */
  protected encodesResidual(): boolean {
    return false;
  }

  /** @internal What the codebook holds, for messages. */
  protected codebookWord(): string {
    return 'centroids';
  }

  /** @internal Why removeIds cannot run, or undefined (HNSW: faiss says so itself, before changing anything). */
  protected removeRefusal(): string | undefined {
    return undefined;
  }

  /** @internal Why this index cannot give back vectors at all, or undefined. */
  protected reconstructRefusal(): string | undefined {
    return undefined;
  }

  /** @internal Refuses a reconstruct from this stored index, inside `outer` (itself or an IDMap2). */
  protected checkStoredReconstruct(_byKey: boolean, _outer: Index): void {}

  /** @internal Whether reconstruct's keys are ids (else labels below ntotal). */
  protected keysAreIds(): boolean {
    return false;
  }

  /** @internal Whether reconstructN's i0 is an id (else a label). */
  protected reconstructNById(): boolean {
    return false;
  }

  /** @internal Whether (and how) the stored vectors are 16-bit floats. */
  protected halfFloatStorage(): HalfFloatStorage {
    return undefined;
  }

  /** @internal Refuses a training set this stored index (inside `outer`) cannot be trained on. */
  protected checkTrainingSetHere(_outer: Index, _data: Float32Array): void {}
}
