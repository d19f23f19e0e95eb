/**
 * Quantizing indexes: product (PQ) and scalar (SQ) quantizers, alone (IndexPQ,
 * IndexScalarQuantizer), in IVF lists (IndexIVFPQ, IndexIVFScalarQuantizer) and in
 * HNSW graphs (IndexHNSWSQ, IndexHNSWPQ), with their parameter views.
 */
import type { NativeIndex, NativeSearchParams } from 'faiss-lab-native';
import { checkKindMetric, checkPQ, HNSW_M_MAX, HNSW_M_MIN } from '../search/factory';
import { MetricType } from '../search/results';
import { type IDSelector, SearchParameters, SearchParametersHNSW, SearchParametersIVF } from '../search/selectors';
import { ArgumentError, checkInt32, invalid } from '../util/check';
import { checkMetric } from './args';
import { type HalfFloatStorage, Index } from './base';
import { IndexHNSW } from './hnsw';
import { checkIVFArgs, IndexIVF } from './ivf';
import { native } from './native';
import { registerClass } from './registry';

/**
 * faiss.ScalarQuantizer's QuantizerType values, as `faiss.ScalarQuantizer.QT_8bit`:
 * bits per component, one range per component (non-uniform) or one for all
 * (uniform), or 16-bit floats. QT_8bit_direct is not supported here (faiss 1.7.3
 * casts values to bytes without clamping them).
 */
export const ScalarQuantizer = {
  QT_8bit: 0,
  QT_4bit: 1,
  QT_8bit_uniform: 2,
  QT_4bit_uniform: 3,
  QT_fp16: 4,
  QT_6bit: 6,
} as const;
export type QuantizerType = (typeof ScalarQuantizer)[keyof typeof ScalarQuantizer];
const QT_NAMES = Object.fromEntries(Object.entries(ScalarQuantizer).map(([k, v]) => [v, k])) as Record<number, string>;

function checkQtype(qtype: unknown): QuantizerType {
  if (typeof qtype !== 'number' || !(qtype in QT_NAMES)) {
    throw invalid(
      'qtype',
      `a ScalarQuantizer type (${Object.keys(ScalarQuantizer)
        .map((k) => `ScalarQuantizer.${k}`)
        .join(', ')})`,
      qtype,
    );
  }
  return qtype as QuantizerType;
}

/** The product quantizer of an index, as index.pq in faiss (read-only here). */
export class ProductQuantizerParameters {
  constructor(private readonly owner: NativeIndex) {}

  /** Dimension of the vectors. */
  get d(): number {
    return this.owner.d();
  }
  /** Sub-quantizers: each encodes d/M components (dsub) of a vector. */
  get M(): number {
    return this.owner.getParam('pqM');
  }
  /** Bits per sub-quantizer code: each has ksub = 2^nbits centroids. */
  get nbits(): number {
    return this.owner.getParam('pqNbits');
  }
  /** Centroids per sub-quantizer, 2^nbits. */
  get ksub(): number {
    return this.owner.getParam('pqKsub');
  }
  /** Components per sub-quantizer, d/M. */
  get dsub(): number {
    return this.owner.getParam('pqDsub');
  }
  /** Bytes per code, ceil(M * nbits / 8). */
  get codeSize(): number {
    return this.owner.getParam('pqCodeSize');
  }
  /** A copy of the centroids, M * ksub * dsub floats (sub-quantizer m's centroid j at (m * ksub + j) * dsub). */
  get centroids(): Float32Array {
    return this.owner.codebook()!;
  }
}

/** The scalar quantizer of an index, as index.sq in faiss (read-only here). */
export class ScalarQuantizerParameters {
  constructor(private readonly owner: NativeIndex) {}

