// Issue 12: behaving as faiss does (empty batches, exact class names) and what a
// student reaches for next (range search, reconstructN / reconstructBatch and the IVF
// direct map, per-call search parameters with id selectors, mergeFrom, cloneIndex),
// each against Python faiss (Debian's python3-faiss, the same faiss 1.7.3) on the
// same index file and the same queries: labels and lims identical, distances within
// float rounding (the addon may run the AVX2 build of faiss, Python the generic one).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cloneIndex,
  DirectMap,
  deserializeIndex,
  type IDSelector,
  IDSelectorArray,
  IDSelectorBatch,
  IDSelectorNot,
  IDSelectorRange,
  type Index,
  IndexFlat,
  IndexFlatIP,
  IndexFlatL2,
  IndexHNSWFlat,
  IndexIDMap,
  type IndexIDMap2,
  IndexIVF,
  IndexIVFFlat,
  IndexIVFFlatDedup,
  indexFactory,
  MetricType,
  RangeSearchResults,
  readIndex,
  readNpy,
  SearchParameters,
  SearchParametersHNSW,
  SearchParametersIVF,
  serializeIndex,
  writeIndex,
  writeNpy,
} from '../src/internal';
import { dataset, sameResults, tmpDir } from './support/data';
import { reference, requirePythonFaiss } from './support/python';

const d = 32;
const nb = 2000;
const k = 10;
const { xb, xq } = dataset(nb, d, 20, 60, 7);
const dir = tmpDir('extras');
const XQ = path.join(dir, 'xq.npy');
const XQ0 = path.join(dir, 'xq0.npy');
writeNpy(XQ, xq.data, [xq.n, d]);
writeNpy(XQ0, new Float32Array(0), [0, d]);

after(() => fs.rmSync(dir, { recursive: true, force: true }));

let counter = 0;
const file = (name: string) => path.join(dir, `${++counter}.${name}`);

type Op = Record<string, unknown>;

/** Runs ops on the index file in Python faiss (test/python/reference.py run). */
function python(indexFile: string, ops: Op[]): void {
  const job = file('job.json');
  fs.writeFileSync(
    job,
    JSON.stringify({ index: indexFile, ops }, (_, v) =>
      typeof v === 'bigint' ? Number(v) : v instanceof BigInt64Array ? Array.from(v, Number) : v,
    ),
  );
  reference('run', job);
}

function saved(index: Index): string {
  const f = file('index');
  writeIndex(index, f);
  return f;
}

/** Python's search of the index file, with the same parameters as ours. */
function pySearch(
  indexFile: string,
  k_: number,
  params?: SearchParameters,
  xqFile = XQ,
): { distances: Float32Array; labels: BigInt64Array; shape: number[] } {
  const out = file('py');
  python(indexFile, [{ op: 'search', xq: xqFile, k: k_, params: params?.toNative() ?? null, out }]);
  const D = readNpy(`${out}.D.npy`);
  return { distances: D.data as Float32Array, labels: readNpy(`${out}.I.npy`).data as BigInt64Array, shape: D.shape };
}

function pyRange(
  indexFile: string,
  radius: number,
  params?: SearchParameters,
  xqFile = XQ,
): RangeSearchResults & { limsBig: BigInt64Array } {
  const out = file('pyr');
  python(indexFile, [{ op: 'range', xq: xqFile, radius, params: params?.toNative() ?? null, out }]);
  const lims = readNpy(`${out}.lims.npy`).data as BigInt64Array;
  const res = new RangeSearchResults(
    {
      lims: Float64Array.from(lims, Number),
      distances: readNpy(`${out}.D.npy`).data as Float32Array,
      labels: readNpy(`${out}.I.npy`).data as BigInt64Array,
    },
    MetricType.L2,
    radius,
  );
  return Object.assign(res, { limsBig: lims });
}

function sameRange(
  a: { lims: Float64Array; distances: Float32Array; labels: BigInt64Array },
  b: typeof a,
  rtol = 1e-5,
): void {
  assert.deepEqual(Array.from(a.lims), Array.from(b.lims), 'lims');
  assert.deepEqual(a.labels, b.labels, 'labels');
  for (let i = 0; i < a.distances.length; i++) {
    const tol = rtol * Math.max(1, Math.abs(a.distances[i]));
    assert.ok(
      Math.abs(a.distances[i] - b.distances[i]) <= tol,
      `distance ${i}: ${a.distances[i]} vs ${b.distances[i]}`,
    );
  }
}

/** Every pairwise distance of the queries and the database (float64), by the metric. */
function allDistances(metric: MetricType, base = xb.data, n = nb): number[] {
  const out: number[] = [];
  for (let q = 0; q < xq.n; q++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < d; t++) {
        const a = xq.data[q * d + t];
        const b = base[i * d + t];
        s += metric === MetricType.L2 ? (a - b) * (a - b) : a * b;
      }
      out.push(s);
    }
  }
  return out;
}

/**
 * A radius with about `share` of all pairs inside and no distance within 5e-5 of it
 * (relative; float32 rounding is near 1e-7 here): rounding cannot put a vector on
 * different sides here and in Python.
 */
function radiusFor(metric: MetricType, share: number): number {
  const all = allDistances(metric).sort((a, b) => a - b);
  if (metric === MetricType.INNER_PRODUCT) all.reverse();
  for (let i = Math.floor(all.length * share); i < all.length - 1; i++) {
    const gap = Math.abs(all[i + 1] - all[i]);
    if (gap > 1e-4 * Math.max(1, Math.abs(all[i]))) return (all[i] + all[i + 1]) / 2;
  }
  throw new Error('no gap');
}

function ids(from: number, n: number, step = 1): BigInt64Array {
  return BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i * step));
}

