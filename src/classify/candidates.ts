/**
 * "The k best photos for this query, except these ids": the one search the
 * mining loop needs, over either backend.
 *
 * - FAISS: our binding has no filtered search yet (faiss's SearchParameters
 *   with an IDSelector), so faissCandidates over-fetches: it asks for
 *   k + |excluded| neighbours, drops the excluded ids, and doubles the request
 *   while an approximate index (IVF, HNSW) returns too few. Exact for a flat
 *   index. When the binding gains IDSelector support, only this adapter
 *   changes: search with an IDSelectorNot(IDSelectorBatch(excluded)) and k.
 * - SQL: the store filters in the database, `WHERE id NOT IN (...)`, exact
 *   (prefilter, so an HNSW index cannot drop rows).
 *
 * Both rank by the index's own metric: on L2-normalised vectors inner product,
 * cosine and L2 give the same order, the classifier's order.
 *
 * @example
 * const source = faissCandidates(ipIndex);                 // or sqlCandidates(store)
 * await source.search(clf.query.data, 12, labelledIds);    // [{ rank, id, distance }, ...]
 */
import type { Index } from '../search/faiss';
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

/**
 * FAISS, excluding by over-fetching (see the module's description). Ranks are
 * renumbered 1..k after the excluded ids are dropped.
 */
export function faissCandidates(index: Index): CandidateSource {
  if (!index || typeof index.search !== 'function') throw invalid('index', 'a FAISS index (e.g. new IndexFlatIP(d) holding normalised vectors)', index);
  return {
    name: `FAISS ${index.className} (excluded ids dropped from an over-fetched search)`,
    get ntotal() {
      return index.ntotal;
    },
    async search(query: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<Hit[]> {
      checkInteger(k, 'k', 1);
      const ntotal = index.ntotal;
      let fetch = Math.min(ntotal, k + exclude.size);
      for (;;) {
        const res = index.search(query, Math.max(1, fetch));
        const kept = res.hits(0).filter((h) => !exclude.has(h.id));
        // Enough, or nothing more to ask for: a flat index returns every vector at fetch = ntotal.
        if (kept.length >= k || fetch >= ntotal) return kept.slice(0, k).map((h, i) => ({ ...h, rank: i + 1 }));
        fetch = Math.min(ntotal, fetch * 2);
      }
    },
  };
}

/** The SQL store, excluding with `id NOT IN (...)` in the database. */
export function sqlCandidates(store: SqlVectorStore): CandidateSource {
  if (!store || typeof store.search !== 'function') throw invalid('store', 'a SqlVectorStore', store);
  return {
    name: `SQL ${store.table} on ${store.backendName} (WHERE id NOT IN ...)`,
    get ntotal() {
      return store.ntotal;
    },
    async search(query: Float32Array, k: number, exclude: ReadonlySet<number>): Promise<Hit[]> {
      checkInteger(k, 'k', 1);
      const res = await store.search(query, k, { where: { idNotIn: [...exclude] }, prefilter: true });
      return res.hits(0);
    },
  };
}