  /** ScalarQuantizer.QT_8bit, QT_4bit, ... */
  get qtype(): QuantizerType {
    return this.owner.getParam('sqType') as QuantizerType;
  }
  /** Bytes per code: d (8 bit), ceil(d/2) (4 bit), ceil(6d/8) (6 bit), 2d (fp16). */
  get codeSize(): number {
    return this.owner.getParam('sqCodeSize');
  }
  /**
   * A copy of the trained ranges: [vmin, vdiff] (uniform), d vmins then d vdiffs
   * (non-uniform: component j decodes into [vmin_j, vmin_j + vdiff_j]); empty for fp16.
   */
  get trained(): Float32Array {
    return this.owner.codebook()!;
  }
}

/**
 * Refuses a training set a quantizing index cannot be trained on: faiss's k-means
 * throws below one vector per centroid (a PQ's 2^nbits per sub-quantizer; an IVF's
 * nlist), after an IVF's quantizer was already trained; an SQ reads its first
 * vector without looking; and codes already stored would decode to other vectors.
 */
function checkTrainingSet(
  inner: Index,
  data: Float32Array,
  pq: ProductQuantizerParameters | undefined,
  ranges: boolean,
): void {
  const n = data.length / inner.d;
  if (inner.ntotal > 0) {
    throw new Error(
      `this ${inner.className} holds ${inner.ntotal} vectors encoded with its current ${ranges ? 'ranges' : 'codebook'}: training again would ` +
        'make them decode to other vectors. reset() it first (or train a new index)',
    );
  }
  const need: string[] = [];
  let min = 1;
  if (inner instanceof IndexIVF) {
    const q = inner.quantizer;
    if (!(q.isTrained && q.ntotal === inner.nlist)) {
      min = inner.nlist;
      need.push(`nlist=${inner.nlist} centroids for its lists`);
    }
  }
  if (pq) {
    min = Math.max(min, pq.ksub);
    need.push(`2^nbits=${pq.ksub} centroids per sub-quantizer`);
  }
  if (n < min) {
    const what = need.length
      ? `trains ${need.join(' and ')}`
      : "learns each component's range from its training vectors";
    throw new ArgumentError(
      `this ${inner.className} ${what}: it needs at least ${min} training vectors, not ${n}` +
        (need.length
          ? ` (faiss's k-means throws below one per centroid, and warns below 39 per centroid: ` + `${39 * min} here)`
          : ''),
    );
  }
}

/** Why a PQ or SQ index alone cannot be range-searched: `ivf` names the IVF variant, which can. */
function rangeRefusal(x: Index, via: string, ivf: string): string {
  return (
    `faiss 1.7.3 has no range search for an ${x.className}${via} ("range search not implemented"): use an ` +
    `${ivf}, or search(xq, k) and keep the hits within the radius`
  );
}

/** 16-bit float storage of an SQ with this qtype (residual: the IVF encodes v - centroid). */
function halfFloats(qtype: QuantizerType, residual: boolean): HalfFloatStorage {
  if (qtype !== ScalarQuantizer.QT_fp16) return undefined;
  return residual ? 'residual' : 'direct';
}

/**
 * Product quantization, faiss.IndexPQ(d, M, nbits, metric): each vector split into M
 * sub-vectors of d/M components, each stored as the nbits-bit number of its nearest
 * of 2^nbits trained centroids (M * nbits / 8 bytes per vector); search compares
 * each query with the codes' centroids (asymmetric distance). M must divide d,
 * 1 <= nbits <= 16; train on at least 2^nbits vectors. L2 or inner product.
 *
 * @example
 * const index = new IndexPQ(512, 64, 8);   // 64 bytes per vector instead of 2048
 * index.train(xt); index.add(xb);
 * index.search(xq, 10);
 */
export class IndexPQ extends Index {
  constructor(d: number, M: number, nbits = 8, metric: MetricType = MetricType.L2) {
    checkInt32(d, 'd', 1);
    checkPQ('IndexPQ', M, nbits, d);
    const m = checkMetric(metric);
    checkKindMetric('PQ', m);
    super(native.newPQ(d, M, nbits, m));
  }

