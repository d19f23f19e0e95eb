// faiss's SearchParameters and id selectors on the SQL store: each selector becomes a
// condition on id in the WHERE, and the answers equal a plain-TS brute force over the ids
// the selector keeps (tested here by its own predicate, not by the selector), and FAISS's
// IndexFlatL2 given the very same parameters. The lab's query knob names, too.
import { strict as assert } from 'node:assert';
import {
  chdbBackend,
  type IDSelector,
  IDSelectorArray,
  IDSelectorBatch,
  IDSelectorNot,
  IDSelectorRange,
  IndexFlatL2,
  knnBruteForce,
  MetricType,
  SearchParameters,
  SearchParametersHNSW,
  SearchParametersIVF,
  type SqlBackend,
  SqlVectorStore,
} from '../src/internal';
import { FLT_MAX } from '../src/util/check';
import { dataset, sameResults } from './support/data';
import { sqlTestDir } from './support/sql';

const d = 16;
const n = 700;
const nq = 4;
const k = 8;
const { xb, xq } = dataset(n, d, nq, 7, 5);

/** The k nearest of the ids `keep` accepts, in plain TypeScript, padded like faiss. */
function reference(keep: (id: number) => boolean): { labels: BigInt64Array; distances: Float32Array } {
  const all = knnBruteForce(xb.data, xq.data, d, n, MetricType.L2);
  const labels = new BigInt64Array(nq * k).fill(-1n);
  const distances = new Float32Array(nq * k).fill(FLT_MAX);
  for (let q = 0; q < nq; q++) {
    let r = 0;
    for (let j = 0; j < n && r < k; j++) {
      const id = Number(all.labels[q * n + j]);
      if (!keep(id)) continue;
      labels[q * k + r] = BigInt(id);
      distances[q * k + r] = all.distances[q * n + j];
      r++;
    }
  }
  return { labels, distances };
}

describe('SqlVectorStore: faiss SearchParameters and id selectors', () => {
  let backend: SqlBackend;
  let store: SqlVectorStore;
  let flat: IndexFlatL2;
  before(async () => {
    backend = chdbBackend(sqlTestDir());
    store = await SqlVectorStore.open({ table: 'sql_sel', d, backend, mode: 'replace' });
    await store.addAsync(xb, { rows: Array.from({ length: n }, (_, i) => ({ label: `c${i % 5}` })), progress: false });
    flat = new IndexFlatL2(d);
    flat.add(xb);
  });
  after(async () => {
    flat?.dispose();
    await store?.drop();
    backend?.close();
  });

  const excluded = [0, 5, 17, 18, 19, 250, 699, 1000, -3];
  const some = [3, 9, 40, 41, 600, 333, 2, 77, 78, 79, 80, 81];
  const cases: Array<{ name: string; sel: () => IDSelector; keep: (id: number) => boolean; sql: RegExp }> = [
    {
      name: 'IDSelectorNot(IDSelectorBatch)',
      sel: () => new IDSelectorNot(new IDSelectorBatch(excluded)),
      keep: (id) => !excluded.includes(id),
      sql: /WHERE NOT \(id IN \{lab_sel0:Array\(UInt64\)\}\)/,
    },
    {
      name: 'IDSelectorBatch',
      sel: () => new IDSelectorBatch(some),
      keep: (id) => some.includes(id),
      sql: /WHERE id IN \{lab_sel0/,
    },
    {
      name: 'IDSelectorArray',
      sel: () => new IDSelectorArray(some.slice(0, 5)),
      keep: (id) => some.slice(0, 5).includes(id),
      sql: /id IN/,
    },
    {
      name: 'IDSelectorRange [100, 400)',
      sel: () => new IDSelectorRange(100, 400),
      keep: (id) => id >= 100 && id < 400,
      sql: /WHERE id >= \{lab_sel0:UInt64\} AND id < \{lab_sel1:UInt64\}/,
    },
    {
      name: 'IDSelectorRange from below 0',
      sel: () => new IDSelectorRange(-5, 3),
      keep: (id) => id < 3,
      sql: /id >= /,
    },
    {
      name: 'IDSelectorNot(IDSelectorRange)',
      sel: () => new IDSelectorNot(new IDSelectorRange(0, n - 5)),
      keep: (id) => id >= n - 5,
      sql: /NOT \(id >= /,
    },
    {
      name: 'IDSelectorNot(IDSelectorNot(IDSelectorBatch))',
      sel: () => new IDSelectorNot(new IDSelectorNot(new IDSelectorBatch(some))),
      keep: (id) => some.includes(id),
      sql: /NOT \(NOT \(id IN/,
    },
    { name: 'an empty IDSelectorBatch', sel: () => new IDSelectorBatch([]), keep: () => false, sql: /WHERE false/ },
  ];

  for (const c of cases) {
    it(`${c.name}: the brute-force answer over the ids it keeps, as IndexFlatL2 with the same parameters`, async () => {
      const params = new SearchParameters({ sel: c.sel() });
      const want = reference(c.keep);
      const got = await store.search(xq, k, params);
      sameResults(got, want, 1e-5);
      assert.match(store.lastStatement('searching')!.sql, c.sql);
      // The same through the options object.
      sameResults(await store.search(xq, k, { params }), want, 1e-5);
      // FAISS answers the same call alike (IDSelectorArray on a flat index must stay below ntotal: it is).
      const viaFaiss = flat.search(xq, k, params);
      assert.deepEqual(Array.from(viaFaiss.labels), Array.from(want.labels));
    });
  }

  it('combines a selector with a where filter (both must hold)', async () => {
    const sel = new IDSelectorNot(new IDSelectorBatch(excluded));
    const got = await store.search(xq, k, { where: { label: 'c2' }, params: new SearchParameters({ sel }) });
    sameResults(
      got,
      reference((id) => id % 5 === 2 && !excluded.includes(id)),
      1e-5,
    );
    assert.match(
      store.lastStatement('searching')!.sql,
      /WHERE \(\(label = \{lab_f0:String\}\)\) AND \(NOT \(id IN \{lab_sel0/,
    );
  });

  it("SearchParametersHNSW's efSearch is the call's search list; IVF parameters and unknown options are refused", async () => {
    const q = xq.data.subarray(0, d);
    const sql = store.searchSql(q, k, new SearchParametersHNSW({ efSearch: 33 })).sql;
    assert.match(sql, /hnsw_candidate_list_size_for_search = 33/);
    assert.doesNotMatch(sql, /WHERE/);
    assert.equal(store.queryArguments.efSearch, 256); // the store's own knob is unchanged
    await assert.rejects(store.search(q, k, new SearchParametersIVF({ nprobe: 4 })), /has no IVF/);
    await assert.rejects(
      store.search(q, k, { sel: new IDSelectorBatch([1]) } as never),
      /search options have no "sel"/,
    );
    await assert.rejects(store.search(q, k, { params: { sel: new IDSelectorBatch([1]) } } as never), /params/);
  });
});
