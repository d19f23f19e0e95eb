/**
 * The factory strings this lab builds, checked before faiss sees them.
 *
 * faiss.index_factory accepts dozens of index types, and faiss 1.7.3 kills the
 * process on some of their parameters (HNSW0 segfaults on add, HNSW1 loops
 * forever, IVF0 and PQ2x0 divide by zero, PQ8x99 aborts, SQ8 inside HNSW with
 * L1 throws inside a parallel loop, NSG on fewer than ~128 vectors divides by
 * zero) or quietly ignores the metric (PQ with L1 searches by inner product,
 * HNSW_PQ with inner product searches by L2). So the lab accepts a short list it
 * can run safely, with the parameters and metrics each type supports, and refuses
 * everything else with the reason.
 *
 * | description                     | index                                   | metrics          |
 * |---------------------------------|-----------------------------------------|------------------|
 * | `Flat`                          | IndexFlat                               | L2, IP, L1, Linf |
 * | `HNSW<M>`, `HNSW<M>,Flat`       | IndexHNSWFlat, 2 <= M <= 512            | L2, IP, L1, Linf |
 * | `IVF<nlist>,Flat`               | IndexIVFFlat (flat quantizer)           | L2, IP           |
 * | `IVF<nlist>_HNSW<M>,Flat`       | IndexIVFFlat (HNSW quantizer)           | L2, IP           |
 * | `IVF<nlist>,FlatDedup`          | IndexIVFFlatDedup (no IDMap)            | L2, IP           |
 * | `PQ<M>[x<nbits>][np]`           | IndexPQ: M divides d, 1 <= nbits <= 16  | L2, IP           |
 * | `IVF<nlist>,PQ<M>[x<nbits>][np]`| IndexIVFPQ: 1 <= nbits <= 8             | L2, IP           |
 * | `SQ4`, `SQ6`, `SQ8`, `SQfp16`   | IndexScalarQuantizer                    | L2, IP           |
 * | `IVF<nlist>,SQ8` (SQ4/6/fp16)   | IndexIVFScalarQuantizer                 | L2, IP           |
 * | `HNSW<M>,SQ8` (SQ4/6/fp16)      | IndexHNSWSQ                             | L2, IP           |
 * | `HNSW<M>,PQ<m>[np]`             | IndexHNSWPQ (8-bit codes)               | L2               |
 * | `IDMap,<any above>`             | IndexIDMap over it                      | those of the inner |
 * | `IDMap2,<any above>`            | IndexIDMap2 over it                     | those of the inner |
 *
 * `HNSW` alone means M = 32, as in faiss; 1 <= nlist <= 1048576; nbits defaults
 * to 8; `np` turns off polysemous training (which faiss runs by default on a
 * factory-made PQ, and which the lab allows up to nbits = 8: beyond, it needs
 * 24 * 4^nbits bytes per thread and hours). The IVF forms also take an HNSW
 * quantizer (`IVF<nlist>_HNSW<M>,PQ8`). Training needs at least 2^nbits vectors
 * for a PQ (and nlist for an IVF): faiss's k-means throws below that, and prints
 * a WARNING below 39 per centroid.
 *
 * @example
 * parseFactory('IVF143,PQ16', MetricType.L2, 512).canonical   // 'IVF143,PQ16x8'
 * parseFactory('PQ7', MetricType.L2, 512)                      // throws: M=7 does not divide d=512
 */
import { ArgumentError } from '../util/check';
import { MetricType, metricName } from './results';

export const HNSW_M_MIN = 2;
export const HNSW_M_MAX = 512;
export const NLIST_MAX = 1 << 20;
/** nbits of an IndexPQ: faiss 1.7.3 divides by zero with 0 and aborts far above 16 (PQ8x99). */
export const PQ_NBITS_MAX = 16;
/** nbits of an IndexIVFPQ: faiss 1.7.3 refuses more than 8. */
export const IVFPQ_NBITS_MAX = 8;
/** Polysemous training (a factory PQ without np): 24 * 4^nbits bytes per thread, hours beyond 8 bits. */
export const POLYSEMOUS_NBITS_MAX = 8;

/** The scalar quantizers a factory string names, with faiss's ScalarQuantizer::QuantizerType. */
export const SQ_FACTORY_TYPES = { SQ8: 0, SQ4: 1, SQfp16: 4, SQ6: 6 } as const;
export type SQFactoryName = keyof typeof SQ_FACTORY_TYPES;

