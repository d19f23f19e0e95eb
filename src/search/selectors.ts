/**
 * Per-call search parameters and id selectors, as faiss 1.7.3 has them.
 *
 * faiss 1.7.3 added `SearchParameters` (with an `IDSelector` in `sel`: "only these
 * ids") and its per-index forms `SearchParametersHNSW` (efSearch) and
 * `SearchParametersIVF` (nprobe, max_codes). Pass one as the last argument of
 * search / searchAsync / rangeSearch; the index's own knobs stay as they are.
 *
 * | faiss (Python)                          | here                                        |
 * |-----------------------------------------|---------------------------------------------|
 * | `faiss.IDSelectorRange(imin, imax)`     | `new IDSelectorRange(imin, imax)`: ids in [imin, imax) |
 * | `faiss.IDSelectorArray(ids)`            | `new IDSelectorArray(ids)`                  |
 * | `faiss.IDSelectorBatch(ids)`            | `new IDSelectorBatch(ids)` (a hash set)     |
 * | `faiss.IDSelectorNot(sel)`              | `new IDSelectorNot(sel)`: every id but those |
 * | `faiss.SearchParameters(sel=sel)`       | `new SearchParameters({ sel })` (flat indexes) |
 * | `faiss.SearchParametersHNSW(sel=sel, efSearch=64)` | `new SearchParametersHNSW({ sel, efSearch: 64 })` |
 * | `faiss.SearchParametersIVF(sel=sel, nprobe=8)`     | `new SearchParametersIVF({ sel, nprobe: 8 })` |
 *
 * As in faiss, the parameters replace the index's knobs for that call, with
 * faiss's defaults when left out: `SearchParametersIVF` searches nprobe = 1 list
 * and `SearchParametersHNSW` uses efSearch = 16, whatever index.nprobe or
 * index.hnsw.efSearch say. Which index takes which is checked at the call
 * (faiss.ts): an IndexIDMap takes none in faiss 1.7.3.
 *
 * @example
 * const labelled = new IDSelectorBatch([3, 17, 42]);
 * index.search(xq, 10, new SearchParametersIVF({ sel: new IDSelectorNot(labelled), nprobe: index.nprobe }));
 * flat.search(xq, 5, new SearchParameters({ sel: new IDSelectorRange(1000, 2000) }));   // only ids 1000..1999
 */
import type { NativeSearchParams, NativeSelector } from 'faiss-lab-native';
import { ArgumentError, checkInt32, checkInt64, checkInteger, invalid } from '../util/check';

/** ids as given: a BigInt64Array (copied) or any iterable of safe integers / BigInts. */
export type IdList = BigInt64Array | Iterable<number | bigint>;