function rows(from: number, n: number): Float32Array {
  return xb.data.slice(from * d, (from + n) * d);
}

function refuses(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.match(e.message, message);
    return true;
  });
}

function flatL2(): IndexFlatL2 {
  const index = new IndexFlatL2(d);
  index.add(xb);
  return index;
}

function ivf(nlist = 16, metric: MetricType = MetricType.L2): IndexIVFFlat {
  const index = indexFactory(d, `IVF${nlist},Flat`, metric) as IndexIVFFlat;
  index.train(xb);
  index.add(xb);
  index.nprobe = 4;
  return index;
}

describe('issue 12: empty batches, as in faiss', () => {
  const kinds: Array<[string, () => Index]> = [
    ['IndexFlatL2', flatL2],
    [
      'IndexHNSWFlat',
      () => {
        const h = new IndexHNSWFlat(d, 16);
        h.add(xb);
        return h;
      },
    ],
    ['IndexIVFFlat', () => ivf()],
    [
      'IndexIDMap',
      () => {
        const m = indexFactory(d, 'IDMap,Flat');
        m.addWithIds(xb, ids(0, nb, 3));
        return m;
      },
    ],
    [
      'IndexIVFFlatDedup',
      () => {
        const x = indexFactory(d, 'IVF8,FlatDedup');
        x.train(xb);
        x.add(xb);
        return x;
      },
    ],
  ];
  for (const [name, make] of kinds) {
    it(`${name}: add / addWithIds of 0 vectors add nothing; search of 0 queries answers (0, k) like Python's`, async function () {
      const index = make();
      const before = index.ntotal;
      if (index instanceof IndexIDMap || index instanceof IndexIVF) {
        index.addWithIds(new Float32Array(0), new BigInt64Array(0));
        await index.addWithIdsAsync(new Float32Array(0), new BigInt64Array(0));
      }
      if (!(index instanceof IndexIDMap)) {
        index.add(new Float32Array(0));
        await index.addAsync({ data: new Float32Array(0), n: 0, d });
      }
      assert.equal(index.ntotal, before);
      const res = index.search(new Float32Array(0), k);
      assert.equal(res.n, 0);
      assert.equal(res.k, k);
      assert.equal(res.labels.length, 0);
      assert.equal((await index.searchAsync(new Float32Array(0), k)).n, 0);
      assert.deepEqual(res.all(), []);
      if (
        index instanceof IndexFlat ||
        index instanceof IndexIDMap ||
        (index instanceof IndexIVF && !(index instanceof IndexIVFFlatDedup))
      ) {
        const r = index.rangeSearch(new Float32Array(0), 1);
        assert.deepEqual(Array.from(r.lims), [0]);
        assert.equal(r.nq, 0);
      }
      if (index instanceof IndexFlat || index instanceof IndexHNSWFlat)
        assert.equal(index.reconstructBatch(new BigInt64Array(0)).length, 0);
      if (!(index instanceof IndexIDMap) && !(index instanceof IndexIVFFlatDedup))
        assert.equal(index.reconstructN(0, 0).length, 0);
      // Still refused: a partial vector.
      refuses(() => index.search(new Float32Array(d + 1), k), /multiple of d=32/);
      requirePythonFaiss(this);
      const py = pySearch(saved(index), k, undefined, XQ0);
      assert.deepEqual(py.shape, [0, k]);
      if (!(index instanceof IndexHNSWFlat) && !(index instanceof IndexIVFFlatDedup)) {
        const f = saved(index);
        const pr = pyRange(f, 1, undefined, XQ0);
        assert.deepEqual(Array.from(pr.lims), [0]);
      }
    });
  }

  it('train on 0 vectors: a no-op for flat and HNSW; an IVF refuses as faiss does (fewer points than lists), unless its quantizer holds the centroids', () => {
    const flat = new IndexFlatL2(d);
    flat.train(new Float32Array(0));
    assert.ok(flat.isTrained);
    const h = new IndexHNSWFlat(d, 8);
    h.train(new Float32Array(0));
    const v = indexFactory(d, 'IVF8,Flat');
    assert.throws(
      () => v.train(new Float32Array(0)),
      (e: Error & { code?: string }) => e.code === 'ERR_FAISS' && /Number of training points \(0\)/.test(e.message),
    );
    assert.equal(v.isTrained, false);
    // Two IVFs over one quantizer: once it holds nlist centroids, training the second on nothing is faiss's no-op.
    const q = new IndexFlatL2(d);
    const a = new IndexIVFFlat(q, d, 8);
    a.train(xb);
    const b = new IndexIVFFlat(q, d, 8);
    b.train(new Float32Array(0));
    assert.ok(b.isTrained);
  });
});

