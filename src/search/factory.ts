/**
 * The factory strings this lab builds, checked before faiss sees them.
 *
 * faiss.index_factory accepts dozens of index types, and faiss 1.7.3 kills the
 * process on some of their parameters (HNSW0 segfaults on add, HNSW1 loops
 * forever, IVF0 and PQ2x0 divide by zero, PQ8x99 aborts, SQ8 inside HNSW with
 * L1 throws inside a parallel loop, NSG on fewer than ~128 vectors divides by
 * zero) or quietly ignores the metric (HNSW_PQ with inner product searches by
 * L2). So the lab accepts a short list it can run safely, with the metrics each
 * type supports, and refuses everything else with the reason.
 *
 * | description                  | index                              | metrics              |
 * |------------------------------|------------------------------------|----------------------|
 * | `Flat`                       | IndexFlat                          | L2, IP, L1, Linf     |
 * | `HNSW<M>`, `HNSW<M>,Flat`    | IndexHNSWFlat, 2 <= M <= 512       | L2, IP, L1, Linf     |
 * | `IVF<nlist>,Flat`            | IndexIVFFlat (flat quantizer)      | L2, IP               |
 * | `IVF<nlist>_HNSW<M>,Flat`    | IndexIVFFlat (HNSW quantizer)      | L2, IP               |
 * | `IVF<nlist>,FlatDedup`       | IndexIVFFlatDedup (no IDMap)       | L2, IP               |
 * | `IDMap,<any above>`          | IndexIDMap over it                 | those of the inner   |
 * | `IDMap2,<any above>`         | IndexIDMap2 over it                | those of the inner   |
 *
 * `HNSW` alone means M = 32, as in faiss; 1 <= nlist <= 1048576.
 *
 * @example
 * parseFactory(512, 'IVF143,Flat', MetricType.L2).canonical   // 'IVF143,Flat'
 * parseFactory(512, 'PQ8', MetricType.L2)                      // throws: not one the lab builds
 */
import { ArgumentError } from '../util/check';
import { MetricType, metricName } from './results';

export const HNSW_M_MIN = 2;
export const HNSW_M_MAX = 512;
export const NLIST_MAX = 1 << 20;

/** What a factory string builds. */
export interface FactorySpec {
  /** The string handed to faiss: numbers normalised, IDMap as a prefix. */
  canonical: string;
  kind: 'Flat' | 'HNSWFlat' | 'IVFFlat' | 'IVFFlatDedup';
  idmap?: 'IDMap' | 'IDMap2';
  /** HNSW's M (kind HNSWFlat). */
  M?: number;
  /** Lists of an IVF index. */
  nlist?: number;
  /** M of an IVF's HNSW quantizer (IVF<nlist>_HNSW<M>,Flat). */
  quantizerM?: number;
}

/** The accepted forms, for error messages and the README. */
export const FACTORY_FORMS =
  'Flat, HNSW<M> (or HNSW<M>,Flat), IVF<nlist>,Flat and IVF<nlist>_HNSW<M>,Flat, each optionally as IDMap,<...> or IDMap2,<...>, ' +
  'and IVF<nlist>,FlatDedup';

const ALL_METRICS: MetricType[] = [MetricType.L2, MetricType.INNER_PRODUCT, MetricType.L1, MetricType.Linf];
const L2_IP: MetricType[] = [MetricType.L2, MetricType.INNER_PRODUCT];

/** Metrics each index kind supports in faiss 1.7.3 without aborting. */
export const FACTORY_METRICS: Record<FactorySpec['kind'], MetricType[]> = {
  Flat: ALL_METRICS,
  HNSWFlat: ALL_METRICS,
  IVFFlat: L2_IP,
  IVFFlatDedup: L2_IP,
};

/** Why faiss types outside the list are refused (matched on the start of the description). */
const REFUSED: Array<[RegExp, string]> = [
  [/^NSG/, 'faiss 1.7.3 divides by zero building an NSG graph on small sets and with NSG0'],
  [/(^|[,_])PQ|^IVF\d+,PQ|^IMI/, 'product quantizers crash faiss 1.7.3 on parameters such as PQ2x0 (division by zero) or PQ8x99 (abort), and HNSW_PQ ignores the metric'],
  [/(^|[,_])SQ|^IVF\d+,SQ/, 'scalar quantizers support L2 and inner product only, and HNSW_SQ with another metric throws inside a parallel loop, which ends the process'],
  [/^(PCA|OPQ|RR|L2norm|ITQ|Pad)/, 'vector transforms are not supported here'],
  [/(RFlat|Refine|LSH|RQ|LSQ|PRQ|PLSQ|ZnLattice|Residual)/, 'this index type is not supported here'],
];

