/** Graph search: faiss.IndexHNSW and IndexHNSWFlat (the quantized variants are in quantizers.ts). */
import type { NativeIndex } from 'faiss-lab-native';
import { HNSW_M_MAX, HNSW_M_MIN } from '../search/factory';
import { MetricType } from '../search/results';
import { type SearchParameters, SearchParametersHNSW } from '../search/selectors';
import { ArgumentError, checkInt32 } from '../util/check';
import { checkMetric } from './args';
import { Index } from './base';
import { native } from './native';
import { registerClass } from './registry';

/** The graph parameters of an HNSW index, as index.hnsw in faiss. */
export class HNSWParameters {
  constructor(private readonly owner: NativeIndex) {}

  /** Candidates kept while searching: higher is slower and more accurate (default 16). */
  get efSearch(): number {
    return this.owner.getParam('efSearch');
  }
  set efSearch(v: number) {
    this.owner.setParam('efSearch', checkInt32(v, 'hnsw.efSearch', 1, 1 << 20));
  }

  /** Candidates kept while adding; affects vectors added afterwards (default 40). */
  get efConstruction(): number {
    return this.owner.getParam('efConstruction');
  }
  set efConstruction(v: number) {
    this.owner.setParam('efConstruction', checkInt32(v, 'hnsw.efConstruction', 1, 1 << 20));
  }

  /** Neighbours per node above level 0 (2*M on level 0). Fixed at construction. */
  get M(): number {
    return this.owner.getParam('M');
  }

  /** Highest level of the graph so far (-1 while empty). */
  get maxLevel(): number {
    return this.owner.getParam('maxLevel');
  }
}

/** Any HNSW index (as read from a file or built by indexFactory). */
export class IndexHNSW extends Index {
  /** hnsw.efSearch, as a query argument. */
  get efSearch(): number {
    return this.hnsw.efSearch;
  }
  set efSearch(v: number) {
    this.hnsw.efSearch = v;
  }

  protected override queryArgumentNames(): string[] {
    return ['efSearch'];
  }

  /** Graph parameters: hnsw.efSearch, hnsw.efConstruction, hnsw.M. */
  get hnsw(): HNSWParameters {
    return new HNSWParameters(this.native);
  }

  protected override checkSearchParams(params: SearchParameters): void {
    if (!(params instanceof SearchParametersHNSW)) {
      throw new ArgumentError(
        `an ${this.className} takes SearchParametersHNSW({ efSearch, sel }), not ${params.constructor.name}`,
      );
    }
  }

  protected override rangeSearchRefusal(via: string): string | undefined {
    return (
      `faiss 1.7.3 has no range search for an ${this.className}${via} (Index::range_search: "range search not implemented"): ` +
      'use an IndexFlat (exact) or an IndexIVFFlat, or search(xq, k) with a large k and keep the hits within the radius'
    );
  }

  protected override mergeRefusal(outer: Index): string | undefined {
    return (
      `faiss 1.7.3 cannot merge HNSW graphs ("merge_from() not implemented"): add the other's vectors instead, ` +
      'index.add(other.reconstructN(0, other.ntotal))' +
      (outer === this ? '' : ' (with their ids, for an IDMap2)')
    );
  }
}

/**
 * Approximate search on a hierarchical navigable small-world graph over full
 * vectors, faiss.IndexHNSWFlat(d, M, metric). Needs no training.
 */
export class IndexHNSWFlat extends IndexHNSW {
  constructor(d: number, M = 32, metric: MetricType = MetricType.L2) {
    super(native.newHNSWFlat(checkInt32(d, 'd', 1), checkInt32(M, 'M', HNSW_M_MIN, HNSW_M_MAX), checkMetric(metric)));
  }
}

registerClass('HNSW', IndexHNSW);
registerClass('HNSWFlat', IndexHNSWFlat);
