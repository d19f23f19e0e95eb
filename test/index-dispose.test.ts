// dispose(): native memory is freed at once (the garbage collector cannot see it),
// and nothing can reach a freed index afterwards: not the index, not its views,
// not the indexes built on it. Every refused call leaves the process running.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { IndexFlatL2, IndexHNSWFlat, IndexIDMap, IndexIVFFlat, indexFactory } from '../src/internal';
import { runInChild } from './support/child';

const d = 16;
const xb = Float32Array.from({ length: 500 * d }, (_, i) => Math.sin(i * 0.37));
const q = xb.subarray(0, d);
const GONE = /this index was disposed \(dispose\(\) freed its memory\): build or read it again/;

describe('dispose()', () => {
  it('frees the index: later calls throw a clear error; dispose again is a no-op', () => {
    const index = new IndexHNSWFlat(d, 8);
    index.add(xb);
    assert.equal(index.disposed, false);
    index.dispose();
    assert.equal(index.disposed, true);
    assert.throws(() => index.search(q, 1), GONE);
    assert.throws(() => index.add(xb), GONE);
    assert.throws(() => index.ntotal, GONE);
    assert.throws(() => index.hnsw.efSearch, GONE);
    assert.throws(() => {
      index.hnsw.efSearch = 10;
    }, GONE);
    assert.throws(() => index.reset(), GONE);
    assert.equal(String(index), 'IndexHNSWFlat(disposed)');
    index.dispose();
  });

  it('gives the memory back at once (resident memory drops by the index size)', () => {
    const big = new Float32Array(100_000 * 512).fill(0.5); // 200 MB
    const index = new IndexFlatL2(512);
    index.add(big);
    const before = process.memoryUsage().rss;
    index.dispose();
    const freed = before - process.memoryUsage().rss;
    assert.ok(freed > 150 * 2 ** 20, `only ${(freed / 2 ** 20).toFixed(0)} MiB freed of the index's 195 MiB`);
  });

  it("an IVF's own quantizer (indexFactory) dies with it; a view cannot be disposed alone", () => {
    const ivf = indexFactory(d, 'IVF4,Flat');
    ivf.train(xb);
    ivf.add(xb);
    const quantizer = (ivf as IndexIVFFlat).quantizer;
    assert.equal(quantizer.ntotal, 4);
    assert.throws(
      () => quantizer.dispose(),
      /lives inside another one \(an IVF's quantizer, an IDMap's index\): dispose that one/,
    );
    ivf.dispose();
    assert.throws(() => quantizer.ntotal, GONE);
    assert.equal(quantizer.disposed, true);
  });

  it("an index another one is built on (quantizer, IDMap's index) is disposed after it, not before", () => {
    const quantizer = new IndexFlatL2(d);
    const ivf = new IndexIVFFlat(quantizer, d, 4);
    ivf.train(xb);
    ivf.add(xb);
    const first =
      /another index is built on this one \(as its quantizer, or wrapped by an IDMap\): dispose that one first/;
    assert.throws(() => quantizer.dispose(), first);
    assert.equal(ivf.search(q, 1).labels[0], 0n);
    ivf.dispose();
    assert.equal(quantizer.ntotal, 4);
    quantizer.dispose();

    const inner = new IndexFlatL2(d);
    const idmap = new IndexIDMap(inner);
    idmap.addWithIds(
      xb,
      BigInt64Array.from({ length: 500 }, (_, i) => BigInt(1000 + i)),
    );
    assert.throws(() => inner.dispose(), first);
    idmap.dispose();
    assert.equal(inner.ntotal, 500);
    inner.dispose();
    assert.throws(() => new IndexIVFFlat(inner, d, 4), GONE);

    // Building on a view (the flat index inside a factory-made IDMap) pins the index it lives in.
    const owner = indexFactory(d, 'IDMap,Flat') as IndexIDMap;
    const view = owner.index;
    const onView = new IndexIVFFlat(view, d, 4);
    assert.throws(() => owner.dispose(), first);
    onView.dispose();
    owner.dispose();
    assert.throws(() => view.ntotal, GONE);
  });

  it('is refused while async work on the index runs, and works once it settles', async () => {
    const index = new IndexFlatL2(d);
    index.add(xb);
    const pending = index.searchAsync(xb, 5);
    assert.throws(() => index.dispose(), /index is busy: an async operation on it has not finished; await it first/);
    assert.equal((await pending).labels[0], 0n);
    index.dispose();
    assert.equal(index.disposed, true);
  });

  it('a fresh process survives every call on a disposed index, also straight into the addon', () => {
    const script = `
      const f = require(${JSON.stringify(path.join(__dirname, '..', 'src'))});
      const x = new Float32Array(80).fill(0.5);
      const h = new f.IndexHNSWFlat(8, 8); h.add(x);
      const ivf = f.indexFactory(8, 'IVF2,Flat'); ivf.train(x); ivf.add(x);
      const view = ivf.quantizer;
      h.dispose(); ivf.dispose();
      const n = h.native;
      const tries = [
        () => n.search(x, 1, new Float32Array(10), new BigInt64Array(10)),
        () => n.searchAsync(x, 1, new Float32Array(10), new BigInt64Array(10)),
        () => n.add(x), () => n.train(x), () => n.reconstruct(0, new Float32Array(8)), () => n.serialize(),
        () => n.write('/tmp/x.index'), () => n.getParam('efSearch'), () => n.removeIds(new BigInt64Array(1)),
        () => view.native.search(x, 1, new Float32Array(10), new BigInt64Array(10)), () => view.native.d(),
        () => f.writeIndex(ivf, '/tmp/x.index'), () => new f.IndexIDMap(h),
      ];
      let refused = 0;
      for (const t of tries) { try { t(); } catch (e) { refused++; } }
      console.log('refused', refused, 'of', tries.length);
    `;
    assert.match(runInChild(script), /refused 13 of 13/);
  });
});