function forms(): string {
  return `this lab builds ${FACTORY_FORMS} (the README's FAISS section lists them with their metrics)`;
}

function number(text: string, what: string, min: number, max: number, why: string): number {
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new ArgumentError(`${what} must be between ${min} and ${max}, not ${text}${why}`);
  }
  return v;
}

const M_WHY = ' (faiss\'s HNSW with M=0 crashes on add, with M=1 it loops forever)';
const NLIST_WHY = ' (faiss divides by zero with nlist=0)';

function parseCore(core: string): Omit<FactorySpec, 'idmap'> {
  if (core === 'Flat') return { canonical: 'Flat', kind: 'Flat' };
  let m = /^HNSW(\d*)(?:[,_]Flat)?$/.exec(core);
  if (m) {
    const M = m[1] === '' ? 32 : number(m[1], 'HNSW\'s M', HNSW_M_MIN, HNSW_M_MAX, M_WHY);
    return { canonical: `HNSW${M}`, kind: 'HNSWFlat', M };
  }
  m = /^IVF(\d+)(?:_HNSW(\d*))?,Flat$/.exec(core);
  if (m) {
    const nlist = number(m[1], 'nlist', 1, NLIST_MAX, NLIST_WHY);
    if (m[2] === undefined) return { canonical: `IVF${nlist},Flat`, kind: 'IVFFlat', nlist };
    const quantizerM = m[2] === '' ? 32 : number(m[2], 'the quantizer\'s HNSW M', HNSW_M_MIN, HNSW_M_MAX, M_WHY);
    return { canonical: `IVF${nlist}_HNSW${quantizerM},Flat`, kind: 'IVFFlat', nlist, quantizerM };
  }
  m = /^IVF(\d+),FlatDedup$/.exec(core);
  if (m) {
    const nlist = number(m[1], 'nlist', 1, NLIST_MAX, NLIST_WHY);
    return { canonical: `IVF${nlist},FlatDedup`, kind: 'IVFFlatDedup', nlist };
  }
  if (/^IVF\d*$/.test(core)) {
    throw new ArgumentError(`an IVF index needs its storage after a comma, e.g. "${core},Flat"; ${forms()}`);
  }
  if (/^IDMap2?$/.test(core) || /(^|,)IDMap2?(,|$)/.test(core)) {
    throw new ArgumentError(`one IDMap or IDMap2 around one index, e.g. "IDMap,Flat"; ${forms()}`);
  }
  const reason = REFUSED.find(([re]) => re.test(core))?.[1];
  throw new ArgumentError(`not an index this lab builds${reason ? ` (${reason})` : ''}: ${forms()}`);
}

/**
 * Checks a factory string and the metric against the list above. Returns what it
 * builds, or throws an ArgumentError that names the accepted forms.
 */
export function parseFactory(description: string, metric: MetricType): FactorySpec {
  if (/\s/.test(description)) {
    throw new ArgumentError('factory strings have no spaces, e.g. "IVF100,Flat"');
  }
  let idmap: FactorySpec['idmap'];
  let core = description;
  const m = /^(IDMap2?),(.+)$/.exec(description) ?? /^(.+),(IDMap2?)$/.exec(description);
  if (m) {
    const prefix = m[1].startsWith('IDMap');
    idmap = (prefix ? m[1] : m[2]) as FactorySpec['idmap'];
    core = prefix ? m[2] : m[1];
  }
  const spec: FactorySpec = { ...parseCore(core), ...(idmap ? { idmap } : {}) };
  if (idmap && spec.kind === 'IVFFlatDedup') {
    throw new ArgumentError(
      `${idmap} around IVF<nlist>,FlatDedup is not one the lab builds: an IndexIVFFlatDedup keeps ids of your own itself (addWithIds)`,
    );
  }
  if (idmap) spec.canonical = `${idmap},${spec.canonical}`;
  const metrics = FACTORY_METRICS[spec.kind];
  if (!metrics.includes(metric)) {
    const ivf = spec.kind === 'IVFFlat' || spec.kind === 'IVFFlatDedup';
    const how = ivf ? 'IVF indexes support' : `${spec.kind} supports`;
    throw new ArgumentError(
      `${how} MetricType.${metrics.map(metricName).join(' and ')} only, not ${metricName(metric)}` +
        (ivf ? ' (faiss 1.7.3 aborts the process on IVF with L1/Linf): use Flat or HNSW<M> for this metric' : ''),
    );
  }
  return spec;
}
