// The explorer's API without a browser: the server started as `npm run explore` starts it, on a generated demo
// set, offline. Searches are compared with a plain-TS brute force over the CSV's vectors; labels, rounds, the
// CSV export and import, the classifier's weights read by numpy, a killed and restarted server, and every kind
// of bad input (a 4xx with a message).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { DemoSet, Matrix, PhotoRow } from '../src/internal';
import { demoEnv, embedImages, embedTexts, makeDemoSet, readVectorsCsv, writeNpy } from '../src/internal';
import { tmpDir } from './support/data';
import { type Server, startServer, stopServer } from './support/explore';
import { hasPythonFaiss, PYTHON } from './support/python';

// biome-ignore lint/suspicious/noExplicitAny: JSON replies, each field checked by the assertions
interface Reply<T = any> {
  status: number;
  body: T;
}

// biome-ignore lint/suspicious/noExplicitAny: as above
async function call<T = any>(
  base: string,
  method: string,
  route: string,
  body?: unknown,
  type?: string,
): Promise<Reply<T>> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
    init.headers = { 'content-type': type ?? 'application/json' };
  }
  const res = await fetch(new URL(route, base), init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // CSV or an image
  }
  return { status: res.status, body: parsed as T };
}

/**
 * A request written by hand: its own Host header, or a POST announcing a body it never sends (the server answers
 * 413 from the length alone; a client that kept writing would meet a closed connection before the answer).
 */
function rawRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const all: Record<string, string> = { Host: url.host, Connection: 'close', ...headers };
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => {
      const lines = Object.entries(all)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(`${method} ${url.pathname}${url.search} HTTP/1.1\r\n${lines}\r\n`);
    });
    let text = '';
    socket.on('data', (b: Buffer) => {
      text += b.toString();
      const m = /^HTTP\/1\.1 (\d+)[\s\S]*?\r\n\r\n([\s\S]*)$/.exec(text);
      if (m?.[2].includes('}')) {
        socket.destroy();
        resolve({ status: Number(m[1]), body: m[2] });
      }
    });
    socket.on('error', reject);
  });
}

