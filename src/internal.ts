/**
 * Everything the library has, for the tests, benchmarks and scripts: the public
 * surface (src/index.ts) plus the internals it leaves out (file encoders,
 * checks, constants, helpers). Notebooks and users import '../dist' (index.ts).
 */

export * from './classify';
export { config, type LabConfig, PROJECT_ROOT } from './config';
export {
  breedFromFileName,
  breedKey,
  type CourseData,
  DEMO_MARKER,
  findCourseCsv,
  type LoadCourseOptions,
  type LoadQueriesOptions,
  loadCourse,
  loadMyPhotos,
  loadQueries,
  type MyPhotos,
  type Queries,
  readQueryLabels,
} from './data/course';
export { type DemoSet, type DemoSetOptions, type DemoSettings, demoEnv, makeDemoSet, useDemoSet } from './data/demo';
export { type DownloadOptions, downloadFile } from './data/download';
export {
  type CheckModelOptions,
  checkModel,
  findSamePhotos,
  judgeModelCheck,
  MODEL_CHECK,
  type ModelCheck,
  type SamePhotos,
} from './data/model-check';
export {
  type ExtractOptions,
  extractQueriesZip,
  findQueriesZip,
  QUERIES_ZIP,
  safeEntryPath,
  ZIP_LIMITS,
  type ZipExtraction,
} from './data/queries-zip';
export {
  type DownloadDogsOptions,
  downloadStanfordDogs,
  readStanfordDogs,
  type StanfordDogs,
} from './data/stanford-dogs';
export { clusteredVectors, rng } from './data/synthetic';
export {
  type EmbeddedImages,
  type EmbedImagesOptions,
  type EmbedOptions,
  type EmbedTextsOptions,
  embedImages,
  embedTexts,
} from './embed/clip';
export { answersFile, readAnswers, saveAnswers } from './eval/answers';
export {
  bestTradeoffSettings,
  equallyFastAs,
  fastestSettings,
  groupMeans,
  type KnobMeans,
  latencySpread,
  mostPreciseSettings,
  type QualityVerdict,
  quantile,
  type SpeedVerdict,
  type TimedSetting,
} from './eval/best-settings';
export {
  bestTradeoff,
  cartesian,
  exactSearch,
  fastest,
  type GridOptions,
  type GridResult,
  type GridRow,
  mostPrecise,
  paretoFront,
  runGrid as runGridReporting,
} from './eval/grid';
export {
  labelRecall,
  mean,
  median,
  precisionAtK,
  precisionPerQuery,
  type RecallOptions,
  recallAtK,
  recallPerQuery,
  withTrueDistances,
} from './eval/metrics';
export { type PrecisionReport, precisionReport } from './eval/report';
export { type Timing, timeSearch } from './eval/timing';
export * from './faiss';
export * from './index';
export { decodeNpy, encodeNpy, type Npy, readNpy, writeNpy } from './io/npy';
export {
  type PhotoRow,
  readVectorsCsv,
  VECTORS_CSV_COLUMNS,
  type VectorsCsv,
  VectorsCsvError,
  writeVectorsCsv,
} from './io/vectors-csv';
export {
  IdMap,
  ivfCells,
  MIN_POINTS_PER_CENTROID,
  normalizePhotoPath,
  PHOTO_ID_BITS,
  PhotoIdCollision,
  photoId,
} from './photos/photo-ids';
export {
  idMapFileOf,
  nprobeSteps,
  type PhotoHit,
  PhotoIndex,
  type PhotoIndexOptions,
  type PhotoIndexUpdate,
} from './photos/photo-index';
export { BruteForceIndex, knnBruteForce } from './search/bruteforce';
export { bruteForce, flat, hnswFlat, ivfFlat, ivfPQ } from './search/builders';
export {
  type HNSWWalk,
  type HNSWWalkOptions,
  type HNSWWalkSource,
  hnswWalk,
  hnswWalkSource,
  type WalkHop,
  type WalkLevel,
  type WalkStep,
  walkDistance,
} from './search/hnsw-walk';
export {
  type CachedBuild,
  type CachedBuildOptions,
  type CachedIndexQuery,
  cachedBuild,
  matrixHash,
  readCachedBuild,
} from './search/index-cache';
export type { BuildArguments, IndexBuilder, QueryArguments, VectorIndex } from './search/interface';
export { type IVFProbe, type IVFProbeOptions, ivfProbe } from './search/ivf-probe';
export { RangeSearchResults } from './search/range';
// Names the public index exports as types only, as values here.
export { type Hit, largerIsCloser, MetricType, type RowHit } from './search/results';
export {
  type ChartOptions,
  chartHtml,
  type Figure,
  type ParetoChartOptions,
  paretoFigure,
  plotlyScript,
  showChart,
  showParetoChart,
} from './show/chart';
export { displayHtml, escapeHtml, inNotebook, noteHtml, showNote } from './show/display';
export {
  type DrawnFigure,
  type HnswWalkFigureOptions,
  hnswWalkFigure,
  type IvfFigureOptions,
  ivfCellsFigure,
  ivfSizesFigure,
  type Projection,
  pca2,
  project,
  showHnswWalk,
  showIvfCells,
} from './show/graph';
export { type MiningGridOptions, miningGridRow, miningTable, showCandidates, showMiningRound } from './show/mining';
export {
  type Box,
  type NeighboursOptions,
  neighboursGrid,
  type PhotoGridOptions,
  type PhotoGridRow,
  photoGridHtml,
  showNeighbours,
  showPhotoGrid,
  type Tile,
  thumbnail,
} from './show/photos';
export { Progress, progressCallback } from './show/progress';
export {
  type Cell,
  formatNumber,
  formatTable,
  type Highlight,
  type Row,
  showTable,
  type TableOptions,
  tableHtml,
} from './show/table';
export * from './sql';
export * from './types';
export { checkMatrix, l2normalize, normalizeRows, takeRows, valuesOf } from './util/vectors';
