// The SQL store through the real @clickhouse/client over HTTP: against the server in
// LAB_CLICKHOUSE_URL when set (user/password from LAB_CLICKHOUSE_USER/_PASSWORD),
// otherwise against a loopback server speaking ClickHouse's HTTP interface over chdb
// (test/support/clickhouse-http.ts). The same store code and SQL as on chdb.
import { strict as assert } from 'node:assert';
import { IndexFlatL2, recallAtK, type SqlBackend, SqlError, SqlVectorStore, serverBackend } from '../src/internal';
import { type FakeClickHouse, startFakeClickHouse } from './support/clickhouse-http';
import { dataset, sameResults } from './support/data';
import { INJECTIONS, sqlTestDir } from './support/sql';

const d = 512;
const n = 3000;
const nq = 10;
const k = 10;
const { xb, xq } = dataset(n, d, nq, 30, 7);
const rows = Array.from({ length: n }, (_, i) => ({
  path: `p/${i}.jpg`,
  label: i < INJECTIONS.length ? INJECTIONS[i] : `breed-${i % 30}`,
}));

describe('SqlVectorStore on a ClickHouse server (@clickhouse/client over HTTP)', () => {
  const real = process.env.LAB_CLICKHOUSE_URL;
  let fake: FakeClickHouse | undefined;
  let backend: SqlBackend;
  let store: SqlVectorStore;

  before(async () => {
    if (!real) fake = await startFakeClickHouse(sqlTestDir());
    backend = serverBackend(real ? {} : { url: fake!.url, username: 'default', password: '' });
    store = await SqlVectorStore.open({ table: 'sql_http', d, backend, mode: 'replace' });
    await store.addAsync(xb, { rows, progress: false, batchRows: 1000 });
  });
  after(async () => {
    await store?.drop().catch(() => undefined);
    backend?.close();
    await fake?.close();
  });

  it('went through HTTP: statements in the URL or body, values as param_*, the vectors as a Native body', function () {
    if (!fake) this.skip();
    const inserts = fake.requests.filter((r) => /FORMAT Native/.test(r.statement));
    assert.equal(inserts.length, 3); // 3000 rows in batches of 1000
    assert.ok(fake.requests.some((r) => r.params.includes('lab_t')));
  });

  it('stores the vectors bit-exact and the labels verbatim', async () => {
    assert.equal(store.ntotal, n);
    const back = await store.reconstructN();
    assert.ok(Buffer.from(back.buffer).equals(Buffer.from(xb.data.buffer, xb.data.byteOffset, xb.data.byteLength)));
    const got = await store.getRows(INJECTIONS.map((_, i) => i));
    assert.deepEqual(
      got.map((r) => r.label),
      [...INJECTIONS],
    );
    for (const [i, s] of INJECTIONS.entries()) {
      assert.equal(await store.count({ label: s }), 1, JSON.stringify(s));
      const res = await store.search(xb.data.subarray(i * d, (i + 1) * d), 1, {
        where: { sql: 'label = {v:String}', params: { v: s } },
      });
      assert.deepEqual(res.ids(0), [i], JSON.stringify(s));
    }
  });

  it('brute-force k-NN is identical to IndexFlatL2; filters with prefilter are exact', async () => {
    const flat = new IndexFlatL2(d);
    flat.add(xb);
    sameResults(await store.search(xq, k), flat.search(xq, k), 1e-4);
    const res = await store.search(xq, k, { where: { label: 'breed-4', idNotIn: [4] }, prefilter: true });
    for (const id of res.ids(0)) assert.ok(rows[id].label === 'breed-4' && id !== 4);
    assert.equal(res.hits(0).length, k);
  });

  it('server errors arrive with the code, the table and the statement; bad rows are refused whole', async () => {
    const e = await store.query(`INSERT INTO sql_http (id, vec) VALUES (1, [1, 2])`).catch((x: unknown) => x);
    assert.ok(e instanceof SqlError, String(e));
    assert.equal(e.clickhouseCode, 469);
    assert.match(e.message, /running a query on table sql_http \(server\) failed: .*vec_length/);
    assert.match(e.message, /statement: INSERT INTO sql_http/);
    assert.equal(await store.count(), n);
  });

  it('merges parts, builds and uses the HNSW index (EXPLAIN), recall@10 >= 0.9', async () => {
    const exact = await store.search(xq, k);
    assert.equal((await store.optimize()).parts, 1);
    await store.createIndex({ quantization: 'f32', M: 16, efConstruction: 64 });
    assert.equal((await store.indexInfo())!.parts, 1);
    assert.equal(await store.usesIndex(xq, k), true);
    const recall = recallAtK(exact, await store.search(xq, k), k);
    // Today: 1.000 (f32, 3000 x 512, 10 queries).
    assert.ok(recall >= 0.9, `recall@10 ${recall}`);
  });
});
