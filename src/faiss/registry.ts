/**
 * The index kinds this lab knows, one row each: faiss's class, how downcast
 * recognises it, the four-character codes faiss writes it as, the metrics faiss
 * 1.7.3 runs it with, its factory form and its grid builder. io.ts's downcast,
 * search/factory.ts's parser and metric check, search/serialized.ts's type codes
 * and search/builders.ts read it. It imports no family: each family file
 * registers its classes (registerClass) and builders.ts its builders, so the
 * modules below (factory.ts, serialized.ts) can read the rows without a cycle.
 *
 * Adding a kind: its class file (which calls registerClass), a row here, and
 * its constructor in the addon.
 */

import type { IndexBuilder } from '../search/interface';
import { MetricType } from '../search/results';
import type { Index } from './base';

const ALL_METRICS: MetricType[] = [MetricType.L2, MetricType.INNER_PRODUCT, MetricType.L1, MetricType.Linf];
const L2_IP: MetricType[] = [MetricType.L2, MetricType.INNER_PRODUCT];
const IVF_WHY = 'faiss 1.7.3 aborts the process on IVF with L1/Linf';

/** A row's class (its constructor may be protected): downcast makes Object.create(cls.prototype). */
export interface IndexClass {
  prototype: Index;
  name: string;
}

/**
 * How a factory string names a kind: an optional coarse part (`HNSW<M>,` or
 * `IVF<nlist>[_HNSW<M>],`), then a code matching `code`, whose numbers `codec`
 * (search/factory.ts's parse logic for that code family) checks.
 */
export interface FactoryForm {
  /** The forms, as error messages and the README list them. */
  form: string;
  coarse: 'none' | 'HNSW' | 'IVF';
  code: RegExp;
  codec: 'flat' | 'pq' | 'sq';
  /** False where faiss cannot wrap it in IDMap/IDMap2 usefully. */
  idmap?: false;
  /** False where the IVF takes only a flat quantizer. */
  hnswQuantizer?: false;
}

export interface IndexKind {
  /** The kind, e.g. 'HNSWFlat' (a factory spec's kind, a grid builder's name). */
  readonly name: string;
  /** faiss's class, for messages. */
  readonly className: string;
  /** faiss class names downcast wraps in this row's class (first matching row wins). */
  readonly classPattern: RegExp;
  /** The four-character codes faiss's write_index writes it as. */
  readonly fourcc: readonly string[];
  /** The serialised checks (search/serialized.ts) it is read with, when not its own name's. */
  readonly checkedAs?: string;
  /** Metrics faiss 1.7.3 runs it with, without aborting or ignoring the metric. */
  readonly metrics: readonly MetricType[];
  /** What faiss 1.7.3 does with the other metrics (the reason given when one is refused). */
  readonly metricWhy?: string;
  readonly factory?: FactoryForm;
  /** faiss 1.7.3 has a standalone codec for it (sa_encode, sa_decode): IndexFlatCodes and IndexIVF. */
  readonly codec?: true;
  /** Registered by the class's file. */
  cls?: IndexClass;
  /** Registered by search/builders.ts where a grid builds this kind. */
  builder?: IndexBuilder<Index>;
}

const SQ_CODE = /^(SQ4|SQ6|SQ8|SQfp16)$/;
const PQ_CODE = /^PQ(\d+)(?:x(\d+))?(np)?$/;

/**
 * The rows. Factory kinds come first, in the order FACTORY_FORMS lists them;
 * rows whose pattern is a prefix (IndexHNSW*, IndexIVF*) come last.
 */
// `const T`: each row's name keeps its literal type, so KindName and FactoryKind are read from the rows.
function rows<const T extends readonly IndexKind[]>(r: T): T {
  return r;
}

