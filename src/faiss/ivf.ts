/** Inverted files: faiss.IndexIVF, IndexIVFFlat, IndexIVFFlatDedup (IVFPQ and IVFSQ are in quantizers.ts). */
import type { NativeSearchParams } from 'faiss-lab-native';
import { NLIST_MAX } from '../search/factory';
import { MetricType, metricName } from '../search/results';
import { type IDSelector, type SearchParameters, SearchParametersIVF } from '../search/selectors';
import { ArgumentError, checkInt32, checkInteger, invalid } from '../util/check';
import { checkMetric } from './args';
import { downcastView, Index } from './base';
import { IndexFlat } from './flat';
import { IndexHNSWFlat } from './hnsw';
import { native } from './native';
import { type Op, ownershipOf, ownersOf, type Role } from './ownership';
import { registerClass } from './registry';

/** How an IVF index finds a vector by id (faiss.DirectMap): none, an array (ids 0..ntotal-1) or a hash table. */
export const DirectMap = { NoMap: 0, Array: 1, Hashtable: 2 } as const;
export type DirectMapType = (typeof DirectMap)[keyof typeof DirectMap];

export function ivfMetric(metric: unknown, what = 'IVF indexes'): MetricType {
  const m = checkMetric(metric);
  // faiss 1.7.3 aborts the process (an assertion, not an exception) on IVF with L1/Linf.
  if (m !== MetricType.L2 && m !== MetricType.INNER_PRODUCT) {
    throw new ArgumentError(
      `${what} support MetricType.L2 and INNER_PRODUCT only, not ${metricName(m)}: ` +
        'use IndexFlat or IndexHNSWFlat for this metric',
    );
  }
  return m;
}

/**
 * Checks an IVF constructor's quantizer, d and nlist (the metric already checked);
 * returns the metric. The quantizer is an IndexFlat or IndexHNSWFlat by L2 or inner
 * product, empty or holding nlist centroids.
 */
export function checkIVFArgs(quantizer: Index, d: number, nlist: number, m: MetricType): MetricType {
  if (!(quantizer instanceof Index)) throw invalid('quantizer', 'an Index (e.g. new IndexFlatL2(d))', quantizer);
  checkInt32(d, 'd', 1);
  if (quantizer.d !== d) throw new ArgumentError(`quantizer has d=${quantizer.d}, but the IVF index has d=${d}`);
  checkInteger(nlist, 'nlist', 1, NLIST_MAX);
  if (!(quantizer instanceof IndexFlat || quantizer instanceof IndexHNSWFlat)) {
    throw new ArgumentError(
      `the quantizer must be an IndexFlat (IndexFlatL2, IndexFlatIP) or an IndexHNSWFlat, whose labels are the ` +
        `list numbers 0..nlist-1; an ${quantizer.className} is not one: use new IndexFlatL2(d)`,
    );
  }
  ivfMetric(quantizer.metricType, 'quantizers');
  if (quantizer.ntotal !== 0 && quantizer.ntotal !== nlist) {
    throw new ArgumentError(`quantizer holds ${quantizer.ntotal} centroids; it must be empty or hold nlist=${nlist}`);
  }
  return m;
}

/** Any inverted-file index: a coarse quantizer assigns vectors to nlist lists. */
export class IndexIVF extends Index {
  declare private quantizerRef?: Index;

  /** Lists visited per query: higher is slower and more accurate (default 1). */
  get nprobe(): number {
    return this.native.getParam('nprobe');
  }
  set nprobe(v: number) {
    this.native.setParam('nprobe', checkInteger(v, 'nprobe', 1, 1 << 30));
  }

  protected override queryArgumentNames(): string[] {
    return ['nprobe'];
  }

  /** Number of inverted lists. */
  get nlist(): number {
    return this.native.getParam('nlist');
  }

  /**
   * The coarse quantizer (holds the nlist centroids after training). Read-only
   * while this index lives: train, add to and reset the IVF instead.
   */
  get quantizer(): Index {
    if (!this.quantizerRef) {
      const q = this.native.sub('quantizer');
      if (!q) throw new Error(`${this.className} has no quantizer`);
      this.setQuantizer(downcastView(q, this, 'quantizer'));
    }
    return this.quantizerRef!;
  }

