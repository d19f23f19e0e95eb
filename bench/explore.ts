/**
 * Comparison 6: the explorer's latency (issue 19) over HTTP on this machine, FAISS beside the SQL store (chdb),
 * on a generated set of the course's size (20,580 x 512, 120 "breeds" of Gaussian clusters, poses and boxes):
 * a text query to its results JSON (the embedding left out, reported apart), a train-and-mine round, and a
 * thumbnail from the cache (on the demo set's photos). p50 and p95 of 100 requests each, after a warm-up.
 *   npm run bench -- --only explore [--explore-reps 100]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { config } from '../src/config';
import { type CourseData, loadCourse } from '../src/data/course';
import { makeDemoSet, useDemoSet } from '../src/data/demo';
import { clusteredVectors, rng } from '../src/data/synthetic';
import { type Explorer, startExplorer } from '../src/explore/server';
import { ompSetNumThreads } from '../src/faiss';
import type { PhotoRow } from '../src/io/vectors-csv';
import type { Comparison, Row } from './harness';

const N = 20_580;
const D = 512;
const BREEDS = 120;
const K = 24;
const POSES = ['Frontal', 'Lateral', 'Rear'];
const RUN = new Date().toISOString();

interface Options {
  reps: number;
  out: string;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** A course-shaped data set in memory: clustered vectors, a breed per cluster, a pose and a box per photo. */
function generatedCourse(): CourseData {
  const m = clusteredVectors({ n: N, d: D, clusters: BREEDS, spread: 2.5, seed: 19 });
  const rand = rng(1919);
  const breeds = Array.from({ length: BREEDS }, (_, i) => `breed-${String(i).padStart(3, '0')}`);
  const rows: PhotoRow[] = Array.from({ length: N }, (_, i) => {
    const xmin = Math.floor(rand() * 200);
    const ymin = Math.floor(rand() * 150);
    return {
      filename: `n${m.classes[i]}_${i}.jpg`,
      dir: `Images/${breeds[m.classes[i]]}`,
      class: breeds[m.classes[i]],
      pose: POSES[i % 3],
      xmin,
      ymin,
      xmax: xmin + 50 + Math.floor(rand() * 250),
      ymax: ymin + 50 + Math.floor(rand() * 200),
    };
  });
  return {
    rows,
    vectors: { data: m.data, n: N, d: D },
    file: 'generated in memory (bench/explore.ts)',
    photosDir: undefined,
    demo: true,
    breeds: [...breeds],
    imagePath: () => undefined,
    classOf: (id) => rows[id].class,
    summary: `generated: ${N} x ${D}, ${BREEDS} breeds`,
  };
}