function idList(ids: unknown, name: string): BigInt64Array {
  if (ids instanceof BigInt64Array) return ids.slice();
  if (ids == null || typeof ids === 'string' || typeof (ids as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw invalid(name, 'ids: a BigInt64Array, or an array or Set of integers / BigInts', ids);
  }
  const out: bigint[] = [];
  let i = 0;
  for (const v of ids as Iterable<unknown>) out.push(checkInt64(v, `${name}[${i++}]`));
  return BigInt64Array.from(out);
}

/** Encapsulates a set of ids, faiss.IDSelector: which vectors a search may return. */
export abstract class IDSelector {
  /** Whether id is selected (what faiss's is_member answers). */
  abstract isMember(id: number | bigint): boolean;
  /** @internal The addon's form. */
  abstract toNative(): NativeSelector;
  /** A short description for messages, e.g. 'IDSelectorRange(0, 100)'. */
  abstract toString(): string;
}

/** The ids in [imin, imax), faiss.IDSelectorRange(imin, imax, assume_sorted). */
export class IDSelectorRange extends IDSelector {
  readonly imin: bigint;
  readonly imax: bigint;
  /**
   * faiss's assume_sorted: an IVF index then finds the range in each list by
   * bisection, which is right only when each list's ids are sorted (added in
   * increasing order). Other indexes ignore it.
   */
  readonly assumeSorted: boolean;

  constructor(imin: number | bigint, imax: number | bigint, assumeSorted = false) {
    super();
    this.imin = checkInt64(imin, 'imin');
    this.imax = checkInt64(imax, 'imax');
    if (typeof assumeSorted !== 'boolean') throw invalid('assumeSorted', 'a boolean', assumeSorted);
    this.assumeSorted = assumeSorted;
  }

  isMember(id: number | bigint): boolean {
    const v = BigInt(id);
    return v >= this.imin && v < this.imax;
  }

  toNative(): NativeSelector {
    return { type: 'range', imin: this.imin, imax: this.imax, assumeSorted: this.assumeSorted };
  }

  toString(): string {
    return `IDSelectorRange(${this.imin}, ${this.imax}${this.assumeSorted ? ', assumeSorted' : ''})`;
  }
}

/**
 * The ids of a list, faiss.IDSelectorArray(ids): tested by a scan of the list
 * (slow for long lists: IDSelectorBatch hashes them). On a flat index faiss
 * reads these positions directly, so there they must all be below ntotal.
 */
export class IDSelectorArray extends IDSelector {
  /** A copy of the ids given. */
  readonly ids: BigInt64Array;

  constructor(ids: IdList) {
    super();
    this.ids = idList(ids, 'ids');
  }

  isMember(id: number | bigint): boolean {
    return this.ids.includes(BigInt(id));
  }

  toNative(): NativeSelector {
    return { type: 'array', ids: this.ids };
  }

  toString(): string {
    return `IDSelectorArray(${this.ids.length} ids)`;
  }
}

/** The ids of a set, faiss.IDSelectorBatch(ids) (a hash set: fast for many ids). */
export class IDSelectorBatch extends IDSelector {
  /** A copy of the ids given. */
  readonly ids: BigInt64Array;
  private readonly set: Set<bigint>;

  constructor(ids: IdList) {
    super();
    this.ids = idList(ids, 'ids');
    this.set = new Set(this.ids);
  }

  isMember(id: number | bigint): boolean {
    return this.set.has(BigInt(id));
  }

  toNative(): NativeSelector {
    return { type: 'batch', ids: this.ids };
  }

  toString(): string {
    return `IDSelectorBatch(${this.set.size} ids)`;
  }
}

/** Every id the other selector does not select, faiss.IDSelectorNot(sel). */
export class IDSelectorNot extends IDSelector {
  readonly sel: IDSelector;

  constructor(sel: IDSelector) {
    super();
    if (!(sel instanceof IDSelector)) throw invalid('sel', 'an IDSelector (e.g. new IDSelectorBatch(ids))', sel);
    let depth = 0;
    for (let s: IDSelector = sel; s instanceof IDSelectorNot; s = s.sel) depth++;
    if (depth >= 64) throw new ArgumentError('IDSelectorNot nests at most 64 deep');
    this.sel = sel;
  }

  isMember(id: number | bigint): boolean {
    return !this.sel.isMember(id);
  }

  toNative(): NativeSelector {
    return { type: 'not', sel: this.sel.toNative() };
  }

  toString(): string {
    return `IDSelectorNot(${this.sel})`;
  }
}

function optionalSelector(sel: unknown): IDSelector | undefined {
  if (sel === undefined || sel === null) return undefined;
  if (!(sel instanceof IDSelector))
    throw invalid('sel', 'an IDSelector (IDSelectorRange, IDSelectorArray, IDSelectorBatch, IDSelectorNot)', sel);
  return sel;
}

function checkKeys(init: unknown, cls: string, known: string[]): Record<string, unknown> {
  if (init === undefined) return {};
  if (init === null || typeof init !== 'object' || Array.isArray(init))
    throw invalid(`${cls}'s options`, `an object such as { ${known.join(', ')} }`, init);
  for (const key of Object.keys(init)) {
    if (!known.includes(key)) {
      const owner =
        key === 'efSearch' || key === 'checkRelativeDistance'
          ? ' (SearchParametersHNSW has it)'
          : key === 'nprobe' || key === 'maxCodes'
            ? ' (SearchParametersIVF has it)'
            : '';
      throw new ArgumentError(`${cls} has no "${key}"${owner}; it has: ${known.join(', ')}`);
    }
  }
  return init as Record<string, unknown>;
}

/**
 * Search parameters for one call, faiss.SearchParameters: `sel` restricts the
 * search to the ids it selects. This base form is for flat indexes (L2 and
 * inner product); HNSW and IVF indexes take their own subclasses.
 */
export class SearchParameters {
  /** Only ids this selects may be returned (faiss's sel). */
  sel?: IDSelector;

  constructor(init: { sel?: IDSelector } = {}) {
    // Subclasses pass { sel } only, having checked their own options.
    const o = checkKeys(init, 'SearchParameters', ['sel']);
    this.sel = optionalSelector(o.sel);
  }

  /** @internal The addon's form, checked now (fields may have changed since construction). */
  toNative(): NativeSearchParams {
    const sel = optionalSelector(this.sel)?.toNative();
    return { kind: 'base', ...(sel ? { sel } : {}) };
  }

  toString(): string {
    return `${this.constructor.name}(${this.sel ? `sel=${this.sel}` : ''})`;
  }
}

/**
 * Search parameters of an HNSW index, faiss.SearchParametersHNSW: efSearch for this
 * call (default 16, faiss's, not the index's), and a selector. faiss 1.7.3 sizes the
 * search's candidate queue by the index's own hnsw.efSearch (or k, if larger) and
 * uses this efSearch in its stopping rule, so results match Python faiss's for the
 * same call but not always those of index.hnsw.efSearch = efSearch.
 */
export class SearchParametersHNSW extends SearchParameters {
  efSearch: number;
  /** faiss's check_relative_distance (default true): stop once efSearch candidates are closer. */
  checkRelativeDistance: boolean;

  constructor(init: { sel?: IDSelector; efSearch?: number; checkRelativeDistance?: boolean } = {}) {
    const o = checkKeys(init, 'SearchParametersHNSW', ['sel', 'efSearch', 'checkRelativeDistance']);
    super({ sel: o.sel as IDSelector | undefined });
    this.efSearch = o.efSearch === undefined ? 16 : checkInt32(o.efSearch, 'efSearch', 1, 1 << 20);
    if (o.checkRelativeDistance !== undefined && typeof o.checkRelativeDistance !== 'boolean') {
      throw invalid('checkRelativeDistance', 'a boolean', o.checkRelativeDistance);
    }
    this.checkRelativeDistance = (o.checkRelativeDistance as boolean | undefined) ?? true;
  }

  override toNative(): NativeSearchParams {
    const sel = optionalSelector(this.sel)?.toNative();
    if (typeof this.checkRelativeDistance !== 'boolean')
      throw invalid('checkRelativeDistance', 'a boolean', this.checkRelativeDistance);
    return {
      kind: 'hnsw',
      efSearch: checkInt32(this.efSearch, 'efSearch', 1, 1 << 20),
      checkRelativeDistance: this.checkRelativeDistance,
      ...(sel ? { sel } : {}),
    };
  }

  override toString(): string {
    return `SearchParametersHNSW(efSearch=${this.efSearch}${this.sel ? `, sel=${this.sel}` : ''})`;
  }
}

/**
 * Search parameters of an IVF index, faiss.SearchParametersIVF: nprobe for this call
 * (default 1, faiss's, not the index's), maxCodes (stop after scanning that many
 * vectors per query; 0 = no limit) and a selector.
 */
export class SearchParametersIVF extends SearchParameters {
  nprobe: number;
  maxCodes: number;

  constructor(init: { sel?: IDSelector; nprobe?: number; maxCodes?: number } = {}) {
    const o = checkKeys(init, 'SearchParametersIVF', ['sel', 'nprobe', 'maxCodes']);
    super({ sel: o.sel as IDSelector | undefined });
    this.nprobe = o.nprobe === undefined ? 1 : checkInteger(o.nprobe, 'nprobe', 1, 1 << 30);
    this.maxCodes = o.maxCodes === undefined ? 0 : checkInteger(o.maxCodes, 'maxCodes', 0);
  }

  override toNative(): NativeSearchParams {
    const sel = optionalSelector(this.sel)?.toNative();
    return {
      kind: 'ivf',
      nprobe: checkInteger(this.nprobe, 'nprobe', 1, 1 << 30),
      maxCodes: checkInteger(this.maxCodes, 'maxCodes', 0),
      ...(sel ? { sel } : {}),
    };
  }

  override toString(): string {
    return `SearchParametersIVF(nprobe=${this.nprobe}${this.maxCodes ? `, maxCodes=${this.maxCodes}` : ''}${this.sel ? `, sel=${this.sel}` : ''})`;
  }
}