/** Ids of the k largest inner products with q among `allowed` rows (plain TS). */
function bruteForce(unit: Matrix, q: Float32Array, k: number, allowed?: (id: number) => boolean): number[] {
  const scores: Array<[number, number]> = [];
  for (let i = 0; i < unit.n; i++) {
    if (allowed && !allowed(i)) continue;
    let s = 0;
    for (let t = 0; t < unit.d; t++) s += unit.data[i * unit.d + t] * q[t];
    scores.push([s, i]);
  }
  return scores
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
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

describe('explorer API on the demo set (no browser)', function () {
  this.timeout(10 * 60 * 1000);
  const tmp = tmpDir('explore-api');
  let set: DemoSet;
  let env: NodeJS.ProcessEnv;
  let server: Server | undefined;
  let base = '';
  let rows: PhotoRow[];
  let unit: Matrix;

  before(async () => {
    set = await makeDemoSet(path.join(tmp, 'demo'), { log: false });
    env = { ...demoEnv(set), LAB_CACHE_DIR: path.join(tmp, 'cache'), LAB_OFFLINE: '1' };
    const csv = await readVectorsCsv(set.vectorsCsv);
    rows = csv.rows;
    unit = normalized(csv.vectors);
    server = await startServer(env);
    base = server.url;
  });

  after(async () => {
    await stopServer(server);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("serves the page and says DEMO DATA, with the data set's breeds and poses", async () => {
    assert.match(server!.output(), /DEMO DATA/);
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(base);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="app\.js">/);
    const icon = await fetch(new URL('favicon.svg', base));
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
    assert.match(await icon.text(), /^<svg /);
    const info = await call(base, 'GET', '/api/info');
    assert.equal(info.status, 200);
    assert.equal(info.body.demo, true);
    assert.equal(info.body.photos, rows.length);
    assert.deepEqual(info.body.breeds, [...new Set(rows.map((r) => r.class))].sort());
    assert.deepEqual(info.body.poses, [...new Set(rows.map((r) => r.pose))].sort());
  });

  it("searches by text like a brute force over the CSV's vectors (CLIP's text tower, multilingual)", async () => {
    for (const [text, lang, model] of [
      ['a dog playing in snow', 'en', set.clipModel],
      ['ein Hund im Schnee', 'other', set.multilingualModel],
    ] as const) {
      const q = await embedTexts([text], { model, normalize: true, cache: false, progress: false });
      const want = bruteForce(unit, q.data, 10);
      const r = await call(base, 'POST', '/api/search', { query: { text, lang }, k: 10 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(
        r.body.hits.map((h: { id: number }) => h.id),
        want,
        `${lang}: ${text}`,
      );
      assert.deepEqual(
        r.body.hits.map((h: { rank: number }) => h.rank),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      for (const h of r.body.hits) assert.equal(h.breed, rows[h.id].class);
      assert.ok(r.body.ms.search >= 0 && r.body.ms.total >= r.body.ms.search);
    }
  });

  it('searches by breed (its mean vector) with breed and pose filters, exact and HNSW', async () => {
    const breed = rows[0].class;
    const other = rows.find((r) => r.class !== breed)!.class;
    const pose = rows[0].pose;
    const centroid = new Float32Array(unit.d);
    rows.forEach((r, i) => {
      if (r.class === breed) for (let t = 0; t < unit.d; t++) centroid[t] += unit.data[i * unit.d + t];
    });
    const allowed = (i: number) => (rows[i].class === breed || rows[i].class === other) && rows[i].pose === pose;
    const want = bruteForce(unit, centroid, 8, allowed);
    const filters = { breeds: [breed, other], poses: [pose] };
    const exact = await call(base, 'POST', '/api/search', { query: { breed }, k: 8, filters });
    assert.equal(exact.status, 200, JSON.stringify(exact.body));
    assert.deepEqual(
      exact.body.hits.map((h: { id: number }) => h.id),
      want,
    );
    // HNSW with the filter as an IDSelectorBatch: approximate, so recall against the exact answer (today 7 of 8).
    const hnsw = await call(base, 'POST', '/api/search', {
      query: { breed },
      k: 8,
      filters,
      backend: 'hnsw',
      efSearch: 600,
    });
    assert.equal(hnsw.status, 200, JSON.stringify(hnsw.body));
    const got: number[] = hnsw.body.hits.map((h: { id: number }) => h.id);
    assert.ok(
      got.every((id) => allowed(id)),
      'every HNSW hit passes the filters',
    );
    assert.ok(got.filter((id) => want.includes(id)).length >= 6, `HNSW recall: ${got} vs exact ${want}`);
    assert.match(hnsw.body.backend, /HNSW/);
  });

  it('HNSW with a one-breed filter answers k for every breed (the graph search widened, the index unchanged)', async () => {
    for (const breed of [...new Set(rows.map((r) => r.class))]) {
      const r = await call(base, 'POST', '/api/search', {
        query: { text: 'a dog' },
        k: 5,
        filters: { breeds: [breed] },
        backend: 'hnsw',
        efSearch: 16,
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const ids: number[] = r.body.hits.map((h: { id: number }) => h.id);
      assert.equal(ids.length, 5, `${breed}: ${r.body.backend}`);
      assert.ok(
        ids.every((id) => rows[id].class === breed),
        breed,
      );
    }
  });

  it('searches by an uploaded photo and by "more like this"', async () => {
    const file = path.join(set.photosDir, rows[42].dir, rows[42].filename);
    const up = await call(base, 'POST', '/api/upload', new Uint8Array(fs.readFileSync(file)), 'image/jpeg');
    assert.equal(up.status, 200, JSON.stringify(up.body));
    const mine = await embedImages([file], { model: set.clipModel, normalize: true, cache: false, progress: false });
    const want = bruteForce(unit, mine.vectors.data, 5);
    const r = await call(base, 'POST', '/api/search', { query: { upload: up.body.upload }, k: 5 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.hits[0].id, want[0]);
    assert.equal(r.body.hits[0].id, 42, 'the dataset photo finds its own row');
    const like = await call(base, 'POST', '/api/search', { query: { like: 7 }, k: 6 });
    assert.deepEqual(
      like.body.hits.map((h: { id: number }) => h.id),
      bruteForce(unit, unit.data.subarray(7 * unit.d, 8 * unit.d), 6),
    );
    assert.ok(Math.abs(like.body.hits[0].score - 1) < 1e-4);
  });

  it('serves thumbnails (made once, then from the cache) and the photos themselves', async () => {
    const a = await fetch(new URL('/api/thumb/5', base));
    assert.equal(a.status, 200);
    assert.equal(a.headers.get('content-type'), 'image/jpeg');
    const bytes = Buffer.from(await a.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
    const again = Buffer.from(await (await fetch(new URL('/api/thumb/5', base))).arrayBuffer());
    assert.ok(again.equals(bytes));
    const thumbs = path.join(tmp, 'cache', 'explore', 'thumbs');
    assert.ok(fs.existsSync(thumbs) && fs.readdirSync(thumbs).length > 0, 'thumbnails kept under the cache dir');
    const photo = await fetch(new URL('/api/photo/5', base));
    assert.ok(
      Buffer.from(await photo.arrayBuffer()).equals(
        fs.readFileSync(path.join(set.photosDir, rows[5].dir, rows[5].filename)),
      ),
    );
  });

  it('labels by id, filters out labelled photos, and keeps clicks from two tabs at once', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => 100 + i);
    // Two "tabs" clicking at the same time: each click one request; none may be lost.
    const replies = await Promise.all(
      ids.map((id, i) =>
        call(base, 'POST', '/api/label', { session: 'tabs', id, label: i % 2 ? 'negative' : 'positive' }),
      ),
    );
    for (const r of replies) assert.equal(r.status, 200, JSON.stringify(r.body));
    const s = await call(base, 'GET', '/api/session?session=tabs');
    assert.equal(s.body.counts.labelled, 20);
    assert.deepEqual(
      s.body.labels.map((l: { id: number }) => l.id).sort((a: number, b: number) => a - b),
      ids,
    );
    const free = await call(base, 'POST', '/api/search', {
      session: 'tabs',
      query: { like: 100 },
      k: 50,
      filters: { unlabelled: true },
    });
    assert.ok(free.body.hits.length === 50 && free.body.hits.every((h: { id: number }) => !ids.includes(h.id)));
    const unset = await call(base, 'POST', '/api/label', { session: 'tabs', id: 100, label: 'none' });
    assert.equal(unset.body.counts.labelled, 19);
  });

  it('trains a round: the fit on the labels, the next candidates, precision against the breed, the loss', async () => {
    const breed = rows[0].class;
    const first = await call(base, 'POST', '/api/search', { session: 'mine', query: { breed }, k: 10 });
    for (const h of first.body.hits) {
      const r = await call(base, 'POST', '/api/label', {
        session: 'mine',
        id: h.id,
        label: h.breed === breed ? 'positive' : 'negative',
      });
      assert.equal(r.status, 200);
    }
    const labelled = new Set<number>(first.body.hits.map((h: { id: number }) => h.id));
    const t = await call(base, 'POST', '/api/train', { session: 'mine', query: { breed }, n: 12 });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    const round = t.body.round;
    assert.equal(round.round, 1);
    assert.equal(round.labelled, 10);
    assert.equal(round.breed, breed);
    assert.ok(round.lossAfter < round.lossBefore, `loss ${round.lossBefore} -> ${round.lossAfter}`);
    assert.ok(round.precision >= 0 && round.precision <= 1);
    assert.equal(t.body.hits.length, 12);
    assert.ok(
      t.body.hits.every((h: { id: number }) => !labelled.has(h.id)),
      'a labelled photo is never a candidate',
    );
    const share = t.body.hits.filter((h: { id: number }) => rows[h.id].class === breed).length / 12;
    assert.equal(round.candidatePrecision, share);
    const again = await call(base, 'POST', '/api/train', { session: 'mine' });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.round.round, 2);
    assert.deepEqual(
      again.body.round.candidates,
      round.candidates,
      'the same labels and start give the same classifier',
    );
    const s = await call(base, 'GET', '/api/session?session=mine');
    assert.equal(s.body.rounds.length, 2);
  });

  it("exports the classifier as .npy that numpy loads and that ranks as the round's candidates", async function () {
    if (!hasPythonFaiss()) {
      if (process.env.CI) throw new Error(`${PYTHON} with numpy not found`);
      this.skip();
    }
    const res = await fetch(new URL('/api/weights.npy?session=mine', base));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /filename="classifier-mine\.npy"/);
    const file = path.join(tmp, 'classifier.npy');
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const xFile = path.join(tmp, 'unit.npy');
    writeNpy(xFile, unit.data, [unit.n, unit.d]);
    const s = (await call(base, 'GET', '/api/session?session=mine')).body;
    const labels = JSON.stringify(s.labels.map((l: { id: number; label: string }) => [l.id, l.label === 'positive']));
    // numpy alone: logit = x . v[:d] + v[d]; the 12 best unlabelled photos are the last round's candidates.
    const script = [
      'import json, sys, numpy as np',
      'v = np.load(sys.argv[1]); X = np.load(sys.argv[2]); labels = json.loads(sys.argv[3])',
      'assert v.dtype == np.float32 and v.shape == (X.shape[1] + 1,), (v.dtype, v.shape)',
      'logit = X.astype(np.float64) @ v[:-1] + v[-1]',
      'seen = {i for i, _ in labels}',
      'order = [int(i) for i in np.argsort(-logit, kind="stable") if int(i) not in seen][:12]',
      'p = 1 / (1 + np.exp(-logit))',
      'pos = np.mean([p[i] for i, y in labels if y]); neg = np.mean([p[i] for i, y in labels if not y])',
      'print(json.dumps({"order": order, "pos": float(pos), "neg": float(neg)}))',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', script, file, xFile, labels], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { order: number[]; pos: number; neg: number };
    assert.deepEqual(out.order, s.rounds[s.rounds.length - 1].candidates);
    assert.ok(out.pos > out.neg, `positives ${out.pos} above negatives ${out.neg}`);
  });

  it('exports the labels as CSV and imports them into another session', async () => {
    const csv = await fetch(new URL('/api/labels.csv?session=mine', base));
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    const text = await csv.text();
    const lines = text.trim().split('\n');
    assert.equal(lines[0], 'id,file,label,round');
    assert.equal(lines.length, 11);
    for (const line of lines.slice(1)) {
      const [id, file, label, round] = line.split(',');
      assert.equal(file, `${rows[Number(id)].dir}/${rows[Number(id)].filename}`);
      assert.match(label, /^(positive|negative)$/);
      assert.equal(round, '0');
    }
    const imp = await call(base, 'POST', '/api/labels/import?session=copy', text, 'text/csv');
    assert.equal(imp.status, 200, JSON.stringify(imp.body));
    assert.equal(imp.body.imported, 10);
    const back = await fetch(new URL('/api/labels.csv?session=copy', base));
    assert.equal(await back.text(), text);
  });

  it('keeps every label through a killed and restarted server', async () => {
    await call(base, 'POST', '/api/label', { session: 'mine', id: 250, label: 'positive' });
    const before = (await call(base, 'GET', '/api/session?session=mine')).body;
    await stopServer(server, 'SIGKILL');
    server = await startServer(env);
    base = server.url;
    const after = (await call(base, 'GET', '/api/session?session=mine')).body;
    assert.deepEqual(after.labels, before.labels);
    assert.equal(after.rounds.length, 2);
    const file = path.join(tmp, 'cache', 'explore', 'sessions', 'mine.json');
    assert.ok(fs.existsSync(file), 'one JSON file per session under the cache dir');
    assert.deepEqual(
      fs.readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp file left',
    );
    // The saved start keeps its breed: a round after the restart is still measured against it.
    const t = await call(base, 'POST', '/api/train', { session: 'mine' });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(t.body.round.breed, rows[0].class);
    assert.ok(t.body.round.precision >= 0 && t.body.round.precision <= 1, JSON.stringify(t.body.round));
  });

  it('answers every bad input with a 4xx and a message, and keeps running', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
    const cases: Array<[string, string, unknown, string | undefined, number, RegExp]> = [
      ['POST', '/api/search', { query: { text: '   ' } }, undefined, 400, /empty/],
      ['POST', '/api/search', { query: {} }, undefined, 400, /query must be one of/],
      ['POST', '/api/search', { query: { breed: 'Unicorn' } }, undefined, 400, /unknown breed "Unicorn"/],
      [
        'POST',
        '/api/search',
        { query: { breed: rows[0].class }, filters: { breeds: ['Nope'] } },
        undefined,
        400,
        /unknown breed/,
      ],
      [
        'POST',
        '/api/search',
        { query: { breed: rows[0].class }, filters: { poses: ['Upside'] } },
        undefined,
        400,
        /unknown pose/,
      ],
      [
        'POST',
        '/api/search',
        { query: { like: 1 }, k: 1000000 },
        undefined,
        400,
        /k is 1000000: it must be from 1 to 1000/,
      ],
      ['POST', '/api/search', { query: { like: 1 }, k: 'ten' }, undefined, 400, /k must be a whole number/],
      ['POST', '/api/search', { query: { like: 'abc' } }, undefined, 400, /like must be a whole number from 0 to 299/],
      ['POST', '/api/search', { query: { like: 1 }, backend: 'ivf' }, undefined, 400, /backend must be/],
      ['POST', '/api/search', { query: { like: 1 }, metric: 'Linf' }, undefined, 400, /metric must be/],
      ['GET', '/api/weights.npy?session=empty', undefined, undefined, 400, /no classifier yet/],
      ['POST', '/api/search', { query: { text: '../../etc/passwd' } }, undefined, 400, /query\.text holds a path/],
      ['POST', '/api/search', { session: '../x', query: { like: 1 } }, undefined, 400, /session holds a path/],
      ['POST', '/api/search', { session: 'a/b', query: { like: 1 } }, undefined, 400, /session must be/],
      ['POST', '/api/search', '{not json', undefined, 400, /JSON|Unexpected|json/],
      ['POST', '/api/search', { query: { upload: '0123456789abcdef' } }, undefined, 400, /unknown upload/],
      ['GET', '/api/session?session=..%2F..%2Fetc', undefined, undefined, 400, /holds a path/],
      ['GET', '/api/thumb/abc', undefined, undefined, 400, /id must be a whole number/],
      ['GET', '/api/thumb/99999', undefined, undefined, 400, /id is 99999/],
      ['GET', '/api/photo/-1', undefined, undefined, 400, /id is -1/],
      ['POST', '/api/label', { id: 'x', label: 'positive' }, undefined, 400, /id must be a whole number/],
      ['POST', '/api/label', { id: 3, label: 'maybe' }, undefined, 400, /label must be/],
      ['POST', '/api/upload', png, 'image/png', 400, /not an image/],
      ['POST', '/api/upload', 'hello', 'text/plain', 415, /the upload is "text\/plain", not a photo/],
      ['POST', '/api/upload', 'x', 'application/x-foo', 415, /Content-Type/],
      ['POST', '/api/labels/import?session=bad', 'photo,breed\n1,pug\n', 'text/csv', 400, /columns are "photo,breed"/],
      ['POST', '/api/labels/import?session=bad', 'id,label\nabc,positive\n', 'text/csv', 400, /line 2: id "abc"/],
      ['POST', '/api/labels/import?session=bad', 'id,label\n1,maybe\n', 'text/csv', 400, /label "maybe"/],
      [
        'POST',
        '/api/labels/import?session=bad',
        'id,label\n5,positive\n5,negative\n',
        'text/csv',
        400,
        /line 3: photo 5 is negative here and positive on an earlier line/,
      ],
      [
        'POST',
        '/api/labels/import?session=bad',
        'id,file,label\n1,elsewhere.jpg,positive\n',
        'text/csv',
        400,
        /another data set/,
      ],
      ['POST', '/api/train', { session: 'empty' }, undefined, 400, /search first/],
      ['GET', '/etc/passwd', undefined, undefined, 404, /nothing at/],
    ];
    for (const [method, route, body, type, status, message] of cases) {
      const r = await call(base, method, route, body, type);
      assert.equal(
        r.status,
        status,
        `${method} ${route} ${JSON.stringify(body)?.slice(0, 80)}: ${JSON.stringify(r.body)}`,
      );
      assert.match(String(r.body?.error), message, `${method} ${route}`);
    }
    // Over 20 MB: the server answers 413 as soon as it sees the length, before reading the body.
    const big = await rawRequest(new URL('/api/upload', base), 'POST', {
      'Content-Type': 'image/jpeg',
      'Content-Length': String(21 * 1024 * 1024),
    });
    assert.equal(big.status, 413);
    assert.match(big.body, /over 20 MB/);
    const bad = await call(base, 'GET', '/api/session?session=bad');
    assert.equal(bad.body.counts.labelled, 0, 'a refused CSV changes nothing');
    const rebound = await rawRequest(new URL('/api/info', base), 'GET', { Host: 'evil.example' });
    assert.equal(rebound.status, 403, 'only requests addressed to the loopback host');
    assert.match(rebound.body, /addressed to 127\.0\.0\.1/);
    assert.equal((await call(base, 'GET', '/api/info')).status, 200, 'still running');
  });

  it('bound to another address, asks for the token it prints', async () => {
    const other = await startServer(env, ['--host', '0.0.0.0']);
    try {
      const m = /\?token=([0-9a-f]{48})/.exec(other.url);
      assert.ok(m, other.url);
      const port = new URL(other.url).port;
      const noToken = await call(`http://127.0.0.1:${port}/`, 'GET', '/api/info');
      assert.equal(noToken.status, 403);
      assert.match(noToken.body.error, /token/);
      const wrong = await call(`http://127.0.0.1:${port}/`, 'GET', '/api/info?token=00');
      assert.equal(wrong.status, 403);
      const page = await fetch(other.url);
      assert.equal(page.status, 200);
      const cookie = page.headers.get('set-cookie') ?? '';
      assert.match(cookie, /HttpOnly/);
      const withCookie = await fetch(`http://127.0.0.1:${port}/api/info`, {
        headers: { cookie: cookie.split(';')[0] },
      });
      assert.equal(withCookie.status, 200);
    } finally {
      await stopServer(other);
    }
  });
});
