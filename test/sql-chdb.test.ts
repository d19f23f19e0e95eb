// The SQL store on embedded ClickHouse (chdb) end to end: 20k generated 512-d vectors
// in, bit-exact out; brute-force k-NN identical to exact FAISS; filters; the HNSW index
// used (EXPLAIN) with its recall; the condition-cache bug avoided; bad rows refused.
import { strict as assert } from 'node:assert';
import {
  chdbBackend,
  IndexFlat,
  IndexFlatIP,
  IndexFlatL2,
  knnBruteForce,
  labelRecall,
  MetricType,
  recallAtK,
  type SqlBackend,
  SqlError,
  SqlVectorStore,
} from '../src/internal';
import { l2normalize } from '../src/util/vectors';
import { dataset, sameResults } from './support/data';
import { INJECTIONS, sqlTestDir } from './support/sql';

const d = 512;
const n = 20000;
const nq = 40;
const k = 10;
const { xb, xq } = dataset(n, d, nq);
const breed = (i: number) => `breed-${i % 120}`;
const rows = Array.from({ length: n }, (_, i) => ({
  path: `photos/${i}.jpg`,
  label: breed(i),
  pose: i % 3 ? 'Front' : 'Side',
  score: (i % 100) / 100,
}));

describe('SqlVectorStore on chdb', () => {
  let backend: SqlBackend;
  let store: SqlVectorStore;

  before(async () => {
    backend = chdbBackend(sqlTestDir());
    store = await SqlVectorStore.open({
      table: 'sql_dogs',
      d,
      columns: { pose: 'String', score: 'Float64' },
      backend,
      mode: 'replace',
    });
    await store.addAsync(xb, { rows, progress: false });
  });
  after(() => {
    store?.dispose();
    backend?.close();
  });

  it('stores 20k vectors bit-exact, with ids 0..n-1 and their rows', async () => {
    assert.equal(store.ntotal, n);
    assert.equal(await store.count(), n);
    const back = await store.reconstructN();
    assert.ok(
      Buffer.from(back.buffer).equals(Buffer.from(xb.data.buffer, xb.data.byteOffset, xb.data.byteLength)),
      'vectors differ',
    );
    const got = await store.getRows([17, 3]);
    assert.deepEqual(got, [
      { id: 17, ...rows[17] },
      { id: 3, ...rows[3] },
    ]);
  });

  it('opens the existing table again with its d and rows', async () => {
    const again = await SqlVectorStore.open({ table: 'sql_dogs', backend });
    assert.equal(again.d, d);
    assert.equal(again.ntotal, n);
    again.dispose();
    await assert.rejects(
      SqlVectorStore.open({ table: 'sql_dogs', d: 64, backend }),
      /holds vectors of d=512, but d=64/,
    );
  });

  it('merges a table loaded in batches into one part (optimize): vectors and results unchanged', async () => {
    const m = 3000;
    const part = { data: xb.data.subarray(0, m * d), n: m, d };
    const small = await SqlVectorStore.open({ table: 'sql_parts', d, backend, mode: 'replace' });
    try {
      await small.query('SYSTEM STOP MERGES sql_parts');
      await small.addAsync(part, { batchRows: 1000, progress: false });
      assert.equal(await small.parts(), 3); // one part per INSERT while merges are stopped
      await small.query('SYSTEM START MERGES sql_parts');
      const merged = await small.optimize();
      assert.equal(merged.parts, 1);
      assert.equal(await small.count(), m);
      const back = await small.reconstructN();
      assert.ok(
        Buffer.from(back.buffer).equals(Buffer.from(part.data.buffer, part.data.byteOffset, part.data.byteLength)),
        'vectors differ',
      );
      sameResults(await small.search(xq, k), knnBruteForce(part.data, xq.data, d, k, MetricType.L2), 1e-4);
    } finally {
      await small.drop();
    }
  });

  it('brute-force L2 k-NN is identical to IndexFlatL2 (squared distances, as faiss)', async () => {
    const flat = new IndexFlatL2(d);
    flat.add(xb);
    const want = flat.search(xq, k);
    const got = await store.search(xq, k);
    assert.equal(got.metric, MetricType.L2);
    sameResults(got, want, 1e-4);
  });

  it('cosine is identical to IndexFlatIP on normalised vectors (results are similarities)', async () => {
    const nb = Float32Array.from(xb.data);
    const nqv = Float32Array.from(xq.data);
    l2normalize(nb, d);
    l2normalize(nqv, d);
    const ip = new IndexFlatIP(d);
    ip.add(nb);
    const want = ip.search(nqv, k);
    const cos = store.withMetric('cosine');
    const got = await cos.search(xq, k);
    assert.equal(got.metric, MetricType.INNER_PRODUCT);
    assert.deepEqual([...got.labels], [...want.labels]);
    for (let i = 0; i < got.distances.length; i++)
      assert.ok(Math.abs(got.distances[i] - want.distances[i]) < 1e-5, `similarity ${i}`);
  });

  it('L1 by brute force is identical to IndexFlat(L1); the index refuses L1', async () => {
    const flat = new IndexFlat(d, MetricType.L1);
    flat.add(xb);
    const l1 = store.withMetric(MetricType.L1);
    sameResults(await l1.search(xq.data.subarray(0, 5 * d), k), flat.search(xq.data.subarray(0, 5 * d), k), 1e-4);
    await assert.rejects(l1.createIndex(), /serves L2 and cosine only, not L1/);
  });

  it('filters exactly: one breed, excluded ids, parameterised SQL', async () => {
    const q = xq.data.subarray(0, d);
    // Within one breed: the exact answer over that breed's rows only.
    const members = rows.map((r, i) => (r.label === breed(7) ? i : -1)).filter((i) => i >= 0);
    const sub = new Float32Array(members.length * d);
    members.forEach((id, j) => {
      sub.set(xb.data.subarray(id * d, (id + 1) * d), j * d);
    });
    const want = knnBruteForce(sub, q, d, k, MetricType.L2).labels.map((j) => BigInt(members[Number(j)]));
    const got = await store.search(q, k, { where: { label: breed(7) }, prefilter: true });
    assert.deepEqual([...got.labels], [...want]);
    // Excluding the nearest ids gives the next ones.
    const all = await store.search(q, 2 * k);
    const excluded = all.ids(0).slice(0, k);
    const rest = await store.search(q, k, { where: { idNotIn: excluded }, prefilter: true });
    assert.deepEqual(rest.ids(0), all.ids(0).slice(k));
    const viaSql = await store.search(q, k, {
      where: { sql: 'label = {b:String} AND pose != {p:String}', params: { b: breed(7), p: 'Side' } },
      prefilter: true,
    });
    assert.ok(viaSql.hits(0).length > 0);
    for (const id of viaSql.ids(0)) assert.ok(rows[id].label === breed(7) && rows[id].pose !== 'Side');
    const ranged = await store.search(q, k, {
      where: { score: { gte: 0.5, lt: 0.6 }, pose: ['Front'] },
      prefilter: true,
    });
    for (const id of ranged.ids(0))
      assert.ok(rows[id].score >= 0.5 && rows[id].score < 0.6 && rows[id].pose === 'Front');
  });

  it('refuses bad filters, names and queries with messages that say what was expected', async () => {
    await assert.rejects(
      store.search(xq, 1, { where: { breed: 'x' } }),
      /column "breed", which the table does not have \(it has: id, path, label, pose, score/,
    );
    await assert.rejects(
      store.search(xq, 1, { where: { score: 'high' } }),
      /filter on score \(Float64\): expected a finite number/,
    );
    await assert.rejects(
      store.search(xq, 1, { where: { sql: 'label = {b:String}; DROP TABLE sql_dogs', params: { b: 'x' } } }),
      /one condition without ";"/,
    );
    await assert.rejects(store.search(xq, 1, { where: { sql: 'label = {b:String}' } }), /filter.params has no b/);
    await assert.rejects(store.search(new Float32Array(10), 1), /multiple of d=512/);
    await assert.rejects(
      SqlVectorStore.open({ table: 'x; DROP TABLE sql_dogs', d: 4, backend }),
      /plain SQL name for the table/,
    );
    await assert.rejects(
      SqlVectorStore.open({ table: 't1', d: 4, columns: { 'a b': 'String' }, backend }),
      /plain SQL name for a column/,
    );
    const e = await store.query('SELECT nosuchcolumn FROM sql_dogs').catch((x: unknown) => x);
    assert.ok(e instanceof SqlError);
    assert.match(e.message, /running a query on table sql_dogs \(chdb\) failed: Code: 47/);
    assert.match(e.message, /statement: SELECT nosuchcolumn FROM sql_dogs/);
    assert.equal(e.clickhouseCode, 47);
  });

  it('rejected bad rows leave the table as it was', async () => {
    const bad = Float32Array.from(xb.data.subarray(0, 3 * d));
    bad[d + 5] = NaN;
    await assert.rejects(store.addAsync(bad, { progress: false }), /contains NaN at row 1, column 5/);
    await assert.rejects(
      store.addAsync({ data: new Float32Array(64), n: 1, d: 64 }, { progress: false }),
      /d=64, but table sql_dogs holds d=512/,
    );
    await assert.rejects(
      store.addAsync(xb.data.subarray(0, d), { rows: [{ label: 5 }], progress: false }),
      /rows\[0\]\.label is 5: column label of sql_dogs is LowCardinality\(String\)/,
    );
    // The table's own CONSTRAINTs stop rows that bypass the store: code 469, nothing kept.
    const short = await store
      .query(`INSERT INTO sql_dogs (id, vec) VALUES (99999, [1, 2, 3])`)
      .catch((x: unknown) => x);
    assert.ok(short instanceof SqlError && short.clickhouseCode === 469, String(short));
    assert.match(short.message, /vec_length/);
    const nan = await store
      .query(`INSERT INTO sql_dogs (id, vec) SELECT 99999, arrayMap(i -> if(i = 7, nan, 0.5), range(512))`)
      .catch((x: unknown) => x);
    assert.ok(nan instanceof SqlError && nan.clickhouseCode === 469, String(nan));
    assert.match(nan.message, /vec_finite/);
    assert.equal(await store.count(), n);
    assert.equal(store.ntotal, n);
  });

  describe('with the HNSW index', () => {
    let exact: Awaited<ReturnType<SqlVectorStore['search']>>;
    before(async () => {
      exact = await store.search(xq, k);
      await store.createIndex({ quantization: 'bf16', M: 16, efConstruction: 64 });
    });
    afterEach(() => store.setQueryArguments({ efSearch: 256, exact: 0, rescoring: 0 }));

    it('is used by k-NN queries (EXPLAIN indexes = 1) and finds >= 90% of the true 10 nearest', async () => {
      const info = await store.indexInfo();
      assert.match(info!.type, /vector_similarity\('hnsw', 'L2Distance', 512, 'bf16', 16, 64\)/);
      assert.ok(info!.bytes > 0);
      const plan = await store.explain(xq, k);
      assert.match(plan, /Skip[\s│]+Name: vec_index[\s│]+Description: vector_similarity/);
      assert.equal(await store.usesIndex(xq, k), true);
      const approx = await store.search(xq, k);
      const recall = labelRecall(exact.labels, approx.labels, nq, k); // by ids: bf16 distances are approximate
      // Today: 0.997 (bf16, M=16, efConstruction=64, search list 256, 40 queries).
      assert.ok(recall >= 0.9, `recall@10 ${recall}`);
    });

    it('query arguments: brute force on the same table, search list size, rescoring', async () => {
      store.setQueryArguments({ use_skip_indexes: 0 });
      assert.equal(await store.usesIndex(xq, k), false);
      sameResults(
        await store.search(xq.data.subarray(0, 3 * d), k),
        { labels: exact.labels.subarray(0, 3 * k), distances: exact.distances.subarray(0, 3 * k) },
        1e-4,
      );
      assert.deepEqual(store.queryArguments, { efSearch: 256, exact: 1, rescoring: 0, fetchMultiplier: 1 });
      store.setQueryArguments({ use_skip_indexes: 1 });
      store.setQueryArguments({ exact: 1 }); // the lab's name for the same knob
      assert.equal(await store.usesIndex(xq, k), false);
      assert.throws(
        () => store.setQueryArguments({ nprobe: 10 }),
        /no query argument "nprobe" \(it has: efSearch, exact, rescoring/,
      );
      assert.throws(() => store.setQueryArguments({ exact: 2 }), /exact/);
      assert.deepEqual(store.queryArguments, { efSearch: 256, exact: 1, rescoring: 0, fetchMultiplier: 1 }); // unchanged by a refusal
      store.setQueryArguments({ exact: 0, efSearch: 16 });
      assert.match(
        store.searchSql(xq.data.subarray(0, d), k).sql,
        /hnsw_candidate_list_size_for_search = 16, .*use_skip_indexes = 1/,
      );
      store.setQueryArguments({ use_skip_indexes: 1, hnsw_candidate_list_size_for_search: 16 });
      const small = await store.search(xq, k);
      assert.ok(recallAtK(exact, small, k) <= 1);
      store.setQueryArguments({ efSearch: 256, rescoring: 1 });
      assert.deepEqual(store.queryArguments, { efSearch: 256, exact: 0, rescoring: 1, fetchMultiplier: 1 });
      const rescored = await store.search(xq.data.subarray(0, d), k);
      // Rescored distances are exact (the bf16 index alone returns approximate ones).
      for (let r = 0; r < k; r++) {
        const i = exact.ids(0).indexOf(rescored.ids(0)[r]);
        if (i >= 0) assert.ok(Math.abs(rescored.distances[r] - exact.distances[i]) <= 1e-4 * exact.distances[i]);
      }
    });

    it('prefilter is exact for a selective filter, where post-filtering finds little', async () => {
      const q = xq.data.subarray(0, d);
      const where = { label: breed(11) };
      const pre = await store.search(q, k, { where, prefilter: true });
      assert.equal(pre.hits(0).length, k);
      for (const id of pre.ids(0)) assert.equal(rows[id].label, breed(11));
      const post = await store.search(q, k, { where });
      assert.ok(post.hits(0).length <= k); // usually 0-2: the index's nearest are of other breeds
    });

    it('counts stay right after index queries with a WHERE (query condition cache off)', async () => {
      const where = { label: breed(3) };
      const truth = rows.filter((r) => r.label === breed(3)).length;
      for (let i = 0; i < 3; i++) {
        await store.search(xq.data.subarray(i * d, (i + 1) * d), k, { where });
        assert.equal(await store.count(where), truth);
        const [{ c }] = await store.query<{ c: string }>('SELECT count() AS c FROM sql_dogs WHERE label = {b:String}', {
          b: breed(3),
        });
        assert.equal(Number(c), truth);
      }
    });
  });
});

describe('SqlVectorStore: values that look like SQL stay values', () => {
  let backend: SqlBackend;
  let store: SqlVectorStore;
  const d4 = 4;
  before(async () => {
    backend = chdbBackend(sqlTestDir());
    store = await SqlVectorStore.open({
      table: 'sql_inj',
      d: d4,
      columns: { note: 'String' },
      backend,
      mode: 'replace',
    });
    const x = new Float32Array(INJECTIONS.length * d4).map((_, i) => (i % d4 === 0 ? Math.floor(i / d4) : 0));
    await store.addAsync(x, {
      rows: INJECTIONS.map((s) => ({ label: s, path: s, note: `note ${s}` })),
      progress: false,
    });
  });
  after(() => {
    store?.dispose();
    backend?.close();
  });

  it('each label is stored verbatim and found again by filters, and the table is intact', async () => {
    const got = await store.getRows(INJECTIONS.map((_, i) => i));
    assert.deepEqual(
      got.map((r) => r.label),
      [...INJECTIONS],
    );
    assert.deepEqual(
      got.map((r) => r.note),
      INJECTIONS.map((s) => `note ${s}`),
    );
    const q = new Float32Array(d4);
    for (const [i, s] of INJECTIONS.entries()) {
      assert.equal(await store.count({ label: s }), 1, JSON.stringify(s));
      const res = await store.search(q, 3, { where: { label: [s], path: { eq: s } }, prefilter: true });
      assert.deepEqual(res.ids(0), [i], JSON.stringify(s));
      const viaSql = await store.search(q, 3, { where: { sql: 'note = {v:String}', params: { v: `note ${s}` } } });
      assert.deepEqual(viaSql.ids(0), [i], JSON.stringify(s));
      const rest = await store.search(q, INJECTIONS.length, { where: { label: { notIn: [s] } } });
      assert.equal(rest.hits(0).length, INJECTIONS.length - 1);
    }
    assert.equal(await store.count(), INJECTIONS.length);
    const [{ n: tables }] = await store.query<{ n: string }>(
      "SELECT count() AS n FROM system.tables WHERE name IN ('sql_inj', 't', 'sql_dogs')",
    );
    assert.ok(Number(tables) >= 1);
  });
});
