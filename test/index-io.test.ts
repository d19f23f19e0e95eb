// Serialisation: files and buffers round-trip to identical results, and files are
// interchangeable with Python faiss (Debian's python3-faiss) in both directions.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import {
  deserializeIndex,
  faissBuild,
  type Index,
  IndexFlat,
  IndexHNSWFlat,
  IndexIDMap,
  IndexIVFFlat,
  indexFactory,
  MetricType,
  readIndex,
  readNpy,
  serializeIndex,
  writeIndex,
  writeNpy,
} from '../src/internal';
import { dataset, sameResults, tmpDir } from './support/data';
import { reference, requirePythonFaiss } from './support/python';

const d = 128;
const k = 8;
const { xb, xq } = dataset(2000, d, 20);
const dir = tmpDir('io');
writeNpy(path.join(dir, 'xb.npy'), xb.data, [xb.n, d]);
writeNpy(path.join(dir, 'xq.npy'), xq.data, [xq.n, d]);

// One builder per factory string, like faiss's own tests.
const FACTORIES: Array<[string, MetricType]> = [
  ['Flat', MetricType.L2],
  ['Flat', MetricType.INNER_PRODUCT],
  ['Flat', MetricType.L1],
  ['HNSW16', MetricType.L2],
  ['HNSW16', MetricType.L1],
  ['IVF32,Flat', MetricType.L2],
  ['IDMap,Flat', MetricType.L2],
];

function build(factory: string, metric: MetricType): Index {
  const index = indexFactory(d, factory, metric);
  if (!index.isTrained) index.train(xb);
  if (index instanceof IndexIDMap)
    index.addWithIds(
      xb,
      BigInt64Array.from({ length: xb.n }, (_, i) => BigInt(i * 10 + 7)),
    );
  else index.add(xb);
  if (index instanceof IndexIVFFlat) index.nprobe = 4;
  return index;
}

function pythonSearch(indexFile: string, name: string): { distances: Float32Array; labels: BigInt64Array } {
  const out = path.join(dir, name);
  reference('search', indexFile, path.join(dir, 'xq.npy'), String(k), out);
  return {
    distances: readNpy(`${out}.D.npy`).data as Float32Array,
    labels: readNpy(`${out}.I.npy`).data as BigInt64Array,
  };
}

describe('index files and buffers', () => {
  for (const [factory, metric] of FACTORIES) {
    const name = `${factory.replace(/,/g, '_')}-${metric}`;

    it(`${factory} metric ${metric}: file and buffer round-trips give identical results`, () => {
      const index = build(factory, metric);
      const before = index.search(xq, k);
      const file = path.join(dir, `${name}.faissindex`);
      writeIndex(index, file);
      const fromFile = readIndex(file);
      assert.ok(fromFile instanceof index.constructor, `${fromFile.className} read back as ${index.className}`);
      assert.deepEqual(fromFile.search(xq, k), before);
      const fromBuffer = deserializeIndex(serializeIndex(index));
      assert.deepEqual(fromBuffer.search(xq, k), before);
      assert.deepEqual(serializeIndex(fromFile), serializeIndex(index));
    });

    it(`${factory} metric ${metric}: written here, Python faiss reads it and finds the same`, function () {
      requirePythonFaiss(this);
      const index = build(factory, metric);
      const file = path.join(dir, `${name}.ours.faissindex`);
      writeIndex(index, file);
      const info = JSON.parse(reference('describe', file));
      assert.equal(info.ntotal, xb.n);
      assert.equal(info.metric, metric);
      if (index instanceof IndexHNSWFlat) assert.equal(info.efSearch, index.hnsw.efSearch);
      sameResults(pythonSearch(file, `${name}.py`), index.search(xq, k), 1e-6);
    });

    it(`${factory} metric ${metric}: written by Python faiss, read here, same results`, function () {
      requirePythonFaiss(this);
      const file = path.join(dir, `${name}.py.faissindex`);
      reference('build', factory, ['INNER_PRODUCT', 'L2', 'L1', 'Linf'][metric], path.join(dir, 'xb.npy'), file);
      const index = readIndex(file);
      assert.equal(index.ntotal, xb.n);
      assert.equal(index.metricType, metric);
      if (index instanceof IndexHNSWFlat) assert.equal(index.hnsw.efSearch, 77);
      sameResults(index.search(xq, k), pythonSearch(file, `${name}.py2`), 1e-6);
    });
  }

  it("flat search matches Python faiss on the same data (same labels; distances bit-identical on Debian's faiss, else within float rounding)", function () {
    requirePythonFaiss(this);
    for (const metric of [MetricType.L2, MetricType.INNER_PRODUCT, MetricType.L1]) {
      const file = path.join(dir, `exact-${metric}.faissindex`);
      reference('build', 'Flat', ['INNER_PRODUCT', 'L2', 'L1'][metric], path.join(dir, 'xb.npy'), file);
      const ours = new IndexFlat(d, metric);
      ours.add(xb);
      const py = pythonSearch(file, `exact-${metric}`);
      const got = ours.search(xq, k);
      assert.deepEqual(got.labels, py.labels);
      // Python faiss is Debian's generic build. The AVX2 build sums 8 lanes at a time (L1, and the
      // norms of L2): the last bit of a distance may differ.
      if (faissBuild === 'generic') assert.deepEqual(got.distances, py.distances);
      else sameResults(got, py, 1e-6);
    }
  });
});
