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
import { type FactoryForm, type FactoryKind, factoryKinds, indexKind } from '../faiss/registry';
import { ArgumentError } from '../util/check';
import { type MetricType, metricName } from './results';

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
  kind: FactoryKind;
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

/** The accepted forms, for error messages and the README (the registry's factory rows, in order). */
export const FACTORY_FORMS = (() => {
  const forms = factoryKinds().map((k) => k.factory.form);
  return (
    `${forms.slice(0, -1).join(', ')} and ${forms[forms.length - 1]}, ` +
    'each but FlatDedup optionally as IDMap,<...> or IDMap2,<...>'
  );
})();

/** Metrics each index kind supports in faiss 1.7.3 without aborting or ignoring the metric (src/faiss/registry.ts). */
export const FACTORY_METRICS = Object.fromEntries(factoryKinds().map((k) => [k.name, [...k.metrics]])) as Record<
  FactoryKind,
  MetricType[]
>;

/** faiss's class for each kind, for messages. */
export const FACTORY_CLASSES = Object.fromEntries(factoryKinds().map((k) => [k.name, k.className])) as Record<
  FactoryKind,
  string
>;

/**
 * Refuses a metric `kind` does not support, with faiss 1.7.3's reason.
 * @internal Shared with the index classes' constructors.
 */
export function checkKindMetric(kind: FactorySpec['kind'], metric: MetricType): void {
  const row = indexKind(kind);
  const metrics = row.metrics;
  if (metrics.includes(metric)) return;
  const ivf = kind.startsWith('IVF');
  const how = ivf && kind !== 'IVFPQ' && kind !== 'IVFSQ' ? 'IVF indexes support' : `${row.className} supports`;
  const why = row.metricWhy;
  const instead = ivf
    ? ': use Flat or HNSW<M> for this metric'
    : kind === 'HNSWPQ'
      ? ': HNSW<M>,SQ8 or HNSW<M> search by inner product'
      : ': use Flat or HNSW<M> for this metric';
  throw new ArgumentError(
    `${how} MetricType.${metrics.map(metricName).join(' and ')} only, not ${metricName(metric)}` +
      (why ? ` (${why})` : '') +
      instead,
  );
}

/** Why faiss types outside the list are refused (matched on the start of the description). */
const REFUSED: Array<[RegExp, string]> = [
  [/^NSG/, 'faiss 1.7.3 divides by zero building an NSG graph on small sets and with NSG0'],
  [
    /^IMI|PQ\d+x4fs|PQ\d+\+/,
    'multi-index, fast-scan and refined PQ variants are not supported here (PQ, IVF,PQ and HNSW,PQ are)',
  ],
  [
    /(^|[,_])SQ/,
    "scalar quantizers here are SQ4, SQ6, SQ8 and SQfp16 (faiss 1.7.3's SQ8_direct casts values to bytes unchecked)",
  ],
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

const M_WHY = " (faiss's HNSW with M=0 crashes on add, with M=1 it loops forever)";
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
    throw new ArgumentError(
      `the PQ's M (sub-quantizers) of an ${cls} must be an integer between 1 and d${d ? `=${d}` : ''}, not ${M}`,
    );
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
    const why =
      cls === 'IndexHNSWPQ'
        ? "faiss 1.7.3's IndexHNSWPQ always uses 8-bit codes (HNSW<M>,PQ<m> takes no x<nbits>)"
        : cls === 'IndexIVFPQ'
          ? "faiss 1.7.3's IndexIVFPQ refuses more than 8; nbits=0 divides by zero"
          : 'faiss 1.7.3 divides by zero with nbits=0 (PQ2x0) and aborts far above (PQ8x99); ' +
            `2^nbits centroids per sub-quantizer need at least 2^nbits training vectors`;
    throw new ArgumentError(
      `the PQ's nbits (bits per sub-quantizer code) of an ${cls} must be ` +
        (cls === 'IndexHNSWPQ' ? '8' : `between 1 and ${max}`) +
        `, not ${nbits} (${why})`,
    );
  }
}

