/**
 * One interface for "a thing that holds vectors and answers k-NN queries",
 * shaped like ann-benchmarks' algorithms: build-time knobs go to the
 * constructor (or a builder), query-time knobs to setQueryArguments, so a
 * parameter grid builds each index once and sweeps its query knobs.
 *
 * The FAISS classes (Index and its subclasses), the plain-TypeScript
 * BruteForceIndex and the SQL store all implement it.
 *
 * @example
 * async function evaluate(index: VectorIndex, xb: Matrix, xq: Matrix) {
 *   await index.addAsync(xb);
 *   index.setQueryArguments({ efSearch: 64 });
 *   return index.search(xq, 10);   // SearchResults (maybe a Promise of it)
 * }
 */
import type { Matrix } from '../types';
import type { MetricType, SearchResults } from './results';

/** Query-time knobs by name, e.g. { efSearch: 64 } or { nprobe: 8 }. */
export type QueryArguments = Record<string, number>;

export interface VectorIndex {
  /** Dimension of the vectors. */
  readonly d: number;
  /** Number of vectors held. */
  readonly ntotal: number;
  readonly metricType: MetricType;
  /** Adds vectors; their ids are ntotal .. ntotal+n-1. */
  addAsync(x: Float32Array | Matrix): Promise<void>;
  /** The k nearest neighbours of each query, nearest first, padded with -1. */
  search(xq: Float32Array | Matrix, k: number): SearchResults | Promise<SearchResults>;
  /** Sets query-time knobs; unknown names are refused. */
  setQueryArguments(args: QueryArguments): void;
  /** The current query-time knobs. */
  readonly queryArguments: QueryArguments;
  /** Frees what the index holds now (native memory, a table); later calls throw. */
  dispose(): void;
}

/** Build-time parameters by name, e.g. { M: 16, efConstruction: 40 }. */
export type BuildArguments = Record<string, number | string>;

/**
 * Makes an empty index of one kind from build-time parameters: what a grid
 * needs to build every setting. `save`/`load` (optional) let the grid keep
 * built indexes on disk. `create` and `memoryBytes` may be async (a database
 * table opens asynchronously).
 */
export interface IndexBuilder<I extends VectorIndex = VectorIndex> {
  /** Short name used in results and cache files, e.g. 'HNSWFlat'. */
  readonly name: string;
  create(d: number, metric: MetricType, build: BuildArguments): I | Promise<I>;
  /** Fills a new index with the database (default: addAsync; IVF trains first). */
  fit?(index: I, xb: Matrix): Promise<void>;
  /** Relative cost of building with these parameters (for the progress ETA); default 1. */
  cost?(build: BuildArguments): number;
  save?(index: I, file: string): void;
  load?(file: string): I;
  /** Bytes the built index holds, when the builder can tell. */
  memoryBytes?(index: I): number | Promise<number>;
  /** Frees a built index when the grid is done with it (default: index.dispose()); e.g. drops a table. */
  release?(index: I): void | Promise<void>;
}
