/**
 * Everything the library has, for the tests, benchmarks and scripts: the public
 * surface (src/index.ts) plus the internals it leaves out (file encoders,
 * checks, constants, helpers). Notebooks and users import '../dist' (index.ts).
 */
export * from './index';
// Names the public index exports as types only, as values here.
export { MetricType } from './search/results';
export { RangeSearchResults } from './search/range';
export * from './types';
export * from './faiss';
export { type Hit, type RowHit, largerIsCloser } from './search/results';
export type { VectorIndex, IndexBuilder, BuildArguments, QueryArguments } from './search/interface';
export { knnBruteForce, BruteForceIndex } from './search/bruteforce';
export {
  recallAtK, labelRecall, withTrueDistances, recallPerQuery, precisionAtK, precisionPerQuery, mean, median, type RecallOptions,
} from './eval/metrics';
export {
  cartesian, exactSearch, fastest, mostPrecise, bestTradeoff, paretoFront,
  type GridRow, type GridOptions, type GridResult,
} from './eval/grid';
export { runGrid as runGridReporting } from './eval/grid';
export { flat, hnswFlat, ivfFlat, ivfPQ, bruteForce } from './search/builders';
export { formatTable, formatNumber, tableHtml, showTable, type Row, type Cell, type TableOptions, type Highlight } from './show/table';
export {
  photoGridHtml, showPhotoGrid, neighboursGrid, showNeighbours, thumbnail,
  type Tile, type PhotoGridRow, type PhotoGridOptions, type NeighboursOptions, type Box,
} from './show/photos';
export { chartHtml, showChart, paretoFigure, showParetoChart, plotlyScript, type Figure, type ChartOptions, type ParetoChartOptions } from './show/chart';
export { displayHtml, inNotebook, escapeHtml, noteHtml, showNote } from './show/display';
export { clusteredVectors, rng } from './data/synthetic';
export { takeRows, normalizeRows, l2normalize, checkMatrix, valuesOf } from './util/vectors';
export { readNpy, writeNpy, encodeNpy, decodeNpy, type Npy } from './io/npy';
export {
  readVectorsCsv, writeVectorsCsv, VectorsCsvError, VECTORS_CSV_COLUMNS, type PhotoRow, type VectorsCsv,
} from './io/vectors-csv';
export { config, PROJECT_ROOT, type LabConfig } from './config';
export {
  embedImages, embedTexts, type EmbedOptions, type EmbedImagesOptions, type EmbedTextsOptions, type EmbeddedImages,
} from './embed/clip';
export { Progress, progressCallback } from './show/progress';
export { downloadFile, type DownloadOptions } from './data/download';
export { downloadStanfordDogs, readStanfordDogs, type DownloadDogsOptions, type StanfordDogs } from './data/stanford-dogs';
export * from './sql';
export {
  loadCourse, loadQueries, loadMyPhotos, findCourseCsv, type MyPhotos, breedFromFileName, breedKey, readQueryLabels, DEMO_MARKER,
  type CourseData, type Queries, type LoadCourseOptions, type LoadQueriesOptions,
} from './data/course';
export { saveAnswers, readAnswers, answersFile } from './eval/answers';
export { timeSearch, type Timing } from './eval/timing';
export {
  fastestSettings, mostPreciseSettings, bestTradeoffSettings, latencySpread, quantile, groupMeans, type KnobMeans,
  type SpeedVerdict, type QualityVerdict, type TimedSetting,
} from './eval/best-settings';
export { cachedBuild, matrixHash, type CachedBuild, type CachedBuildOptions } from './search/index-cache';
export { precisionReport, type PrecisionReport } from './eval/report';
export {
  photoId, normalizePhotoPath, IdMap, PhotoIdCollision, ivfCells, PHOTO_ID_BITS, MIN_POINTS_PER_CENTROID,
} from './photos/photo-ids';
export {
  PhotoIndex, idMapFileOf, nprobeSteps, type PhotoIndexOptions, type PhotoIndexUpdate, type PhotoHit,
} from './photos/photo-index';
export * from './classify';
export { miningGridRow, showMiningRound, showCandidates, miningTable, type MiningGridOptions } from './show/mining';
export { makeDemoSet, demoEnv, useDemoSet, type DemoSet, type DemoSetOptions, type DemoSettings } from './data/demo';
export {
  checkModel, judgeModelCheck, findSamePhotos, MODEL_CHECK, type ModelCheck, type CheckModelOptions, type SamePhotos,
} from './data/model-check';
export {
  extractQueriesZip, findQueriesZip, safeEntryPath, QUERIES_ZIP, ZIP_LIMITS, type ZipExtraction, type ExtractOptions,
} from './data/queries-zip';

