/**
 * "The k best photos for this query, except these ids": the one search the
 * mining loop needs, over either backend.
 *
 * - FAISS: the index itself leaves the excluded ids out: a search with faiss's
 *   SearchParameters and an IDSelectorNot(IDSelectorBatch(excluded)), for k
 *   (flat indexes by L2 or inner product, HNSW at the index's efSearch or
 *   options.efSearch, widened until k pass; IVF at its nprobe), or an over-fetch
 *   where faiss 1.7.3 takes no selector: searchFiltered (search/filtered.ts).
 * - SQL: the same SearchParameters with the same IDSelectorNot(IDSelectorBatch(excluded))
 *   go to the store's search, which turns the selector into `WHERE NOT (id IN ...)` in
 *   the database, and computes every distance: the query sets use_skip_indexes = 0 (the
 *   store's `exact` option), so an HNSW index on the table is not read, with or without
 *   excluded ids (prefilter alone would leave the index in use when none are).
 *
 * Both rank by the index's own metric: on L2-normalised vectors inner product,
 * cosine and L2 give the same order, the classifier's order.
 *
 * @example
 * const source = faissCandidates(ipIndex);                 // or sqlCandidates(store)
 * await source.search(clf.query.data, 12, labelledIds);    // [{ rank, id, distance }, ...]
 */
import { IDSelectorBatch, IDSelectorNot, type Index, IndexHNSW, SearchParameters } from '../faiss';
import { searchFiltered } from '../search/filtered';
import type { Hit } from '../search/results';
import type { SqlVectorStore } from '../sql/store';
import { checkInteger, invalid } from '../util/check';

export interface CandidateSource {
  /** What answers, for notes: e.g. 'FAISS IndexFlatIP (over-fetch)'. */
  readonly name: string;
  /** Vectors searched. */
  readonly ntotal: number;
  /** The k best hits for one query vector (d values), none of them in `exclude`; fewer when the index runs out. */
  search(query: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<Hit[]>;
}

/** faiss's selector of every id but these: what both backends are given. */
function allBut(exclude: ReadonlySet<number>): IDSelectorNot {
  return new IDSelectorNot(new IDSelectorBatch(exclude));
}

/** The parameters that make `index` leave `exclude` out itself, or undefined where faiss 1.7.3 takes no selector. */
function excluding(index: Index, exclude: ReadonlySet<number>): SearchParameters | undefined {
  return index.searchParametersFiltering(allBut(exclude));
}

/** Whether faiss 1.7.3 filters searches of this index with an id selector. */
function takesSelector(index: Index): boolean {
  return excluding(index, new Set()) !== undefined;
}

/**
 * FAISS, excluding with an id selector in the search where the index takes one,
 * else by over-fetching (see the module's description). Ranks are 1..k.
 */
export function faissCandidates(index: Index, options: { efSearch?: number } = {}): CandidateSource {
  if (!index || typeof index.search !== 'function')
    throw invalid('index', 'a FAISS index (e.g. new IndexFlatIP(d) holding normalised vectors)', index);
  return {
    get name() {
      return takesSelector(index)
        ? `FAISS ${index.className} (excluded ids left out by an IDSelectorNot in the search)`
        : `FAISS ${index.className} (excluded ids dropped from an over-fetched search)`;
    },
    get ntotal() {
      return index.ntotal;
    },
    async search(query: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<Hit[]> {
      checkInteger(k, 'k', 1);
      const kk = Math.min(k, Math.max(1, index.ntotal));
      if (!exclude.size) return index.search(query, kk).hits(0);
      // An HNSW graph's labels are 0..ntotal-1: what passes is known, and the widening stops there.
      let count: number | undefined;
      if (index instanceof IndexHNSW) {
        count = index.ntotal;
        for (const id of exclude) if (id >= 0 && id < index.ntotal) count--;
      }
      const filter = { sel: allBut(exclude), admits: (id: number) => !exclude.has(id), count, refused: exclude.size };
      return (await searchFiltered(index, query, k, filter, options)).hits;
    },
  };
}

/**
 * The SQL store, excluding with the same SearchParameters({ sel: IDSelectorNot(IDSelectorBatch(excluded)) })
 * as FAISS, which the store turns into `WHERE NOT (id IN ...)`; exact (the vector index is never read).
 */
export function sqlCandidates(store: SqlVectorStore): CandidateSource {
  if (!store || typeof store.search !== 'function') throw invalid('store', 'a SqlVectorStore', store);
  return {
    name: `SQL ${store.table} on ${store.backendName} (IDSelectorNot as WHERE NOT (id IN ...), exact: use_skip_indexes = 0)`,
    get ntotal() {
      return store.ntotal;
    },
    async search(query: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<Hit[]> {
      checkInteger(k, 'k', 1);
      const params = exclude.size ? new SearchParameters({ sel: allBut(exclude) }) : undefined;
      const res = await store.search(query, k, { params, exact: true });
      return res.hits(0);
    },
  };
}