describe('issue 12: className names the exact class', () => {
  it("each kind, as Python's type(read_index(file)).__name__; IVF<n>,FlatDedup is an IndexIVFFlatDedup", function () {
    const made: Array<[Index, string]> = [
      [indexFactory(d, 'Flat'), 'IndexFlat'],
      [new IndexFlatL2(d), 'IndexFlatL2'],
      [new IndexFlatIP(d), 'IndexFlatIP'],
      [new IndexFlat(d, MetricType.L1), 'IndexFlat'],
      [new IndexHNSWFlat(d, 8), 'IndexHNSWFlat'],
      [indexFactory(d, 'IVF8,Flat'), 'IndexIVFFlat'],
      [indexFactory(d, 'IVF8,FlatDedup'), 'IndexIVFFlatDedup'],
      [new IndexIVFFlatDedup(new IndexFlatL2(d), d, 8), 'IndexIVFFlatDedup'],
      [indexFactory(d, 'IDMap,Flat'), 'IndexIDMap'],
      [indexFactory(d, 'IDMap2,HNSW8'), 'IndexIDMap2'],
    ];
    for (const [index, name] of made) {
      assert.equal(index.className, name);
      const back = deserializeIndex(serializeIndex(index));
      assert.equal(
        back.className,
        index.className === 'IndexFlat' && index.metricType === MetricType.L2 ? 'IndexFlatL2' : name,
      );
      assert.ok(
        back instanceof (index.constructor as typeof Index),
        `${back.constructor.name} vs ${index.constructor.name}`,
      );
    }
    const dedup = made[6][0];
    assert.ok(dedup instanceof IndexIVFFlatDedup && dedup instanceof IndexIVFFlat && dedup instanceof IndexIVF);
    assert.ok(!(made[5][0] instanceof IndexIVFFlatDedup));
    assert.equal((indexFactory(d, 'IVF4_HNSW8,Flat') as IndexIVF).quantizer.className, 'IndexHNSWFlat');
    requirePythonFaiss(this);
    for (const [index, name] of made) {
      const out = file('describe.json');
      python(saved(index), [{ op: 'describe', out }]);
      // faiss writes IndexFlat(d, L2) as an IndexFlatL2 (IxF2) and reads that back, as we do; Python's
      // wrapper names the IndexFlatL2 / IndexFlatIP it reads (C++ classes, as ours say) 'IndexFlat'.
      const ours = deserializeIndex(serializeIndex(index)).className;
      assert.equal(
        JSON.parse(fs.readFileSync(out, 'utf8')).class,
        /^IndexFlat(L2|IP)$/.test(ours) ? 'IndexFlat' : ours,
        name,
      );
    }
  });

  it('IVF<n>,FlatDedup: duplicates stored once and all returned, same as Python; what faiss 1.7.3 cannot do with it is refused', function () {
    const index = indexFactory(d, 'IVF16,FlatDedup') as IndexIVFFlatDedup;
    index.train(xb);
    index.add(xb);
    index.add(rows(0, 100)); // 100 duplicates: ids 2000..2099
    index.nprobe = 4;
    assert.equal(index.ntotal, nb + 100);
    const res = index.search(rows(0, 3), 3);
    assert.deepEqual(Array.from(res.labels.subarray(0, 2)).sort(), [0n, 2000n]);
    refuses(() => index.rangeSearch(xq, 1), /has no range search \("not implemented"\)/);
    refuses(() => index.reconstruct(0), /cannot give back its vectors/);
    refuses(() => index.reconstructN(0, 2), /cannot give back its vectors/);
    refuses(() => index.makeDirectMap(), /cannot reconstruct/);
    refuses(
      () => index.search(xq, 3, new SearchParametersIVF({ sel: new IDSelectorRange(0, 10) })),
      /duplicates it should exclude/,
    );
    refuses(() => index.mergeFrom(cloneIndex(index)), /table of duplicates/);
    refuses(() => indexFactory(d, 'IDMap,IVF16,FlatDedup'), /keeps ids of your own itself/);
    refuses(() => new IndexIDMap(indexFactory(d, 'IVF16,FlatDedup')), /keeps ids of your own itself/);
    // nprobe per call works (no selector).
    assert.deepEqual(index.search(xq, k, new SearchParametersIVF({ nprobe: 4 })).labels, index.search(xq, k).labels);
    assert.equal(index.removeIds(ids(2000, 50)), 0, 'duplicates are not list entries (faiss counts only those)');
    requirePythonFaiss(this);
    const f = saved(index);
    sameResults(pySearch(f, k), index.search(xq, k));
    const copy = cloneIndex(index);
    assert.equal(copy.className, 'IndexIVFFlatDedup');
    assert.deepEqual(copy.search(xq, k), index.search(xq, k));
    // Written by Python's faiss (its duplicates' table included), read here: the same class and answers.
    const XB = file('xb.npy');
    writeNpy(XB, Float32Array.from([...xb.data, ...rows(0, 100)]), [nb + 100, d]);
    const pyFile = file('py-dedup.index');
    reference('build', 'IVF16,FlatDedup', 'L2', XB, pyFile);
    const fromPy = readIndex(pyFile);
    assert.equal(fromPy.className, 'IndexIVFFlatDedup');
    assert.equal(fromPy.ntotal, nb + 100);
    sameResults(pySearch(pyFile, k), fromPy.search(xq, k));
  });
});

