/**
 * FAISS for TypeScript, the module's one entry: the names of faiss's Python API,
 * camelCased. native.ts loads the addon; args.ts and ownership.ts check calls;
 * base.ts is faiss.Index; flat.ts, hnsw.ts, ivf.ts, idmap.ts and quantizers.ts
 * are the families, each saying what faiss 1.7.3 can do with it; io.ts reads,
 * writes, clones and builds indexes (and must load: it installs downcast).
 */
import { MetricType } from '../search/results';

export const METRIC_INNER_PRODUCT = MetricType.INNER_PRODUCT;
export const METRIC_L2 = MetricType.L2;
export const METRIC_L1 = MetricType.L1;
export const METRIC_Linf = MetricType.Linf;
export { type RangeSearchResult, RangeSearchResults } from '../search/range';
export { MetricType, metricName, type SearchResult, SearchResults } from '../search/results';
export {
  IDSelector,
  IDSelectorArray,
  IDSelectorBatch,
  IDSelectorNot,
  IDSelectorRange,
  type IdList,
  SearchParameters,
  SearchParametersHNSW,
  SearchParametersIVF,
} from '../search/selectors';
export { type AddOptions, FP16_MAX, Index, RANGE_SEARCH_MAX_RESULTS, type RangeSearchOptions } from './base';
export { IndexFlat, IndexFlatIP, IndexFlatL2 } from './flat';
export { HNSWGraph, HNSWParameters, hnswGraph, IndexHNSW, IndexHNSWFlat, type LevelDegrees } from './hnsw';
export { IndexIDMap, IndexIDMap2 } from './idmap';
export { cloneIndex, deserializeIndex, indexFactory, readIndex, serializeIndex, writeIndex } from './io';
export {
  DirectMap,
  type DirectMapType,
  IndexIVF,
  IndexIVFFlat,
  IndexIVFFlatDedup,
  type IVFLists,
  ivfLists,
} from './ivf';
export { faissBuild, faissVersion, OMP_MAX_THREADS, ompGetMaxThreads, ompSetNumThreads } from './native';
export {
  IndexHNSWPQ,
  IndexHNSWSQ,
  IndexIVFPQ,
  IndexIVFScalarQuantizer,
  IndexPQ,
  IndexScalarQuantizer,
  ProductQuantizerParameters,
  type QuantizerType,
  ScalarQuantizer,
  ScalarQuantizerParameters,
} from './quantizers';
