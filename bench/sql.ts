/**
 * Comparison 5: vector search in SQL (chdb, embedded ClickHouse 26.7) beside our
 * FAISS binding on the same generated data: brute force vs ClickHouse's HNSW index
 * (bf16 and f32) at 20k and 1M x 512, with latency, recall@10, build time and
 * index size; ClickHouse's LAION figures (100M x 512) as the anchor.
 *   npm run bench -- --only sql [--sql-sizes 20000,1000000 --sql-queries 20]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  chdbBackend,
  clusteredVectors,
  IndexFlatL2,
  IndexHNSWFlat,
  labelRecall,
  type Matrix,
  ompSetNumThreads,
  type SearchResults,
  SqlVectorStore,
  serializeIndex,
  takeRows,
  timeSearch,
  type VectorIndex,
} from '../src/internal';
import { type Comparison, median, type Row } from './harness';

const d = 512;
const M = 16;
const efConstruction = 64;
// ClickHouse's default search list (efSearch: hnsw_candidate_list_size_for_search), and a larger one (recall bought with latency).
const searchLists = [256, 1024];

interface Options {
  sizes: number[];
  nq: number;
  out: string;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/**
 * Single-query latency, as an application asks: timeSearch (a warm-up, then one timed
 * search) of each query alone, the median over the queries in seconds; and each answer.
 */
async function timeQueries(
  index: VectorIndex,
  xq: Matrix,
  k: number,
): Promise<{ seconds: number; results: SearchResults[] }> {
  const ms: number[] = [];
  const results: SearchResults[] = [];
  for (let i = 0; i < xq.n; i++) {
    const t = await timeSearch(index, takeRows(xq, [i]), k, { repeats: 1 });
    ms.push(t.medianMs);
    results.push(t.result);
  }
  return { seconds: median(ms) / 1000, results };
}