  protected override checkCanAddWithIds(): void {
    this.checkCanAdd();
    if (this.directMapType === DirectMap.Array) {
      throw new Error(
        `this ${this.className} has an array direct map, which holds the ids 0..ntotal-1 only (faiss: "cannot have array ` +
          'direct map and add with ids"): add(x), or setDirectMapType(DirectMap.Hashtable) for ids of your own',
      );
    }
  }

  /** How this index finds a vector by id (faiss's direct_map.type): DirectMap.NoMap, Array or Hashtable. */
  get directMapType(): DirectMapType {
    return this.native.getParam('directMap') as DirectMapType;
  }

  /**
   * Keeps a table from ids to vectors so reconstruct(id) and reconstructBatch work,
   * faiss's make_direct_map(): an array over the ids 0..ntotal-1 (as add() numbers
   * them); `false` drops it. Ids of your own (addWithIds) need
   * setDirectMapType(DirectMap.Hashtable). Allowed on the IVF inside an IDMap (it
   * changes no vector or id).
   *
   * @example
   * ivf.makeDirectMap();
   * ivf.reconstruct(17);   // the vector added as number 17
   */
  makeDirectMap(maintain = true): void {
    if (typeof maintain !== 'boolean') throw invalid('maintain', 'a boolean', maintain);
    this.setDirectMapType(maintain ? DirectMap.Array : DirectMap.NoMap);
  }

  /** faiss's set_direct_map_type: DirectMap.NoMap, DirectMap.Array (ids 0..ntotal-1) or DirectMap.Hashtable (any ids). */
  setDirectMapType(type: DirectMapType): void {
    if (!(type === 0 || type === 1 || type === 2))
      throw invalid('type', 'DirectMap.NoMap, DirectMap.Array or DirectMap.Hashtable', type);
    this.native.checkWrite();
    if (type !== DirectMap.NoMap && this instanceof IndexIVFFlatDedup) {
      throw new Error(
        `faiss 1.7.3's ${this.className} cannot reconstruct (reconstruct_from_offset is not implemented) and refuses to add ` +
          'with a direct map ("IVFFlatDedup not implemented with direct_map")',
      );
    }
    const idmap = ownersOf(this).find((o) => o.role === 'index');
    if (type === DirectMap.Hashtable && idmap) {
      throw new Error(
        `this ${this.className} is the index inside an ${idmap.owner.className}, which adds to it without ids; faiss 1.7.3 ` +
          'would then file them in a hash table under wrong ids: use DirectMap.Array (makeDirectMap()), which numbers them as it does',
      );
    }
    try {
      this.native.setDirectMap(type);
    } catch (e) {
      if (type === DirectMap.Array && e instanceof Error && /array direct map needs/.test(e.message)) {
        e.message = `cannot make an array direct map: ${e.message} (ids of your own: setDirectMapType(DirectMap.Hashtable))`;
      }
      throw e;
    }
  }

  protected override writeTargets(op: Op): Array<[Index, Index, Role]> {
    if (op !== 'train') return [];
    // faiss keeps a quantizer that already holds nlist centroids; otherwise k-means rewrites it.
    const q = this.quantizer;
    return q.isTrained && q.ntotal === this.nlist ? [] : [[this, q, 'quantizer']];
  }

  override searchParametersFiltering(sel: IDSelector): SearchParametersIVF | undefined {
    return new SearchParametersIVF({ sel, nprobe: Math.min(this.nprobe, 1 << 30) });
  }

  protected override checkSearchParams(
    params: SearchParameters,
    _p: NativeSearchParams,
    _op: 'search' | 'rangeSearch',
  ): void {
    if (!(params instanceof SearchParametersIVF)) {
      throw new ArgumentError(
        `an ${this.className} takes SearchParametersIVF({ nprobe, maxCodes, sel }), not ${params.constructor.name}`,
      );
    }
  }

  protected override rangeSearchRefusal(_via: string): string | undefined {
    return undefined;
  }

  protected override mergeRefusal(outer: Index): string | undefined {
    if (outer === this) return undefined;
    return (
      `faiss 1.7.3 merges an ${outer.className}'s inner ${this.className} without renumbering the other's vectors, so they would ` +
      'answer with the wrong ids: merge IVF indexes that keep your ids themselves (ivf.addWithIds, then ivf.mergeFrom(other))'
    );
  }