const ROWS = rows([
  {
    name: 'Flat',
    codec: true,
    className: 'IndexFlat',
    classPattern: /^IndexFlat$/,
    fourcc: ['IxFl'],
    metrics: ALL_METRICS,
    factory: { form: 'Flat', coarse: 'none', code: /^Flat$/, codec: 'flat' },
  },
  {
    name: 'HNSWFlat',
    className: 'IndexHNSWFlat',
    classPattern: /^IndexHNSWFlat$/,
    fourcc: ['IHNf'],
    metrics: ALL_METRICS,
    factory: { form: 'HNSW<M> (or HNSW<M>,Flat)', coarse: 'HNSW', code: /^Flat$/, codec: 'flat' },
  },
  {
    name: 'IVFFlat',
    codec: true,
    className: 'IndexIVFFlat',
    classPattern: /^IndexIVFFlat$/,
    fourcc: ['IwFl'],
    metrics: L2_IP,
    metricWhy: IVF_WHY,
    factory: { form: 'IVF<nlist>,Flat and IVF<nlist>_HNSW<M>,Flat', coarse: 'IVF', code: /^Flat$/, codec: 'flat' },
  },
  {
    name: 'IVFFlatDedup',
    codec: true,
    className: 'IndexIVFFlatDedup',
    classPattern: /^IndexIVFFlatDedup$/,
    fourcc: ['IwFd'],
    metrics: L2_IP,
    metricWhy: IVF_WHY,
    factory: {
      form: 'IVF<nlist>,FlatDedup',
      coarse: 'IVF',
      code: /^FlatDedup$/,
      codec: 'flat',
      idmap: false,
      hnswQuantizer: false,
    },
  },
  {
    name: 'PQ',
    codec: true,
    className: 'IndexPQ',
    classPattern: /^IndexPQ$/,
    fourcc: ['IxPq'],
    metrics: L2_IP,
    metricWhy: "faiss 1.7.3's PQ search silently takes any other metric for inner product",
    factory: { form: 'PQ<M>[x<nbits>][np]', coarse: 'none', code: PQ_CODE, codec: 'pq' },
  },
  {
    name: 'IVFPQ',
    codec: true,
    className: 'IndexIVFPQ',
    classPattern: /^IndexIVFPQ$/,
    fourcc: ['IwPQ'],
    metrics: L2_IP,
    metricWhy: IVF_WHY,
    factory: { form: 'IVF<nlist>,PQ<M>[x<nbits>][np]', coarse: 'IVF', code: PQ_CODE, codec: 'pq' },
  },
  {
    name: 'SQ',
    codec: true,
    className: 'IndexScalarQuantizer',
    classPattern: /^IndexScalarQuantizer$/,
    fourcc: ['IxSQ'],
    metrics: L2_IP,
    metricWhy: "faiss 1.7.3's scalar quantizer computes L2 and inner product only and throws on the others",
    factory: { form: 'SQ4/SQ6/SQ8/SQfp16', coarse: 'none', code: SQ_CODE, codec: 'sq' },
  },
  {
    name: 'IVFSQ',
    codec: true,
    className: 'IndexIVFScalarQuantizer',
    classPattern: /^IndexIVFScalarQuantizer$/,
    fourcc: ['IwSq'],
    metrics: L2_IP,
    metricWhy: IVF_WHY,
    factory: { form: 'IVF<nlist>,SQ8 (or SQ4/SQ6/SQfp16)', coarse: 'IVF', code: SQ_CODE, codec: 'sq' },
  },
  {
    name: 'HNSWSQ',
    className: 'IndexHNSWSQ',
    classPattern: /^IndexHNSWSQ$/,
    fourcc: ['IHNs'],
    metrics: L2_IP,
    metricWhy:
      "faiss 1.7.3's scalar quantizer throws on other metrics inside HNSW's parallel add, which ends the process",
    factory: { form: 'HNSW<M>,SQ8', coarse: 'HNSW', code: SQ_CODE, codec: 'sq' },
  },
  {
    name: 'HNSWPQ',
    className: 'IndexHNSWPQ',
    classPattern: /^IndexHNSWPQ$/,
    fourcc: ['IHNp'],
    metrics: [MetricType.L2],
    metricWhy:
      "faiss 1.7.3 builds an IndexHNSWPQ's storage by L2 whatever the metric, so it would silently search by L2",
    // nbits is checked (it must be 8) rather than matched, for the message.
    factory: { form: 'HNSW<M>,PQ<m>[np]', coarse: 'HNSW', code: /^PQ(\d+)(?:x(\d+))?(np)?$/, codec: 'pq' },
  },
  {
    name: 'FlatL2',
    codec: true,
    className: 'IndexFlatL2',
    classPattern: /^IndexFlatL2$/,
    fourcc: ['IxF2'],
    checkedAs: 'Flat',
    metrics: [MetricType.L2],
  },
  {
    name: 'FlatIP',
    codec: true,
    className: 'IndexFlatIP',
    classPattern: /^IndexFlatIP$/,
    fourcc: ['IxFI'],
    checkedAs: 'Flat',
    metrics: [MetricType.INNER_PRODUCT],
  },
  {
    name: 'IDMap2',
    className: 'IndexIDMap2',
    classPattern: /^IndexIDMap2$/,
    fourcc: ['IxM2'],
    checkedAs: 'IDMap',
    metrics: ALL_METRICS,
  },
  { name: 'IDMap', className: 'IndexIDMap', classPattern: /^IndexIDMap$/, fourcc: ['IxMp'], metrics: ALL_METRICS },
  // Other HNSW and IVF classes faiss may hand back (views, a clone of an HNSW): their family's base class.
  { name: 'HNSW', className: 'IndexHNSW', classPattern: /^IndexHNSW/, fourcc: [], metrics: ALL_METRICS },
  {
    name: 'IVF',
    className: 'IndexIVF',
    classPattern: /^IndexIVF/,
    fourcc: [],
    metrics: L2_IP,
    metricWhy: IVF_WHY,
    codec: true,
  },
]);

export const INDEX_KINDS: readonly IndexKind[] = ROWS;

type Row = (typeof ROWS)[number];
/** Every kind's name, e.g. 'HNSWFlat': a family file registers its classes under these. */
export type KindName = Row['name'];
/** The kinds indexFactory builds: the rows with a factory form. */
export type FactoryKind = Extract<Row, { factory: FactoryForm }>['name'];

/** The row of a kind; throws on a name no row has (a programming error). */
export function indexKind(name: string): IndexKind {
  const row = INDEX_KINDS.find((k) => k.name === name);
  if (!row) throw new Error(`no index kind ${name} in src/faiss/registry.ts`);
  return row;
}

/** The rows indexFactory builds, in FACTORY_FORMS's order. */
export function factoryKinds(): Array<IndexKind & { factory: FactoryForm }> {
  return INDEX_KINDS.filter((k): k is IndexKind & { factory: FactoryForm } => k.factory !== undefined);
}

/** Called by each family file for its classes: downcast then wraps faiss's indexes of that kind in `cls`. */
export function registerClass(name: KindName, cls: IndexClass): void {
  const row = indexKind(name);
  if (row.cls && row.cls !== cls) throw new Error(`index kind ${name} already has class ${row.cls.name}`);
  row.cls = cls;
}

/** Called by search/builders.ts: the grid builder of a kind (its name is the kind's). */
export function registerBuilder(builder: IndexBuilder<Index>): void {
  indexKind(builder.name).builder = builder;
}

/** The row downcast uses for a faiss class name, or undefined (the plain Index). */
export function kindOfClass(className: string): IndexKind | undefined {
  return INDEX_KINDS.find((k) => k.classPattern.test(className));
}
