/**
 * "The k best photos for this query, except these ids": the one search the
 * mining loop needs, over either backend.
 *
 * - FAISS: the index itself leaves the excluded ids out: a search with faiss's
 *   SearchParameters and an IDSelectorNot(IDSelectorBatch(excluded)), for k
 *   (flat indexes by L2 or inner product, HNSW at the index's efSearch, IVF at
 *   its nprobe). An HNSW graph search around many excluded ids can end with
 *   fewer than k: it is repeated for twice as many (and efSearch as large)
 *   until k are found or the graph is searched through. (An IVF answers from its nprobe lists: fewer than
 *   k when they run out.) Where faiss 1.7.3 takes no selector (an IndexIDMap,
 *   an IndexIVFFlatDedup, a flat index by L1/Linf) it over-fetches instead:
 *   asks for k + |excluded| neighbours, drops the excluded ids, and doubles the
 *   request while the index returns too few.
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
import { IDSelectorBatch, IDSelectorNot, type Index, SearchParameters, SearchParametersHNSW } from '../faiss';
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
export function faissCandidates(index: Index): CandidateSource {
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
      const ntotal = index.ntotal;
      const params = exclude.size ? excluding(index, exclude) : undefined;
      const kk = Math.min(k, Math.max(1, ntotal));
      if (params instanceof SearchParametersHNSW) {
        // Around many excluded ids the graph search can end short of what is left (labels are 0..ntotal-1).
        // faiss 1.7.3 sizes its candidate queue by max(index efSearch, k) and stops by the parameters'
        // efSearch: ask for more (both doubled) until k are found or the whole graph is searched.
        let left = ntotal;
        for (const id of exclude) if (id >= 0 && id < ntotal) left--;
        const ef = params.efSearch;
        for (let fetch = kk; ; fetch = Math.min(ntotal, 1 << 20, fetch * 2)) {
          params.efSearch = Math.max(ef, fetch);
          const hits = index.search(query, fetch, params).hits(0);
          if (hits.length >= Math.min(k, left) || fetch >= Math.min(ntotal, 1 << 20)) return hits.slice(0, k);
        }
      }
      if (params || !exclude.size) return index.search(query, kk, params).hits(0);
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