  /** The product quantizer: pq.M, pq.nbits, pq.ksub, pq.dsub, pq.codeSize, pq.centroids. */
  get pq(): ProductQuantizerParameters {
    return new ProductQuantizerParameters(this.native);
  }
  /** Bytes stored per vector (faiss's code_size). */
  get codeSize(): number {
    return this.native.getParam('codeSize');
  }

  protected override checkSearchParams(): void {
    throw new ArgumentError(
      `faiss 1.7.3's ${this.className} takes only its own SearchParametersPQ, without a selector ("selector not supported"): ` +
        'search without params and drop the ids you do not want, or use an IndexIVFPQ, which filters with SearchParametersIVF({ sel })',
    );
  }

  protected override rangeSearchRefusal(via: string): string | undefined {
    return rangeRefusal(this, via, 'IndexIVFPQ');
  }

  protected override mergeRefusal(): string | undefined {
    return undefined;
  }

  protected override mergeCheck(other: Index, addId: bigint): string | undefined {
    return this.mergeByPosition(other, addId);
  }

  protected override codebookLabel(): string {
    return `M=${this.pq.M}, nbits=${this.pq.nbits}`;
  }

  protected override checkTrainingSetHere(_outer: Index, data: Float32Array): void {
    checkTrainingSet(this, data, this.pq, false);
  }
}

/**
 * Scalar quantization, faiss.IndexScalarQuantizer(d, qtype, metric): each component
 * stored in 8, 6 or 4 bits within a trained range (ScalarQuantizer.QT_8bit, ...) or
 * as a 16-bit float (QT_fp16, values within ±65504, no training). L2 or inner product.
 *
 * @example
 * const index = new IndexScalarQuantizer(512, ScalarQuantizer.QT_8bit);   // 512 bytes per vector
 * index.train(xt); index.add(xb);
 */
export class IndexScalarQuantizer extends Index {
  constructor(d: number, qtype: QuantizerType = ScalarQuantizer.QT_8bit, metric: MetricType = MetricType.L2) {
    checkInt32(d, 'd', 1);
    const t = checkQtype(qtype);
    const m = checkMetric(metric);
    checkKindMetric('SQ', m);
    super(native.newSQ(d, t, m));
  }

  /** The scalar quantizer: sq.qtype, sq.codeSize, sq.trained. */
  get sq(): ScalarQuantizerParameters {
    return new ScalarQuantizerParameters(this.native);
  }
  /** Bytes stored per vector (faiss's code_size). */
  get codeSize(): number {
    return this.native.getParam('codeSize');
  }

  /** faiss 1.7.3 filters a scalar quantizer's scan by a selector (IndexScalarQuantizer::search). */
  override searchParametersFiltering(sel: IDSelector): SearchParameters {
    return new SearchParameters({ sel });
  }

  protected override checkSearchParams(
    params: SearchParameters,
    _p: NativeSearchParams,
    _op: 'search' | 'rangeSearch',
  ): void {
    if (params instanceof SearchParametersHNSW || params instanceof SearchParametersIVF) {
      throw new ArgumentError(
        `an ${this.className} has neither efSearch nor nprobe: pass new SearchParameters({ sel }), not ${params.constructor.name}`,
      );
    }
  }

  protected override rangeSearchRefusal(via: string): string | undefined {
    return rangeRefusal(this, via, 'IndexIVFScalarQuantizer');
  }

  protected override mergeRefusal(): string | undefined {
    return undefined;
  }

  protected override mergeCheck(other: Index, addId: bigint): string | undefined {
    return this.mergeByPosition(other, addId);
  }

  protected override codebookLabel(): string {
    return QT_NAMES[this.sq.qtype];
  }

  protected override codebookWord(): string {
    return 'ranges';
  }

  protected override halfFloatStorage(): HalfFloatStorage {
    return halfFloats(this.sq.qtype, false);
  }

