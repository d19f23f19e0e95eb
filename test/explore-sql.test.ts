// The explorer over the SQL store, without a browser, on a generated demo set, offline: the store's brute force by
// inner product, L2 and L1 with the filters as its WHERE (breed, pose, bounding box, not yet labelled) against a
// plain-TS brute force; FAISS by the same metrics; ClickHouse's HNSW index; the statement the store ran, as the page
// shows it; a mining round over SQL that equals the FAISS one; the refused pairs of backend and metric; and the same
// API over a ClickHouse server (LAB_CLICKHOUSE_URL: the loopback server speaking ClickHouse's HTTP over chdb).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DemoSet, Matrix, PhotoRow } from '../src/internal';
import { demoEnv, makeDemoSet, readVectorsCsv } from '../src/internal';
import { type FakeClickHouse, startFakeClickHouse } from './support/clickhouse-http';
import { tmpDir } from './support/data';
import { type Server, startServer, stopServer } from './support/explore';
import { sqlTestDir } from './support/sql';

type Metric = 'ip' | 'l2' | 'l1';
interface HitJson {
  rank: number;
  id: number;
  score: number;
  breed: string;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON replies, each field checked by the assertions
async function post(base: string, route: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(route, base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** The metric between two rows, in float64 (plain TS): inner product, squared L2, L1. */
function score(m: Metric, a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let t = 0; t < a.length; t++) {
    const x = a[t];
    const y = b[t];
    s += m === 'ip' ? x * y : m === 'l2' ? (x - y) * (x - y) : Math.abs(x - y);
  }
  return s;
}

/**
 * Asserts `got` are k true nearest rows of q by the metric among the allowed ones: rank by rank, the true score
 * of the returned id equals the k-th best true score (ties between float32 engines and float64 judged on the
 * true scores, not on ids), the reported scores agree, and every id is allowed.
 */
function assertNearest(
  got: HitJson[],
  unit: Matrix,
  q: Float32Array,
  m: Metric,
  k: number,
  allowed: (id: number) => boolean,
  what: string,
): void {
  const row = (i: number) => unit.data.subarray(i * unit.d, (i + 1) * unit.d);
  const all: number[] = [];
  for (let i = 0; i < unit.n; i++) if (allowed(i)) all.push(score(m, q, row(i)));
  all.sort((a, b) => (m === 'ip' ? b - a : a - b));
  assert.equal(got.length, Math.min(k, all.length), `${what}: how many`);
  assert.equal(new Set(got.map((h) => h.id)).size, got.length, `${what}: no id twice`);
  got.forEach((h, i) => {
    assert.ok(allowed(h.id), `${what}: id ${h.id} does not pass the filters`);
    const truth = score(m, q, row(h.id));
    const tol = 2e-5 * Math.max(1, Math.abs(all[i]));
    assert.ok(Math.abs(truth - all[i]) <= tol, `${what}: rank ${i + 1} is id ${h.id} at ${truth}, best is ${all[i]}`);
    assert.ok(Math.abs(h.score - truth) <= tol, `${what}: id ${h.id} reported ${h.score}, true ${truth}`);
  });
}

function normalized(m: Matrix): Matrix {
  const data = Float32Array.from(m.data);
  for (let i = 0; i < m.n; i++) {
    let s = 0;
    for (let t = 0; t < m.d; t++) s += data[i * m.d + t] ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let t = 0; t < m.d; t++) data[i * m.d + t] *= inv;
  }
  return { data, n: m.n, d: m.d };
}

describe('explorer over the SQL store (chdb and a ClickHouse server)', function () {
  this.timeout(10 * 60 * 1000);
  const tmp = tmpDir('explore-sql');
  let set: DemoSet;
  let env: NodeJS.ProcessEnv;
  let server: Server | undefined;
  let base = '';
  let rows: PhotoRow[];
  let unit: Matrix;
  let fake: FakeClickHouse | undefined;
  const vec = (id: number) => unit.data.subarray(id * unit.d, (id + 1) * unit.d);
  const width = (id: number) => rows[id].xmax - rows[id].xmin;
  const height = (id: number) => rows[id].ymax - rows[id].ymin;

  before(async () => {
    set = await makeDemoSet(path.join(tmp, 'demo'), { log: false });
    env = { ...demoEnv(set), LAB_CACHE_DIR: path.join(tmp, 'cache'), LAB_OFFLINE: '1', LAB_CLICKHOUSE_URL: '' };
    const csv = await readVectorsCsv(set.vectorsCsv);
    rows = csv.rows;
    unit = normalized(csv.vectors);
    server = await startServer(env);
    base = server.url;
  });

  after(async () => {
    await stopServer(server);
    await fake?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('searches by brute force in SQL and in FAISS by inner product, L2 and L1, filters as the WHERE', async () => {
    const breeds = [...new Set(rows.map((r) => r.class))].slice(0, 4);
    const pose = rows[0].pose;
    const widths = rows.map((_, i) => width(i)).sort((a, b) => a - b);
    const minWidth = widths[Math.floor(widths.length / 4)];
    const maxHeight = [...rows.keys()].map(height).sort((a, b) => a - b)[Math.floor((rows.length * 5) / 6)];
    const filters = { breeds, poses: [pose], box: { minWidth, maxHeight } };
    const allowed = (i: number) =>
      breeds.includes(rows[i].class) && rows[i].pose === pose && width(i) >= minWidth && height(i) <= maxHeight;
    const passing = [...rows.keys()].filter(allowed).length;
    assert.ok(passing >= 12 && passing < rows.length / 4, `the filters leave ${passing} photos`);
    for (const metric of ['ip', 'l2', 'l1'] as const) {
      for (const backend of ['sql', 'flat'] as const) {
        for (const [f, ok] of [
          [undefined, () => true],
          [filters, allowed],
        ] as const) {
          const r = await post(base, '/api/search', { query: { like: 7 }, k: 10, backend, metric, filters: f });
          const what = `${backend} ${metric}${f ? ' filtered' : ''}`;
          assert.equal(r.status, 200, `${what}: ${JSON.stringify(r.body)}`);
          assertNearest(r.body.hits, unit, vec(7), metric, 10, ok, what);
          assert.equal(r.body.filtered, f ? passing : null);
          if (backend === 'flat') {
            assert.equal(r.body.sql, null, 'FAISS runs no SQL');
            assert.match(r.body.backend, /^FAISS IndexFlat/);
          } else {
            assert.match(r.body.backend, /^SQL store explore_[0-9a-f]{16} on chdb .*\(brute force\)/);
          }
        }
      }
    }
  });

  it('shows the statement the store ran: the WHERE of the filters, the metric, every value a parameter', async () => {
    const breed = rows[3].class;
    const r = await post(base, '/api/search', {
      query: { breed },
      k: 5,
      backend: 'sql',
      metric: 'l2',
      filters: { breeds: [breed], box: { minWidth: 10, maxWidth: 5000, minHeight: 10 } },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const { sql, text } = r.body.sql;
    assert.match(sql, /^SELECT id, L2Distance\(vec, \{lab_q:Array\(Float32\)\}\) AS distance\nFROM explore_/);
    assert.match(
      sql,
      /\nWHERE label IN \{breeds:Array\(String\)\} AND \(xmax - xmin\) >= \{min_width:Float64\} AND \(xmax - xmin\) <= \{max_width:Float64\} AND \(ymax - ymin\) >= \{min_height:Float64\}\n/,
    );
    assert.match(sql, /ORDER BY distance ASC\nLIMIT \{lab_k:UInt32\}\nSETTINGS use_skip_indexes = 0$/);
    assert.doesNotMatch(sql, /hnsw_candidate_list_size_for_search/, "a brute force shows none of the index's knobs");
    assert.ok(!sql.includes(breed), 'the breed travels as a parameter, not in the text');
    assert.match(text, /^-- searching \([\d.]+ ms\)\n/);
    assert.ok(text.includes(`-- {breeds:Array(String)} = ['${breed}']`), text);
    assert.ok(text.includes('-- {min_width:Float64} = 10'), text);
    assert.match(text, /-- \{lab_q:Array\(Float32\)\} = \[[^\]]*…\] \(512 values\)/);
    assert.ok(text.endsWith(sql));
    for (const [metric, fn] of [
      ['ip', 'dotProduct'],
      ['l1', 'L1Distance'],
    ]) {
      const m = await post(base, '/api/search', { query: { like: 3 }, k: 3, backend: 'sql', metric });
      assert.match(m.body.sql.sql, new RegExp(`^SELECT id, ${fn}\\(vec`));
    }
  });

  it("searches with ClickHouse's HNSW index (cosine), and filtered it filters first", async () => {
    const r = await post(base, '/api/search', { query: { like: 11 }, k: 10, backend: 'sql-hnsw', efSearch: 128 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.backend, /HNSW index, efSearch 128\)$/);
    assert.match(r.body.sql.sql, /cosineDistance\(vec/);
    assert.match(r.body.sql.sql, /hnsw_candidate_list_size_for_search = 128, .*use_skip_indexes = 1/);
    const exact = await post(base, '/api/search', { query: { like: 11 }, k: 10, backend: 'flat' });
    const want = new Set(exact.body.hits.map((h: HitJson) => h.id));
    const found = r.body.hits.filter((h: HitJson) => want.has(h.id)).length;
    assert.ok(found >= 9, `recall@10 of the SQL index: ${found}/10`);
    for (const h of r.body.hits) assert.ok(Math.abs(h.score - score('ip', vec(11), vec(h.id))) < 1e-4);
    const breed = rows[11].class;
    const f = await post(base, '/api/search', {
      query: { like: 11 },
      k: 10,
      backend: 'sql-hnsw',
      filters: { breeds: [breed] },
    });
    assert.match(f.body.sql.sql, /vector_search_filter_strategy = 'prefilter'/);
    assertNearest(f.body.hits, unit, vec(11), 'ip', 10, (i) => rows[i].class === breed, 'sql-hnsw filtered');
  });

  it('leaves labelled photos out in SQL, and mines over SQL as over FAISS', async () => {
    const first = await post(base, '/api/search', { session: 'sql', query: { like: 20 }, k: 8, backend: 'sql' });
    const ids: number[] = first.body.hits.map((h: HitJson) => h.id);
    for (const [i, id] of ids.entries()) {
      const label = rows[id].class === rows[20].class || i === 0 ? 'positive' : 'negative';
      assert.equal((await post(base, '/api/label', { session: 'sql', id, label })).status, 200);
    }
    const free = await post(base, '/api/search', {
      session: 'sql',
      query: { like: 20 },
      k: 8,
      backend: 'sql',
      filters: { unlabelled: true },
    });
    assert.match(free.body.sql.sql, /WHERE id NOT IN \{labelled:Array\(UInt64\)\}/);
    assertNearest(free.body.hits, unit, vec(20), 'ip', 8, (i) => !ids.includes(i), 'unlabelled');
    const rounds: Record<string, number[]> = {};
    for (const backend of ['flat', 'sql', 'sql-hnsw'] as const) {
      const t = await post(base, '/api/train', { session: 'sql', query: { like: 20 }, backend, n: 10 });
      assert.equal(t.status, 200, JSON.stringify(t.body));
      rounds[backend] = t.body.round.candidates;
      assert.ok(rounds[backend].every((id) => !ids.includes(id)));
      if (backend === 'flat') assert.equal(t.body.sql, null);
      else assert.match(t.body.sql.sql, /WHERE NOT \(id IN \{lab_sel0:Array\(UInt64\)\}\)/);
    }
    assert.deepEqual(rounds.sql, rounds.flat, 'the same classifier finds the same candidates in SQL');
    assert.deepEqual(rounds['sql-hnsw'], rounds.flat, 'mining over SQL is brute force, index or not');
  });

  it('refuses a metric a backend does not serve, and bad box filters, with a 4xx naming what it takes', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ backend: 'hnsw', metric: 'l1' }, /backend 'hnsw' serves metric 'ip', 'l2', not 'l1'/],
      [{ backend: 'sql-hnsw', metric: 'l2' }, /backend 'sql-hnsw' serves metric 'ip', not 'l2'.*cosine/],
      [{ backend: 'sql', metric: 'cosine' }, /metric must be 'ip', 'l2' or 'l1' \(got "cosine"\)/],
      [{ backend: 'ivf' }, /backend must be one of 'flat', 'hnsw', 'sql', 'sql-hnsw' \(got "ivf"\)/],
      [{ filters: { box: { minWidth: -1 } } }, /filters\.box\.minWidth must be a whole number of pixels/],
      [{ filters: { box: { minWidth: 'wide' } } }, /filters\.box\.minWidth must be a whole number/],
      [{ filters: { box: { minHeight: 300, maxHeight: 100 } } }, /minHeight is 300, above maxHeight 100/],
      [{ filters: { box: { area: 5 } } }, /filters\.box has no "area"/],
      [{ filters: { colour: 'red' } }, /filters have no "colour"/],
      [{ filters: { box: { minWidth: "1'; DROP TABLE x; --" } } }, /minWidth must be a whole number/],
    ];
    for (const [extra, message] of cases) {
      const r = await post(base, '/api/search', { query: { like: 1 }, backend: 'sql', ...extra });
      assert.equal(r.status, 400, `${JSON.stringify(extra)}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error, message);
    }
    const none = await post(base, '/api/search', {
      query: { like: 1 },
      backend: 'sql',
      filters: { box: { minWidth: 100000 } },
    });
    assert.deepEqual(none.body.hits, [], 'no box that wide: no photos, no error');
  });

  it('runs the same over a ClickHouse server (LAB_CLICKHOUSE_URL)', async () => {
    fake = await startFakeClickHouse(sqlTestDir());
    const other = await startServer({ ...env, LAB_CLICKHOUSE_URL: fake.url, LAB_CACHE_DIR: path.join(tmp, 'cache2') });
    try {
      const info = (await (await fetch(new URL('/api/info', other.url))).json()) as { sql: string };
      assert.equal(info.sql, `server ${fake.url}`);
      const breed = rows[5].class;
      for (const backend of ['sql', 'sql-hnsw'] as const) {
        const body = { query: { like: 5 }, k: 6, backend, filters: { breeds: [breed] } };
        const r = await post(other.url, '/api/search', body);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.match(r.body.backend, new RegExp(`on server ${fake.url.replace(/[.]/g, '\\.')}`));
        assertNearest(r.body.hits, unit, vec(5), 'ip', 6, (i) => rows[i].class === breed, `server ${backend}`);
      }
      assert.ok(fake.requests.some((q) => /^SELECT id, dotProduct\(vec/.test(q.statement)));
      assert.ok(
        fake.requests.some((q) => /FORMAT Native/.test(q.statement)),
        'the vectors went as a Native body',
      );
    } finally {
      await stopServer(other);
    }
  });
});
