// Raw addon surface. Do not call it directly: src/search/faiss.ts validates first.

/** An id selector as the addon builds it (faiss's IDSelectorRange / Array / Batch / Not). */
export type NativeSelector =
  | { type: 'range'; imin: bigint; imax: bigint; assumeSorted: boolean }
  | { type: 'array'; ids: BigInt64Array }
  | { type: 'batch'; ids: BigInt64Array }
  | { type: 'not'; sel: NativeSelector };

/** faiss's SearchParameters (kind 'base', flat indexes), SearchParametersHNSW or SearchParametersIVF. */
export type NativeSearchParams =
  | { kind: 'base'; sel?: NativeSelector }
  | { kind: 'hnsw'; sel?: NativeSelector; efSearch: number; checkRelativeDistance: boolean }
  | { kind: 'ivf'; sel?: NativeSelector; nprobe: number; maxCodes: number };

/** faiss's RangeSearchResult: query q's hits are labels/distances[lims[q] .. lims[q+1]). */
export interface NativeRangeResult {
  lims: Float64Array;
  distances: Float32Array;
  labels: BigInt64Array;
}

export interface NativeIndex {
  d(): number;
  ntotal(): number;
  metricType(): number;
  isTrained(): boolean;
  className(): string;
  add(x: Float32Array): void;
  addWithIds(x: Float32Array, ids: BigInt64Array): void;
  train(x: Float32Array): void;
  search(x: Float32Array, k: number, distances: Float32Array, labels: BigInt64Array, params?: NativeSearchParams): void;
  addAsync(x: Float32Array): Promise<void>;
  addWithIdsAsync(x: Float32Array, ids: BigInt64Array): Promise<void>;
  trainAsync(x: Float32Array): Promise<void>;
  searchAsync(
    x: Float32Array,
    k: number,
    distances: Float32Array,
    labels: BigInt64Array,
    params?: NativeSearchParams,
  ): Promise<void>;
  /** In chunks of queries; throws (code ERR_FAISS_LIMIT) beyond maxResults hits. */
  rangeSearch(x: Float32Array, radius: number, maxResults: number, params?: NativeSearchParams): NativeRangeResult;
  rangeSearchAsync(
    x: Float32Array,
    radius: number,
    maxResults: number,
    params?: NativeSearchParams,
  ): Promise<NativeRangeResult>;
  /** Also empties an IndexIDMap2's id -> vector table (faiss 1.7.3 keeps it). */
  reset(): void;
  removeIds(ids: BigInt64Array): number;
  reconstruct(key: number | bigint, out: Float32Array): void;
  /** Flat, HNSW, IVF: positions i0..i0+n-1 (IVF: ids); IndexIDMap2: ids i0..i0+n-1. */
  reconstructN(i0: number | bigint, n: number, out: Float32Array): void;
  reconstructBatch(keys: BigInt64Array, out: Float32Array): void;
  /** IVF: 0 NoMap, 1 Array (ids 0..ntotal-1 only), 2 Hashtable. */
  setDirectMap(type: number): void;
  /** faiss's merge_from: same class, d and metric; other is emptied. */
  mergeFrom(other: NativeIndex, addId: number | bigint): void;
  getParam(
    name: 'efSearch' | 'efConstruction' | 'M' | 'maxLevel' | 'nprobe' | 'nlist' | 'directMap' | QuantizerParam,
  ): number;
  /** byResidual: 0 or 1, before training only. */
  setParam(name: 'efSearch' | 'efConstruction' | 'nprobe' | 'byResidual', value: number): void;
  sub(name: 'index' | 'quantizer'): NativeIndex | null;
  serialize(): Buffer;
  /** Refuses a path with a NUL byte. (writeIndex writes serialize()'s bytes from TS instead.) */
  write(path: string): void;
  /** Throw if async work on this index (or one sharing its data) is writing / running. */
  checkRead(): void;
  checkWrite(): void;
  /** Frees the faiss index now; later calls throw. Refused while async work runs or another index is built on it. */
  dispose(): void;
  disposed(): boolean;
  /** faiss's sa_encode (flat-codes and IVF indexes, trained): n * sa_code_size bytes. */
  saEncode(x: Float32Array): Buffer;
  /** faiss's sa_decode into out (n*d floats); an IVF code's list number must be below nlist. */
  saDecode(codes: Uint8Array, out: Float32Array): void;
  /** A copy of the PQ centroids (M * ksub * dsub) or the SQ's trained ranges; null for other indexes. */
  codebook(): Float32Array | null;
  /** A copy of an HNSW index's graph (faiss's index.hnsw arrays). */
  hnswGraph(): NativeHNSWGraph;
  /** A copy of an IVF index's lists: sizes, the ids list after list, and (withCodes) their codes. */
  invlists(withCodes: boolean): NativeInvlists;
}