async function post(base: string, route: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(new URL(route, base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface Timed {
  /** Request to parsed JSON, minus the server's embedding time (ms). */
  query: number[];
  embed: number[];
  /** What the server says the search itself took. */
  search: number[];
}

/** `reps` text queries (each text new, so no embedding cache answers) to parsed JSON. */
async function textQueries(x: Explorer, backend: string, reps: number, tag: string): Promise<Timed> {
  const out: Timed = { query: [], embed: [], search: [] };
  for (let i = -5; i < reps; i++) {
    // A text of this run only: the embedding cache on disk has never seen it.
    const text = `${tag} dog number ${i} playing outside (${RUN})`;
    const body = { query: { text }, k: K, backend, efSearch: 64 };
    const t0 = performance.now();
    const r = (await post(x.url, '/api/search', body)) as { hits: unknown[]; ms: { embed: number; search: number } };
    const ms = performance.now() - t0;
    if (r.hits.length !== K) throw new Error(`${backend}: ${r.hits.length} hits`);
    if (i < 0) continue; // warm-up: the model, the index, the connection
    out.query.push(ms - r.ms.embed);
    out.embed.push(r.ms.embed);
    out.search.push(r.ms.search);
  }
  return out;
}

/** `reps` train-and-mine rounds on 10 labels (5 of the breed, 5 not), from a breed query (no embedding). */
async function rounds(x: Explorer, backend: string, reps: number): Promise<{ total: number[]; server: number[] }> {
  const session = `bench-${backend}`;
  const breed = 'breed-007';
  const first = (await post(x.url, '/api/search', { session, query: { breed }, k: 40 })) as {
    hits: Array<{ id: number; breed: string }>;
  };
  const pos = first.hits.filter((h) => h.breed === breed).slice(0, 5);
  const neg = (await post(x.url, '/api/search', { session, query: { breed: 'breed-008' }, k: 5 })) as {
    hits: Array<{ id: number }>;
  };
  for (const h of pos) await post(x.url, '/api/label', { session, id: h.id, label: 'positive' });
  for (const h of neg.hits) await post(x.url, '/api/label', { session, id: h.id, label: 'negative' });
  const total: number[] = [];
  const server: number[] = [];
  for (let i = -3; i < reps; i++) {
    const t0 = performance.now();
    const r = (await post(x.url, '/api/train', { session, query: { breed }, backend, n: 12 })) as {
      round: { ms: number };
    };
    if (i < 0) continue;
    total.push(performance.now() - t0);
    server.push(r.round.ms);
  }
  return { total, server };
}

export async function exploreComparison(o: Options): Promise<Comparison> {
  ompSetNumThreads(2);
  const reps = o.reps;
  // The demo set's tiny text model embeds the queries (no real CLIP offline); its time is reported apart.
  const demo = await makeDemoSet(path.join(config.dataDir, 'demo'), { log: false });
  useDemoSet(demo);
  const state = path.join(o.out, 'explore-state');
  fs.rmSync(state, { recursive: true, force: true });
  const rows: Row[] = [];
  const x = await startExplorer({ course: generatedCourse(), stateDir: state });
  let notes = '';
  try {
    console.error('explore bench: loading the SQL table and building both HNSW indexes');
    const t0 = performance.now();
    await x.catalog.sqlStore();
    const load = performance.now() - t0;
    const t1 = performance.now();
    await x.catalog.sqlIndexedStore();
    const build = performance.now() - t1;
    await x.catalog.hnsw();
    const q: Record<string, Timed> = {};
    for (const backend of ['flat', 'sql', 'hnsw', 'sql-hnsw']) {
      console.error(`explore bench: ${reps} text queries, ${backend}`);
      q[backend] = await textQueries(x, backend, reps, backend);
    }
    const line = (name: string, a: number[], b: number[], results: string) => {
      for (const [p, v] of [
        ['p50', 0.5],
        ['p95', 0.95],
      ] as const) {
        const ours = quantile(a, v);
        const ref = b.length ? quantile(b, v) : Number.NaN;
        rows.push({ case: `${name} ${p}`, ours, reference: ref, ratio: ours / ref, results });
      }
    };
    const search = (b: string) => `server search p50 ${quantile(q[b].search, 0.5).toFixed(1)} ms`;
    line(
      'text query to results JSON, exact (embedding excluded)',
      q.flat.query,
      q.sql.query,
      `k=${K}; FAISS IndexFlatIP vs SQL brute force (dotProduct); ${search('flat')} vs ${search('sql')}`,
    );
    line(
      'text query to results JSON, HNSW (embedding excluded)',
      q.hnsw.query,
      q['sql-hnsw'].query,
      `k=${K}, efSearch 64; IndexHNSWFlat M=32 vs ClickHouse's index (cosine, f32, M=16); ${search('hnsw')} vs ${search('sql-hnsw')}`,
    );
    line(
      'text embedding (tiny demo model), apart',
      [...q.flat.embed, ...q.hnsw.embed],
      [...q.sql.embed, ...q['sql-hnsw'].embed],
      'the same model on both sides: not CLIP ViT-B/32 (section 4: about 27 ms fp32, 12 ms q8)',
    );
    console.error(`explore bench: ${reps} train-and-mine rounds, flat and sql`);
    const rf = await rounds(x, 'flat', reps);
    const rs = await rounds(x, 'sql', reps);
    line(
      'train-and-mine round, request to JSON',
      rf.total,
      rs.total,
      `10 labels, N=12; fit + candidates + precision@12 + the session saved; server p50 ${quantile(rf.server, 0.5).toFixed(1)} vs ${quantile(rs.server, 0.5).toFixed(1)} ms`,
    );
    notes =
      `The SQL side: chdb (embedded ClickHouse) in the explorer's process; loading the table took ${(load / 1000).toFixed(1)} s ` +
      `(once: later starts reuse it), building its HNSW index ${(build / 1000).toFixed(1)} s. `;
  } finally {
    await x.close();
  }

  // Thumbnails: the demo set's photos (the generated set has none), made once, then from the cache.
  const course = await loadCourse();
  const t = await startExplorer({ course, stateDir: path.join(state, 'demo') });
  try {
    const ms: number[] = [];
    const ids = Array.from({ length: Math.min(20, course.rows.length) }, (_, i) => i);
    for (const id of ids) await fetch(new URL(`/api/thumb/${id}`, t.url)).then((r) => r.arrayBuffer());
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const r = await fetch(new URL(`/api/thumb/${ids[i % ids.length]}`, t.url));
      await r.arrayBuffer();
      ms.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`thumbnail: ${r.status}`);
    }
    for (const [p, v] of [
      ['p50', 0.5],
      ['p95', 0.95],
    ] as const) {
      const ours = quantile(ms, v);
      rows.push({
        case: `thumbnail from the cache ${p}`,
        ours,
        reference: Number.NaN,
        ratio: Number.NaN,
        results: `${ids.length} demo photos, 240 px JPEG, request to bytes`,
      });
    }
  } finally {
    await t.close();
  }
  return {
    title: `6. Explorer (issue 19): latency over HTTP, FAISS vs the SQL store (${N.toLocaleString('en')} x ${D} generated, ${reps} requests each)`,
    reference: 'the SQL store (SqlVectorStore on chdb) answering the same requests in the same server',
    unit: 'ms',
    goal: 'text query to grid under 100 ms (embedding apart), a round under 300 ms, a cached thumbnail under 5 ms',
    rows,
    note:
      notes +
      'Times are measured by a client in the same process over HTTP on 127.0.0.1 (fastify), from the request to its ' +
      'parsed JSON, less the embedding time the server reports; each text query is new (no cache answers). ' +
      'p50/p95 over the requests after a warm-up; 2 cores, OpenMP 2 threads.',
  };
}
