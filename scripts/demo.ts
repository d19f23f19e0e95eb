/**
 * The main job until the notebooks land: the exercise's index tasks on generated
 * vectors shaped like the course's (20,580 x 512, 120 classes), printed as tables.
 *   npx tsx scripts/demo.ts [--n 20580] [--grid small|full] [--out export/demo]
 * The full task-4 grid (18 HNSW builds per metric pair) takes about 10 minutes on 2 cores.
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import {
  IndexFlat, IndexFlatL2, IndexHNSWFlat, IndexIVFFlat, MetricType, type Row, clusteredVectors, faissVersion, formatTable,
  metricName, ompGetMaxThreads, precisionAtK, readIndex, recallAtK, writeIndex,
} from '../src';
import { arg } from './args';

const n = Number(arg('n', '20580'));
const full = arg('grid', 'small') === 'full';
const GRID = full
  ? { M: [8, 16, 32], efConstruction: [40, 100, 200] }
  : { M: [16], efConstruction: [40] };
const out = arg('out', path.join('export', 'demo'));
const d = 512;
const k = 5;
const ms = (t0: number) => performance.now() - t0;

async function main(): Promise<void> {
  console.log(`faiss ${faissVersion}, ${ompGetMaxThreads()} threads; ${n} generated vectors of d=${d} in 120 classes\n`);
  // Overlapping classes (spread 2.5), like breeds that look alike.
  const all = clusteredVectors({ n: n + 10, d, clusters: 120, spread: 2.5, seed: 7 });
  // The first n rows are the database (a view, no copy); the last 10 the queries.
  const xb = { data: all.data.subarray(0, n * d), n, d };
  const xq = { data: all.data.subarray(n * d), n: 10, d };
  const classOf = (label: number) => all.classes[label];
  const queryClasses = Array.from({ length: 10 }, (_, i) => all.classes[n + i]);

  // Task 1-2: exact search and 3-NN precision.
  let t0 = performance.now();
  const flat = new IndexFlatL2(d);
  flat.add(xb);
  const exact = flat.search(xq, k);
  const exactMs = ms(t0);
  console.log(`IndexFlatL2: ${flat.ntotal} vectors, 10 queries in ${exactMs.toFixed(1)} ms`);
  console.log(`  precision@3 = ${precisionAtK(exact.labels, queryClasses, classOf, 3).toFixed(3)}\n`);

  // Task 4: the HNSW grid, each build once, efSearch swept (ann-benchmarks style).
  const rows: Row[] = [];
  for (const metric of [MetricType.L2, MetricType.L1]) {
    const truth = new IndexFlat(d, metric);
    truth.add(xb);
    const ref = truth.search(xq, k).labels;
    for (const M of GRID.M) {
      for (const efConstruction of GRID.efConstruction) {
        const index = new IndexHNSWFlat(d, M, metric);
        index.hnsw.efConstruction = efConstruction;
        t0 = performance.now();
        await index.addAsync(xb);
        const buildMs = ms(t0);
        for (const efSearch of [10, 50, 100]) {
          index.hnsw.efSearch = efSearch;
          t0 = performance.now();
          const res = index.search(xq, k);
          const searchMs = ms(t0);
          rows.push({
            metric: metricName(metric), M, efConstruction, efSearch,
            'build s': buildMs / 1000,
            'search ms': searchMs,
            [`recall@${k}`]: recallAtK(ref, res.labels, 10),
            [`precision@${k}`]: precisionAtK(res.labels, queryClasses, classOf),
          });
        }
        index.dispose(); // 18 graphs of 20,580 vectors: free each now, not at some later GC
      }
      process.stdout.write(`  built HNSW M=${M} (${metricName(metric)})\n`);
    }
  }
  console.log(`\nHNSW grid (${full ? 'full' : 'small; --grid full for all 18 builds'}), ${k}-NN of 10 queries:\n${formatTable(rows)}\n`);
  const fastest = rows.reduce((a, b) => (b['search ms'] < a['search ms'] ? b : a));
  const best = rows.reduce((a, b) => (b[`precision@${k}`] > a[`precision@${k}`] ? b : a));
  console.log(`fastest: ${JSON.stringify(fastest)}\nmost precise: ${JSON.stringify(best)}\n`);

  // Beyond the sheet: IVF with nprobe, and an index file round trip.
  const ivf = new IndexIVFFlat(new IndexFlatL2(d), d, 143);
  t0 = performance.now();
  await ivf.trainAsync(xb);
  await ivf.addAsync(xb);
  const ivfRows: Row[] = [1, 4, 16, 64].map((nprobe) => {
    ivf.nprobe = nprobe;
    return { nprobe, [`recall@${k}`]: recallAtK(exact.labels, ivf.search(xq, k).labels, 10) };
  });
  console.log(`IVF143,Flat trained and filled in ${(ms(t0) / 1000).toFixed(1)} s:\n${formatTable(ivfRows)}\n`);

  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, 'flat.faissindex');
  writeIndex(flat, file);
  const again = readIndex(file).search(xq, k);
  const same = again.labels.every((v, i) => v === exact.labels[i]);
  console.log(`wrote ${file} (${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB); read back: ${same ? 'identical results' : 'DIFFERENT results'}`);
  fs.writeFileSync(path.join(out, 'hnsw-grid.json'), JSON.stringify(rows, null, 1));
  if (!same) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
