/** Ids of your own over another index: faiss.IndexIDMap and IndexIDMap2. */
import type { NativeIndex } from 'faiss-lab-native';
import { ArgumentError, invalid } from '../util/check';
import { downcastView, Index } from './base';
import { IndexFlat } from './flat';
import { IndexHNSW } from './hnsw';
import { DirectMap, IndexIVF, IndexIVFFlatDedup } from './ivf';
import { native } from './native';
import { type Op, ownershipOf, type Role } from './ownership';
import { IndexPQ, IndexScalarQuantizer } from './quantizers';
import { registerClass } from './registry';

/**
 * Maps your own int64 ids onto another index, faiss.IndexIDMap(index).
 * Add with addWithIds; search returns your ids. The wrapped index (empty, a
 * flat, PQ, SQ, HNSW or IVF index) becomes read-only while the IDMap lives.
 */
export class IndexIDMap extends Index {
  declare private innerRef?: Index;

  constructor(index: Index) {
    super(IndexIDMap.wrapNative(index, new.target === IndexIDMap2));
    Object.defineProperty(this, 'innerRef', { value: index, enumerable: false });
    ownershipOf(index).users.push({ ref: new WeakRef<Index>(this), role: 'index' });
  }

  /** @internal */
  protected static wrapNative(index: Index, two: boolean): NativeIndex {
    if (!(index instanceof Index)) throw invalid('index', 'an Index (e.g. new IndexFlatL2(d))', index);
    if (index instanceof IndexIDMap) {
      throw new ArgumentError(
        `an IndexIDMap cannot wrap an ${index.className}: use that one, or wrap the index inside it`,
      );
    }
    const codes = index instanceof IndexPQ || index instanceof IndexScalarQuantizer;
    if (!(index instanceof IndexFlat || index instanceof IndexHNSW || index instanceof IndexIVF || codes)) {
      throw new ArgumentError(`an IndexIDMap wraps a flat, PQ, SQ, HNSW or IVF index, not an ${index.className}`);
    }
    if (index.ntotal !== 0) {
      throw new ArgumentError(`IndexIDMap needs an empty index, but it holds ${index.ntotal} vectors`);
    }
    if (index instanceof IndexIVFFlatDedup) {
      throw new ArgumentError(
        `an IndexIDMap does not wrap an ${index.className} here: it keeps ids of your own itself (addWithIds)`,
      );
    }
    if (index instanceof IndexIVF && index.directMapType === DirectMap.Hashtable) {
      throw new ArgumentError(
        `an IndexIDMap adds to its ${index.className} without ids, which faiss 1.7.3 files under wrong ids in a hash-table ` +
          'direct map: setDirectMapType(DirectMap.Array) (or NoMap) on it first',
      );
    }
    return native.newIDMap(index.native, two);
  }

  /** The wrapped index. Read-only while this IDMap lives. */
  get index(): Index {
    if (!this.innerRef) {
      const sub = this.native.sub('index');
      if (!sub) throw new Error(`${this.className} has no inner index`);
      Object.defineProperty(this, 'innerRef', { value: downcastView(sub, this, 'index'), enumerable: false });
    }
    return this.innerRef!;
  }

  override add(): never {
    throw new Error(`${this.className} needs ids: use addWithIds(x, ids)`);
  }

  override async addAsync(): Promise<never> {
    throw new Error(`${this.className} needs ids: use addWithIdsAsync(x, ids)`);
  }

  protected override checkCanAddWithIds(): void {
    this.checkCanAdd();
  }

  protected override storedIndex(): Index {
    return this.index;
  }

  protected override writeTargets(_op: Op): Array<[Index, Index, Role]> {
    return [[this, this.index, 'index']];
  }

  protected override checkSearchParams(): void {
    throw new ArgumentError(
      `faiss 1.7.3's ${this.className} takes no search parameters (it throws "search params not supported for this index"): ` +
        'an IndexIVFFlat keeps ids of your own itself (addWithIds) and filters on them with SearchParametersIVF({ sel }); ' +
        'a flat or HNSW index filters on its labels',
    );
  }

  protected override mergeCheck(other: Index, _addId: bigint): string | undefined {
    const inner = this.index;
    const oi = (other as IndexIDMap).index;
    if (oi.className !== inner.className || oi.metricType !== inner.metricType) {
      return `the two ${this.className}s wrap different indexes (${inner.className} and ${oi.className})`;
    }
    return Index.codebookMismatch(inner, oi);
  }

  protected override removeRefusal(): string | undefined {
    const inner = this.index;
    if (!(inner instanceof IndexIVF)) return undefined;
    return (
      `this ${this.className} over an ${inner.className} cannot remove ids: the ${inner.className} keeps the numbers of ` +
      `its other vectors when some are removed, while the ${this.className}'s table moves up, so ids would name the ` +
      'wrong vectors (and faiss aborts on the next removal). An IVF index stores ids itself: use its ' +
      'addWithIds(x, ids) and removeIds(ids) without an IDMap'
    );
  }

  protected override reconstructRefusal(): string | undefined {
    return `${this.className} keeps no table from ids to vectors: build an IndexIDMap2 to reconstruct by id`;
  }
}

/** IndexIDMap that can also reconstruct vectors by id, faiss.IndexIDMap2(index). */
export class IndexIDMap2 extends IndexIDMap {
  constructor(index: Index) {
    super(index);
  }

  protected override reconstructRefusal(): string | undefined {
    return undefined;
  }

  protected override keysAreIds(): boolean {
    return true;
  }

  protected override reconstructNById(): boolean {
    return true;
  }
}

registerClass('IDMap', IndexIDMap);
registerClass('IDMap2', IndexIDMap2);