  protected override mergeCheck(other: Index, _addId: bigint): string | undefined {
    const a = this as IndexIVF;
    const b = other as IndexIVF;
    if (a.nlist !== b.nlist) return `the other IVF has nlist=${b.nlist}, this one nlist=${a.nlist}`;
    if (a.directMapType !== DirectMap.NoMap || b.directMapType !== DirectMap.NoMap) {
      return 'faiss 1.7.3 merges IVF indexes without a direct map only ("merge direct_map not implemented"): setDirectMapType(DirectMap.NoMap) on both first';
    }
    const qa = a.quantizer;
    const qb = b.quantizer;
    // faiss 1.7.3 compares the nlist centroids of both (check_compatible_for_merge_expensive_check)
    // and reads past the end of a quantizer that holds fewer.
    if (qa.ntotal !== a.nlist || qb.ntotal !== b.nlist) {
      return (
        `merging needs two trained IVFs, whose quantizers hold nlist=${a.nlist} centroids (this one's holds ${qa.ntotal}, ` +
        `the other's ${qb.ntotal}): train one, cloneIndex it while empty, add to each, then merge`
      );
    }
    if (qa !== qb) {
      const ca = qa.reconstructN(0, qa.ntotal);
      const cb = qb.reconstructN(0, qb.ntotal);
      if (ca.some((v, i) => v !== cb[i])) {
        return (
          "the two IVFs have different centroids (trained separately): the other's vectors would sit in lists of the wrong " +
          'centroids. Train one, cloneIndex it while empty, add to each, then merge (or share one trained quantizer)'
        );
      }
    }
    return Index.codebookMismatch(a, b);
  }

  protected override removeRefusal(): string | undefined {
    if (this.directMapType !== DirectMap.Array) return undefined;
    return (
      `faiss 1.7.3 cannot remove from an ${this.className} with an array direct map ("remove not supported with this ` +
      'direct_map format"): setDirectMapType(DirectMap.Hashtable) keeps reconstruct by id and can remove'
    );
  }

  protected override keysAreIds(): boolean {
    return true;
  }

  protected override checkStoredReconstruct(byKey: boolean, outer: Index): void {
    const ivf = this as IndexIVF;
    if ((byKey || ivf !== outer) && ivf.directMapType === DirectMap.NoMap) {
      const where = ivf === outer ? 'index' : 'index.index';
      throw new Error(
        `${ivf === outer ? 'this' : 'the'} ${ivf.className} finds a vector by id only through its direct map, which it does not have: ` +
          `call ${where}.makeDirectMap() first (ids 0..ntotal-1; ${where}.setDirectMapType(DirectMap.Hashtable) for ids of your own)` +
          (ivf === outer ? ', or read vectors by id range with reconstructN(i0, n), which needs none' : ''),
      );
    }
  }

  /** @internal */
  protected setQuantizer(q: Index): void {
    Object.defineProperty(this, 'quantizerRef', { value: q, enumerable: false });
  }

  /** @internal A quantizer passed to the constructor: read-only while this index lives. */
  protected useQuantizer(q: Index): void {
    this.setQuantizer(q);
    ownershipOf(q).users.push({ ref: new WeakRef<Index>(this), role: 'quantizer' });
  }
}

/**
 * Inverted file with full vectors, faiss.IndexIVFFlat(quantizer, d, nlist, metric).
 * Train it first; nprobe trades speed for recall. The quantizer (an IndexFlat or
 * an IndexHNSWFlat, by L2 or inner product, empty or holding nlist centroids)
 * becomes read-only while this index lives.
 */
export class IndexIVFFlat extends IndexIVF {
  constructor(quantizer: Index, d: number, nlist: number, metric: MetricType = MetricType.L2) {
    const m = checkIVFArgs(quantizer, d, nlist, ivfMetric(metric));
    super(native.newIVFFlat(quantizer.native, d, nlist, m, (new.target as unknown) === IndexIVFFlatDedup));
    this.useQuantizer(quantizer);
  }
}

/**
 * IndexIVFFlat that stores identical vectors once, faiss.IndexIVFFlatDedup(quantizer,
 * d, nlist, metric): a search returns every id of a vector it finds. faiss 1.7.3
 * cannot give its vectors back, range-search it, filter it with a selector, merge or
 * give it a direct map: those calls are refused with the reason.
 */
export class IndexIVFFlatDedup extends IndexIVFFlat {
  constructor(quantizer: Index, d: number, nlist: number, metric: MetricType = MetricType.L2) {
    super(quantizer, d, nlist, metric);
  }

