/**
 * Per-query rows for the notebooks' tables: each query's breed, the breeds of
 * its neighbours and its precision@k, and the mean over the queries whose
 * breed is known.
 *
 * @example
 * const { rows, mean } = precisionReport(q, res, 3);
 * showTable(rows);   // query, breed, neighbours, precision@3
 */
import type { SearchResults } from '../search/results';
import { mean, precisionPerQuery } from './metrics';

export interface QueryBatch {
  names: string[];
  classes: Array<string | undefined>;
  database: { rows: ArrayLike<{ class: string }>; classOf: (id: number) => string | undefined };
}

export interface PrecisionReport {
  rows: Array<Record<string, string | number | undefined>>;
  /** Mean precision@k over queries of known breed (NaN when none is known). */
  mean: number;
  /** Queries left out of the mean (breed unknown). */
  unknown: string[];
  k: number;
}

export function precisionReport(queries: QueryBatch, results: SearchResults, k: number = results.k): PrecisionReport {
  const per = precisionPerQuery(results, queries.classes, queries.database.classOf, k);
  const rows = queries.names.map((name, i) => ({
    query: name,
    breed: queries.classes[i] ?? '(unknown)',
    neighbours: results.join(queries.database.rows, i).slice(0, k).map((h) => h.row.class).join(', '),
    [`precision@${k}`]: per[i],
  }));
  const known = per.filter((v): v is number => v !== undefined);
  return {
    rows,
    mean: mean(known),
    unknown: queries.names.filter((_, i) => per[i] === undefined),
    k,
  };
}