function pqSpec(
  m: RegExpExecArray,
  cls: 'IndexPQ' | 'IndexIVFPQ',
  d?: number,
): Pick<FactorySpec, 'pqM' | 'nbits' | 'polysemous'> {
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

function pqCanonical(s: Pick<FactorySpec, 'pqM' | 'nbits' | 'polysemous'>): string {
  return `PQ${s.pqM}x${s.nbits}${s.polysemous ? '' : 'np'}`;
}

type CodeSpec = Partial<Omit<FactorySpec, 'canonical' | 'kind' | 'idmap'>> & { code: string };

/**
 * The parse logic of each code family a registry row names (its `codec`): the
 * canonical code and what it sets, its numbers checked for the row's class.
 */
const CODECS: Record<FactoryForm['codec'], (m: RegExpExecArray, kind: FactoryKind, d?: number) => CodeSpec> = {
  // HNSW<M> alone is HNSW<M>,Flat: faiss's canonical form has no code.
  flat: (m, kind) => ({ code: kind === 'HNSWFlat' ? '' : m[0] }),
  sq: (m) => ({ code: m[0], sq: m[0] as SQFactoryName }),
  pq(m, kind, d) {
    if (kind === 'HNSWPQ') {
      const pqM = Number(m[1]);
      checkPQ('IndexHNSWPQ', pqM, m[2] === undefined ? 8 : Number(m[2]), d);
      const polysemous = m[3] === undefined;
      return { code: `PQ${pqM}${polysemous ? '' : 'np'}`, pqM, nbits: 8, polysemous };
    }
    const pq = pqSpec(m, kind === 'PQ' ? 'IndexPQ' : 'IndexIVFPQ', d);
    return { code: pqCanonical(pq), ...pq };
  },
};

/** The registry's factory row whose code matches `code` after this coarse part, parsed; undefined if none. */
function parseCode(
  coarse: FactoryForm['coarse'],
  code: string,
  d: number | undefined,
  hnswQuantizer = false,
): (CodeSpec & { kind: FactoryKind }) | undefined {
  for (const row of factoryKinds()) {
    const f = row.factory;
    if (f.coarse !== coarse || (hnswQuantizer && f.hnswQuantizer === false)) continue;
    const m = f.code.exec(code);
    if (m) return { kind: row.name as FactoryKind, ...CODECS[f.codec](m, row.name as FactoryKind, d) };
  }
  return undefined;
}

/** A factory string's coarse part (HNSW<M>, IVF<nlist>[_HNSW<M>]), its numbers checked, and the code after it. */
function splitCoarse(core: string): {
  coarse: FactoryForm['coarse'];
  prefix?: string;
  extra: Partial<FactorySpec>;
  code: string;
  hnswQuantizer?: boolean;
} {
  const h = /^HNSW(\d*)(?:[,_](.*))?$/.exec(core);
  if (h) {
    const M = h[1] === '' ? 32 : number(h[1], "HNSW's M", HNSW_M_MIN, HNSW_M_MAX, M_WHY);
    return { coarse: 'HNSW', prefix: `HNSW${M}`, extra: { M }, code: h[2] ?? 'Flat' };
  }
  const m = /^IVF(\d+)(?:_HNSW(\d*))?,(.+)$/.exec(core);
  if (m) {
    const nlist = number(m[1], 'nlist', 1, NLIST_MAX, NLIST_WHY);
    // IVF<nlist>_HNSW means M = 32, as HNSW alone.
    const quantizerM =
      m[2] === undefined
        ? undefined
        : m[2] === ''
          ? 32
          : number(m[2], "the quantizer's HNSW M", HNSW_M_MIN, HNSW_M_MAX, M_WHY);
    const q = quantizerM === undefined;
    return {
      coarse: 'IVF',
      prefix: `IVF${nlist}${q ? '' : `_HNSW${quantizerM}`}`,
      extra: q ? { nlist } : { nlist, quantizerM },
      code: m[3],
      hnswQuantizer: !q,
    };
  }
  return { coarse: 'none', extra: {}, code: core };
}

function parseCore(core: string, d?: number): Omit<FactorySpec, 'idmap'> {
  const { coarse, prefix, extra, code: rest, hnswQuantizer } = splitCoarse(core);
  const found = parseCode(coarse, rest, d, hnswQuantizer);
  if (found) {
    const { code, kind, ...fields } = found;
    const canonical = [prefix, code].filter((p) => p).join(',');
    return { canonical, kind, ...extra, ...fields };
  }
  if (/^IVF\d*$/.test(core)) {
    throw new ArgumentError(
      `an IVF index needs its storage after a comma, e.g. "${core},Flat" or "${core},PQ8"; ${forms()}`,
    );
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
  if (idmap && indexKind(spec.kind).factory?.idmap === false) {
    throw new ArgumentError(
      `${idmap} around IVF<nlist>,FlatDedup is not one the lab builds: an IndexIVFFlatDedup keeps ids of your own itself (addWithIds)`,
    );
  }
  if (idmap) spec.canonical = `${idmap},${spec.canonical}`;
  checkKindMetric(spec.kind, metric);
  return spec;
}