  protected override checkTrainingSetHere(_outer: Index, data: Float32Array): void {
    checkTrainingSet(this, data, undefined, true);
  }
}

/**
 * Inverted file with product-quantized residuals, faiss.IndexIVFPQ(quantizer, d,
 * nlist, M, nbits, metric): how collections larger than memory are searched (M *
 * nbits / 8 bytes per vector plus its 8-byte id). M must divide d, 1 <= nbits <= 8;
 * train on at least max(nlist, 2^nbits) vectors. nprobe as for every IVF.
 *
 * @example
 * const ivfpq = new IndexIVFPQ(new IndexFlatL2(512), 512, 1024, 64, 8);
 * await ivfpq.trainAsync(xt); await ivfpq.addAsync(xb);
 * ivfpq.nprobe = 16;
 */
export class IndexIVFPQ extends IndexIVF {
  constructor(quantizer: Index, d: number, nlist: number, M: number, nbits = 8, metric: MetricType = MetricType.L2) {
    const m = checkMetric(metric);
    checkKindMetric('IVFPQ', m);
    checkIVFArgs(quantizer, d, nlist, m);
    checkPQ('IndexIVFPQ', M, nbits, d);
    super(native.newIVFPQ(quantizer.native, d, nlist, M, nbits, m));
    this.useQuantizer(quantizer);
  }

  /** The product quantizer (of the residuals, by default): pq.M, pq.nbits, pq.ksub, pq.centroids. */
  get pq(): ProductQuantizerParameters {
    return new ProductQuantizerParameters(this.native);
  }
  /**
   * Whether vectors are encoded as their difference to the list's centroid (faiss's
   * by_residual, default true: more accurate). Set before training only.
   */
  get byResidual(): boolean {
    return this.native.getParam('byResidual') === 1;
  }
  set byResidual(v: boolean) {
    if (typeof v !== 'boolean') throw invalid('byResidual', 'a boolean', v);
    this.beforeWrite('train');
    if (this.isTrained || this.ntotal > 0)
      throw new Error(`byResidual changes how an ${this.className} encodes vectors: set it before train()`);
    this.native.setParam('byResidual', v ? 1 : 0);
  }
  /** Bytes stored per vector in the lists (faiss's code_size; plus an 8-byte id each). */
  get codeSize(): number {
    return this.native.getParam('codeSize');
  }

  protected override codebookLabel(): string {
    return `M=${this.pq.M}, nbits=${this.pq.nbits}`;
  }

  protected override encodesResidual(): boolean {
    return this.byResidual;
  }

  protected override checkTrainingSetHere(_outer: Index, data: Float32Array): void {
    checkTrainingSet(this, data, this.pq, false);
  }
}

/**
 * Inverted file with scalar-quantized vectors, faiss.IndexIVFScalarQuantizer(quantizer,
 * d, nlist, qtype, metric, byResidual): each vector (by default its residual to the
 * list's centroid) stored with qtype (ScalarQuantizer.QT_8bit: d bytes).
 */
export class IndexIVFScalarQuantizer extends IndexIVF {
  constructor(
    quantizer: Index,
    d: number,
    nlist: number,
    qtype: QuantizerType = ScalarQuantizer.QT_8bit,
    metric: MetricType = MetricType.L2,
    byResidual = true,
  ) {
    const m = checkMetric(metric);
    checkKindMetric('IVFSQ', m);
    checkIVFArgs(quantizer, d, nlist, m);
    const t = checkQtype(qtype);
    if (typeof byResidual !== 'boolean') throw invalid('byResidual', 'a boolean', byResidual);
    super(native.newIVFSQ(quantizer.native, d, nlist, t, m, byResidual));
    this.useQuantizer(quantizer);
  }