describe('issue 12: rangeSearch (faiss range_search) against Python', () => {
  it('IndexFlatL2 and IndexFlatIP, 20 and 3 queries: lims and labels identical, distances within rounding; hits nearest first', function () {
    requirePythonFaiss(this);
    for (const metric of [MetricType.L2, MetricType.INNER_PRODUCT]) {
      const index = new IndexFlat(d, metric);
      index.add(xb);
      const radius = radiusFor(metric, 0.01);
      const res = index.rangeSearch(xq, radius);
      assert.ok(res.total > 100 && res.total < 2000, `${res.total} hits`);
      const f = saved(index);
      sameRange(res, pyRange(f, radius));
      const three = index.rangeSearch(xq.data.subarray(0, 3 * d), radius);
      assert.deepEqual(Array.from(three.lims), Array.from(res.lims.subarray(0, 4)));
      // hits(q): within the radius, nearest first, the same set as faiss's slice.
      for (let q = 0; q < xq.n; q++) {
        const hits = res.hits(q);
        assert.equal(hits.length, res.count(q));
        for (let i = 1; i < hits.length; i++) {
          assert.ok(
            metric === MetricType.L2
              ? hits[i].distance >= hits[i - 1].distance
              : hits[i].distance <= hits[i - 1].distance,
          );
        }
        assert.ok(hits.every((h) => (metric === MetricType.L2 ? h.distance < radius : h.distance > radius)));
        assert.deepEqual(
          hits.map((h) => h.id).sort((a, b) => a - b),
          Array.from(res.labels.subarray(res.lims[q], res.lims[q + 1]), Number).sort((a, b) => a - b),
        );
      }
      assert.equal(res.toRows().length, res.total);
    }
  });

  it('IndexIVFFlat (index nprobe, and SearchParametersIVF with a selector), IndexIDMap over flat: as Python', async function () {
    requirePythonFaiss(this);
    const radius = radiusFor(MetricType.L2, 0.01);
    const v = ivf();
    const f = saved(v);
    const res = v.rangeSearch(xq, radius);
    sameRange(res, pyRange(f, radius));
    const params = new SearchParametersIVF({ nprobe: 8, sel: new IDSelectorNot(new IDSelectorRange(500, 1500)) });
    const filtered = v.rangeSearch(xq, radius, params);
    sameRange(filtered, pyRange(f, radius, params));
    assert.ok(Array.from(filtered.labels).every((l) => l < 500n || l >= 1500n));
    sameRange(await v.rangeSearchAsync(xq, radius, params), filtered, 0);
    const m = indexFactory(d, 'IDMap,Flat');
    m.addWithIds(xb, ids(7, nb, 10));
    const mres = m.rangeSearch(xq, radius);
    sameRange(mres, pyRange(saved(m), radius));
    assert.ok(Array.from(mres.labels).every((l) => l % 10n === 7n));
  });

  it('a flat search with a selector, by L2: only selected ids, as Python', function () {
    requirePythonFaiss(this);
    const index = flatL2();
    const radius = radiusFor(MetricType.L2, 0.02);
    const f = saved(index);
    for (const sel of [
      new IDSelectorBatch(ids(0, 700, 3)),
      new IDSelectorArray(ids(1, 400, 5)),
      new IDSelectorNot(new IDSelectorRange(0, 1000)),
    ]) {
      const p = new SearchParameters({ sel });
      const res = index.rangeSearch(xq, radius, p);
      sameRange(res, pyRange(f, radius, p));
      assert.ok(
        Array.from(res.labels).every((l) => sel.isMember(l)),
        String(sel),
      );
    }
  });

  it("maxResults: a search that would find more is refused (ERR_FAISS_LIMIT); chunked answers equal one call's", () => {
    const index = flatL2();
    const radius = radiusFor(MetricType.L2, 0.01);
    const whole = index.rangeSearch(xq, radius);
    // Room for 3 queries' worth at a time: 7 chunks, the same hits.
    const chunked = index.rangeSearch(xq, radius, undefined, { maxResults: 3 * nb + 10 });
    sameRange(chunked, whole, 1e-5);
    assert.throws(
      () => index.rangeSearch(xq, Infinity, undefined, { maxResults: 5 * nb }),
      (e: Error & { code?: string }) => e.code === 'ERR_FAISS_LIMIT' && /more than maxResults = 10000/.test(e.message),
    );
    assert.equal(
      index.rangeSearch(xq.data.subarray(0, d), Infinity).total,
      nb,
      'an infinite radius holds every vector',
    );
    refuses(() => index.rangeSearch(xq, NaN), /Expected a number .* for radius but received NaN/);
    refuses(() => index.rangeSearch(xq, 1, undefined, { maxResults: 0 }), /maxResults/);
  });

  it('refused with the reason where faiss 1.7.3 has no range search: HNSW (also inside an IDMap), flat L1/Linf, an empty index', () => {
    const h = new IndexHNSWFlat(d, 8);
    h.add(xb);
    refuses(() => h.rangeSearch(xq, 1), /no range search for an IndexHNSWFlat .*range search not implemented/);
    const m = indexFactory(d, 'IDMap2,HNSW8');
    m.addWithIds(xb, ids(0, nb));
    refuses(() => m.rangeSearch(xq, 1), /inside this IndexIDMap2/);
    const l1 = new IndexFlat(d, MetricType.L1);
    l1.add(xb);
    refuses(() => l1.rangeSearch(xq, 1), /by L2 and inner product only, not L1/);
    refuses(() => new IndexFlatL2(d).rangeSearch(xq, 1), /rangeSearch on an empty IndexFlatL2/);
    refuses(() => m.rangeSearch(xq, 1, new SearchParametersHNSW()), /inside this IndexIDMap2/);
  });
});

