// Exact indexes against the plain-TypeScript brute force: identical labels, equal distances.
import { strict as assert } from 'node:assert';
import {
  IndexFlat,
  IndexFlatIP,
  IndexFlatL2,
  indexFactory,
  knnBruteForce,
  MetricType,
  metricName,
  ompSetNumThreads,
} from '../src/internal';
import { FLT_MAX } from '../src/util/check';
import { dataset, sameResults } from './support/data';

describe('exact search (IndexFlat) vs brute force', () => {
  before(() => ompSetNumThreads(2));
  const d = 64;
  const { xb, xq } = dataset(3000, d, 25);
  const k = 10;

  const cases: Array<[string, () => IndexFlat, MetricType]> = [
    ['IndexFlatL2', () => new IndexFlatL2(d), MetricType.L2],
    ['IndexFlatIP', () => new IndexFlatIP(d), MetricType.INNER_PRODUCT],
    ['IndexFlat L1', () => new IndexFlat(d, MetricType.L1), MetricType.L1],
    ['IndexFlat Linf', () => new IndexFlat(d, MetricType.Linf), MetricType.Linf],
    ['indexFactory Flat L1', () => indexFactory(d, 'Flat', MetricType.L1) as IndexFlat, MetricType.L1],
  ];
  for (const [name, make, metric] of cases) {
    it(`${name}: same neighbours and distances as brute force`, () => {
      const index = make();
      assert.equal(index.metricType, metric);
      index.add(xb);
      assert.equal(index.ntotal, xb.n);
      const got = index.search(xq, k);
      const want = knnBruteForce(xb.data, xq.data, d, k, metric);
      sameResults(got, want);
    });
  }

  it('L2 distances are squared, like faiss', () => {
    const index = new IndexFlatL2(2);
    index.add(new Float32Array([0, 0, 3, 4]));
    const { distances, labels } = index.search(new Float32Array([0, 0]), 2);
    assert.deepEqual([...labels], [0n, 1n]);
    assert.deepEqual([...distances], [0, 25]);
  });

  it('pads with -1 labels when k > ntotal, like faiss', () => {
    for (const metric of [MetricType.L2, MetricType.INNER_PRODUCT]) {
      const index = new IndexFlat(4, metric);
      index.add(new Float32Array([1, 0, 0, 0, 0, 1, 0, 0]));
      const { labels, distances } = index.search(new Float32Array([1, 0, 0, 0]), 4);
      assert.deepEqual([...labels.slice(2)], [-1n, -1n], metricName(metric));
      const pad = metric === MetricType.INNER_PRODUCT ? -FLT_MAX : FLT_MAX;
      assert.deepEqual([...distances.slice(2)], [pad, pad], metricName(metric));
    }
  });

  it('accepts a Matrix or a Float32Array, and reset() empties the index', () => {
    const index = new IndexFlatL2(d);
    index.add(xb.data);
    const a = index.search(xq, 3);
    const b = index.search(xq.data, 3);
    assert.deepEqual(a, b);
    index.reset();
    assert.equal(index.ntotal, 0);
  });

  it('reconstruct returns the stored vector', () => {
    const index = new IndexFlatL2(d);
    index.add(xb);
    assert.deepEqual(index.reconstruct(17), xb.data.slice(17 * d, 18 * d));
  });
});
