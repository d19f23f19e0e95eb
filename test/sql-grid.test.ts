// The SQL store's HNSW index in runGrid: one table per build setting, the lab's query
// knobs swept on it; exact = 1 rows equal a plain-TS brute force, recall against faiss's
// exact answer; tables dropped when done (kept with keep: true); bad knobs refused.
import { strict as assert } from 'node:assert';
import {
  chdbBackend,
  knnBruteForce,
  MetricType,
  normalizeRows,
  recallAtK,
  runGrid,
  SearchResults,
  type SqlBackend,
  sqlHnswBuilder,
} from '../src/internal';
import { dataset, sameResults } from './support/data';
import { sqlTestDir } from './support/sql';

const d = 16;
const n = 1500;
const nq = 12;
const k = 5;

async function tables(backend: SqlBackend): Promise<string[]> {
  const out = await backend.run(
    "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'gridt%'",
    {},
    'TabSeparated',
  );
  return out.toString('utf8').split('\n').filter(Boolean).sort();
}

describe('runGrid over the SQL store (sqlHnsw)', () => {
  let backend: SqlBackend;
  before(() => {
    backend = chdbBackend(sqlTestDir());
  });
  after(() => backend?.close());

  const { xb, xq } = dataset(n, d, nq, 10, 9);
  const unit = normalizeRows(xb);
  const unitQ = normalizeRows(xq);

  it('builds one table per setting, sweeps efSearch and exact; exact rows are the brute-force answer', async function () {
    this.timeout(120000);
    const builder = sqlHnswBuilder({ backend, prefix: 'gridt' });
    const grid = await runGrid({
      builder,
      data: unit,
      queries: unitQ,
      k,
      metrics: [MetricType.L2, MetricType.INNER_PRODUCT],
      build: { M: [4, 8], efConstruction: [16], quantization: ['f32'] },
      query: { efSearch: [2, 64], exact: [0, 1] },
      repeats: 1,
      progress: false,
      cache: false,
    });
    assert.equal(grid.rows.length, 2 * 2 * 4);
    for (const metric of [MetricType.L2, MetricType.INNER_PRODUCT]) {
      const want = knnBruteForce(unit.data, unitQ.data, d, k, metric); // the independent reference
      const name = metric === MetricType.L2 ? 'L2' : 'IP';
      for (const row of grid.rows.filter((r) => r.metric === name)) {
        const res = grid.results.get(row.label)!;
        assert.ok(res instanceof SearchResults);
        assert.equal(row.index, 'SqlHNSW');
        assert.equal(row.quantization, 'f32');
        assert.ok(row.memoryMB! > 0 && row.buildSeconds > 0 && row.latencyMs > 0, row.label);
        assert.ok(Math.abs(row.recall - recallAtK(want, res, k)) < 1e-12, row.label);
        if (row.exact === 1) sameResults(res, want, 1e-4);
      }
    }
    // A list of 2 finds less than one of 64 somewhere (else the sweep proves nothing).
    const mean = (ef: number) =>
      grid.rows.filter((r) => r.exact === 0 && r.efSearch === ef).reduce((s, r) => s + r.recall, 0);
    assert.ok(mean(2) < mean(64), `recall at efSearch 2: ${mean(2)}, at 64: ${mean(64)}`);
    assert.deepEqual(await tables(backend), []); // dropped when done
  });

  it('keeps the tables with keep: true; refuses L1, unknown knobs and quantizations', async () => {
    const builder = sqlHnswBuilder({ backend, prefix: 'gridt', keep: true });
    await runGrid({
      builder,
      data: xb,
      queries: xq,
      k,
      build: { M: [6], efConstruction: [8] },
      repeats: 1,
      progress: false,
      cache: false,
    });
    assert.deepEqual(await tables(backend), ['gridt_L2_M6_efc8_bf16']);
    await backend.run('DROP TABLE gridt_L2_M6_efc8_bf16');
    await assert.rejects(
      async () => builder.create(d, MetricType.L1, {}),
      /L2Distance and cosineDistance only, not L1/,
    );
    await assert.rejects(
      async () => builder.create(d, MetricType.L2, { nlist: 4 }),
      /no build argument "nlist" \(it has: M, efConstruction, quantization\)/,
    );
    await assert.rejects(async () => builder.create(d, MetricType.L2, { quantization: 'f64' }), /quantization/);
  });
});