describe('issue 12: reconstructN, reconstructBatch and the IVF direct map', () => {
  it("flat and HNSW: reconstructN(i0, n) and reconstructBatch(keys) give the stored vectors, as Python's reconstruct_n / reconstruct_batch", function () {
    for (const index of [
      flatL2(),
      (() => {
        const h = new IndexHNSWFlat(d, 8);
        h.add(xb);
        return h;
      })(),
    ]) {
      assert.deepEqual(index.reconstructN(0, nb), xb.data);
      assert.deepEqual(index.reconstructN(1500, 20), rows(1500, 20));
      assert.deepEqual(
        index.reconstructBatch([7, 3, 1999, 7]),
        Float32Array.from([...rows(7, 1), ...rows(3, 1), ...rows(1999, 1), ...rows(7, 1)]),
      );
      assert.deepEqual(index.reconstructBatch(BigInt64Array.of(5n)), rows(5, 1));
      assert.deepEqual(index.reconstruct(12n), rows(12, 1));
      assert.equal(index.reconstructN(nb, 0).length, 0);
      refuses(() => index.reconstructN(nb - 1, 2), /reaches label 2000, but the Index\w+ holds ntotal=2000/);
      refuses(() => index.reconstructBatch([0, nb]), /label below ntotal=2000 for keys\[1\]/);
      refuses(() => index.reconstructN(-1, 2), /for i0/);
    }
    requirePythonFaiss(this);
    const f = saved(flatL2());
    const outN = file('rn.npy');
    const outB = file('rb.npy');
    python(f, [
      { op: 'reconstruct_n', i0: 100, n: 300, out: outN },
      { op: 'reconstruct_batch', keys: [9, 4, 1000], out: outB },
    ]);
    assert.deepEqual(readNpy(outN).data, rows(100, 300));
    assert.deepEqual(readNpy(outB).data, flatL2().reconstructBatch([9, 4, 1000]));
  });

  it('IVF: reconstructN needs no direct map; reconstruct and reconstructBatch are refused without one, with the fix; makeDirectMap makes them work, as in Python', function () {
    const v = ivf();
    assert.deepEqual(v.reconstructN(0, nb), xb.data);
    assert.equal(v.directMapType, DirectMap.NoMap);
    refuses(
      () => v.reconstruct(5),
      /through its direct map, which it does not have: call index.makeDirectMap\(\) first/,
    );
    refuses(() => v.reconstructBatch([5]), /makeDirectMap/);
    v.makeDirectMap();
    assert.equal(v.directMapType, DirectMap.Array);
    assert.deepEqual(v.reconstruct(5), rows(5, 1));
    assert.deepEqual(v.reconstructBatch([1999, 0]), Float32Array.from([...rows(1999, 1), ...rows(0, 1)]));
    // The array map keeps up with add(); ids of your own and removal need the hash table.
    v.add(rows(0, 10));
    assert.deepEqual(v.reconstruct(2009), rows(9, 1));
    refuses(
      () => v.addWithIds(rows(0, 1), BigInt64Array.of(99999n)),
      /array direct map.*setDirectMapType\(DirectMap.Hashtable\)/,
    );
    refuses(() => v.removeIds(BigInt64Array.of(3n)), /array direct map .*DirectMap.Hashtable/);
    refuses(() => v.reconstruct(5000), /invalid key/);
    v.makeDirectMap(false);
    assert.equal(v.directMapType, DirectMap.NoMap);
    requirePythonFaiss(this);
    const w = ivf();
    const f = saved(w);
    const out = file('r.npy');
    const outB = file('rb.npy');
    const outN = file('rn.npy');
    python(f, [
      { op: 'reconstruct_n', i0: 0, n: nb, out: outN },
      { op: 'make_direct_map' },
      { op: 'reconstruct', key: 77, out },
      { op: 'reconstruct_batch', keys: [3, 1500], out: outB },
    ]);
    w.makeDirectMap();
    assert.deepEqual(readNpy(outN).data, w.reconstructN(0, nb));
    assert.deepEqual(readNpy(out).data, w.reconstruct(77));
    assert.deepEqual(readNpy(outB).data, w.reconstructBatch([3, 1500]));
  });

  it('IVF with ids of its own: a hash-table direct map reconstructs and removes by id (Python the same, through an IDSelectorArray); an array map is refused with the fix', function () {
    const v = indexFactory(d, 'IVF16,Flat') as IndexIVFFlat;
    v.train(xb);
    const own = ids(1_000_000, nb, 7);
    v.addWithIds(xb, own);
    refuses(
      () => v.makeDirectMap(),
      /array direct map needs the ids 0..ntotal-1, each once, but the index holds id 1\d{6} .*DirectMap.Hashtable/,
    );
    assert.equal(v.directMapType, DirectMap.NoMap, 'a refused array map leaves none behind');
    v.setDirectMapType(DirectMap.Hashtable);
    assert.deepEqual(v.reconstruct(1_000_007), rows(1, 1));
    assert.deepEqual(
      v.reconstructBatch([1_000_000 + 7 * 1999, 1_000_000n]),
      Float32Array.from([...rows(1999, 1), ...rows(0, 1)]),
    );
    assert.equal(v.removeIds(BigInt64Array.of(1_000_007n, 5n)), 1);
    refuses(() => v.reconstruct(1_000_007), /key not found/);
    // add() without ids files the vectors under ntotal.. (faiss 1.7.3 would use an uninitialised number).
    const before = v.ntotal;
    v.add(rows(3, 2));
    assert.deepEqual(v.reconstruct(before + 1), rows(4, 1));
    const inner = indexFactory(d, 'IVF4,Flat') as IndexIVF;
    inner.setDirectMapType(DirectMap.Hashtable);
    refuses(() => new IndexIDMap(inner), /hash-table direct map: setDirectMapType\(DirectMap.Array\)/);
    const wrapped = indexFactory(d, 'IDMap2,IVF4,Flat') as IndexIDMap2;
    refuses(
      () => (wrapped.index as IndexIVF).setDirectMapType(DirectMap.Hashtable),
      /inside an IndexIDMap2.*DirectMap.Array/,
    );
    requirePythonFaiss(this);
    const w = indexFactory(d, 'IVF16,Flat') as IndexIVFFlat;
    w.train(xb);
    w.addWithIds(xb, own);
    const f = saved(w);
    w.setDirectMapType(DirectMap.Hashtable);
    const outB = file('rb.npy');
    python(f, [
      { op: 'set_direct_map_type', type: 2 },
      { op: 'remove_ids', ids: [1_000_014], array: true },
      { op: 'reconstruct_batch', keys: [1_000_000, 1_000_021], out: outB },
    ]);
    w.removeIds(BigInt64Array.of(1_000_014n));
    assert.deepEqual(readNpy(outB).data, w.reconstructBatch([1_000_000, 1_000_021]));
  });

  it('IndexIDMap2: reconstructN reads ids i0..i0+n-1 (a missing one is an error, also past 1000 ids, where faiss loops in parallel); IndexIDMap refuses', () => {
    const m = indexFactory(d, 'IDMap2,Flat') as IndexIDMap2;
    m.addWithIds(xb, ids(100, nb));
    assert.deepEqual(m.reconstructN(100, 1500), rows(0, 1500));
    assert.deepEqual(m.reconstructN(100n, 3), rows(0, 3));
    m.removeIds(BigInt64Array.of(1200n));
    assert.throws(
      () => m.reconstructN(100, 1500),
      (e: Error & { code?: string }) => /ERR_FAISS/.test(e.code ?? ''),
    );
    const plain = indexFactory(d, 'IDMap,Flat');
    plain.addWithIds(xb, ids(0, nb));
    refuses(() => plain.reconstructN(0, 2), /keeps no table from ids to vectors/);
    // An IDMap2 over an IVF reconstructs once the IVF inside has a direct map.
    const iv = indexFactory(d, 'IDMap2,IVF8,Flat') as IndexIDMap2;
    iv.train(xb);
    iv.addWithIds(xb, ids(5000, nb));
    refuses(
      () => iv.reconstruct(5001),
      /the IndexIVFFlat finds a vector by id only through its direct map.*index.index.makeDirectMap\(\)/,
    );
    (iv.index as IndexIVF).makeDirectMap();
    assert.deepEqual(iv.reconstruct(5001), rows(1, 1));
    assert.deepEqual(iv.reconstructN(5010, 4), rows(10, 4));
  });
});

