// The grid runner on generated clustered data: the same answers as a loop
// written by hand, one build per build setting, the cache reused on a re-run.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusteredVectors } from '../src/data/synthetic';
import {
  bestTradeoff,
  cartesian,
  fastest,
  type GridRow,
  hnswFlat,
  type IndexBuilder,
  IndexHNSWFlat,
  ivfPQ,
  knnBruteForce,
  labelRecall,
  MetricType,
  mostPrecise,
  ompSetNumThreads,
  paretoFront,
  precisionAtK,
  recallAtK,
  runGrid,
} from '../src/internal';
import { tmpDir } from './support/data';

describe('parameter grid runner', () => {
  // One thread: faiss adds to an HNSW graph in parallel, and only a serial build is repeatable.
  before(() => ompSetNumThreads(1));
  after(() => ompSetNumThreads(2));

  const d = 24;
  const all = clusteredVectors({ n: 2030, d, clusters: 30, spread: 2.5, seed: 3 });
  const xb = { data: all.data.subarray(0, 2000 * d), n: 2000, d };
  const xq = { data: all.data.slice(2000 * d), n: 30, d };
  const queryClasses = Array.from(all.classes.subarray(2000));
  const classes = { queries: queryClasses, of: (id: number) => all.classes[id] };
  const build = { M: [4, 8], efConstruction: [16] };
  const query = { efSearch: [4, 32] };
  const metrics = [MetricType.L2, MetricType.L1];

  let creates = 0;
  const counting: IndexBuilder<IndexHNSWFlat> = {
    ...hnswFlat,
    create: (...a) => {
      creates++;
      return hnswFlat.create(...a);
    },
  };
  const cache = tmpDir('grid');

  it('cartesian() expands knobs in order', () => {
    assert.deepEqual(cartesian<number | string>({ a: [1, 2], b: ['x', 'y'] }), [
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    assert.deepEqual(cartesian({}), [{}]);
    assert.throws(() => cartesian({ a: [] }), /non-empty array/);
  });

  let first: GridRow[] = [];
  it('answers as a hand-rolled loop does, building each setting once', async () => {
    const grid = await runGrid({
      builder: counting,
      data: xb,
      queries: xq,
      k: 5,
      metrics,
      build,
      query,
      classes,
      cache,
      progress: false,
    });
    assert.equal(creates, 4); // 2 metrics x 2 build settings, whatever the query settings
    assert.equal(grid.rows.length, 8);
    first = grid.rows;
    for (const metric of metrics) {
      const truth = knnBruteForce(xb.data, xq.data, d, 5, metric); // the independent reference
      for (const M of build.M) {
        const index = new IndexHNSWFlat(d, M, metric);
        index.hnsw.efConstruction = 16;
        index.add(xb);
        for (const efSearch of query.efSearch) {
          index.hnsw.efSearch = efSearch;
          const res = index.search(xq, 5);
          const row = grid.rows.find(
            (r) => r.metric === (metric === MetricType.L2 ? 'L2' : 'L1') && r.M === M && r.efSearch === efSearch,
          )!;
          assert.ok(row, `no row for M=${M} efSearch=${efSearch}`);
          assert.deepEqual([...grid.results.get(row.label)!.labels], [...res.labels], row.label);
          assert.ok(Math.abs(row.recall - recallAtK(truth, res, 5)) < 1e-12, row.label);
          assert.ok(Math.abs(row.precision! - precisionAtK(res, queryClasses, classes.of, 5)) < 1e-12, row.label);
          assert.equal(row.cached, false);
          assert.ok(row.latencyMs > 0 && row.buildSeconds > 0 && row.memoryMB! > 0);
        }
        index.dispose();
      }
    }
    // Recall rises with efSearch on every build (today 0.55-0.75 at efSearch 4, 0.97-1 at 32).
    for (const low of grid.rows.filter((r) => r.efSearch === 4)) {
      const high = grid.rows.find((r) => r.metric === low.metric && r.M === low.M && r.efSearch === 32)!;
      assert.ok(high.recall >= low.recall, `${high.label}: ${high.recall} < ${low.recall}`);
    }
  });

  it('a second run reuses the built indexes from the cache, with the same answers', async () => {
    creates = 0;
    const grid = await runGrid({
      builder: counting,
      data: xb,
      queries: xq,
      k: 5,
      metrics,
      build,
      query,
      classes,
      cache,
      progress: false,
    });
    assert.equal(creates, 0);
    assert.ok(grid.rows.every((r) => r.cached));
    assert.deepEqual(
      grid.rows.map((r) => [r.label, r.recall, r.precision, r.buildSeconds]),
      first.map((r) => [r.label, r.recall, r.precision, r.buildSeconds]),
    );
    const files = fs.readdirSync(path.join(cache, fs.readdirSync(cache)[0]));
    assert.equal(files.filter((f) => f.endsWith('.faissindex')).length, 4);
  });

  it('a damaged cache file is rebuilt, not trusted', async () => {
    const dir = path.join(cache, fs.readdirSync(cache)[0]);
    const victim = fs.readdirSync(dir).find((f) => f.endsWith('.faissindex'))!;
    fs.writeFileSync(path.join(dir, victim), 'not an index');
    creates = 0;
    const grid = await runGrid({
      builder: counting,
      data: xb,
      queries: xq,
      k: 5,
      metrics,
      build,
      query,
      classes,
      cache,
      progress: false,
    });
    assert.equal(creates, 1);
    assert.equal(grid.rows.filter((r) => !r.cached).length, 2);
  });

  it("an IVF-PQ grid's recall judges ties on true distances, not on PQ's approximate ones", async () => {
    // PQ's distances underestimate: read as they are, every returned id would tie the k-th true distance.
    const grid = await runGrid({
      builder: ivfPQ,
      data: xb,
      queries: xq,
      k: 5,
      build: { nlist: [8], M: [4], nbits: [4] },
      query: { nprobe: [1, 8] },
      cache: false,
      progress: false,
    });
    const truth = knnBruteForce(xb.data, xq.data, d, 5, MetricType.L2);
    for (const row of grid.rows) {
      const res = grid.results.get(row.label)!;
      // Continuous data: no exact ties, so recall by ids is the answer.
      assert.ok(Math.abs(row.recall - labelRecall(truth.labels, res.labels, xq.n, 5)) < 1e-12, row.label);
      assert.ok(row.recall < recallAtK(truth, res, 5) || recallAtK(truth, res, 5) === 1, 'PQ distances inflate recall');
    }
  });

  it('refuses knobs the index does not have, and classes of the wrong length', async () => {
    await assert.rejects(
      runGrid({ builder: hnswFlat, data: xb, queries: xq, k: 5, build: { nlist: [4] }, cache: false, progress: false }),
      /no build argument "nlist"/,
    );
    await assert.rejects(
      runGrid({
        builder: hnswFlat,
        data: xb,
        queries: xq,
        k: 5,
        query: { nprobe: [4] },
        cache: false,
        progress: false,
      }),
      /no query argument "nprobe"/,
    );
    await assert.rejects(
      runGrid({
        builder: hnswFlat,
        data: xb,
        queries: xq,
        k: 5,
        classes: { queries: [1], of: () => 1 },
        cache: false,
        progress: false,
      }),
      /1 classes for 30 queries/,
    );
  });
});

describe('grid answers', () => {
  const row = (label: string, latencyMs: number, precision: number, recall = precision): GridRow => ({
    label,
    index: 'x',
    metric: 'L2',
    buildSeconds: 1,
    cached: false,
    latencyMs,
    qps: 1000 / latencyMs,
    precision,
    recall,
  });
  const rows = [
    row('a', 1, 0.5),
    row('b', 2, 0.8),
    row('c', 3, 0.7),
    row('d', 4, 0.9),
    row('e', 5, 0.9),
    row('f', 0.5, 0.4),
  ];

  it('fastest, most precise (ties to the faster), best trade-off, Pareto front', () => {
    assert.equal(fastest(rows).label, 'f');
    assert.equal(mostPrecise(rows).label, 'd');
    assert.equal(bestTradeoff(rows, 'precision', 0.1).label, 'b');
    assert.equal(bestTradeoff(rows).label, 'd');
    assert.deepEqual(
      paretoFront(rows).map((r) => r.label),
      ['f', 'a', 'b', 'd'],
    );
  });

  it('says when precision is missing', () => {
    const noPrecision = rows.map(({ precision: _p, ...r }) => r as GridRow);
    assert.throws(() => mostPrecise(noPrecision), /no precision: run the grid with classes/);
    assert.equal(mostPrecise(noPrecision, 'recall').label, 'd');
  });
});
