/**
 * Results of a range search: every stored vector within a distance of each query.
 *
 * faiss answers range_search with three flat arrays, as Python's
 * `lims, D, I = index.range_search(xq, radius)`: query q's hits are
 * `labels[lims[q] .. lims[q+1])` with their `distances`, in the index's order
 * (not sorted). RangeSearchResults keeps those arrays and adds the views a
 * notebook wants: one query's hits nearest first, as plain numbers.
 *
 * The radius is faiss's: for L2 a squared distance, hits have distance < radius;
 * for inner product a similarity, hits have similarity > radius.
 *
 * @example
 * const res = index.rangeSearch(xq, 40);   // squared L2 below 40
 * res.count(0);                            // how many for query 0
 * res.hits(0);                             // [{ rank: 1, id: 812, distance: 21.7 }, ...] nearest first
 * res.labels.subarray(res.lims[0], res.lims[1]);   // faiss's own slice
 */
import { ArgumentError, checkInteger, invalid } from '../util/check';
import { type Hit, isMetric, largerIsCloser, type MetricType, metricName, QueryHits } from './results';

/** faiss's RangeSearchResult for nq queries. */
export interface RangeSearchResult {
  /** nq + 1 offsets: query q's hits are at lims[q] .. lims[q+1]-1 (faiss's size_t, as exact integers). */
  lims: Float64Array;
  distances: Float32Array;
  labels: BigInt64Array;
}

export class RangeSearchResults extends QueryHits implements RangeSearchResult {
  readonly lims: Float64Array;
  readonly distances: Float32Array;
  readonly labels: BigInt64Array;
  /** Number of queries. */
  readonly nq: number;
  /** The metric the distances are in (L2: squared, as in faiss). */
  readonly metric: MetricType;
  /** The radius searched. */
  readonly radius: number;

  constructor(res: RangeSearchResult, metric: MetricType, radius: number) {
    super();
    const { lims, distances, labels } = res;
    if (!(lims instanceof Float64Array) || lims.length < 1)
      throw invalid('lims', 'a Float64Array of nq+1 offsets', lims);
    const total = lims[lims.length - 1];
    if (!(distances instanceof Float32Array) || distances.length !== total) {
      throw invalid('distances', `a Float32Array of lims[nq] = ${total} values`, distances);
    }
    if (!(labels instanceof BigInt64Array) || labels.length !== total) {
      throw invalid('labels', `a BigInt64Array of lims[nq] = ${total} values`, labels);
    }
    if (lims[0] !== 0) throw new ArgumentError(`lims must start at 0, not ${lims[0]}`);
    for (let q = 1; q < lims.length; q++) {
      if (!(lims[q] >= lims[q - 1]) || !Number.isInteger(lims[q]))
        throw new ArgumentError(`lims must be increasing integers (lims[${q}] = ${lims[q]})`);
    }
    if (!isMetric(metric)) throw invalid('metric', 'a MetricType', metric);
    this.lims = lims;
    this.distances = distances;
    this.labels = labels;
    this.nq = lims.length - 1;
    this.metric = metric;
    this.radius = radius;
  }

  /** Hits of all queries together (lims[nq]). */
  get total(): number {
    return this.lims[this.nq];
  }

  /** How many vectors lie within the radius of query q. */
  count(q: number): number {
    this.checkQuery(q);
    return this.lims[q + 1] - this.lims[q];
  }

  /**
   * Query q's hits, nearest first (ties by id): { rank, id, distance }, like
   * SearchResults.hits. The raw arrays keep faiss's order.
   */
  hits(q: number): Hit[] {
    this.checkQuery(q);
    const out: Array<{ id: number; distance: number }> = [];
    for (let i = this.lims[q]; i < this.lims[q + 1]; i++)
      out.push({ id: Number(this.labels[i]), distance: this.distances[i] });
    const sign = largerIsCloser(this.metric) ? -1 : 1;
    out.sort((a, b) => sign * (a.distance - b.distance) || a.id - b.id);
    return out.map((h, r) => ({ rank: r + 1, id: h.id, distance: h.distance }));
  }

  protected get queryCount(): number {
    return this.nq;
  }

  override toString(): string {
    return `RangeSearchResults(nq=${this.nq}, radius=${this.radius}, metric=${metricName(this.metric)}, ${this.total} hits)`;
  }

  private checkQuery(q: number): void {
    checkInteger(q, 'q', 0, Math.max(0, this.nq - 1));
    if (this.nq === 0) throw invalid('q', 'a query number, but the result holds no queries', q);
  }
}