describe('issue 12: search parameters and id selectors against Python', () => {
  const selectors = (): IDSelector[] => [
    new IDSelectorRange(300, 1700),
    new IDSelectorNot(new IDSelectorRange(0, 1900)),
    new IDSelectorBatch(ids(0, 600, 3)),
    new IDSelectorNot(new IDSelectorBatch(ids(0, 1000, 2))),
    new IDSelectorArray(ids(11, 300, 6)),
    new IDSelectorNot(new IDSelectorArray(ids(0, 50))),
    new IDSelectorNot(new IDSelectorNot(new IDSelectorBatch([5, 6, 7, 1500]))),
  ];

  function check(index: Index, f: string, params: SearchParameters, k_ = k): void {
    const ours = index.search(xq, k_, params);
    sameResults(pySearch(f, k_, params), ours, 1e-5);
    const sel = params.sel;
    if (sel)
      assert.ok(
        Array.from(ours.labels).every((l) => l === -1n || sel.isMember(l)),
        `${params}`,
      );
  }

  it("flat (L2, inner product): SearchParameters({ sel }) for each selector gives Python's results", function () {
    requirePythonFaiss(this);
    for (const metric of [MetricType.L2, MetricType.INNER_PRODUCT]) {
      const index = new IndexFlat(d, metric);
      index.add(xb);
      const f = saved(index);
      for (const sel of selectors()) check(index, f, new SearchParameters({ sel }));
      // k past the selection: padded as in faiss (4 selected).
      check(index, f, new SearchParameters({ sel: new IDSelectorArray([5, 6, 7, 1500]) }), 6);
      check(index, f, new SearchParameters({ sel: new IDSelectorRange(-100, 3) }), 5);
    }
  });

  it("HNSW: SearchParametersHNSW({ efSearch, sel }) gives Python's results (efSearch per call, as faiss 1.7.3 applies it)", function () {
    requirePythonFaiss(this);
    const h = new IndexHNSWFlat(d, 16);
    h.add(xb);
    const f = saved(h);
    for (const sel of selectors()) check(h, f, new SearchParametersHNSW({ efSearch: 40, sel }));
    check(h, f, new SearchParametersHNSW({ efSearch: 10 }));
    check(
      h,
      f,
      new SearchParametersHNSW({ efSearch: 100, checkRelativeDistance: false, sel: new IDSelectorRange(0, 1000) }),
    );
  });

  it("IVF: SearchParametersIVF({ nprobe, maxCodes, sel }) gives Python's results; IDSelectorRange with assumeSorted too", function () {
    requirePythonFaiss(this);
    for (const metric of [MetricType.L2, MetricType.INNER_PRODUCT]) {
      const v = ivf(16, metric);
      const f = saved(v);
      for (const sel of selectors()) check(v, f, new SearchParametersIVF({ nprobe: 6, sel }));
      // Lists filled in id order are sorted: faiss bisects them for the range.
      check(v, f, new SearchParametersIVF({ nprobe: 6, sel: new IDSelectorRange(250, 1250, true) }));
      check(v, f, new SearchParametersIVF({ nprobe: 16, maxCodes: 300 }));
      check(v, f, new SearchParametersIVF({}));
    }
  });

  it("parameters apply to one call: faiss's defaults (nprobe 1, efSearch 16), not the index's knobs, which stay as they are", async () => {
    const v = ivf();
    v.nprobe = 8;
    const one = v.search(xq, k, new SearchParametersIVF());
    v.nprobe = 1;
    assert.deepEqual(one, v.search(xq, k));
    v.nprobe = 8;
    assert.equal(v.nprobe, 8);
    const sel = new IDSelectorNot(new IDSelectorBatch(ids(0, 1000)));
    const p = new SearchParametersIVF({ nprobe: 8, sel });
    assert.deepEqual(await v.searchAsync(xq, k, p), v.search(xq, k, p));
    // The flat special cases: a range past ntotal selects nothing (faiss 1.7.3 would read out of bounds).
    const flat = flatL2();
    const none = flat.search(xq, 3, new SearchParameters({ sel: new IDSelectorRange(5000, 6000) }));
    assert.ok(Array.from(none.labels).every((l) => l === -1n));
    assert.ok(Array.from(none.distances).every((x) => x > 3e38));
    assert.ok(
      flat.search(xq, 3, new SearchParameters({ sel: new IDSelectorRange(50, 10) })).labels.every((l) => l === -1n),
    );
  });

  it('refused before faiss, with the reason: the wrong kind of parameters, an IDMap, flat L1, an array id outside a flat index, bad values', () => {
    const flat = flatL2();
    const h = new IndexHNSWFlat(d, 8);
    h.add(xb);
    const v = ivf();
    const m = indexFactory(d, 'IDMap,Flat');
    m.addWithIds(xb, ids(0, nb));
    const l1 = new IndexFlat(d, MetricType.L1);
    l1.add(xb);
    const sel = new IDSelectorRange(0, 10);
    refuses(
      () => flat.search(xq, 3, new SearchParametersIVF({ sel })),
      /neither efSearch nor nprobe: pass new SearchParameters\(\{ sel \}\)/,
    );
    refuses(() => h.search(xq, 3, new SearchParameters({ sel })), /takes SearchParametersHNSW/);
    refuses(() => h.search(xq, 3, new SearchParametersIVF({ sel })), /takes SearchParametersHNSW/);
    refuses(() => v.search(xq, 3, new SearchParametersHNSW({ sel })), /takes SearchParametersIVF/);
    refuses(
      () => m.search(xq, 3, new SearchParameters({ sel })),
      /takes no search parameters .*search params not supported/,
    );
    refuses(() => l1.search(xq, 3, new SearchParameters({ sel })), /by L2 and inner product only, not L1/);
    refuses(
      () => flat.search(xq, 3, new SearchParameters({ sel: new IDSelectorArray([1, 2000]) })),
      /holds id 2000, not a label .*IDSelectorBatch/,
    );
    refuses(() => flat.search(xq, 3, new SearchParameters({ sel: new IDSelectorArray([-1]) })), /holds id -1/);
    refuses(() => flat.search(xq, 3, { sel } as unknown as SearchParameters), /Expected a SearchParameters/);
    refuses(() => new SearchParametersIVF({ nprobe: 0 }), /nprobe/);
    refuses(
      () => new SearchParametersIVF({ efSearch: 3 } as never),
      /SearchParametersIVF has no "efSearch" \(SearchParametersHNSW has it\)/,
    );
    refuses(() => new SearchParametersHNSW({ efSearch: 2 ** 32 + 4 }), /efSearch/);
    refuses(() => new IDSelectorBatch([1.5]), /ids\[0\]/);
    refuses(() => new IDSelectorRange(0, 2n ** 63n), /imax/);
    refuses(() => new IDSelectorNot({} as IDSelector), /Expected an IDSelector/);
    const p = new SearchParametersHNSW({ sel });
    p.efSearch = -3; // fields change after construction: checked at the call
    refuses(() => h.search(xq, 3, p), /efSearch/);
    // An array selector is not bounds-checked inside IDSelectorNot (faiss tests membership there).
    assert.equal(
      flat.search(xq, 3, new SearchParameters({ sel: new IDSelectorNot(new IDSelectorArray([99999])) })).n,
      xq.n,
    );
  });
});

