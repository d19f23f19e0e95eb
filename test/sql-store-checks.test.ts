// The SQL store's statement log and its argument checks, against plain-TS brute force:
// every statement is kept verbatim (running a logged SELECT again gives the same rows);
// a Matrix whose n disagrees with its data, NaN/Infinity in rows and filters, and values
// whose squared distances overflow float32 are refused as FAISS refuses them; sqlCandidates
// stays exact with an HNSW index on the table.
import { strict as assert } from 'node:assert';
import {
  chdbBackend,
  type Filter,
  formatStatement,
  IndexFlatL2,
  knnBruteForce,
  MetricType,
  type SqlBackend,
  type SqlStatement,
  SqlVectorStore,
  sqlCandidates,
} from '../src/internal';
import { valueLimit } from '../src/util/check';
import { l2normalize } from '../src/util/vectors';
import { dataset, sameResults } from './support/data';
import { sqlTestDir } from './support/sql';

describe('SqlVectorStore: statements, checks and exact candidates', () => {
  let backend: SqlBackend;
  before(() => {
    backend = chdbBackend(sqlTestDir());
  });
  after(() => backend?.close());

  describe('the statement log', () => {
    const d = 16;
    const n = 600;
    const { xb, xq } = dataset(n, d, 3, 12, 3);
    const rows = Array.from({ length: n }, (_, i) => ({
      path: `p/${i}.jpg`,
      label: `b${i % 12}`,
      pose: i % 2 ? 'Left' : 'Frontal',
    }));
    let store: SqlVectorStore;
    const hooked: SqlStatement[] = [];

    before(async () => {
      store = await SqlVectorStore.open({
        table: 'sql_log',
        d,
        metric: 'cosine',
        columns: { pose: 'LowCardinality(String)' },
        backend,
        mode: 'replace',
        onStatement: (s) => hooked.push(s),
      });
      await store.addAsync(xb, { rows, progress: false, batchRows: 250 });
      await store.optimize();
      await store.createIndex({ quantization: 'f32', M: 16, efConstruction: 64 });
    });
    after(async () => store?.drop());

    it('keeps the DDL, the inserts, OPTIMIZE and the index statements as sent, in order', () => {
      const sqls = store.statements.map((s) => s.sql);
      const at = (re: RegExp) => sqls.findIndex((s) => re.test(s));
      const create = at(/^CREATE TABLE IF NOT EXISTS sql_log \(/);
      assert.ok(create >= 0, 'no CREATE TABLE');
      assert.match(sqls[create], /vec Array\(Float32\),\n {2}CONSTRAINT vec_length CHECK length\(vec\) = 16/);
      const inserts = sqls.filter((s) => /^INSERT INTO sql_log \(id, path, label, pose, vec\) SELECT/.test(s));
      assert.equal(inserts.length, 3); // 600 rows in batches of 250
      const optimize = at(/^OPTIMIZE TABLE sql_log FINAL/);
      const add = at(
        /^ALTER TABLE sql_log ADD INDEX vec_index vec TYPE vector_similarity\('hnsw', 'cosineDistance', 16, 'f32', 16, 64\)$/,
      );
      const build = at(/^ALTER TABLE sql_log MATERIALIZE INDEX vec_index SETTINGS mutations_sync = 2$/);
      assert.ok(create < optimize && optimize < add && add < build, `order: ${create} ${optimize} ${add} ${build}`);
      assert.equal(store.lastStatement('adding the vector index')?.sql, sqls[add]);
      // The hook saw the same statements, numbered in the order sent.
      assert.deepEqual(
        hooked.map((s) => s.seq),
        hooked.map((_, i) => i + 1),
      );
      assert.deepEqual(
        hooked.slice(-sqls.length).map((s) => s.sql),
        sqls,
      );
    });

    it('a logged SELECT run again with its parameters gives the same rows, the brute-force answer', async () => {
      const q = xq.data.subarray(0, d);
      const res = await store.search(q, 5, { where: { pose: 'Frontal' }, exact: true });
      const s = store.lastStatement('searching')!;
      assert.match(
        s.sql,
        /^SELECT id, cosineDistance\(vec, \{lab_q:Array\(Float32\)\}\) AS distance\nFROM sql_log\nWHERE \(pose = \{lab_f0:String\}\)/,
      );
      assert.match(s.sql, /use_skip_indexes = 0/);
      const again = await store.query<{ id: string }>(s.sql, s.params);
      assert.deepEqual(
        again.map((r) => Number(r.id)),
        res.ids(0),
      );
      // Reference: cosine over the Frontal rows (even ids) in plain TypeScript.
      const members = rows.map((r, i) => (r.pose === 'Frontal' ? i : -1)).filter((i) => i >= 0);
      const sub = new Float32Array(members.length * d);
      members.forEach((id, j) => {
        sub.set(xb.data.subarray(id * d, (id + 1) * d), j * d);
      });
      l2normalize(sub, d);
      const qn = Float32Array.from(q);
      l2normalize(qn, d);
      const want = knnBruteForce(sub, qn, d, 5, MetricType.INNER_PRODUCT);
      assert.deepEqual(
        res.ids(0),
        Array.from(want.labels, (j) => members[Number(j)]),
      );
      const text = formatStatement(s);
      assert.match(text, /^-- searching \(/);
      assert.match(text, /\n-- \{lab_q:Array\(Float32\)\} = \[[^\]]+, …\] \(16 values\)\n/);
      assert.match(text, /\n-- \{lab_f0:String\} = 'Frontal'\n/);
      assert.match(text, /\n-- \{lab_k:UInt32\} = 5\nSELECT id, cosineDistance/);
      assert.ok(text.endsWith(s.sql));
    });

    it('records a failed statement with its error, and keeps at most 200', async () => {
      await assert.rejects(store.query('SELECT nosuchcolumn FROM sql_log'));
      const failed = store.lastStatement(/nosuchcolumn/)!;
      assert.match(failed.error!, /nosuchcolumn/);
      for (let i = 0; i < 210; i++) await store.count();
      assert.equal(store.statements.length, 200);
      assert.equal(store.statements[199].seq, hooked[hooked.length - 1].seq);
    });
  });

  describe('argument checks', () => {
    const d = 16;
    let store: SqlVectorStore;
    before(async () => {
      store = await SqlVectorStore.open({
        table: 'sql_checks',
        d,
        columns: { score: 'Float64', n: 'Int64' },
        backend,
        mode: 'replace',
      });
      await store.addAsync(dataset(50, d, 1).xb, { progress: false });
    });
    after(async () => store?.drop());

    it('refuses a Matrix whose n disagrees with its data, as IndexFlatL2.add does', async () => {
      const data = dataset(3, d, 1).xb.data;
      const liar = { data, n: 2, d };
      const flat = new IndexFlatL2(d);
      assert.throws(() => flat.add(liar), /says n=2 vectors of d=16 \(32 values\), but its data holds 48 values/);
      flat.dispose();
      const says = 'says n=2 vectors of d=16 \\(32 values\\), but its data holds 48 values';
      await assert.rejects(store.addAsync(liar, { progress: false }), new RegExp(`x ${says}`));
      await assert.rejects(store.search(liar, 1), new RegExp(`xq ${says}`));
      await assert.rejects(store.addAsync({ data, n: 4, d }, { progress: false }), /says n=4 vectors/);
      assert.equal(await store.count(), 50);
      assert.equal(store.ntotal, 50);
    });

    it('names NaN and Infinity in rows and filters (not "null"), with the row and column', async () => {
      const x = dataset(3, d, 1).xb.data;
      const rows = [{ score: 1 }, { score: NaN }, { score: 2 }];
      await assert.rejects(
        store.addAsync(x, { rows, progress: false }),
        /rows\[1\]\.score is NaN: column score of sql_checks is Float64 \(finite numbers\)/,
      );
      rows[1].score = Infinity;
      await assert.rejects(store.addAsync(x, { rows, progress: false }), /rows\[1\]\.score is Infinity: column score/);
      rows[1].score = -Infinity;
      await assert.rejects(store.addAsync(x, { rows, progress: false }), /rows\[1\]\.score is -Infinity/);
      await assert.rejects(
        store.addAsync(x, { rows: [{}, {}, { n: 1.5 }], progress: false }),
        /rows\[2\]\.n is 1\.5: column n of sql_checks is Int64 \(integers\)/,
      );
      const vec = Float32Array.from(x);
      vec[d + 3] = Infinity;
      await assert.rejects(store.addAsync(vec, { progress: false }), /contains Infinity at row 1, column 3/);
      const q = x.subarray(0, d);
      const refused = (where: Filter, re: RegExp) => assert.rejects(store.search(q, 1, { where }), re);
      await refused(
        { score: { gte: NaN } },
        /filter on score\.gte \(Float64\): expected a finite number but received NaN/,
      );
      await refused(
        { score: [0.5, Infinity] },
        /filter on score\[1\] \(Float64\): expected a finite number but received Infinity/,
      );
      await refused({ score: { notIn: [-Infinity] } }, /score\.notIn\[0\] .*received -Infinity/);
      await refused({ idNotIn: [1, NaN] }, /filter on idNotIn\[1\] \(UInt64\): expected an integer but received NaN/);
      await refused({ n: Infinity }, /filter on n \(Int64\): expected an integer but received Infinity/);
      assert.equal(await store.count(), 50);
    });

    it("refuses values whose squared distances overflow float32 (FAISS's limit); below, brute-force order", async () => {
      const limit = valueLimit(d); // 1.15e18 for d = 16
      const { xb, xq } = dataset(200, d, 5);
      const huge = Float32Array.from(xb.data);
      huge[7 * d + 2] = 1.8e19; // L2Distance to it would be Infinity: any order
      const flat = new IndexFlatL2(d);
      assert.throws(() => flat.add(huge), /beyond ±/);
      flat.dispose();
      await assert.rejects(
        store.addAsync(huge, { progress: false }),
        new RegExp(
          'x holds 1\\.800e\\+19 at row 7, column 2, its largest \\|value\\|: ' +
            'with d=16, squared distances overflow float32 .* beyond ±1\\.153e\\+18',
        ),
      );
      await assert.rejects(store.search(huge.subarray(7 * d, 8 * d), 1), /xq holds 1\.800e\+19 at row 0, column 2/);
      assert.equal(await store.count(), 50);

      // Scaled to just under the limit: accepted, and ordered as brute force in float64.
      let max = 0;
      for (const v of xb.data) max = Math.max(max, Math.abs(v));
      for (const v of xq.data) max = Math.max(max, Math.abs(v));
      const scale = (0.9 * limit) / max;
      const big = xb.data.map((v) => v * scale);
      const bigQ = xq.data.map((v) => v * scale);
      const large = await SqlVectorStore.open({ table: 'sql_large', d, backend, mode: 'replace' });
      try {
        await large.addAsync(big, { progress: false });
        sameResults(await large.search(bigQ, 10), knnBruteForce(big, bigQ, d, 10, MetricType.L2), 1e-4);
      } finally {
        await large.drop();
      }
    });
  });

  describe('sqlCandidates with an HNSW index on the table', () => {
    const d = 32;
    const n = 3000;
    const nq = 8;
    const k = 10;
    const { xb, xq } = dataset(n, d, nq, 30, 11);
    const unit = Float32Array.from(xb.data);
    const unitQ = Float32Array.from(xq.data);
    l2normalize(unit, d);
    l2normalize(unitQ, d);
    let store: SqlVectorStore;
    before(async () => {
      store = await SqlVectorStore.open({ table: 'sql_cand', d, metric: 'cosine', backend, mode: 'replace' });
      await store.addAsync(unit, { progress: false });
      await store.optimize();
      // bf16 and a short search list: the index's answers are approximate (distances at least).
      await store.createIndex({ quantization: 'bf16', M: 4, efConstruction: 8 });
      store.setQueryArguments({ hnsw_candidate_list_size_for_search: 10 });
    });
    after(async () => store?.drop());

    it('answers exactly (brute force), with nothing excluded and with excluded ids', async () => {
      const source = sqlCandidates(store);
      assert.match(source.name, /use_skip_indexes = 0/);
      assert.equal(await store.usesIndex(unitQ, k), true);
      let indexDiffers = false;
      for (let i = 0; i < nq; i++) {
        const q = unitQ.subarray(i * d, (i + 1) * d);
        const want = knnBruteForce(unit, q, d, 2 * k, MetricType.INNER_PRODUCT);
        const viaIndex = await store.search(q, k);
        for (let r = 0; r < k; r++) {
          const off = Math.abs(viaIndex.distances[r] - want.distances[r]);
          if (viaIndex.labels[r] !== want.labels[r] || off > 1e-6) indexDiffers = true;
        }
        const hits = await source.search(q, k, new Set());
        const got = {
          labels: BigInt64Array.from(hits, (h) => BigInt(h.id)),
          distances: Float32Array.from(hits, (h) => h.distance),
        };
        sameResults(got, { labels: want.labels.subarray(0, k), distances: want.distances.subarray(0, k) }, 1e-5);
        // Without the nearest k: the next k of the brute-force order.
        const rest = await source.search(q, k, new Set(Array.from(want.labels.subarray(0, k), Number)));
        assert.deepEqual(
          rest.map((h) => h.id),
          Array.from(want.labels.subarray(k), Number),
        );
      }
      // The index alone answers differently (bf16 distances, a short list): so the exactness above is sqlCandidates'.
      assert.ok(indexDiffers, 'the index gave the exact answer everywhere: the test proves nothing');
    });
  });
});