  /** faiss 1.7.3 applies a selector before adding each hit's duplicates (see checkSearchParams): none. */
  override searchParametersFiltering(_sel: IDSelector): undefined {
    return undefined;
  }

  protected override checkSearchParams(
    params: SearchParameters,
    p: NativeSearchParams,
    op: 'search' | 'rangeSearch',
  ): void {
    super.checkSearchParams(params, p, op);
    if (p.sel) {
      throw new ArgumentError(
        `faiss 1.7.3's ${this.className} applies a selector before it adds the duplicates of each hit, so duplicates it should exclude ` +
          'still come back: search without sel and filter the hits',
      );
    }
  }

  protected override rangeSearchRefusal(via: string): string | undefined {
    return `faiss 1.7.3's ${this.className}${via} has no range search ("not implemented")`;
  }

  protected override mergeRefusal(): string | undefined {
    return `faiss 1.7.3 merges an ${this.className}'s lists but not its table of duplicates, which would be lost: add the other's vectors instead`;
  }

  protected override checkStoredReconstruct(): void {
    throw new Error(
      `faiss 1.7.3's ${this.className} cannot give back its vectors (reconstruct_from_offset is not implemented)`,
    );
  }
}

/**
 * An IVF index's inverted lists, copied out of faiss (ivfLists(index)): which ids
 * each of the nlist cells holds, and the cells' centroids (the coarse quantizer's
 * vectors). Python: index.invlists.list_size(l), index.quantizer.reconstruct_n(0, nlist).
 */
export interface IVFLists {
  nlist: number;
  d: number;
  /** The quantizer's metric (which centroid a vector or query goes to). */
  metricType: MetricType;
  /** Vectors per list (faiss's list_size), size nlist. */
  sizes: Float64Array;
  /** List l's entries are ids[lims[l] .. lims[l+1]); size nlist + 1. */
  lims: Float64Array;
  /** Every list's ids, list after list. */
  ids: BigInt64Array;
  /** The nlist centroids, row-major (nlist * d). */
  centroids: Float32Array;
  /** An IndexIVFFlat's stored vectors in the order of ids (ids.length * d), when asked for; else undefined. */
  vectors?: Float32Array;
}

/**
 * A copy of an IVF index's lists and centroids (see IVFLists). `vectors: true`
 * also copies an IndexIVFFlat's stored vectors (its codes are the float vectors).
 *
 * @example
 * const lists = ivfLists(index);
 * Math.max(...lists.sizes);   // the fullest cell
 */
export function ivfLists(index: unknown, options: { vectors?: boolean } = {}): IVFLists {
  if (!(index instanceof IndexIVF)) {
    const inner = (index as { index?: unknown })?.index;
    const hint = inner instanceof IndexIVF ? ' (an IDMap over one: pass idmap.index)' : '';
    throw invalid('index', 'an IVF index (IndexIVFFlat, IndexIVFPQ, IndexIVFScalarQuantizer)' + hint, index);
  }
  const withVectors = options?.vectors === true;
  if (withVectors && !(index instanceof IndexIVFFlat)) {
    throw new ArgumentError(
      `vectors: true needs an IndexIVFFlat, whose lists store the vectors themselves; an ${index.className} stores codes`,
    );
  }
  const nlist = index.nlist;
  const q = index.quantizer;
  if (!index.isTrained || q.ntotal !== nlist) {
    throw new Error(
      `this ${index.className} has no centroids yet (its quantizer holds ${q.ntotal} of nlist=${nlist}): train it first`,
    );
  }
  const raw = index.native.invlists(withVectors);
  const lims = new Float64Array(nlist + 1);
  for (let l = 0; l < nlist; l++) lims[l + 1] = lims[l] + raw.sizes[l];
  const out: IVFLists = {
    nlist,
    d: index.d,
    metricType: q.metricType,
    sizes: raw.sizes,
    lims,
    ids: raw.ids,
    centroids: q.reconstructN(0, nlist),
  };
  // An IVFFlat's code is its vector's d floats (code_size = 4d); the copy starts a fresh buffer, so it is aligned.
  if (withVectors && raw.codes)
    out.vectors = new Float32Array(raw.codes.buffer, raw.codes.byteOffset, raw.ids.length * index.d);
  return out;
}

registerClass('IVF', IndexIVF);
registerClass('IVFFlat', IndexIVFFlat);
registerClass('IVFFlatDedup', IndexIVFFlatDedup);