/** faiss's HNSW struct, copied: offsets are size_t in faiss (doubles here, exact below 2^53). */
export interface NativeHNSWGraph {
  levels: Int32Array;
  offsets: Float64Array;
  neighbors: Int32Array;
  cumNneighborPerLevel: Int32Array;
  assignProbas: Float64Array;
  entryPoint: number;
  maxLevel: number;
  efConstruction: number;
  efSearch: number;
  upperBeam: number;
  searchBoundedQueue: boolean;
  checkRelativeDistance: boolean;
}

/** An IVF's inverted lists, copied: list l's ids are ids[sum(sizes[0..l)) ..], its codes codeSize bytes each. */
export interface NativeInvlists {
  sizes: Float64Array;
  ids: BigInt64Array;
  codes: Uint8Array | null;
  codeSize: number;
}

/** Read-only parameters of the quantizing indexes (getParam). */
export type QuantizerParam =
  | 'pqM'
  | 'pqNbits'
  | 'pqKsub'
  | 'pqDsub'
  | 'pqCodeSize'
  | 'sqType'
  | 'sqCodeSize'
  | 'codeSize'
  | 'saCodeSize'
  | 'byResidual'
  | 'polysemous'
  | 'precomputedTable';

export const NativeIndex: { prototype: NativeIndex };
export function newFlat(d: number, metric: number): NativeIndex;
export function newHNSWFlat(d: number, M: number, metric: number): NativeIndex;
export function newIVFFlat(
  quantizer: NativeIndex,
  d: number,
  nlist: number,
  metric: number,
  dedup?: boolean,
): NativeIndex;
export function newIDMap(index: NativeIndex, two: boolean): NativeIndex;
/** faiss.IndexPQ(d, M, nbits, metric): nbits 1..16, L2 or inner product. */
export function newPQ(d: number, M: number, nbits: number, metric: number): NativeIndex;
/** faiss.IndexIVFPQ(quantizer, d, nlist, M, nbits, metric): nbits 1..8. */
export function newIVFPQ(
  quantizer: NativeIndex,
  d: number,
  nlist: number,
  M: number,
  nbits: number,
  metric: number,
): NativeIndex;
/** faiss.IndexScalarQuantizer(d, qtype, metric): qtype 0-4 or 6 (not QT_8bit_direct). */
export function newSQ(d: number, qtype: number, metric: number): NativeIndex;
export function newIVFSQ(
  quantizer: NativeIndex,
  d: number,
  nlist: number,
  qtype: number,
  metric: number,
  byResidual: boolean,
): NativeIndex;
export function newHNSWSQ(d: number, qtype: number, M: number, metric: number): NativeIndex;
/** faiss.IndexHNSWPQ(d, pqM, M): 8-bit codes, L2 (faiss 1.7.3 takes no metric). */
export function newHNSWPQ(d: number, pqM: number, M: number): NativeIndex;
export function indexFactory(d: number, description: string, metric: number): NativeIndex;
export function readIndex(path: string): NativeIndex;
export function deserializeIndex(data: Uint8Array): NativeIndex;
/** faiss.clone_index, keeping IndexHNSWFlat/SQ/PQ and IndexIVFFlatDedup (faiss 1.7.3 would not). */
export function cloneIndex(index: NativeIndex): NativeIndex;
export function ompGetMaxThreads(): number;
export function ompSetNumThreads(n: number): void;
/**
 * Index of the first NaN or Infinity in x, or -1. Given a limit (taken as a float32),
 * the first value whose magnitude exceeds it (NaN and Infinity included).
 */
export function firstNonFinite(x: Float32Array, limit?: number): number;
export const faissVersion: string;
/**
 * Which faiss library the addon links: 'avx2' (setup's build of Debian's faiss source with
 * the AVX2 kernels), 'generic' (Debian's libfaiss), 'prefix:<dir>' (FAISS_PREFIX, /usr/local)
 * or 'conda:<env>'.
 */
export const faissBuild: string;
