/**
 * The exercise's index tasks in a terminal, on generated vectors shaped like the
 * course's (20,580 x 512, 120 classes): exact search, the task-4 HNSW grid
 * (through the same grid runner as notebook 4), IVF, and an index file round trip.
 *   npx tsx scripts/demo.ts [--n 20580] [--grid small|full] [--out export/demo]
 * The full grid (18 HNSW builds) takes several minutes on 2 cores; built indexes are
 * cached in cache/indexes, so a second run takes seconds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  bestTradeoff,
  clusteredVectors,
  faissVersion,
  fastest,
  formatTable,
  hnswFlat,
  IndexFlatL2,
  ivfFlat,
  MetricType,
  mostPrecise,
  ompGetMaxThreads,
  precisionAtK,
  readIndex,
  runGrid,
  writeIndex,
} from '../src/internal';
import { arg } from './args';

const n = Number(arg('n', '20580'));
const full = arg('grid', 'small') === 'full';
const out = arg('out', path.join('export', 'demo'));
const d = 512;
const k = 5;

async function main(): Promise<void> {
  console.log(
    `faiss ${faissVersion}, ${ompGetMaxThreads()} threads; ${n} generated vectors of d=${d} in 120 classes\n`,
  );
  // Overlapping classes (spread 2.5), like breeds that look alike.
  const all = clusteredVectors({ n: n + 10, d, clusters: 120, spread: 2.5, seed: 7 });
  // The first n rows are the database (a view, no copy); the last 10 the queries.
  const xb = { data: all.data.subarray(0, n * d), n, d };
  const xq = { data: all.data.subarray(n * d), n: 10, d };
  const classes = { queries: Array.from(all.classes.subarray(n)), of: (id: number) => all.classes[id] };

  // Tasks 1-2: exact search and 3-NN precision.
  const t0 = performance.now();
  const flat = new IndexFlatL2(d);
  flat.add(xb);
  const exact = flat.search(xq, k);
  console.log(`IndexFlatL2: ${flat.ntotal} vectors, 10 queries in ${(performance.now() - t0).toFixed(1)} ms`);
  console.log(`  precision@3 = ${precisionAtK(exact, classes.queries, classes.of, 3).toFixed(3)}\n`);

  // Task 4: the HNSW grid, each build once, efSearch swept (ann-benchmarks style).
  const grid = await runGrid({
    builder: hnswFlat,
    data: xb,
    queries: xq,
    k,
    classes,
    metrics: [MetricType.L2, MetricType.L1],
    build: full ? { M: [8, 16, 32], efConstruction: [40, 100, 200] } : { M: [16], efConstruction: [40] },
    query: { efSearch: [10, 50, 100] },
  });
  const columns = [
    'metric',
    'M',
    'efConstruction',
    'efSearch',
    'buildSeconds',
    'latencyMs',
    'recall',
    'precision',
    'cached',
  ];
  console.log(
    `\nHNSW grid (${full ? 'full' : 'small; --grid full for all 18 builds'}), ${k}-NN of 10 queries:\n${formatTable(grid.rows, columns)}\n`,
  );
  for (const [what, row] of [
    ['fastest', fastest(grid.rows)],
    ['most precise', mostPrecise(grid.rows)],
    ['best trade-off', bestTradeoff(grid.rows)],
  ] as const) {
    console.log(
      `${what}: ${row.label} (${row.latencyMs.toFixed(3)} ms, precision@${k} ${row.precision?.toFixed(3)}, recall@${k} ${row.recall.toFixed(3)})`,
    );
  }

  // Beyond the sheet: IVF with nprobe.
  const ivf = await runGrid({
    builder: ivfFlat,
    data: xb,
    queries: xq,
    k,
    build: { nlist: [143] },
    query: { nprobe: [1, 4, 16, 64] },
  });
  console.log(`\nIVF143,Flat:\n${formatTable(ivf.rows, ['nprobe', 'latencyMs', 'recall', 'buildSeconds'])}\n`);

  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, 'flat.faissindex');
  writeIndex(flat, file);
  const again = readIndex(file).search(xq, k);
  const same = again.labels.every((v, i) => v === exact.labels[i]);
  console.log(
    `wrote ${file} (${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB); read back: ${same ? 'identical results' : 'DIFFERENT results'}`,
  );
  fs.writeFileSync(path.join(out, 'hnsw-grid.json'), JSON.stringify(grid.rows, null, 1));
  if (!same) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