/** What a factory string builds. */
export interface FactorySpec {
  /** The string handed to faiss: numbers normalised, IDMap as a prefix. */
  canonical: string;
  kind: 'Flat' | 'HNSWFlat' | 'IVFFlat' | 'IVFFlatDedup' | 'PQ' | 'IVFPQ' | 'SQ' | 'IVFSQ' | 'HNSWSQ' | 'HNSWPQ';
  idmap?: 'IDMap' | 'IDMap2';
  /** HNSW's M (kinds HNSWFlat, HNSWSQ, HNSWPQ). */
  M?: number;
  /** Lists of an IVF index. */
  nlist?: number;
  /** M of an IVF's HNSW quantizer (IVF<nlist>_HNSW<M>,...). */
  quantizerM?: number;
  /** Sub-quantizers of a product quantizer (PQ<M>: kinds PQ, IVFPQ, HNSWPQ). */
  pqM?: number;
  /** Bits per sub-quantizer code (default 8). */
  nbits?: number;
  /** Whether faiss runs polysemous training (no `np` suffix). */
  polysemous?: boolean;
  /** The scalar quantizer (kinds SQ, IVFSQ, HNSWSQ). */
  sq?: SQFactoryName;
}

/** The accepted forms, for error messages and the README. */
export const FACTORY_FORMS =
  'Flat, HNSW<M> (or HNSW<M>,Flat), IVF<nlist>,Flat and IVF<nlist>_HNSW<M>,Flat, IVF<nlist>,FlatDedup, ' +
  'PQ<M>[x<nbits>][np], IVF<nlist>,PQ<M>[x<nbits>][np], SQ4/SQ6/SQ8/SQfp16, IVF<nlist>,SQ8 (or SQ4/SQ6/SQfp16), ' +
  'HNSW<M>,SQ8 and HNSW<M>,PQ<m>[np], each but FlatDedup optionally as IDMap,<...> or IDMap2,<...>';

const ALL_METRICS: MetricType[] = [MetricType.L2, MetricType.INNER_PRODUCT, MetricType.L1, MetricType.Linf];
const L2_IP: MetricType[] = [MetricType.L2, MetricType.INNER_PRODUCT];

/** Metrics each index kind supports in faiss 1.7.3 without aborting or ignoring the metric. */
export const FACTORY_METRICS: Record<FactorySpec['kind'], MetricType[]> = {
  Flat: ALL_METRICS,
  HNSWFlat: ALL_METRICS,
  IVFFlat: L2_IP,
  IVFFlatDedup: L2_IP,
  PQ: L2_IP,
  IVFPQ: L2_IP,
  SQ: L2_IP,
  IVFSQ: L2_IP,
  HNSWSQ: L2_IP,
  HNSWPQ: [MetricType.L2],
};

/** faiss's class for each kind, for messages. */
export const FACTORY_CLASSES: Record<FactorySpec['kind'], string> = {
  Flat: 'IndexFlat',
  HNSWFlat: 'IndexHNSWFlat',
  IVFFlat: 'IndexIVFFlat',
  IVFFlatDedup: 'IndexIVFFlatDedup',
  PQ: 'IndexPQ',
  IVFPQ: 'IndexIVFPQ',
  SQ: 'IndexScalarQuantizer',
  IVFSQ: 'IndexIVFScalarQuantizer',
  HNSWSQ: 'IndexHNSWSQ',
  HNSWPQ: 'IndexHNSWPQ',
};

/** What faiss 1.7.3 does with each kind's other metrics (the reason given when one is refused). */
const METRIC_WHY: Partial<Record<FactorySpec['kind'], string>> = {
  IVFFlat: 'faiss 1.7.3 aborts the process on IVF with L1/Linf',
  IVFFlatDedup: 'faiss 1.7.3 aborts the process on IVF with L1/Linf',
  IVFPQ: 'faiss 1.7.3 aborts the process on IVF with L1/Linf',
  IVFSQ: 'faiss 1.7.3 aborts the process on IVF with L1/Linf',
  PQ: 'faiss 1.7.3\'s PQ search silently takes any other metric for inner product',
  SQ: 'faiss 1.7.3\'s scalar quantizer computes L2 and inner product only and throws on the others',
  HNSWSQ: 'faiss 1.7.3\'s scalar quantizer throws on other metrics inside HNSW\'s parallel add, which ends the process',
  HNSWPQ: 'faiss 1.7.3 builds an IndexHNSWPQ\'s storage by L2 whatever the metric, so it would silently search by L2',
};

/**
 * Refuses a metric `kind` does not support, with faiss 1.7.3's reason.
 * @internal Shared with the index classes' constructors.
 */
