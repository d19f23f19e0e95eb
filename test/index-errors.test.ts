// Bad input gets a clear error, and the process lives on. Each case asserts the
// message; after each, the same process still searches correctly.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  deserializeIndex,
  IndexFlat,
  IndexFlatL2,
  IndexHNSWFlat,
  IndexIDMap,
  IndexIVFFlat,
  indexFactory,
  MetricType,
  readIndex,
  serializeIndex,
  writeIndex,
} from '../src/internal';
import { runInChild } from './support/child';
import { tmpDir } from './support/data';

const d = 8;
const xb = Float32Array.from({ length: 50 * d }, (_, i) => Math.sin(i));
const dir = tmpDir('errors');

function healthy(): void {
  const index = new IndexFlatL2(d);
  index.add(xb);
  assert.equal(index.search(xb.subarray(0, d), 1).labels[0], 0n);
}

function fails(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.match(e.message, message);
    return true;
  });
  healthy();
}

describe('errors: vectors and arguments', () => {
  const flat = new IndexFlatL2(d);
  flat.add(xb);

  it('wrong dimension', () => {
    fails(
      () => flat.add(new Float32Array(d + 3)),
      /Expected a length that is a multiple of d=8 .* but received Float32Array\(11\)/,
    );
    fails(
      () => flat.search({ data: new Float32Array(16), n: 1, d: 16 }, 1),
      /xq has vectors of d=16, but the index has d=8/,
    );
  });

  it('wrong array type', () => {
    fails(
      () => flat.add([1, 2, 3, 4, 5, 6, 7, 8] as unknown as Float32Array),
      /Expected a Float32Array .*Float32Array.from.* but received Array\(8\)/,
    );
    fails(
      () => flat.search(new Float64Array(d) as unknown as Float32Array, 1),
      /Expected a Float32Array.* but received Float64Array\(8\)/,
    );
    fails(() => flat.add(undefined as unknown as Float32Array), /Expected a Float32Array .* but received undefined/);
  });

  it('NaN and Infinity', () => {
    const x = new Float32Array(2 * d);
    x[d + 3] = NaN;
    fails(() => flat.add(x), /x contains NaN at row 1, column 3: vectors must be finite/);
    x[d + 3] = Infinity;
    fails(() => flat.search(x, 1), /xq contains Infinity at row 1, column 3/);
    assert.equal(flat.ntotal, 50, 'nothing was added');
  });

  it("empty input: a batch of 0 vectors is faiss's no-op (issue 12); a partial vector is refused", () => {
    flat.add(new Float32Array(0));
    assert.equal(flat.ntotal, 50, 'nothing was added');
    fails(() => flat.add(new Float32Array(d - 1)), /Expected a length that is a multiple of d=8/);
  });

  it('k <= 0 or not an integer', () => {
    fails(() => flat.search(xb.subarray(0, d), 0), /Expected an integer between 1 and 1048576 for k but received 0/);
    fails(() => flat.search(xb.subarray(0, d), 2.5), /for k but received 2.5/);
    fails(() => flat.search(xb.subarray(0, d), NaN), /for k but received NaN/);
  });

  it('search on an empty index', () => {
    for (const index of [new IndexFlatL2(d), new IndexHNSWFlat(d, 8)]) {
      fails(
        () => index.search(xb.subarray(0, d), 1),
        /search on an empty Index(FlatL2|HNSWFlat) \(ntotal = 0\): add vectors first/,
      );
    }
  });

  it('bad constructor arguments', () => {
    fails(() => new IndexFlatL2(0), /Expected an integer >= 1 for d but received 0/);
    fails(() => new IndexFlat(d, 7 as MetricType), /Expected a MetricType .* for metric but received 7/);
    fails(() => new IndexHNSWFlat(d, 1), /Expected an integer between 2 and 512 for M but received 1/);
    fails(() => {
      new IndexHNSWFlat(d, 8).hnsw.efSearch = 0;
    }, /for hnsw.efSearch but received 0/);
    fails(
      () => indexFactory(d, 'NotAnIndex42'),
      /indexFactory\(8, "NotAnIndex42"\): .*could not parse|not recognized|NotAnIndex42/i,
    );
    fails(() => indexFactory(d, ''), /Expected a non-empty string for description/);
  });
});