describe('issue 12: mergeFrom and cloneIndex against Python', () => {
  it("flat: mergeFrom appends the other's vectors (labels from ntotal) and empties it, as Python's merge_from", function () {
    const a = new IndexFlatL2(d);
    a.add(rows(0, 1200));
    const b = new IndexFlatL2(d);
    b.add(rows(1200, 800));
    const fa = saved(a);
    const fb = saved(b);
    a.mergeFrom(b);
    assert.equal(a.ntotal, nb);
    assert.equal(b.ntotal, 0);
    assert.deepEqual(a.reconstructN(0, nb), xb.data);
    assert.deepEqual(a.search(xq, k), flatL2().search(xq, k));
    refuses(() => a.mergeFrom(b, 5), /addId must be 0/);
    requirePythonFaiss(this);
    const out = file('py');
    python(fa, [
      { op: 'merge', other: fb },
      { op: 'search', xq: XQ, k, out },
    ]);
    assert.deepEqual(readNpy(`${out}.I.npy`).data, a.search(xq, k).labels);
  });

  it('IVF: two clones of one trained index, filled apart, merge (ids + addId) to the index filled at once, as in Python', function () {
    const template = indexFactory(d, 'IVF16,Flat') as IndexIVFFlat;
    template.train(xb);
    const a = cloneIndex(template) as IndexIVFFlat;
    const b = cloneIndex(template) as IndexIVFFlat;
    a.add(rows(0, 1000));
    b.add(rows(1000, 1000));
    a.nprobe = 4;
    const fa = saved(a);
    const fb = saved(b);
    a.mergeFrom(b, 1000);
    assert.equal(a.ntotal, nb);
    assert.equal(b.ntotal, 0);
    const whole = cloneIndex(template) as IndexIVFFlat;
    whole.add(xb);
    whole.nprobe = 4;
    assert.deepEqual(a.reconstructN(0, nb), xb.data);
    sameResults(whole.search(xq, k), a.search(xq, k), 0);
    requirePythonFaiss(this);
    const out = file('py');
    python(fa, [
      { op: 'merge', other: fb, add_id: 1000 },
      { op: 'search', xq: XQ, k, out },
    ]);
    assert.deepEqual(readNpy(`${out}.I.npy`).data, a.search(xq, k).labels);
  });

  it('IDMap over flat: ids + addId, as Python; what faiss 1.7.3 cannot merge is refused with the reason', function () {
    const a = indexFactory(d, 'IDMap2,Flat') as IndexIDMap2;
    a.addWithIds(rows(0, 1000), ids(0, 1000, 2));
    const b = indexFactory(d, 'IDMap2,Flat') as IndexIDMap2;
    b.addWithIds(rows(1000, 1000), ids(0, 1000, 2));
    const fa = saved(a);
    const fb = saved(b);
    a.mergeFrom(b, 1n);
    assert.equal(a.ntotal, nb);
    assert.deepEqual(a.reconstruct(3), rows(1001, 1));
    const ours = a.search(xq, k);
    requirePythonFaiss(this);
    const out = file('py');
    python(fa, [
      { op: 'merge', other: fb, add_id: 1 },
      { op: 'search', xq: XQ, k, out },
    ]);
    assert.deepEqual(readNpy(`${out}.I.npy`).data, ours.labels);

    const h1 = new IndexHNSWFlat(d, 8);
    const h2 = new IndexHNSWFlat(d, 8);
    refuses(() => h1.mergeFrom(h2), /cannot merge HNSW graphs .*index.add\(other.reconstructN\(0, other.ntotal\)\)/);
    const v1 = ivf();
    const v2 = ivf();
    const v3 = indexFactory(d, 'IVF16,Flat') as IndexIVFFlat;
    v3.train(xb.data.slice(0, 700 * d));
    refuses(() => v1.mergeFrom(v3), /different centroids/);
    assert.equal(v3.ntotal, 0);
    refuses(() => v1.mergeFrom(v1), /cannot merge from itself/);
    // Untrained: faiss 1.7.3 would compare centroids its quantizers do not hold (a read out of bounds).
    refuses(() => indexFactory(d, 'IVF7,Flat').mergeFrom(indexFactory(d, 'IVF7,Flat')), /needs two trained IVFs/);
    refuses(() => v1.mergeFrom(cloneIndex(indexFactory(d, 'IVF16,Flat'))), /this one's holds 16, the other's 0/);
    refuses(() => v1.mergeFrom(ivf(8)), /nlist=8, this one nlist=16/);
    refuses(() => v1.mergeFrom(ivf(16, MetricType.INNER_PRODUCT)), /by INNER_PRODUCT, this one by L2/);
    refuses(() => v1.mergeFrom(flatL2()), /one class only: this is an IndexIVFFlat, the other an IndexFlatL2/);
    refuses(() => indexFactory(d, 'Flat').mergeFrom(new IndexFlatL2(d)), /IndexFlat, the other an IndexFlatL2/);
    refuses(() => new IndexFlatL2(d).mergeFrom(new IndexFlatL2(d + 1)), /d=33, this one d=32/);
    v2.makeDirectMap();
    refuses(() => v1.mergeFrom(v2), /without a direct map only/);
    refuses(() => v1.mergeFrom(v1.quantizer), /one class only/);
    const wrapped = indexFactory(d, 'IDMap,IVF16,Flat');
    refuses(() => wrapped.mergeFrom(indexFactory(d, 'IDMap,IVF16,Flat')), /without renumbering/);
    // The inner index of an IDMap is read-only: merging it away would desync the id table.
    const m1 = indexFactory(d, 'IDMap,Flat') as IndexIDMap;
    m1.addWithIds(rows(0, 10), ids(0, 10));
    refuses(() => new IndexFlatL2(d).mergeFrom(m1.index), /one class only|read-only/);
    const inner = new IndexFlatL2(d);
    const m2 = new IndexIDMap(inner);
    refuses(() => inner.mergeFrom(new IndexFlatL2(d)), /read-only/);
    assert.equal(m2.ntotal, 0);
  });

  it("cloneIndex: an independent copy of the same class with the same answers (HNSW stays IndexHNSWFlat, writable; Python's 1.7.3 clone is not)", function () {
    const kinds: Index[] = [
      flatL2(),
      (() => {
        const h = new IndexHNSWFlat(d, 16);
        h.add(xb);
        h.hnsw.efSearch = 32;
        return h;
      })(),
      ivf(),
      (() => {
        const x = indexFactory(d, 'IVF8_HNSW8,Flat') as IndexIVF;
        x.train(xb);
        x.add(xb);
        x.nprobe = 3;
        return x;
      })(),
      (() => {
        const m = indexFactory(d, 'IDMap2,Flat');
        m.addWithIds(xb, ids(9, nb, 4));
        return m;
      })(),
    ];
    for (const index of kinds) {
      const copy = cloneIndex(index);
      assert.equal(copy.className, index.className);
      assert.equal(copy.constructor, index.constructor);
      assert.deepEqual(copy.search(xq, k), index.search(xq, k));
      assert.deepEqual(serializeIndex(copy), serializeIndex(index));
      if (index instanceof IndexIVF) assert.equal((copy as IndexIVF).quantizer.className, index.quantizer.className);
      // Independent: a change to the copy leaves the original as it was.
      const n = index.ntotal;
      if (copy instanceof IndexIDMap) copy.addWithIds(rows(0, 5), ids(-10, 5));
      else copy.add(rows(0, 5));
      assert.equal(index.ntotal, n);
      copy.dispose();
      assert.equal(index.search(xq, 1).n, xq.n);
      const back = readIndex(saved(cloneIndex(index)));
      assert.equal(back.className, index.className);
    }
    // The clone keeps where the vectors came from.
    const src = { model: 'm', normalized: true } as never;
    const withSource = new IndexFlatL2(d);
    withSource.add({ data: rows(0, 4), n: 4, d, source: src });
    assert.equal(cloneIndex(withSource).source, withSource.source);
    requirePythonFaiss(this);
    for (const index of kinds) {
      const out = file('py');
      python(saved(index), [{ op: 'clone' }, { op: 'search', xq: XQ, k, out }]);
      assert.deepEqual(readNpy(`${out}.I.npy`).data, cloneIndex(index).search(xq, k).labels);
    }
    // Python's clone of an IndexHNSWFlat is a plain IndexHNSW, which faiss 1.7.3 cannot write.
    assert.throws(
      () => python(saved(kinds[1]), [{ op: 'clone' }, { op: 'write', path: file('clone.index') }]),
      /'h != 0' failed/,
    );
  });
});
