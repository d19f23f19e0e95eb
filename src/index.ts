/**
 * The lab's one import for notebooks and users: what a notebook writes, by
 * faiss's names where faiss has one. Internals (file encoders, checks, SQL
 * plumbing) are in src/internal.ts, for the tests, benchmarks and scripts.
 * The README's "The library at a glance" lists these names by layer.
 *
 * @example
 * import { loadCourse, IndexHNSWFlat, METRIC_L2, timeSearch, showTable } from '../dist';
 */
import { runGrid as runGridReporting, type GridOptions, type GridResult } from './eval/grid';
import type { VectorIndex as AnyIndex } from './search/interface';
import { progressCallback } from './show/progress';

// Data: the course's files, the demo set, embeddings (files -> embed -> cache).
export {
  loadCourse, loadQueries, loadMyPhotos, type CourseData, type Queries, type MyPhotos,
} from './data/course';
export { embedImages, embedTexts, type EmbeddedImages } from './embed/clip';
export { readNpy, writeNpy } from './io/npy';
export { readVectorsCsv, type PhotoRow } from './io/vectors-csv';
export { config } from './config';
export type { Matrix } from './types';
export { clusteredVectors } from './data/synthetic';
export { takeRows } from './util/vectors';
export { normalizeRows } from './util/vectors';

// FAISS, by faiss's names (Python's snake_case as camelCase).
export {
  Index, IndexFlat, IndexFlatL2, IndexFlatIP, IndexHNSWFlat, IndexIVF, IndexIVFFlat, IndexIDMap,
  IndexIDMap2, IndexPQ, IndexIVFPQ, IndexScalarQuantizer, IndexIVFScalarQuantizer, IndexHNSWSQ,
  IndexHNSWPQ, ScalarQuantizer, METRIC_L2, METRIC_INNER_PRODUCT, METRIC_L1, METRIC_Linf, metricName, indexFactory,
  readIndex, writeIndex, cloneIndex, IDSelectorRange, IDSelectorArray,
  IDSelectorBatch, IDSelectorNot, SearchParameters, SearchParametersHNSW, SearchParametersIVF, SearchResults,
  faissVersion, faissBuild, ompGetMaxThreads, ompSetNumThreads,
  type MetricType, type RangeSearchResults,
} from './faiss';
export { knnBruteForce } from './search/bruteforce';
export { cachedBuild } from './search/index-cache';
export type { VectorIndex, IndexBuilder } from './search/interface';
import { bruteForce, flat, hnswFlat, ivfFlat, ivfPQ } from './search/builders';
import { sqlHnsw } from './sql/builder';
/** The index kinds a grid can build: runGrid({ builder: builders.hnswFlat, ... }); sqlHnsw: the SQL store's HNSW. */
export const builders = { flat, hnswFlat, ivfFlat, ivfPQ, bruteForce, sqlHnsw };

// Photo ids: IVF indexes whose labels name files.
export { PhotoIndex, nprobeSteps } from './photos/photo-index';
export { IdMap, photoId, ivfCells, MIN_POINTS_PER_CENTROID } from './photos/photo-ids';

// Evaluate: measures, timing, grids, honest answers.
export { recallAtK, precisionAtK, median } from './eval/metrics';
export { timeSearch, type Timing } from './eval/timing';
export { precisionReport } from './eval/report';
export { paretoFront, type GridRow } from './eval/grid';
export {
  fastestSettings, mostPreciseSettings, bestTradeoffSettings, latencySpread, groupMeans,
} from './eval/best-settings';
export { saveAnswers } from './eval/answers';

// SQL vector search and the few-shot classifier.
export { SqlVectorStore, serverBackend, showSql } from './sql';
export {
  LinearClassifier, HardNegativeMiner, faissCandidates, sqlCandidates, classLabeller, listLabeller,
} from './classify';

// Show: in a notebook these display (and survive the HTML export); elsewhere they return HTML.
export { showTable } from './show/table';
export { showNeighbours, showPhotoGrid } from './show/photos';
export { showChart, showParetoChart } from './show/chart';
export { showNote } from './show/display';
export { Progress, progressCallback } from './show/progress';
export { showMiningRound, showCandidates, miningTable } from './show/mining';

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