export async function sqlComparison(o: Options): Promise<Comparison> {
  ompSetNumThreads(2);
  const rows: Row[] = [];
  const dir = path.join(o.out, 'chdb');
  fs.rmSync(dir, { recursive: true, force: true });
  const backend = chdbBackend(dir);
  const notes: string[] = [];
  try {
    for (const n of o.sizes) {
      const tag = n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`;
      console.error(`sql bench: ${tag} x ${d}: generating`);
      const all = clusteredVectors({ n: n + o.nq, d, clusters: 120, spread: 2.5, seed: 5 });
      const xb = { data: all.data.subarray(0, n * d), n, d };
      const xq = { data: all.data.slice(n * d), n: o.nq, d };
      const q0 = xq.data.subarray(0, d);

      // Exact truth and FAISS brute force.
      const flat = new IndexFlatL2(d);
      flat.add(xb);
      const exact = flat.search(xq, 10);
      const faissFlat = (await timeQueries(flat, xq, 10)).seconds;
      flat.dispose();

      // chdb: insert, brute force.
      const store = await SqlVectorStore.open({ table: `bench_${tag}`, d, backend, mode: 'replace' });
      let t0 = performance.now();
      await store.addAsync(xb, { progress: n > 100000 });
      const insertS = (performance.now() - t0) / 1000;
      const { seconds: chBrute, results: brute } = await timeQueries(store, xq, 10);
      const identical = brute.every((r, i) => r.labels.every((l, j) => l === exact.labels[i * 10 + j]));
      rows.push({
        case: `${tag}: insert (Native file)`,
        ours: insertS,
        reference: NaN,
        ratio: NaN,
        results: `${(n / insertS).toFixed(0)} vectors/s`,
      });
      // One part, one graph (as FAISS's one index), whatever the background merges had reached.
      const partsBefore = await store.parts();
      const merged = await store.optimize();
      rows.push({
        case: `${tag}: merge parts (OPTIMIZE FINAL)`,
        ours: merged.seconds,
        reference: NaN,
        ratio: NaN,
        results: `${partsBefore} -> ${merged.parts} part(s)`,
      });
      rows.push({
        case: `${tag}: brute force k=10`,
        ours: chBrute,
        reference: faissFlat,
        ratio: chBrute / faissFlat,
        results: identical ? 'ids identical to IndexFlatL2' : 'ids differ',
      });

      // FAISS HNSW with the same M / efConstruction / efSearch.
      console.error(`sql bench: ${tag}: FAISS HNSW build`);
      const hnsw = new IndexHNSWFlat(d, M);
      hnsw.hnsw.efConstruction = efConstruction;
      t0 = performance.now();
      await hnsw.addAsync(xb);
      const faissBuild = (performance.now() - t0) / 1000;
      const faiss = new Map<number, { seconds: number; recall: number }>();
      for (const efSearch of searchLists) {
        hnsw.setQueryArguments({ efSearch });
        const { seconds, results } = await timeQueries(hnsw, xq, 10);
        faiss.set(efSearch, { seconds, recall: recallOf(exact, results) });
      }
      const faissBytes = serializeIndex(hnsw).length;
      hnsw.dispose();

      for (const quantization of ['bf16', 'f32'] as const) {
        console.error(`sql bench: ${tag}: chdb index ${quantization}`);
        const { seconds, info } = await store.createIndex({ quantization, M, efConstruction });
        rows.push({
          case: `${tag}: index build ${quantization} (M=${M}, efC=${efConstruction})`,
          ours: seconds,
          reference: faissBuild,
          ratio: seconds / faissBuild,
          results: `index ${mib(info.bytes)} vs FAISS HNSW ${mib(faissBytes)}`,
        });
        for (const list of searchLists) {
          store.setQueryArguments({ efSearch: list });
          const used = await store.usesIndex(q0, 10);
          const { seconds: chIndex, results } = await timeQueries(store, xq, 10);
          const recall = recallOf(exact, results);
          const f = faiss.get(list)!;
          rows.push({
            case: `${tag}: index search ${quantization} k=10 (list ${list})`,
            ours: chIndex,
            reference: f.seconds,
            ratio: chIndex / f.seconds,
            results: `recall@10 ${recall.toFixed(3)} vs ${f.recall.toFixed(3)}${used ? '' : ' (EXPLAIN: index NOT used)'}; ${(chBrute / chIndex).toFixed(1)}x faster than brute force`,
          });
        }
      }
      await store.drop();
      notes.push(`${tag}: ${o.nq} queries of the same clusters, exact truth from IndexFlatL2.`);
    }
  } finally {
    backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  rows.push({
    case: 'anchor: LAION 100M x 512, brute force (ClickHouse blog)',
    ours: NaN,
    reference: 4.6,
    ratio: NaN,
    results: 'their server, published figure',
  });
  rows.push({
    case: "anchor: LAION 100M x 512, index ('hnsw', cosine, bf16, 64, 256)",
    ours: NaN,
    reference: 0.019,
    ratio: NaN,
    results: 'their server, published figure',
  });
  return {
    title: `5. Vector search in SQL: chdb (ClickHouse 26.7) brute force vs HNSW index, beside our FAISS (${o.sizes.map((s) => s.toLocaleString('en')).join(' and ')} x ${d})`,
    reference: `our FAISS binding on the same data (IndexFlatL2; IndexHNSWFlat M=${M}, efConstruction=${efConstruction}, efSearch = the search list size); for the anchor rows, ClickHouse's published LAION figures`,
    unit: 's',
    goal: 'report: where SQL search stands against in-process FAISS, and how the index scales',
    rows,
    note:
      `Median latency of single-query searches (timeSearch of each query alone after a warm-up; one SQL statement each, ids and distances parsed); chdb in this process on 2 cores. ` +
      `The table is merged into one part before the index is built, so ClickHouse builds one graph, as FAISS does. ` +
      `Index size: the vector_similarity index's bytes (system.data_skipping_indices, uncompressed) vs faiss's serialised HNSW (vectors included). ` +
      `recall@10 against the exact search (on these generated Gaussian clusters recall at one list size falls with n for FAISS and ClickHouse alike; the larger list shows what recall costs); bf16 stores the graph's vectors in half the memory and returns approximate distances (vector_search_with_rescoring=1 gives exact ones). ` +
      notes.join(' '),
  };
}

// By ids only: a bf16 index's distances are approximate, so distance ties would flatter it.
function recallOf(exact: SearchResults, parts: SearchResults[]): number {
  const labels = new BigInt64Array(parts.length * 10);
  parts.forEach((r, i) => {
    labels.set(r.labels, i * 10);
  });
  return labelRecall(exact.labels.subarray(0, parts.length * 10), labels, parts.length, 10);
}
