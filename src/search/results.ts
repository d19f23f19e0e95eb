/**
 * Search results that know their shape and read naturally in a notebook.
 *
 * faiss answers a search with two flat arrays (distances, labels), row-major
 * (nq, k), padded with -1 labels. SearchResults keeps those arrays (so every
 * faiss-style consumer still works) and adds the views a notebook wants: the
 * hits of one query as plain numbers, all of them, or joined with the
 * dataset's rows.
 *
 * @example
 * const res = index.search(xq, 3);
 * res.hits(4);              // [{ rank: 1, id: 8213, distance: 41.2 }, ...] (-1 padding dropped)
 * res.join(rows, 4);        // [{ rank: 1, id: 8213, distance: 41.2, row: { class: 'beagle', ... } }, ...]
 */
import { ArgumentError, checkInteger, invalid } from '../util/check';

/** Distance types, with faiss's numeric values (faiss.METRIC_*). */
export const MetricType = {
  INNER_PRODUCT: 0,
  L2: 1,
  L1: 2,
  Linf: 3,
} as const;
export type MetricType = (typeof MetricType)[keyof typeof MetricType];

const METRIC_NAMES: Record<number, string> = { 0: 'INNER_PRODUCT', 1: 'L2', 2: 'L1', 3: 'Linf' };

/** The name of a metric, e.g. metricName(MetricType.L1) === 'L1'. */
export function metricName(m: MetricType): string {
  return METRIC_NAMES[m] ?? `metric ${m}`;
}

/** Whether m is one of faiss's metrics. */
export function isMetric(m: unknown): m is MetricType {
  return typeof m === 'number' && m in METRIC_NAMES;
}

/** Larger is closer for inner product; smaller for every distance. */
export function largerIsCloser(m: MetricType): boolean {
  return m === MetricType.INNER_PRODUCT;
}

/**
 * Results of a k-NN search of n queries: row-major (n, k). Rows are sorted best
 * first; where fewer than k vectors are found, labels are -1 and distances are
 * FLT_MAX (3.4e38; -FLT_MAX for inner product), as in faiss.
 * L2 distances are squared, as in faiss.
 */
export interface SearchResult {
  distances: Float32Array;
  labels: BigInt64Array;
  n: number;
  k: number;
}

/** One neighbour of a query: its rank (1 = nearest), id (label) and distance. */
export interface Hit {
  rank: number;
  id: number;
  distance: number;
}

/** A neighbour with the dataset's row for its id. */
export interface RowHit<R> extends Hit {
  row: R;
}

/**
 * The views every result offers over its per-query hits (k-NN and range
 * search alike): ids, all hits, a join with the dataset's rows, table rows.
 */
export abstract class QueryHits {
  /** Query q's hits, nearest first. */
  abstract hits(q: number): Hit[];
  /** How many queries the result answers. */
  protected abstract get queryCount(): number;

  /** The ids of query q's hits, nearest first (no padding). */
  ids(q: number): number[] {
    return this.hits(q).map((h) => h.id);
  }

  /** hits(q) for every query. */
  all(): Hit[][] {
    return Array.from({ length: this.queryCount }, (_, q) => this.hits(q));
  }

  /**
   * The hits of query q with the dataset's row of each (rows[id]); without q,
   * every query's. Ids must index rows (an IndexIDMap's own ids need a map).
   */
  join<R>(rows: ArrayLike<R>, q: number): RowHit<R>[];
  join<R>(rows: ArrayLike<R>): RowHit<R>[][];
  join<R>(rows: ArrayLike<R>, q?: number): RowHit<R>[] | RowHit<R>[][] {
    if (rows == null || typeof rows.length !== 'number')
      throw invalid('rows', 'an array of rows, one per indexed vector', rows);
    const one = (qq: number) =>
      this.hits(qq).map((h) => {
        if (h.id >= rows.length) {
          throw new ArgumentError(
            `query ${qq} has neighbour id ${h.id}, but rows holds ${rows.length} rows: join with the rows the index was built from`,
          );
        }
        return { ...h, row: rows[h.id] };
      });
    return q === undefined ? Array.from({ length: this.queryCount }, (_, i) => one(i)) : one(q);
  }

  /** One plain row per hit ({ query, rank, id, distance }), for tables. */
  toRows(): Array<{ query: number } & Hit> {
    return this.all().flatMap((hits, query) => hits.map((h) => ({ query, ...h })));
  }
}

/** A SearchResult with its metric, and plain-number views of its rows. */
export class SearchResults extends QueryHits implements SearchResult {
  readonly distances: Float32Array;
  readonly labels: BigInt64Array;
  readonly n: number;
  readonly k: number;
  /** The metric the distances are in (L2: squared, as in faiss). */
  readonly metric: MetricType;

  constructor(res: SearchResult, metric: MetricType) {
    super();
    const { distances, labels, n, k } = res;
    checkInteger(n, 'n', 0);
    checkInteger(k, 'k', 1);
    if (!(distances instanceof Float32Array) || distances.length !== n * k) {
      throw invalid('distances', `a Float32Array of n*k = ${n * k} values`, distances);
    }
    if (!(labels instanceof BigInt64Array) || labels.length !== n * k) {
      throw invalid('labels', `a BigInt64Array of n*k = ${n * k} values`, labels);
    }
    if (!isMetric(metric)) throw invalid('metric', 'a MetricType', metric);
    this.distances = distances;
    this.labels = labels;
    this.n = n;
    this.k = k;
    this.metric = metric;
  }

  /** Wraps a faiss-shaped result (or returns it as is when it already is one). */
  static from(res: SearchResult, metric: MetricType): SearchResults {
    return res instanceof SearchResults && res.metric === metric ? res : new SearchResults(res, metric);
  }

  /** The neighbours of query q, nearest first; -1 padding (fewer than k found) is dropped. */
  hits(q: number): Hit[] {
    this.checkQuery(q);
    const out: Hit[] = [];
    for (let r = 0; r < this.k; r++) {
      const label = this.labels[q * this.k + r];
      if (label < 0n) continue;
      out.push({ rank: r + 1, id: Number(label), distance: this.distances[q * this.k + r] });
    }
    return out;
  }

  /** The first k columns (e.g. the 3-NN inside a 5-NN result). */
  top(k: number): SearchResults {
    checkInteger(k, 'k', 1, this.k);
    if (k === this.k) return this;
    const distances = new Float32Array(this.n * k);
    const labels = new BigInt64Array(this.n * k);
    for (let q = 0; q < this.n; q++) {
      distances.set(this.distances.subarray(q * this.k, q * this.k + k), q * k);
      labels.set(this.labels.subarray(q * this.k, q * this.k + k), q * k);
    }
    return new SearchResults({ distances, labels, n: this.n, k }, this.metric);
  }

  protected get queryCount(): number {
    return this.n;
  }

  override toString(): string {
    return `SearchResults(n=${this.n}, k=${this.k}, metric=${metricName(this.metric)})`;
  }

  private checkQuery(q: number): void {
    if (!Number.isInteger(q) || q < 0 || q >= this.n) {
      throw invalid(
        'q',
        this.n === 0 ? 'a query number, but the result holds no queries' : `a query number from 0 to ${this.n - 1}`,
        q,
      );
    }
  }
}
