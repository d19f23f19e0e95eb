// HNSW and IVF recall against the exact result on clustered 512-d data (120 clusters,
// like 120 breeds): recall must rise with efSearch / nprobe and reach the exact result.
import { strict as assert } from 'node:assert';
import {
  IndexFlat,
  IndexFlatL2,
  IndexHNSWFlat,
  IndexIDMap,
  IndexIDMap2,
  IndexIVFFlat,
  indexFactory,
  knnBruteForce,
  labelRecall,
  MetricType,
} from '../src/internal';
import { dataset } from './support/data';

const d = 512;
const k = 10;
const { xb, xq } = dataset(6000, d, 40);
const exact = (metric: MetricType) => {
  const f = new IndexFlat(d, metric);
  f.add(xb);
  return f.search(xq, k).labels;
};

function assertRising(values: number[], what: string): void {
  for (let i = 1; i < values.length; i++) {
    assert.ok(values[i] >= values[i - 1] - 0.01, `${what} fell: ${values.join(' -> ')}`);
  }
}

describe('IndexHNSWFlat', () => {
  for (const metric of [MetricType.L2, MetricType.L1, MetricType.INNER_PRODUCT]) {
    it(`recall@${k} rises with efSearch (metric ${metric})`, async () => {
      const index = new IndexHNSWFlat(d, 16, metric);
      assert.equal(index.hnsw.M, 16);
      index.hnsw.efConstruction = 40;
      await index.addAsync(xb);
      const Iref = exact(metric);
      const recalls = [8, 16, 64, 256].map((ef) => {
        index.hnsw.efSearch = ef;
        assert.equal(index.hnsw.efSearch, ef);
        return labelRecall(Iref, index.search(xq, k).labels, xq.n);
      });
      assertRising(recalls, 'recall');
      // Today (M=16, 6000 x 512, spread 2.5): 0.58-0.66 at efSearch 8, 0.99 at 256.
      assert.ok(recalls[3] >= 0.95, `recall at efSearch=256 is ${recalls[3]}`);
      assert.ok(recalls[3] - recalls[0] >= 0.1, `efSearch made little difference: ${recalls}`);
    });
  }

  it('efConstruction is readable and settable, and indexFactory("HNSW32") is an IndexHNSWFlat', () => {
    const index = indexFactory(d, 'HNSW32');
    assert.ok(index instanceof IndexHNSWFlat);
    assert.equal(index.hnsw.efConstruction, 40);
    index.hnsw.efConstruction = 200;
    assert.equal(index.hnsw.efConstruction, 200);
    assert.equal(index.hnsw.M, 32);
  });
});

describe('IndexIVFFlat', () => {
  it('needs training; recall rises with nprobe and is exact at nprobe = nlist', () => {
    const quantizer = new IndexFlatL2(d);
    const index = new IndexIVFFlat(quantizer, d, 64);
    assert.equal(index.isTrained, false);
    index.train(xb);
    assert.equal(index.isTrained, true);
    assert.equal(index.quantizer.ntotal, 64);
    index.add(xb);
    const Iref = exact(MetricType.L2);
    const recalls = [1, 2, 8, 64].map((nprobe) => {
      index.nprobe = nprobe;
      return labelRecall(Iref, index.search(xq, k).labels, xq.n);
    });
    assertRising(recalls, 'recall');
    // Today: 0.76, 0.82, 0.94, 1.
    assert.ok(recalls[3] - recalls[0] >= 0.1, `nprobe made little difference: ${recalls}`);
    assert.equal(recalls[3], 1);
  });

  it('inner product works, and indexFactory("IVF64,Flat") gives an IndexIVFFlat', async () => {
    const index = indexFactory(d, 'IVF64,Flat', MetricType.INNER_PRODUCT);
    assert.ok(index instanceof IndexIVFFlat);
    await index.trainAsync(xb);
    await index.addAsync(xb);
    index.nprobe = 64;
    assert.equal(labelRecall(exact(MetricType.INNER_PRODUCT), index.search(xq, k).labels, xq.n), 1);
  });

  it('takes ids directly (add_with_ids) and removes them', () => {
    const index = indexFactory(d, 'IVF16,Flat') as IndexIVFFlat;
    index.train(xb);
    const ids = BigInt64Array.from({ length: xb.n }, (_, i) => BigInt(i) * 1000n + 5n);
    index.addWithIds(xb, ids);
    index.nprobe = 16;
    const { labels } = index.search(xq, 1);
    const Iref = exact(MetricType.L2);
    for (let q = 0; q < xq.n; q++) assert.equal(labels[q], Iref[q * k] * 1000n + 5n);
    assert.equal(index.removeIds(ids.slice(0, 100)), 100);
    assert.equal(index.ntotal, xb.n - 100);
  });
});

describe('IndexIDMap', () => {
  it("returns the caller's ids, matching brute force", () => {
    const sub = { data: xb.data.subarray(0, 500 * d), n: 500, d };
    const ids = BigInt64Array.from({ length: 500 }, (_, i) => 10_000_000_000n + BigInt(i) * 3n);
    const index = new IndexIDMap(new IndexFlatL2(d));
    index.addWithIds(sub, ids);
    const got = index.search(xq, 5);
    const want = knnBruteForce(sub.data, xq.data, d, 5, MetricType.L2);
    assert.deepEqual(
      [...got.labels],
      [...want.labels].map((l) => ids[Number(l)]),
    );
    assert.ok(index.index instanceof IndexFlatL2);
    assert.equal(index.index.ntotal, 500);
  });

  it('removeIds removes exactly those ids; IndexIDMap2 reconstructs by id', () => {
    const index = new IndexIDMap2(new IndexFlatL2(d));
    const ids = BigInt64Array.from([5n, 50n, 500n, 5000n]);
    index.addWithIds(xb.data.subarray(0, 4 * d), ids);
    assert.equal(index.className, 'IndexIDMap2');
    assert.deepEqual(index.reconstruct(500), xb.data.slice(2 * d, 3 * d));
    assert.equal(index.removeIds(BigInt64Array.from([50n, 7n])), 1);
    assert.equal(index.ntotal, 3);
    // Each stored vector finds itself; the removed one (id 50) finds another.
    const { labels } = index.search(xb.data.subarray(0, 4 * d), 1);
    assert.deepEqual([labels[0], labels[2], labels[3]], [5n, 500n, 5000n]);
    assert.notEqual(labels[1], 50n);
  });

  it('indexFactory("IDMap,HNSW16") wraps an HNSW index whose efSearch is reachable', () => {
    const index = indexFactory(d, 'IDMap,HNSW16', MetricType.L1) as IndexIDMap;
    assert.ok(index instanceof IndexIDMap);
    const inner = index.index as IndexHNSWFlat;
    assert.ok(inner instanceof IndexHNSWFlat);
    inner.hnsw.efSearch = 99;
    assert.equal(inner.hnsw.efSearch, 99);
    index.addWithIds(
      xb.data.subarray(0, 200 * d),
      BigInt64Array.from({ length: 200 }, (_, i) => BigInt(i + 1)),
    );
    const { labels } = index.search(xb.data.subarray(0, d), 1);
    assert.equal(labels[0], 1n);
  });
});
