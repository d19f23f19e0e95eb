/**
 * Per-query rows for the notebooks' tables: each query's breed, the breeds of
 * its neighbours and its precision@k, and the mean over the queries that count:
 * those whose breed is known and that are not one of the dataset's own photos
 * (q.sameAs: such a query finds itself, a free hit).
 *
 * @example
 * const { rows, mean } = precisionReport(q, res, 3);
 * showTable(rows);   // query, breed, neighbours, precision@3 (and 'left out' when a query is)
 */
import type { SearchResults } from '../search/results';
import { mean, precisionPerQuery } from './metrics';

export interface QueryBatch {
  names: string[];
  classes: Array<string | undefined>;
  database: { rows: ArrayLike<{ class: string; filename?: string }>; classOf: (id: number) => string | undefined };
  /** Per query: the database id of the dataset photo it is (loadQueries' q.sameAs), else undefined. */
  sameAs?: ArrayLike<number | undefined>;
}

export interface PrecisionReport {
  /** One row per query; a 'left out' column says why when a query is not in the mean. */
  rows: Array<Record<string, string | number | undefined>>;
  /** Mean precision@k over the queries that count (NaN when none does). */
  mean: number;
  /** Queries left out of the mean because their breed is unknown. */
  unknown: string[];
  /** Queries left out of the mean because they are dataset photos (they find themselves). */
  samePhoto: string[];
  k: number;
}

export function precisionReport(queries: QueryBatch, results: SearchResults, k: number = results.k): PrecisionReport {
  const per = precisionPerQuery(results, queries.classes, queries.database.classOf, k);
  const same = (i: number) => queries.sameAs?.[i];
  const why = (i: number): string => {
    const id = same(i);
    if (id !== undefined) {
      const file = queries.database.rows[id]?.filename;
      return `the dataset's photo #${id}${file ? ` (${file})` : ''}: finds itself`;
    }
    return per[i] === undefined ? 'breed unknown' : '';
  };
  const leftOut = queries.names.some((_, i) => why(i) !== '');
  const rows = queries.names.map((name, i) => ({
    query: name,
    breed: queries.classes[i] ?? '(unknown)',
    neighbours: results
      .join(queries.database.rows, i)
      .slice(0, k)
      .map((h) => h.row.class)
      .join(', '),
    [`precision@${k}`]: per[i],
    ...(leftOut ? { 'left out': why(i) } : {}),
  }));
  const counted = per.filter((v, i): v is number => v !== undefined && same(i) === undefined);
  return {
    rows,
    mean: mean(counted),
    unknown: queries.names.filter((_, i) => per[i] === undefined),
    samePhoto: queries.names.filter((_, i) => same(i) !== undefined),
    k,
  };
}
