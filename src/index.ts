/**
 * The lab's one import for notebooks and users: what a notebook writes, by
 * faiss's names where faiss has one. Internals (file encoders, checks, SQL
 * plumbing) are in src/internal.ts, for the tests, benchmarks and scripts.
 * The README's "The library at a glance" lists these names by layer.
 *
 * @example
 * import { loadCourse, IndexHNSWFlat, METRIC_L2, timeSearch, showTable } from '../dist';
 */
import { type GridOptions, type GridResult, runGrid as runGridReporting } from './eval/grid';
import type { VectorIndex as AnyIndex } from './search/interface';
import { progressCallback } from './show/progress';

export { config } from './config';
// Data: the course's files, the demo set, embeddings (files -> embed -> cache).
export { type CourseData, loadCourse, loadMyPhotos, loadQueries, type MyPhotos, type Queries } from './data/course';
export { clusteredVectors } from './data/synthetic';
export { type EmbeddedImages, embedImages, embedTexts } from './embed/clip';
// FAISS, by faiss's names (Python's snake_case as camelCase).
export {
  cloneIndex,
  faissBuild,
  faissVersion,
  IDSelectorArray,
  IDSelectorBatch,
  IDSelectorNot,
  IDSelectorRange,
  Index,
  IndexFlat,
  IndexFlatIP,
  IndexFlatL2,
  IndexHNSWFlat,
  IndexHNSWPQ,
  IndexHNSWSQ,
  IndexIDMap,
  IndexIDMap2,
  IndexIVF,
  IndexIVFFlat,
  IndexIVFPQ,
  IndexIVFScalarQuantizer,
  IndexPQ,
  IndexScalarQuantizer,
  indexFactory,
  METRIC_INNER_PRODUCT,
  METRIC_L1,
  METRIC_L2,
  METRIC_Linf,
  type MetricType,
  metricName,
  ompGetMaxThreads,
  ompSetNumThreads,
  type RangeSearchResults,
  readIndex,
  ScalarQuantizer,
  SearchParameters,
  SearchParametersHNSW,
  SearchParametersIVF,
  SearchResults,
  writeIndex,
} from './faiss';
export { readNpy, writeNpy } from './io/npy';
export { type PhotoRow, readVectorsCsv } from './io/vectors-csv';
export { knnBruteForce } from './search/bruteforce';
export { cachedBuild, readCachedBuild } from './search/index-cache';
export type { IndexBuilder, VectorIndex } from './search/interface';
export type { Matrix } from './types';
export { normalizeRows, takeRows } from './util/vectors';

import { bruteForce, flat, hnswFlat, ivfFlat, ivfPQ } from './search/builders';
import { sqlHnsw } from './sql/builder';
/** The index kinds a grid can build: runGrid({ builder: builders.hnswFlat, ... }); sqlHnsw: the SQL store's HNSW. */
export const builders = { flat, hnswFlat, ivfFlat, ivfPQ, bruteForce, sqlHnsw };

export {
  classLabeller,
  faissCandidates,
  HardNegativeMiner,
  LinearClassifier,
  listLabeller,
  sqlCandidates,
} from './classify';
export { saveAnswers } from './eval/answers';
export {
  bestTradeoffSettings,
  fastestSettings,
  groupMeans,
  latencySpread,
  mostPreciseSettings,
} from './eval/best-settings';
export { type GridRow, paretoFront } from './eval/grid';
// Evaluate: measures, timing, grids, honest answers.
export { median, precisionAtK, recallAtK } from './eval/metrics';
export { precisionReport } from './eval/report';
export { type Timing, timeSearch } from './eval/timing';
export { IdMap, ivfCells, MIN_POINTS_PER_CENTROID, photoId } from './photos/photo-ids';
// Photo ids: IVF indexes whose labels name files.
export { nprobeSteps, PhotoIndex } from './photos/photo-index';
// See the index work: an HNSW query's walk over the graph, an IVF query's cells.
export { hnswWalk } from './search/hnsw-walk';
export { ivfProbe } from './search/ivf-probe';
export { showChart, showParetoChart } from './show/chart';
export { showNote } from './show/display';
export { showHnswWalk, showIvfCells } from './show/graph';
export { miningTable, showCandidates, showMiningRound } from './show/mining';
export { showNeighbours, showPhotoGrid } from './show/photos';
export { Progress, progressCallback } from './show/progress';
// Show: in a notebook these display (and survive the HTML export); elsewhere they return HTML.
export { showTable } from './show/table';
// SQL vector search and the few-shot classifier.
export { SqlVectorStore, serverBackend, showSql } from './sql';

/**
 * Runs a parameter grid (src/eval/grid.ts) with a progress bar while building,
 * "building <builder> indexes" with an ETA, unless options.progress is false or
 * a report of its own. Wired here, at the facade: eval reports progress and
 * knows no display; show draws it.
 */
export function runGrid<I extends AnyIndex>(options: GridOptions<I>): Promise<GridResult> {
  const progress = options?.progress ?? true;
  const label = `building ${options?.builder?.name ?? 'the'} indexes`;
  return runGridReporting({ ...options, progress: progress === true ? progressCallback(label, 'indexes') : progress });
}