describe('errors: combinations faiss 1.7.3 would abort on', () => {
  it('IVF with L1 or Linf is refused (faiss asserts and kills the process)', () => {
    fails(
      () => new IndexIVFFlat(new IndexFlat(d, MetricType.L1), d, 4, MetricType.L1),
      /IVF indexes support MetricType.L2 and INNER_PRODUCT only, not L1/,
    );
    fails(() => indexFactory(d, 'IVF4,Flat', MetricType.Linf), /IVF indexes support .* not Linf/);
  });

  it('untrained IVF: add and search are refused', () => {
    const ivf = new IndexIVFFlat(new IndexFlatL2(d), d, 4);
    fails(() => ivf.add(xb), /IndexIVFFlat is not trained: call train\(x\)/);
    fails(
      () => ivf.search(xb.subarray(0, d), 1),
      /IndexIVFFlat is not trained: call train\(x\) and add\(x\) before search/,
    );
    fails(() => {
      ivf.nprobe = 0;
    }, /for nprobe but received 0/);
  });

  it("IVF training with fewer points than lists: faiss's own error", () => {
    const ivf = new IndexIVFFlat(new IndexFlatL2(d), d, 64);
    fails(
      () => ivf.train(xb),
      /Number of training points \(50\) should be at least as large as number of clusters \(64\)/,
    );
  });

  it('ids on an index that stores none, add without ids on an IDMap', () => {
    const ids = BigInt64Array.from({ length: 50 }, (_, i) => BigInt(i));
    fails(
      () => new IndexFlatL2(d).addWithIds(xb, ids),
      /IndexFlatL2 does not store ids: wrap it, new IndexIDMap\(index\)/,
    );
    const idmap = new IndexIDMap(new IndexFlatL2(d));
    fails(() => idmap.add(), /IndexIDMap needs ids: use addWithIds\(x, ids\)/);
    fails(
      () => idmap.addWithIds(xb, ids.slice(0, 3)),
      /Expected one id per vector \(50\) for ids but received BigInt64Array\(3\)/,
    );
    fails(
      () => idmap.addWithIds(xb, Array.from(ids) as unknown as BigInt64Array),
      /Expected a BigInt64Array .* for ids/,
    );
    const full = new IndexFlatL2(d);
    full.add(xb);
    fails(() => new IndexIDMap(full), /IndexIDMap needs an empty index, but it holds 50 vectors/);
  });

  it("faiss exceptions become JS errors with faiss's message and code ERR_FAISS", () => {
    const hnsw = new IndexHNSWFlat(d, 8);
    hnsw.add(xb);
    assert.throws(
      () => hnsw.removeIds(BigInt64Array.from([1n])),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'ERR_FAISS');
        assert.match(e.message, /not implemented/);
        return true;
      },
    );
    healthy();
  });
});

describe('errors: index files', () => {
  const flat = new IndexFlatL2(d);
  flat.add(xb);
  const good = path.join(dir, 'good.index');
  writeIndex(flat, good);

  it('missing path, a folder, missing folder on write', () => {
    fails(() => readIndex(path.join(dir, 'nope.index')), /cannot read index: .*nope.index does not exist/);
    fails(() => readIndex(dir), /is not a file/);
    fails(
      () => writeIndex(flat, path.join(dir, 'no', 'such', 'x.index')),
      /cannot write index to .*folder .* does not exist/,
    );
  });

  it('truncated file: a clear error, and the old index file survives a failed write', () => {
    const bytes = fs.readFileSync(good);
    const cut = path.join(dir, 'cut.index');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 17));
    fails(
      () => readIndex(cut),
      /cannot read a faiss index from .*cut.index \(truncated, or not a faiss index file\?\): .*read error/,
    );
    fails(() => deserializeIndex(bytes.subarray(0, 30)), /cannot deserialize a faiss index from Buffer\(30\)/);
    assert.deepEqual(fs.readFileSync(good), bytes);
  });

  it('foreign file', () => {
    const foreign = path.join(dir, 'photo.jpg');
    fs.writeFileSync(foreign, Buffer.from('\xff\xd8\xff\xe0 not an index at all', 'latin1'));
    fails(() => readIndex(foreign), /cannot read a faiss index from .*photo.jpg .*not recognized/);
    fails(() => deserializeIndex(new Uint8Array(0)), /Expected the bytes of a faiss index for data/);
  });

  it('a round trip still works after all that', () => {
    assert.deepEqual(readIndex(good).search(xb, 3), flat.search(xb, 3));
    assert.deepEqual(deserializeIndex(serializeIndex(flat)).search(xb, 3), flat.search(xb, 3));
  });
});

describe('errors: a fresh process survives every refused call', () => {
  it('runs each dangerous call in a child Node process, which exits normally', () => {
    const script = `
      const f = require(${JSON.stringify(path.join(__dirname, '..', 'src'))});
      const x = new Float32Array(80).fill(0.5);
      const tries = [
        () => new f.IndexIVFFlat(new f.IndexFlat(8, f.MetricType.L1), 8, 4, f.MetricType.L1),
        () => f.indexFactory(8, 'IVF4,Flat', f.MetricType.L1),
        () => new f.IndexIVFFlat(new f.IndexFlatL2(8), 8, 4).search(x, 1),
        () => new f.IndexIVFFlat(new f.IndexFlatL2(8), 8, 4).add(x),
        () => new f.IndexHNSWFlat(8, 8).search(x, 1),
        () => new f.IndexFlatL2(8).addWithIds(x, new BigInt64Array(10)),
        () => f.deserializeIndex(Buffer.from('IxF2 garbage garbage garbage')),
        () => { const h = new f.IndexHNSWFlat(8, 8); h.add(x); h.search(x, 1 << 21); },
      ];
      let refused = 0;
      for (const t of tries) { try { t(); } catch (e) { refused++; } }
      console.log('refused', refused, 'of', tries.length);
    `;
    assert.match(runInChild(script), /refused 8 of 8/);
  });
});
