/** Exact search: faiss.IndexFlat, IndexFlatL2, IndexFlatIP. */
import type { NativeSearchParams } from 'faiss-lab-native';
import { MetricType, metricName } from '../search/results';
import {
  type IDSelector,
  IDSelectorArray,
  SearchParameters,
  SearchParametersHNSW,
  SearchParametersIVF,
} from '../search/selectors';
import { ArgumentError, checkInt32 } from '../util/check';
import { checkMetric } from './args';
import { Index } from './base';
import { native } from './native';
import { registerClass } from './registry';

/** Exact search by brute force, faiss.IndexFlat(d, metric). */
export class IndexFlat extends Index {
  constructor(d: number, metric: MetricType = MetricType.L2) {
    super(native.newFlat(checkInt32(d, 'd', 1), checkMetric(metric)));
  }

  override searchParametersFiltering(sel: IDSelector): SearchParameters | undefined {
    const filters = this.metricType === MetricType.L2 || this.metricType === MetricType.INNER_PRODUCT;
    return filters ? new SearchParameters({ sel }) : undefined;
  }

  protected override checkSearchParams(
    params: SearchParameters,
    p: NativeSearchParams,
    op: 'search' | 'rangeSearch',
  ): void {
    const cls = this.className;
    const kind = params.constructor.name;
    if (params instanceof SearchParametersHNSW || params instanceof SearchParametersIVF) {
      throw new ArgumentError(
        `an ${cls} has neither efSearch nor nprobe: pass new SearchParameters({ sel }), not ${kind}`,
      );
    }
    if (p.sel && this.metricType !== MetricType.L2 && this.metricType !== MetricType.INNER_PRODUCT) {
      throw new ArgumentError(
        `faiss 1.7.3 filters a flat search with a selector by L2 and inner product only, not ${metricName(this.metricType)} ` +
          "(IndexFlat.cpp: '!sel' failed): search without sel and drop the ids you do not want, or use IndexHNSWFlat, which filters by any metric",
      );
    }
    if (op === 'search' && params.sel instanceof IDSelectorArray) {
      // faiss reads a top-level IDSelectorArray's ids as positions in the table, without a bounds check.
      const n = BigInt(this.ntotal);
      const bad = params.sel.ids.find((id) => id < 0n || id >= n);
      if (bad !== undefined) {
        throw new ArgumentError(
          `IDSelectorArray holds id ${bad}, not a label of this ${cls} (0..${this.ntotal - 1}): faiss 1.7.3 reads a flat ` +
            "index's vectors at the array's ids without a bounds check. Leave such ids out, or use IDSelectorBatch, which tests membership",
        );
      }
    }
  }

  protected override rangeSearchRefusal(via: string): string | undefined {
    if (this.metricType !== MetricType.L2 && this.metricType !== MetricType.INNER_PRODUCT) {
      return (
        `faiss 1.7.3 range-searches a flat index by L2 and inner product only, not ${metricName(this.metricType)}${via} ` +
        '("metric type not supported"): search(xq, k) and keep the hits within the radius'
      );
    }
    return undefined;
  }

  protected override mergeRefusal(): string | undefined {
    return undefined;
  }

  protected override mergeClassHint(other: Index): string {
    return other instanceof IndexFlat
      ? ' (indexFactory(d, "Flat") makes an IndexFlat, new IndexFlatL2(d) an IndexFlatL2)'
      : '';
  }

  protected override mergeCheck(other: Index, addId: bigint): string | undefined {
    return this.mergeByPosition(other, addId);
  }
}

/** Exact search with squared L2 distances, faiss.IndexFlatL2(d). */
export class IndexFlatL2 extends IndexFlat {
  constructor(d: number) {
    super(d, MetricType.L2);
  }
}

/** Exact search by inner product (cosine on normalised vectors), faiss.IndexFlatIP(d). */
export class IndexFlatIP extends IndexFlat {
  constructor(d: number) {
    super(d, MetricType.INNER_PRODUCT);
  }
}

registerClass('Flat', IndexFlat);
registerClass('FlatL2', IndexFlatL2);
registerClass('FlatIP', IndexFlatIP);
