// Async add/train/search run on the thread pool: the event loop keeps running,
// results equal the sync ones, and mutation during async work is refused.
import { strict as assert } from 'node:assert';
import { IndexFlat, IndexFlatL2, IndexHNSWFlat, IndexIVFFlat, MetricType } from '../src/internal';
import { dataset } from './support/data';

const d = 512;
const { xb, xq } = dataset(20000, d, 300);

describe('async operations', () => {
  it('searchAsync lets the event loop run while it works, and equals search', async () => {
    const index = new IndexFlat(d, MetricType.L1); // no BLAS: a long, steady search
    index.add(xb);
    let immediate = false;
    let ticks = 0;
    setImmediate(() => {
      immediate = true;
    });
    const timer = setInterval(() => ticks++, 1);
    const t0 = process.hrtime.bigint();
    const res = await index.searchAsync(xq, 5);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    clearInterval(timer);
    assert.ok(immediate, 'the event loop did not turn while searchAsync ran');
    // Informative only (no timing thresholds): about one tick per millisecond of search.
    console.log(`      searchAsync of ${xq.n} queries took ${ms.toFixed(0)} ms; the event loop ticked ${ticks} times`);
    assert.deepEqual(res, index.search(xq, 5));
  });

  it("addAsync of 20k x 512 into HNSW keeps the loop alive, reports progress, equals a sync build's answers closely", async () => {
    const index = new IndexHNSWFlat(d, 16);
    const progress: number[] = [];
    let immediate = false;
    setImmediate(() => {
      immediate = true;
    });
    await index.addAsync(xb, {
      onProgress: (done, total) => {
        assert.equal(total, xb.n);
        progress.push(done);
      },
    });
    assert.ok(immediate);
    assert.equal(index.ntotal, xb.n);
    assert.equal(progress.at(-1), xb.n);
    assert.ok(progress.every((v, i) => i === 0 || v > progress[i - 1]));
  });

  it('concurrent searchAsync calls on one index give the same results as sync', async () => {
    const index = new IndexFlatL2(d);
    index.add(xb);
    const parts = [0, 1, 2].map((i) => ({ data: xq.data.subarray(i * 100 * d, (i + 1) * 100 * d), n: 100, d }));
    const results = await Promise.all(parts.map((p) => index.searchAsync(p, 4)));
    results.forEach((r, i) => {
      assert.deepEqual(r, index.search(parts[i], 4));
    });
  });

  it('refuses to change an index while async work on it runs', async () => {
    const index = new IndexFlatL2(d);
    const pending = index.addAsync(xb);
    assert.throws(() => index.add(xq), /index is busy: an async operation on it has not finished; await it first/);
    assert.throws(() => index.reset(), /index is busy/);
    assert.throws(() => index.search(xq, 1), /index is busy: an async add or train on it has not finished/);
    await pending;
    assert.equal(index.ntotal, xb.n);
    const searching = index.searchAsync(xq, 1);
    assert.throws(() => index.reset(), /index is busy/);
    index.search(xq.data.subarray(0, d), 1); // reading alongside a search is fine
    await searching;
    index.reset();
  });

  it('the quantizer of an IVF index is busy while the IVF trains', async () => {
    const quantizer = new IndexFlatL2(d);
    const ivf = new IndexIVFFlat(quantizer, d, 32);
    const training = ivf.trainAsync(xb);
    assert.throws(() => quantizer.reset(), /index is busy/);
    await training;
    assert.equal(quantizer.ntotal, 32);
  });

  it("a failed async call rejects with faiss's message and the caller's stack", async () => {
    const ivf = new IndexIVFFlat(new IndexFlatL2(d), d, 64);
    await assert.rejects(ivf.trainAsync(xq.data.subarray(0, 10 * d)), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_FAISS');
      assert.match(
        e.message,
        /Number of training points \(10\) should be at least as large as number of clusters \(64\)/,
      );
      assert.match(e.stack ?? '', /index-async\.test\.ts/);
      return true;
    });
    assert.equal(ivf.isTrained, false);
  });
});