  /** The scalar quantizer: sq.qtype, sq.codeSize, sq.trained. */
  get sq(): ScalarQuantizerParameters {
    return new ScalarQuantizerParameters(this.native);
  }
  /** Whether vectors are encoded as their difference to the list's centroid (faiss's by_residual). */
  get byResidual(): boolean {
    return this.native.getParam('byResidual') === 1;
  }
  /** Bytes stored per vector in the lists (faiss's code_size; plus an 8-byte id each). */
  get codeSize(): number {
    return this.native.getParam('codeSize');
  }

  protected override codebookLabel(): string {
    return QT_NAMES[this.sq.qtype];
  }

  protected override codebookWord(): string {
    return 'ranges';
  }

  protected override encodesResidual(): boolean {
    return this.byResidual;
  }

  protected override halfFloatStorage(): HalfFloatStorage {
    return halfFloats(this.sq.qtype, this.byResidual);
  }

  protected override checkTrainingSetHere(_outer: Index, data: Float32Array): void {
    checkTrainingSet(this, data, undefined, true);
  }
}

/**
 * HNSW graph over scalar-quantized vectors, faiss.IndexHNSWSQ(d, qtype, M, metric):
 * train (the ranges), then add. L2 or inner product (faiss 1.7.3's scalar quantizer
 * throws on L1/Linf inside HNSW's parallel add, which would end the process).
 */
export class IndexHNSWSQ extends IndexHNSW {
  constructor(d: number, qtype: QuantizerType = ScalarQuantizer.QT_8bit, M = 32, metric: MetricType = MetricType.L2) {
    checkInt32(d, 'd', 1);
    const t = checkQtype(qtype);
    checkInt32(M, 'M', HNSW_M_MIN, HNSW_M_MAX);
    const m = checkMetric(metric);
    checkKindMetric('HNSWSQ', m);
    super(native.newHNSWSQ(d, t, M, m));
  }

  /** The scalar quantizer of the stored vectors: sq.qtype, sq.codeSize, sq.trained. */
  get sq(): ScalarQuantizerParameters {
    return new ScalarQuantizerParameters(this.native);
  }
  /** Bytes per stored vector (the graph's links come on top). */
  get codeSize(): number {
    return this.native.getParam('codeSize');
  }

  protected override halfFloatStorage(): HalfFloatStorage {
    return halfFloats(this.sq.qtype, false);
  }

  protected override checkTrainingSetHere(_outer: Index, data: Float32Array): void {
    checkTrainingSet(this, data, undefined, true);
  }
}

/**
 * HNSW graph over product-quantized vectors, faiss.IndexHNSWPQ(d, pqM, M): 8-bit
 * codes, pqM bytes per vector, by L2 only (faiss 1.7.3 takes no metric here and
 * would search any other by L2). Train on at least 256 vectors, then add.
 */
export class IndexHNSWPQ extends IndexHNSW {
  constructor(d: number, pqM: number, M = 32) {
    checkInt32(d, 'd', 1);
    checkPQ('IndexHNSWPQ', pqM, 8, d);
    checkInt32(M, 'M', HNSW_M_MIN, HNSW_M_MAX);
    super(native.newHNSWPQ(d, pqM, M));
  }

  /** The product quantizer of the stored vectors: pq.M, pq.nbits (8), pq.centroids. */
  get pq(): ProductQuantizerParameters {
    return new ProductQuantizerParameters(this.native);
  }
  /** Bytes per stored vector (the graph's links come on top). */
  get codeSize(): number {
    return this.native.getParam('codeSize');
  }

  protected override checkTrainingSetHere(_outer: Index, data: Float32Array): void {
    checkTrainingSet(this, data, this.pq, false);
  }
}

registerClass('PQ', IndexPQ);
registerClass('SQ', IndexScalarQuantizer);
registerClass('IVFPQ', IndexIVFPQ);
registerClass('IVFSQ', IndexIVFScalarQuantizer);
registerClass('HNSWSQ', IndexHNSWSQ);
registerClass('HNSWPQ', IndexHNSWPQ);