export function checkKindMetric(kind: FactorySpec['kind'], metric: MetricType): void {
  const metrics = FACTORY_METRICS[kind];
  if (metrics.includes(metric)) return;
  const ivf = kind.startsWith('IVF');
  const how = ivf && kind !== 'IVFPQ' && kind !== 'IVFSQ' ? 'IVF indexes support' : `${FACTORY_CLASSES[kind]} supports`;
  const why = METRIC_WHY[kind];
  const instead = ivf
    ? ': use Flat or HNSW<M> for this metric'
    : kind === 'HNSWPQ' ? ': HNSW<M>,SQ8 or HNSW<M> search by inner product' : ': use Flat or HNSW<M> for this metric';
  throw new ArgumentError(
    `${how} MetricType.${metrics.map(metricName).join(' and ')} only, not ${metricName(metric)}` + (why ? ` (${why})` : '') + instead,
  );
}

/** Why faiss types outside the list are refused (matched on the start of the description). */
const REFUSED: Array<[RegExp, string]> = [
  [/^NSG/, 'faiss 1.7.3 divides by zero building an NSG graph on small sets and with NSG0'],
  [/^IMI|PQ\d+x4fs|PQ\d+\+/, 'multi-index, fast-scan and refined PQ variants are not supported here (PQ, IVF,PQ and HNSW,PQ are)'],
  [/(^|[,_])SQ/, 'scalar quantizers here are SQ4, SQ6, SQ8 and SQfp16 (faiss 1.7.3\'s SQ8_direct casts values to bytes unchecked)'],
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

/** Divisors of d up to 64, for suggestions. */
function divisors(d: number): number[] {
  const out: number[] = [];
  for (let m = 1; m <= Math.min(d, 64) && out.length < 8; m++) if (d % m === 0) out.push(m);
  return out;
}

/**
 * Checks a product quantizer's M (sub-quantizers) and nbits for one index class;
 * `d` when known (M must divide it). Throws an ArgumentError naming the parameter
 * and its accepted range.
 * @internal Shared with the index classes' constructors.
 */
export function checkPQ(cls: 'IndexPQ' | 'IndexIVFPQ' | 'IndexHNSWPQ', M: number, nbits: number, d?: number): void {
  if (!Number.isSafeInteger(M) || M < 1 || (d !== undefined && M > d)) {
    throw new ArgumentError(`the PQ's M (sub-quantizers) of an ${cls} must be an integer between 1 and d${d ? `=${d}` : ''}, not ${M}`);
  }
  if (d !== undefined && d % M !== 0) {
    throw new ArgumentError(
      `the PQ's M (sub-quantizers) must divide d=${d}, not ${M}: each sub-quantizer encodes d/M components ` +
        `(faiss: "The dimension of the vector (d) should be a multiple of the number of subquantizers (M)"); ` +
        `M could be ${divisors(d).join(', ')}${d > 64 ? ', ...' : ''}`,
    );
  }
  const max = cls === 'IndexPQ' ? PQ_NBITS_MAX : IVFPQ_NBITS_MAX;
  if (cls === 'IndexHNSWPQ' ? nbits !== 8 : !Number.isSafeInteger(nbits) || nbits < 1 || nbits > max) {
    const why = cls === 'IndexHNSWPQ'
      ? 'faiss 1.7.3\'s IndexHNSWPQ always uses 8-bit codes (HNSW<M>,PQ<m> takes no x<nbits>)'
      : cls === 'IndexIVFPQ'
        ? 'faiss 1.7.3\'s IndexIVFPQ refuses more than 8; nbits=0 divides by zero'
        : 'faiss 1.7.3 divides by zero with nbits=0 (PQ2x0) and aborts far above (PQ8x99); ' +
          `2^nbits centroids per sub-quantizer need at least 2^nbits training vectors`;
    throw new ArgumentError(
      `the PQ's nbits (bits per sub-quantizer code) of an ${cls} must be ` +
        (cls === 'IndexHNSWPQ' ? '8' : `between 1 and ${max}`) + `, not ${nbits} (${why})`,
    );
  }
}

function pqSpec(m: RegExpExecArray, cls: 'IndexPQ' | 'IndexIVFPQ', d?: number): Pick<FactorySpec, 'pqM' | 'nbits' | 'polysemous'> {
  const pqM = Number(m[1]);
  const nbits = m[2] === undefined ? 8 : Number(m[2]);
  checkPQ(cls, pqM, nbits, d);
  const polysemous = m[3] === undefined;
  if (polysemous && nbits > POLYSEMOUS_NBITS_MAX) {
    throw new ArgumentError(
      `PQ${pqM}x${nbits} without np asks for polysemous training, which the lab runs up to nbits=${POLYSEMOUS_NBITS_MAX} ` +
        `(faiss 1.7.3 needs 24 * 4^nbits bytes per thread and hours of annealing beyond): write PQ${pqM}x${nbits}np`,
    );
  }
  return { pqM, nbits, polysemous };
}

const PQ_RE = /^PQ(\d+)(?:x(\d+))?(np)?$/;
const SQ_RE = /^(SQ4|SQ6|SQ8|SQfp16)$/;

function pqCanonical(s: Pick<FactorySpec, 'pqM' | 'nbits' | 'polysemous'>): string {
  return `PQ${s.pqM}x${s.nbits}${s.polysemous ? '' : 'np'}`;
}

function parseCore(core: string, d?: number): Omit<FactorySpec, 'idmap'> {
  if (core === 'Flat') return { canonical: 'Flat', kind: 'Flat' };
  let m = /^HNSW(\d*)(?:[,_](.*))?$/.exec(core);
  if (m) {
    const M = m[1] === '' ? 32 : number(m[1], 'HNSW\'s M', HNSW_M_MIN, HNSW_M_MAX, M_WHY);
    const code = m[2] ?? 'Flat';
    if (code === 'Flat') return { canonical: `HNSW${M}`, kind: 'HNSWFlat', M };
    if (SQ_RE.test(code)) return { canonical: `HNSW${M},${code}`, kind: 'HNSWSQ', M, sq: code as SQFactoryName };
    const pm = /^PQ(\d+)(x\d+)?(np)?$/.exec(code);
    if (pm) {
      const pqM = Number(pm[1]);
      checkPQ('IndexHNSWPQ', pqM, pm[2] ? Number(pm[2].slice(1)) : 8, d);
      const polysemous = pm[3] === undefined;
      return { canonical: `HNSW${M},PQ${pqM}${polysemous ? '' : 'np'}`, kind: 'HNSWPQ', M, pqM, nbits: 8, polysemous };
    }
  }
  m = PQ_RE.exec(core);
  if (m) {
    const pq = pqSpec(m, 'IndexPQ', d);
    return { canonical: pqCanonical(pq), kind: 'PQ', ...pq };
  }
  if (SQ_RE.test(core)) return { canonical: core, kind: 'SQ', sq: core as SQFactoryName };
  m = /^IVF(\d+)(?:_HNSW(\d*))?,(.+)$/.exec(core);
  if (m) {
    const nlist = number(m[1], 'nlist', 1, NLIST_MAX, NLIST_WHY);
    const quantizerM = m[2] === undefined ? undefined : m[2] === '' ? 32 : number(m[2], 'the quantizer\'s HNSW M', HNSW_M_MIN, HNSW_M_MAX, M_WHY);
    const coarse = `IVF${nlist}${quantizerM === undefined ? '' : `_HNSW${quantizerM}`}`;
    const q = quantizerM === undefined ? {} : { quantizerM };
    const code = m[3];
    if (code === 'Flat') return { canonical: `${coarse},Flat`, kind: 'IVFFlat', nlist, ...q };
    if (code === 'FlatDedup' && quantizerM === undefined) return { canonical: `${coarse},FlatDedup`, kind: 'IVFFlatDedup', nlist };
    if (SQ_RE.test(code)) return { canonical: `${coarse},${code}`, kind: 'IVFSQ', nlist, ...q, sq: code as SQFactoryName };
    const pm = PQ_RE.exec(code);
    if (pm) {
      const pq = pqSpec(pm, 'IndexIVFPQ', d);
      return { canonical: `${coarse},${pqCanonical(pq)}`, kind: 'IVFPQ', nlist, ...q, ...pq };
    }
  }
  if (/^IVF\d*$/.test(core)) {
    throw new ArgumentError(`an IVF index needs its storage after a comma, e.g. "${core},Flat" or "${core},PQ8"; ${forms()}`);
  }
  if (/^IDMap2?$/.test(core) || /(^|,)IDMap2?(,|$)/.test(core)) {
    throw new ArgumentError(`one IDMap or IDMap2 around one index, e.g. "IDMap,Flat"; ${forms()}`);
  }
  const reason = REFUSED.find(([re]) => re.test(core))?.[1];
  throw new ArgumentError(`not an index this lab builds${reason ? ` (${reason})` : ''}: ${forms()}`);
}

/**
 * Checks a factory string and the metric against the list above (and, given the
 * dimension d, that a PQ's M divides it). Returns what it builds, or throws an
 * ArgumentError that names the parameter or the accepted forms.
 */
export function parseFactory(description: string, metric: MetricType, d?: number): FactorySpec {
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
  const spec: FactorySpec = { ...parseCore(core, d), ...(idmap ? { idmap } : {}) };
  if (idmap && spec.kind === 'IVFFlatDedup') {
    throw new ArgumentError(
      `${idmap} around IVF<nlist>,FlatDedup is not one the lab builds: an IndexIVFFlatDedup keeps ids of your own itself (addWithIds)`,
    );
  }
  if (idmap) spec.canonical = `${idmap},${spec.canonical}`;
  checkKindMetric(spec.kind, metric);
  return spec;
}
