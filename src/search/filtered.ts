/**
 * A FAISS search among the ids a selector admits, answering k where k pass:
 * what the explorer's filters and the mining loop's exclusions both need.
 *
 * - Flat (L2, inner product) and IVF indexes take the selector in faiss 1.7.3's
 *   SearchParameters and answer exactly among the admitted ids (IVF: within its
 *   nprobe lists).
 * - HNSW takes it too, but a filtered graph search can end short: faiss 1.7.3
 *   sizes its candidate queue by max(the index's efSearch, k) and drops the
 *   ids the selector refuses from the answer only, so a filter that admits few
 *   photos finds none of them. The search is asked again for twice as many (and
 *   efSearch as large) until k pass or the whole graph is searched.
 * - Where faiss 1.7.3 takes no selector (an IndexIDMap, a flat index by L1 or
 *   Linf, IndexIVFFlatDedup) it over-fetches: asks for more neighbours, keeps the
 *   admitted ones, and doubles the request while too few are kept.
 *
 * The index is never changed (efSearch travels in the parameters), so searches
 * running side by side on one index do not change each other's answers.
 *
 * @example
 * const allowed = new Set(beagleIds);
 * const filter = { sel: new IDSelectorBatch(allowed), admits: (id) => allowed.has(id), count: allowed.size };
 * const { hits } = await searchFiltered(index, q, 10, filter);
 */
import type { Index } from '../faiss/base';
import { checkInteger } from '../util/check';
import type { Hit } from './results';
import { type IDSelector, SearchParametersHNSW } from './selectors';

export interface IdFilter {
  /** faiss's selector of the admitted ids, for the indexes that take one. */
  sel: IDSelector;
  /** The same test in TypeScript, for the over-fetch where faiss takes no selector. */
  admits: (id: number) => boolean;
  /** Exactly how many stored vectors pass, when known: the search stops at min(k, count). */
  count?: number;
  /** At most how many stored vectors the filter refuses, when known: an over-fetch first asks for k + this. */
  refused?: number;
}

export interface FilteredSearch {
  /** The admitted hits, nearest first, ranks 1..; fewer than k only when fewer pass (or an IVF's lists run out). */
  hits: Hit[];
  /** How they were found, for notes: the selector in the search, widened, or an over-fetch. */
  how: 'selector' | 'selector, widened' | 'over-fetched';
  /** Neighbours asked of faiss in the last search, and its efSearch (HNSW). */
  asked: number;
  efSearch?: number;
}

/** Searches `index` for the k nearest of one query (d values) among the ids `filter` admits (see the module). */
export async function searchFiltered(
  index: Index,
  query: Float32Array,
  k: number,
  filter: IdFilter,
  options: { efSearch?: number } = {},
): Promise<FilteredSearch> {
  checkInteger(k, 'k', 1);
  const ntotal = index.ntotal;
  const want = Math.min(k, filter.count ?? ntotal);
  const limit = Math.min(ntotal, 1 << 20);
  if (want <= 0 || ntotal === 0) return { hits: [], how: 'selector', asked: 0 };
  const params = index.searchParametersFiltering(filter.sel);
  if (params instanceof SearchParametersHNSW) {
    const ef = checkInteger(options.efSearch ?? params.efSearch, 'efSearch', 1);
    for (let asked = Math.min(k, limit), round = 0; ; asked = Math.min(limit, asked * 2), round++) {
      params.efSearch = Math.max(ef, asked);
      const hits = (await index.searchAsync(query, asked, params)).hits(0);
      if (hits.length >= want || asked >= limit) {
        return {
          hits: hits.slice(0, k),
          how: round ? 'selector, widened' : 'selector',
          asked,
          efSearch: params.efSearch,
        };
      }
    }
  }
  if (params) {
    const hits = (await index.searchAsync(query, Math.min(k, limit), params)).hits(0);
    return { hits, how: 'selector', asked: Math.min(k, limit) };
  }
  // Enough, or nothing more to ask for: a flat index returns every vector at asked = ntotal.
  const refused = filter.count !== undefined ? ntotal - filter.count : filter.refused;
  for (let asked = Math.min(limit, refused !== undefined ? k + refused : 2 * k); ; asked = Math.min(limit, asked * 2)) {
    const kept = (await index.searchAsync(query, Math.max(1, asked))).hits(0).filter((h) => filter.admits(h.id));
    if (kept.length >= want || asked >= limit) {
      return { hits: kept.slice(0, k).map((h, i) => ({ ...h, rank: i + 1 })), how: 'over-fetched', asked };
    }
  }
}
