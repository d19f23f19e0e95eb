// The calls that used to kill the process (issue 13), one case each, with what
// must happen now. test/index-crash.test.ts runs them all in one child process
// (test/support/crash-child.ts), so a regression fails its case instead of
// taking mocha down. Results that matter are compared with brute force or with
// Python faiss.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rng } from '../../src/data/synthetic';
import {
  deserializeIndex,
  IDSelectorBatch,
  type Index,
  IndexFlat,
  IndexFlatL2,
  IndexHNSWFlat,
  IndexHNSWPQ,
  IndexHNSWSQ,
  IndexIDMap,
  IndexIDMap2,
  IndexIVF,
  IndexIVFFlat,
  IndexIVFPQ,
  IndexIVFScalarQuantizer,
  IndexPQ,
  IndexScalarQuantizer,
  indexFactory,
  knnBruteForce,
  MetricType,
  OMP_MAX_THREADS,
  ompGetMaxThreads,
  ompSetNumThreads,
  readIndex,
  ScalarQuantizer,
  SearchParameters,
  serializeIndex,
  writeIndex,
} from '../../src/internal';
import { valueLimit } from '../../src/util/check';
import { hasPythonFaiss, PYTHON } from './python';

/** A case returns nothing, a reason it was skipped, or a note for the log. */
// biome-ignore lint/suspicious/noConfusingVoidType: most cases return nothing, and TypeScript types that as void
export type Outcome = { skip?: string; note?: string } | void;
export type Case = () => Outcome | Promise<Outcome>;

const d = 8;
const r = rng(13);
/** n random vectors of d (uniform in [-1, 1)): distinct distances, no ties. */
function vectors(n: number, dim = d): Float32Array {
  return Float32Array.from({ length: n * dim }, () => r() * 2 - 1);
}
const xb = vectors(300);
const xq = vectors(10);
const ids = (n: number, from = 1000, step = 7) => BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i * step));

function refuses(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof Error, 'not an Error');
    assert.match(e.message, message);
    return true;
  });
}

/** An async method must return a promise that rejects, never throw synchronously. */
async function rejects(fn: () => unknown, message: RegExp): Promise<void> {
  let p: unknown;
  assert.doesNotThrow(() => {
    p = fn();
  }, 'threw synchronously instead of returning a rejected promise');
  assert.ok(p instanceof Promise, 'did not return a promise');
  await assert.rejects(p as Promise<unknown>, (e: Error) => {
    assert.match(e.message, message);
    return true;
  });
}

/** Exact labels: the index (searched exhaustively) must return brute force's labels, mapped through `idOf`. */
function sameAsBruteForce(
  index: Index,
  data: Float32Array,
  metric: MetricType,
  idOf: (i: number) => bigint = (i) => BigInt(i),
): void {
  const k = 5;
  const got = index.search(xq, k);
  const ref = knnBruteForce(data, xq, d, k, metric);
  assert.deepEqual(
    Array.from(got.labels),
    Array.from(ref.labels, (l) => (l < 0n ? -1n : idOf(Number(l)))),
  );
  for (let i = 0; i < got.distances.length; i++) {
    assert.ok(
      Math.abs(got.distances[i] - ref.distances[i]) <= 1e-4 * Math.max(1, Math.abs(ref.distances[i])),
      `distance ${i}`,
    );
  }
}

function trainedIVF(nlist = 4, q: Index = new IndexFlatL2(d)): IndexIVFFlat {
  const ivf = new IndexIVFFlat(q, d, nlist);
  ivf.train(xb);
  return ivf;
}

const READ_ONLY = /read-only while that index lives/;

// ---- damaged bytes --------------------------------------------------------------

/** Byte offsets of an HNSW buffer's tables (the layout faiss writes, L2 or IP: 33-byte header). */
function hnswLayout(b: Buffer): { neighbors: number; count: number; ntotal: number } {
  let p = 4 + 33;
  const vec = (size: number) => {
    const n = Number(b.readBigUInt64LE(p));
    const at = p + 8;
    p = at + n * size;
    return { at, n };
  };
  vec(8); // level probabilities
  vec(4); // neighbours per level
  vec(4); // levels
  vec(8); // offsets
  const nb = vec(4);
  return { neighbors: nb.at, count: nb.n, ntotal: Number(b.readBigInt64LE(4 + 4)) };
}

/** Every outcome of reading damaged bytes must be a refusal, or an index that searches and adds. */
function survives(bytes: Uint8Array): 'refused' | 'loaded' {
  let index: Index;
  try {
    index = deserializeIndex(bytes);
  } catch (e) {
    assert.ok(e instanceof Error && e.message.length > 0);
    return 'refused';
  }
  const k = 3;
  const q = vectors(4, index.d);
  const res = index.search(q, k);
  const n = index.ntotal;
  if (!(index instanceof IndexIDMap) && !(index instanceof IndexIVF)) {
    for (const l of res.labels) assert.ok(l >= -1n && l < BigInt(n), `label ${l} beyond ntotal=${n}`);
  }
  if (index instanceof IndexIDMap) index.addWithIds(q, ids(4, 5000));
  else if (index.isTrained) index.add(q);
  index.search(q, k);
  index.dispose();
  return 'loaded';
}

function flipSweep(bytes: Buffer, seed: number, stride = 1): { refused: number; loaded: number } {
  const g = rng(seed);
  const out = { refused: 0, loaded: 0 };
  const threads = ompGetMaxThreads();
  ompSetNumThreads(1); // thousands of tiny searches: waking an OpenMP team costs more than each
  try {
    for (let i = 0; i < bytes.length; i += stride) {
      const b = Buffer.from(bytes);
      b[i] ^= 1 << Math.floor(g() * 8);
      out[survives(b)]++;
    }
  } finally {
    ompSetNumThreads(threads);
  }
  return out;
}

// ---- Python faiss, for files it writes ------------------------------------------

function python(code: string): string {
  const res = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`python failed: ${res.stderr}`);
  return res.stdout;
}

export const CASES: Record<string, Case> = {
  // ---- an index another index is built on ----------------------------------------
  "quantizer: adding to an IVF's quantizer after training is refused; the IVF adds and searches exactly at nprobe=nlist"() {
    const q = new IndexFlatL2(d);
    const ivf = trainedIVF(4, q);
    refuses(
      () => q.add(xb),
      /cannot add to this IndexFlatL2: it is the quantizer of an IndexIVFFlat, .*read-only while that index lives\. Instead, train, add to or reset the IndexIVFFlat itself, or dispose\(\) the IndexIVFFlat first/,
    );
    assert.equal(q.ntotal, 4);
    ivf.add(xb);
    ivf.nprobe = 4;
    sameAsBruteForce(ivf, xb, MetricType.L2);
  },

  'quantizer: reset, train and removeIds on it are refused; after the IVF is disposed it is writable again'() {
    const q = new IndexFlatL2(d);
    const ivf = trainedIVF(4, q);
    refuses(() => q.reset(), /cannot reset this IndexFlatL2: it is the quantizer of an IndexIVFFlat/);
    refuses(() => q.train(xb), /cannot train this IndexFlatL2: it is the quantizer/);
    refuses(() => q.removeIds(BigInt64Array.of(0n)), /cannot remove ids from this IndexFlatL2: it is the quantizer/);
    assert.equal(q.search(xq, 1).labels.length, 10, 'searching the quantizer is fine');
    ivf.dispose();
    q.add(xb);
    assert.equal(q.ntotal, 304);
  },

  'quantizer: an IDMap, an IVF or an L1 index as quantizer is refused at construction'() {
    refuses(
      () => new IndexIVFFlat(new IndexIDMap(new IndexFlatL2(d)), d, 4),
      /the quantizer must be an IndexFlat .* or an IndexHNSWFlat, whose labels are the list numbers 0..nlist-1; an IndexIDMap is not one/,
    );
    refuses(() => new IndexIVFFlat(indexFactory(d, 'IVF2,Flat'), d, 4), /an IndexIVFFlat is not one/);
    refuses(
      () => new IndexIVFFlat(new IndexFlat(d, MetricType.L1), d, 4),
      /quantizers support MetricType.L2 and INNER_PRODUCT only, not L1/,
    );
  },

  'IDMap: adding to its inner index directly is refused; removeIds afterwards gives the right ids (brute force)'() {
    const inner = new IndexFlatL2(d);
    const idmap = new IndexIDMap(inner);
    idmap.addWithIds(xb, ids(300));
    refuses(
      () => inner.add(xq),
      /cannot add to this IndexFlatL2: it is the index inside an IndexIDMap, whose id table must stay in step with it, so it is read-only while that index lives\. Instead, use the IndexIDMap's addWithIds, removeIds, reset or train/,
    );
    refuses(() => inner.reset(), READ_ONLY);
    assert.equal(idmap.removeIds(ids(300).subarray(0, 100)), 100);
    sameAsBruteForce(idmap, xb.subarray(100 * d), MetricType.L2, (i) => ids(300)[100 + i]);
    idmap.dispose();
    inner.add(xq);
  },

  'views: the quantizer and index inside factory-made indexes are read-only; their query knobs still work'() {
    const ivf = indexFactory(d, 'IDMap,IVF4_HNSW8,Flat') as IndexIDMap;
    const inner = ivf.index as IndexIVFFlat;
    const q = inner.quantizer;
    assert.ok(q instanceof IndexHNSWFlat);
    ivf.train(xb);
    refuses(
      () => q.add(xb),
      /cannot add to this IndexHNSWFlat: it is the quantizer of an IndexIVFFlat.*Instead, train, add to or reset the IndexIVFFlat itself$/,
    );
    refuses(() => inner.add(xb), /it is the index inside an IndexIDMap/);
    q.setQueryArguments({ efSearch: 64 });
    inner.nprobe = 4;
    ivf.addWithIds(xb, ids(300));
    sameAsBruteForce(ivf, xb, MetricType.L2, (i) => ids(300)[i]);
  },

  'shared: two IVFs on one empty quantizer cannot train it; one holding nlist centroids serves both (brute force)'() {
    const q = new IndexFlatL2(d);
    const a = new IndexIVFFlat(q, d, 4);
    const b = new IndexIVFFlat(q, d, 8);
    refuses(
      () => a.train(xb),
      /cannot train this IndexIVFFlat: that changes its quantizer \(an IndexFlatL2\), which is also the quantizer of an IndexIVFFlat\. Build each index on an index of its own/,
    );
    a.dispose();
    b.dispose();
    const centroids = trainedIVF(4).quantizer.reconstruct(0);
    assert.equal(centroids.length, d);
    const q4 = new IndexFlatL2(d);
    const owner = trainedIVF(4, q4);
    const second = new IndexIVFFlat(q4, d, 4);
    assert.equal(second.isTrained, true);
    second.train(xb); // keeps the 4 centroids: no write into the shared quantizer
    for (const ivf of [owner, second]) {
      ivf.add(xb);
      ivf.nprobe = 4;
      sameAsBruteForce(ivf, xb, MetricType.L2);
    }
  },

  "shared: an IVF built on an IDMap's inner index can write into it no more than the IDMap can"() {
    const idmap = indexFactory(d, 'IDMap,Flat') as IndexIDMap;
    const ivf = new IndexIVFFlat(idmap.index, d, 4);
    refuses(
      () => ivf.train(xb),
      /cannot train this IndexIVFFlat: that changes its quantizer \(an IndexFlat\), which is also the index inside an IndexIDMap/,
    );
    refuses(
      () => idmap.addWithIds(xb, ids(300)),
      /cannot add to this IndexIDMap: that changes its inner index \(an IndexFlat\), which is also the quantizer of an IndexIVFFlat/,
    );
    ivf.dispose();
    idmap.addWithIds(xb, ids(300));
    sameAsBruteForce(idmap, xb, MetricType.L2, (i) => ids(300)[i]);
  },

  // ---- values whose distances overflow float32 --------------------------------------
  'huge values (1e20, 3e38) in train, add, addWithIds and search are refused with the largest |value| and the limit'() {
    const x = xb.slice();
    x[3 * d + 5] = 1e20;
    x[7 * d + 1] = -3e38;
    const ivf = indexFactory(d, 'IVF4,Flat');
    const msg =
      /x holds -3e\+38 at row 7, column 1, its largest \|value\|: with d=8, faiss's squared distances overflow float32 \(to Infinity, then NaN\) for values beyond ±1\.63e\+18: scale the vectors down/;
    refuses(() => ivf.train(x), msg);
    ivf.train(xb);
    refuses(() => ivf.add(x), msg);
    refuses(() => ivf.addWithIds(x, ids(300)), msg);
    refuses(() => new IndexHNSWFlat(d, 8, MetricType.L1).add(x), msg);
    ivf.add(xb);
    const q = xq.slice();
    q[2] = 1e19;
    refuses(() => ivf.search(q, 3), /xq holds 1e\+19 at row 0, column 2, its largest \|value\|/);
    refuses(
      () => ivf.search(Float32Array.of(1, 2, 3, 4, 5, 6, 7, NaN), 3),
      /xq contains NaN at row 0, column 7: vectors must be finite numbers/,
    );
    assert.equal(ivf.ntotal, 300);
  },

  'values just below the limit: exact search matches float64 brute force, IVF and HNSW build'() {
    const limit = valueLimit(d);
    const big = Float32Array.from(xb, (v) => Math.fround(v * limit));
    const flat = new IndexFlatL2(d);
    flat.add(big);
    const res = flat.search(big.subarray(0, 10 * d), 5);
    const ref = knnBruteForce(big, big.subarray(0, 10 * d), d, 5, MetricType.L2);
    assert.deepEqual(res.labels, ref.labels);
    for (const v of res.distances) assert.ok(Number.isFinite(v) && v >= 0, `distance ${v}`);
    for (const desc of ['IVF4,Flat', 'HNSW8', 'IDMap2,IVF4_HNSW4,Flat']) {
      for (const metric of [MetricType.L2, MetricType.INNER_PRODUCT]) {
        const index = indexFactory(d, desc, metric);
        index.train(big);
        if (index instanceof IndexIDMap) index.addWithIds(big, ids(300));
        else index.add(big);
        const got = index.search(big.subarray(0, 10 * d), 5);
        for (let i = 0; i < got.distances.length; i++)
          assert.ok(Number.isFinite(got.distances[i]), `${desc}: distance ${got.distances[i]}`);
      }
    }
  },

  'small and degenerate IVF training sets (n = nlist, duplicates, zeros, tiny values) train, add and search'() {
    const g = rng(7);
    for (let t = 0; t < 60; t++) {
      const nlist = 1 + Math.floor(g() * 8);
      const n = nlist + Math.floor(g() * 6);
      const kind = t % 4;
      const x = Float32Array.from({ length: n * d }, () =>
        kind === 0 ? 0 : kind === 1 ? Math.floor(g() * 2) : kind === 2 ? (g() - 0.5) * 1e-30 : (g() - 0.5) * 1e15,
      );
      for (const desc of [`IVF${nlist},Flat`, `IVF${nlist}_HNSW2,Flat`]) {
        const ivf = indexFactory(d, desc, t % 3 === 0 ? MetricType.INNER_PRODUCT : MetricType.L2) as IndexIVFFlat;
        ivf.train(x);
        ivf.add(x);
        ivf.nprobe = nlist;
        const res = ivf.search(x, 3);
        for (const l of res.labels) assert.ok(l >= -1n && l < BigInt(n));
        ivf.dispose();
      }
    }
  },

  // ---- factory strings --------------------------------------------------------------
  'factory: strings whose parameters crash faiss are refused with the reason'() {
    const cases: Array<[string, MetricType, RegExp]> = [
      [
        'HNSW0',
        MetricType.L2,
        /HNSW's M must be between 2 and 512, not 0 \(faiss's HNSW with M=0 crashes on add, with M=1 it loops forever\)/,
      ],
      ['HNSW1', MetricType.L2, /HNSW's M must be between 2 and 512, not 1/],
      ['IVF0,Flat', MetricType.L2, /nlist must be between 1 and 1048576, not 0 \(faiss divides by zero with nlist=0\)/],
      ['IVF4_HNSW1,Flat', MetricType.L2, /the quantizer's HNSW M must be between 2 and 512, not 1/],
      [
        'PQ2x0',
        MetricType.L2,
        /the PQ's nbits \(bits per sub-quantizer code\) of an IndexPQ must be between 1 and 16, not 0 \(faiss 1\.7\.3 divides by zero/,
      ],
      ['PQ8x99', MetricType.L2, /the PQ's nbits .* must be between 1 and 16, not 99/],
      ['PQ3', MetricType.L2, /the PQ's M \(sub-quantizers\) must divide d=8, not 3: .*M could be 1, 2, 4, 8/],
      [
        'IVF4,PQ2x9',
        MetricType.L2,
        /of an IndexIVFPQ must be between 1 and 8, not 9 \(faiss 1\.7\.3's IndexIVFPQ refuses more than 8/,
      ],
      ['PQ2x12', MetricType.L2, /PQ2x12 without np asks for polysemous training, .* write PQ2x12np/],
      [
        'PQ2',
        MetricType.L1,
        /IndexPQ supports MetricType\.L2 and INNER_PRODUCT only, not L1 \(faiss 1\.7\.3's PQ search silently takes/,
      ],
      ['SQ8', MetricType.Linf, /IndexScalarQuantizer supports MetricType\.L2 and INNER_PRODUCT only, not Linf/],
      [
        'IVF4,SQ8',
        MetricType.L1,
        /IndexIVFScalarQuantizer supports MetricType\.L2 and INNER_PRODUCT only, not L1 \(faiss 1\.7\.3 aborts/,
      ],
      [
        'SQ8_direct',
        MetricType.L2,
        /not an index this lab builds \(scalar quantizers here are SQ4, SQ6, SQ8 and SQfp16/,
      ],
      [
        'NSG0,Flat',
        MetricType.L2,
        /not an index this lab builds \(faiss 1\.7\.3 divides by zero building an NSG graph/,
      ],
      ['NSG8', MetricType.L2, /NSG graph/],
      [
        'HNSW8_SQ8',
        MetricType.L1,
        /IndexHNSWSQ supports MetricType\.L2 and INNER_PRODUCT only, not L1 \(faiss 1\.7\.3's scalar quantizer throws on other metrics inside HNSW's parallel add/,
      ],
      [
        'HNSW8_PQ2',
        MetricType.INNER_PRODUCT,
        /IndexHNSWPQ supports MetricType\.L2 only, not INNER_PRODUCT \(faiss 1\.7\.3 builds an IndexHNSWPQ's storage by L2 whatever the metric, so it would silently search by L2\)/,
      ],
      ['HNSW8,PQ2x4', MetricType.L2, /of an IndexHNSWPQ must be 8, not 4/],
      [
        'IVF4,Flat',
        MetricType.L1,
        /IVF indexes support MetricType\.L2 and INNER_PRODUCT only, not L1 \(faiss 1\.7\.3 aborts the process on IVF with L1\/Linf\)/,
      ],
      ['IDMap,IDMap,Flat', MetricType.L2, /one IDMap or IDMap2 around one index/],
      ['IVF4', MetricType.L2, /an IVF index needs its storage after a comma, e\.g\. "IVF4,Flat"/],
      ['IVF99999999999,Flat', MetricType.L2, /nlist must be between 1 and 1048576, not 99999999999/],
      ['IVF4, Flat', MetricType.L2, /factory strings have no spaces/],
      ['PCA4,Flat', MetricType.L2, /vector transforms are not supported/],
      ['Flat,RFlat', MetricType.L2, /not an index this lab builds/],
    ];
    for (const [desc, metric, re] of cases) {
      refuses(
        () => indexFactory(d, desc, metric),
        new RegExp(
          `^indexFactory\\(8, ${JSON.stringify(desc).replace(/[()[\]\\.^$|?*+{}]/g, '\\$&')}\\): .*` + re.source,
        ),
      );
    }
  },

  'factory: every listed form builds with each listed metric and finds the exact neighbours exhaustively'() {
    const forms: Array<[string, MetricType[]]> = [
      ['Flat', [MetricType.L2, MetricType.INNER_PRODUCT, MetricType.L1, MetricType.Linf]],
      ['HNSW', [MetricType.L2, MetricType.INNER_PRODUCT, MetricType.L1, MetricType.Linf]],
      ['HNSW16,Flat', [MetricType.L2]],
      ['IVF4,Flat', [MetricType.L2, MetricType.INNER_PRODUCT]],
      ['IVF4_HNSW8,Flat', [MetricType.L2, MetricType.INNER_PRODUCT]],
      ['IDMap,Flat', [MetricType.L1]],
      ['IDMap2,HNSW8', [MetricType.Linf]],
      ['Flat,IDMap2', [MetricType.L2]],
      ['IDMap,IVF4,Flat', [MetricType.INNER_PRODUCT]],
    ];
    for (const [desc, metrics] of forms) {
      for (const metric of metrics) {
        const index = indexFactory(d, desc, metric);
        index.train(xb);
        if (index instanceof IndexIDMap) index.addWithIds(xb, ids(300));
        else index.add(xb);
        const inner = index instanceof IndexIDMap ? index.index : index;
        if (inner instanceof IndexIVF) inner.nprobe = inner.nlist;
        if (inner instanceof IndexHNSWFlat) inner.hnsw.efSearch = 300;
        sameAsBruteForce(index, xb, metric, index instanceof IndexIDMap ? (i) => ids(300)[i] : undefined);
      }
    }
  },

  // ---- IDMap semantics --------------------------------------------------------------
  "IDMap over an IVF: removeIds is refused with the reason; the IVF's own ids work (brute force)"() {
    const m = indexFactory(d, 'IDMap,IVF4,Flat') as IndexIDMap;
    m.train(xb);
    m.addWithIds(xb, ids(300));
    refuses(
      () => m.removeIds(ids(2)),
      /this IndexIDMap over an IndexIVFFlat cannot remove ids: the IndexIVFFlat keeps the numbers of its other vectors when some are removed.*An IVF index stores ids itself: use its addWithIds\(x, ids\) and removeIds\(ids\) without an IDMap/,
    );
    const ivf = trainedIVF(4);
    ivf.addWithIds(xb, ids(300));
    assert.equal(ivf.removeIds(ids(300).subarray(0, 50)), 50);
    ivf.nprobe = 4;
    sameAsBruteForce(ivf, xb.subarray(50 * d), MetricType.L2, (i) => ids(300)[50 + i]);
    assert.equal(ivf.removeIds(ids(300).subarray(40, 60)), 10);
  },

  'IDMap2: reset forgets the ids; removeIds keeps reconstruct right; IDMap cannot reconstruct'() {
    const m = new IndexIDMap2(new IndexFlatL2(d));
    m.addWithIds(xb, ids(300));
    assert.deepEqual(m.reconstruct(1000 + 7 * 5), xb.slice(5 * d, 6 * d));
    m.removeIds(ids(300).subarray(0, 3));
    assert.deepEqual(m.reconstruct(1000 + 7 * 5), xb.slice(5 * d, 6 * d));
    refuses(() => m.reconstruct(1000), /key 1000 not found/);
    m.reset();
    refuses(() => m.reconstruct(1000 + 7 * 5), /key 1035 not found/);
    refuses(
      () => new IndexIDMap(new IndexFlatL2(d)).reconstruct(1),
      /IndexIDMap keeps no table from ids to vectors: build an IndexIDMap2/,
    );
  },

  // ---- integers ---------------------------------------------------------------------
  'integers: values beyond the C type are refused, never truncated (d, M, nlist, k, nprobe, efSearch, efConstruction, key)'() {
    for (const bad of [2 ** 32 + 4, 2 ** 31, 2 ** 53, -1, 0, 1.5, NaN, Infinity, '8', 8n]) {
      const re = /for d but received/;
      refuses(() => new IndexFlatL2(bad as number), re);
      refuses(() => new IndexFlat(bad as number, MetricType.L1), re);
      refuses(() => new IndexHNSWFlat(bad as number, 8), re);
      refuses(() => new IndexIVFFlat(new IndexFlatL2(d), bad as number, 4), /for d but received|quantizer has d=8/);
      refuses(() => indexFactory(bad as number, 'Flat'), re);
    }
    refuses(
      () => new IndexFlatL2(2 ** 32 + 4),
      /Expected an integer >= 1 and <= 2147483647 \(faiss keeps d in a 32-bit C int\) for d but received 4294967300/,
    );
    refuses(() => new IndexFlatL2(2 ** 31), /received 2147483648/);
    refuses(() => new IndexHNSWFlat(d, 2 ** 32 + 16), /Expected an integer between 2 and 512 for M/);
    refuses(
      () => new IndexIVFFlat(new IndexFlatL2(d), d, 2 ** 32 + 4),
      /Expected an integer between 1 and 1048576 for nlist/,
    );
    const hnsw = new IndexHNSWFlat(d, 8);
    hnsw.add(xb);
    refuses(() => hnsw.search(xq, 2 ** 32 + 1), /for k but received 4294967297/);
    refuses(() => {
      hnsw.hnsw.efSearch = 2 ** 32 + 16;
    }, /for hnsw\.efSearch/);
    refuses(() => {
      hnsw.hnsw.efConstruction = 2 ** 31;
    }, /for hnsw\.efConstruction/);
    refuses(() => hnsw.reconstruct(2 ** 53), /for key/);
    const ivf = trainedIVF();
    refuses(() => {
      ivf.nprobe = 2 ** 32 + 1;
    }, /for nprobe/);
    assert.equal(new IndexFlatL2(2 ** 31 - 1).d, 2 ** 31 - 1);
    // Thousands of OpenMP threads can exceed the thread limit, and libgomp then ends the process.
    refuses(
      () => ompSetNumThreads(100_000),
      /Expected an integer between 1 and \d+ for n \(threads, at most 4 per core\)/,
    );
    refuses(() => ompSetNumThreads(OMP_MAX_THREADS + 1), /for n \(threads/);
    // Straight into the addon, the same numbers are refused too.
    const native = hnsw.native as unknown as Record<string, (...a: unknown[]) => unknown>;
    refuses(
      () => native.search(xq, 2 ** 32 + 1, new Float32Array(10), new BigInt64Array(10)),
      /k must be an integer between 1 and 1048576/,
    );
    refuses(() => native.setParam('efSearch', 2 ** 32 + 16), /value must be an integer between 1 and 1073741824/);
  },

  // ---- async ------------------------------------------------------------------------
  async 'async methods always return a promise: bad arguments reject it'() {
    const flat = new IndexFlatL2(d);
    const idmap = new IndexIDMap(new IndexFlatL2(d));
    const ivf = new IndexIVFFlat(new IndexFlatL2(d), d, 4);
    await rejects(() => flat.addAsync(new Float32Array(3)), /multiple of d=8/);
    await rejects(() => flat.trainAsync(undefined as unknown as Float32Array), /Expected a Float32Array/);
    await rejects(() => flat.addWithIdsAsync(xb, ids(300)), /IndexFlatL2 does not store ids/);
    await rejects(() => idmap.addWithIdsAsync(xb, ids(3)), /one id per vector/);
    await rejects(() => idmap.addAsync(), /IndexIDMap needs ids: use addWithIdsAsync/);
    await rejects(() => flat.searchAsync(xq, 0), /for k/);
    await rejects(() => ivf.addAsync(xb), /IndexIVFFlat is not trained/);
    await rejects(() => ivf.quantizer.trainAsync(xb), READ_ONLY);
    flat.dispose();
    await rejects(() => flat.searchAsync(xq, 1), /this index was disposed/);
  },

  async 'async calls work on a copy: vectors overwritten while they run cannot reach faiss'() {
    const x = xb.slice();
    const ivf = indexFactory(d, 'IVF4,Flat') as IndexIVFFlat;
    const training = ivf.trainAsync(x);
    x.fill(1e30); // k-means on these would overflow and write out of bounds
    await training;
    const y = xb.slice();
    const adding = ivf.addAsync(y);
    y.fill(NaN);
    await adding;
    ivf.nprobe = 4;
    const q = xq.slice();
    const searching = ivf.searchAsync(q, 5);
    q.fill(-3e38);
    const res = await searching;
    for (const c of [0, 1, 2, 3])
      assert.ok(
        ivf.quantizer.reconstruct(c).every((v) => Math.abs(v) <= 1),
        'centroid from the overwritten data',
      );
    assert.equal(ivf.ntotal, 300);
    assert.ok(res.distances.every((v) => Number.isFinite(v)));
    sameAsBruteForce(ivf, xb, MetricType.L2);
  },

  // ---- files and buffers ----------------------------------------------------------
  'writeIndex and readIndex refuse a path with a NUL byte and leave no file behind'() {
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'lab-crash-'));
    const flat = new IndexFlatL2(d);
    flat.add(xb);
    refuses(
      () => writeIndex(flat, path.join(dir, 'a\0b.index')),
      /file contains a NUL byte \(\\0\), which no file name can hold: remove it/,
    );
    refuses(() => readIndex(path.join(dir, 'a\0b.index')), /file contains a NUL byte/);
    assert.deepEqual(fs.readdirSync(dir), []);
    writeIndex(flat, path.join(dir, 'ok.index'));
    assert.deepEqual(fs.readdirSync(dir), ['ok.index']);
    assert.deepEqual(readIndex(path.join(dir, 'ok.index')).search(xq, 3), flat.search(xq, 3));
    fs.rmSync(dir, { recursive: true, force: true });
  },

  'damaged buffers: every truncation of a Flat, HNSW, IVF and IDMap2 buffer is refused'() {
    for (const desc of ['Flat', 'HNSW4', 'IVF4_HNSW4,Flat', 'IDMap2,IVF4,Flat']) {
      const index = indexFactory(d, desc);
      index.train(xb);
      if (index instanceof IndexIDMap) index.addWithIds(xb.subarray(0, 40 * d), ids(40));
      else index.add(xb.subarray(0, 40 * d));
      const bytes = serializeIndex(index);
      for (let n = 1; n < bytes.length; n++) {
        refuses(
          () => deserializeIndex(bytes.subarray(0, n)),
          /^cannot deserialize a faiss index from Buffer\(\d+\) \(truncated, or not a faiss index\?\): /,
        );
      }
      refuses(
        () => deserializeIndex(Buffer.concat([bytes, Buffer.from([0])])),
        /1 bytes follow the index: damaged, or not one index/,
      );
    }
  },

  'damaged buffers: each byte of HNSW, IVF and IDMap2 buffers flipped: refused, or an index that searches and adds'() {
    const counts: Record<string, { refused: number; loaded: number }> = {};
    for (const [desc, metric] of [
      ['HNSW4', MetricType.L2],
      ['IVF4_HNSW4,Flat', MetricType.INNER_PRODUCT],
      ['IDMap2,HNSW4', MetricType.L1],
    ] as const) {
      const index = indexFactory(4, desc, metric);
      const x = vectors(40, 4);
      index.train(x);
      if (index instanceof IndexIDMap) index.addWithIds(x, ids(40));
      else index.add(x);
      counts[desc] = flipSweep(serializeIndex(index), desc.length);
    }
    // Today: most flips in a table are refused; flips in vector values load (and search).
    for (const c of Object.values(counts)) assert.ok(c.refused > 0 && c.loaded > 0, JSON.stringify(counts));
    return { note: JSON.stringify(counts) };
  },

  'damaged buffers: the cases seen (neighbours beyond ntotal, IDMap2 with ntotal -1, labels beyond the id table) are refused'() {
    const hnsw = new IndexHNSWFlat(d, 4);
    hnsw.add(xb.subarray(0, 50 * d));
    const good = serializeIndex(hnsw);
    const lay = hnswLayout(good);
    const b1 = Buffer.from(good);
    b1.writeInt32LE(lay.ntotal + 1000, lay.neighbors + 4);
    refuses(() => deserializeIndex(b1), /neighbour 1050 of vector 0 at level 0 is not a vector \(ntotal=50\)/);

    const m2 = indexFactory(d, 'IDMap2,Flat') as IndexIDMap;
    m2.addWithIds(xb, ids(300));
    const b2 = Buffer.from(serializeIndex(m2));
    b2.writeBigInt64LE(-1n, 8);
    refuses(() => deserializeIndex(b2), /the index's ntotal is -1, outside \[0, 9007199254740991\] \(at byte 8 of/);

    // An IDMap over an IVF whose lists hold ids beyond the table (Python: remove_ids on IDMap(IVF)).
    const m = indexFactory(d, 'IDMap,IVF4,Flat') as IndexIDMap;
    m.train(xb);
    m.addWithIds(xb, ids(300));
    const ivfCustom = trainedIVF(4);
    ivfCustom.addWithIds(
      xb,
      BigInt64Array.from({ length: 300 }, (_, i) => BigInt(i + 5)),
    );
    const mb = serializeIndex(m);
    const inner = serializeIndex(ivfCustom);
    const forged = Buffer.concat([mb.subarray(0, 37), inner, mb.subarray(37 + inner.length)]);
    refuses(() => deserializeIndex(forged), /the index's IVF holds label 30\d, beyond its table of 300 ids/);
    refuses(() => deserializeIndex(Buffer.from('IxF2 garbage garbage garbage')), /the index's ntotal is \d+, outside/);
    refuses(
      () => deserializeIndex(Buffer.from('IxPQ not one the lab reads')),
      /index type "IxPQ" of the index not recognized: this lab reads IndexFlat, IndexHNSWFlat, IndexIVFFlat, IndexPQ, .* and IndexIDMap\/IndexIDMap2 over them/,
    );
  },

  'files written by Python faiss (IVF with a direct map, IVF_HNSW, IDMap2, HNSW by IP and L1) read and search as in Python'() {
    if (!hasPythonFaiss()) {
      if (process.env.CI)
        throw new Error(`${PYTHON} with faiss and numpy not found (apt-get install python3-faiss python3-numpy)`);
      return { skip: 'Python faiss not found' };
    }
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'lab-crash-py-'));
    fs.writeFileSync(path.join(dir, 'xb.f32'), Buffer.from(xb.buffer));
    fs.writeFileSync(path.join(dir, 'xq.f32'), Buffer.from(xq.buffer));
    const out = JSON.parse(
      python(`
import faiss, numpy as np, json
d = ${d}
xb = np.fromfile('${dir}/xb.f32', dtype='float32').reshape(-1, d)
xq = np.fromfile('${dir}/xq.f32', dtype='float32').reshape(-1, d)
res = {}
def save(name, index):
    faiss.write_index(index, '${dir}/' + name + '.index')
    D, I = index.search(xq, 5)
    res[name] = I.tolist()
ivf = faiss.index_factory(d, 'IVF4,Flat'); ivf.train(xb); ivf.add(xb); ivf.make_direct_map(); ivf.nprobe = 4; save('ivf_dm', ivf)
ivf = faiss.index_factory(d, 'IVF4,Flat', faiss.METRIC_INNER_PRODUCT); ivf.train(xb); ivf.add_with_ids(xb, np.arange(300) * 3); ivf.set_direct_map_type(faiss.DirectMap.Hashtable); ivf.nprobe = 4; save('ivf_hash', ivf)
h = faiss.index_factory(d, 'IVF4_HNSW8,Flat'); h.train(xb); h.add(xb); faiss.extract_index_ivf(h).nprobe = 4; save('ivf_hnsw', h)
m = faiss.index_factory(d, 'IDMap2,Flat'); m.add_with_ids(xb, np.arange(300) * 10 + 7); m.remove_ids(np.array([7, 17], dtype='int64')); save('idmap2', m)
for name, metric in [('hnsw_ip', faiss.METRIC_INNER_PRODUCT), ('hnsw_l1', faiss.METRIC_L1)]:
    h = faiss.IndexHNSWFlat(d, 8, metric); h.add(xb); h.hnsw.efSearch = 64; save(name, h)
print(json.dumps(res))
`),
    );
    for (const [name, labels] of Object.entries(out as Record<string, number[][]>)) {
      const index = readIndex(path.join(dir, `${name}.index`));
      assert.deepEqual(Array.from(index.search(xq, 5).labels, Number), labels.flat(), name);
      if (name === 'ivf_dm') assert.deepEqual((index as IndexIVF).reconstruct(12), xb.slice(12 * d, 13 * d));
      if (name === 'idmap2') assert.deepEqual(index.reconstruct(27), xb.slice(2 * d, 3 * d));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  },

  'selectors: a flat L2 search for k = 1 whose selector selects no vector answers -1 (faiss 1.7.3: label 0 at Infinity)'() {
    const flat = new IndexFlatL2(d);
    flat.add(xb.subarray(0, 20 * d));
    const none = new IDSelectorBatch([500, 700]);
    for (const k of [1, 2]) {
      const res = flat.search(xq, k, new SearchParameters({ sel: none }));
      assert.ok(
        res.labels.every((l) => l === -1n),
        `k=${k}: ${res.labels}`,
      );
      assert.ok(
        res.distances.every((v) => v === 3.4028234663852886e38),
        `k=${k}: ${res.distances}`,
      );
    }
    // Some queries' best is selected, so k = 1 still finds it (label 0 included, when selected).
    const some = flat.search(xq, 1, new SearchParameters({ sel: new IDSelectorBatch([0, 3]) }));
    const ref = knnBruteForce(xb.subarray(0, 20 * d), xq, d, 20, MetricType.L2);
    for (let q = 0; q < xq.length / d; q++) {
      const best = Array.from(ref.labels.subarray(q * 20, (q + 1) * 20)).find((l) => l === 0n || l === 3n);
      assert.equal(some.labels[q], best);
    }
  },

  // ---- product and scalar quantizers -------------------------------------------------

  'quantizers: constructor parameters that crash faiss 1.7.3 are refused, also straight into the addon'() {
    refuses(() => new IndexPQ(8, 3), /the PQ's M \(sub-quantizers\) must divide d=8, not 3/);
    refuses(
      () => new IndexPQ(8, 2, 0),
      /nbits .* of an IndexPQ must be between 1 and 16, not 0 \(faiss 1\.7\.3 divides by zero/,
    );
    refuses(() => new IndexPQ(8, 2, 99), /must be between 1 and 16, not 99/);
    refuses(() => new IndexPQ(8, 0), /M \(sub-quantizers\) of an IndexPQ must be an integer between 1 and d=8, not 0/);
    refuses(
      () => new IndexPQ(8, 2, 8, MetricType.L1),
      /IndexPQ supports MetricType\.L2 and INNER_PRODUCT only, not L1/,
    );
    refuses(() => new IndexIVFPQ(new IndexFlatL2(8), 8, 4, 2, 9), /of an IndexIVFPQ must be between 1 and 8, not 9/);
    refuses(
      () => new IndexHNSWSQ(8, ScalarQuantizer.QT_8bit, 16, MetricType.L1),
      /IndexHNSWSQ supports .* not L1 \(faiss 1\.7\.3's scalar quantizer throws on other metrics inside HNSW's parallel add/,
    );
    refuses(
      () => new IndexScalarQuantizer(8, 5 as 0),
      /Expected a ScalarQuantizer type \(ScalarQuantizer\.QT_8bit, .*\) for qtype but received 5/,
    );
    refuses(() => new IndexHNSWPQ(8, 3, 16), /must divide d=8, not 3/);
    refuses(
      () => new IndexIVFScalarQuantizer(new IndexFlatL2(8), 8, 4, ScalarQuantizer.QT_8bit, MetricType.Linf),
      /not Linf \(faiss 1\.7\.3 aborts the process on IVF/,
    );
    // The addon checks what would take the process down even without the TS layer.
    const addon = require('faiss-lab-native') as typeof import('faiss-lab-native');
    refuses(() => addon.newPQ(8, 2, 0, 1), /nbits must be an integer between 1 and 16/);
    refuses(() => addon.newPQ(8, 3, 8, 1), /M=3 must divide d=8/);
    refuses(() => addon.newPQ(8, 0, 8, 1), /M must be an integer between 1 and 8/);
    refuses(() => addon.newHNSWSQ(8, 0, 16, 2), /metric must be L2 or INNER_PRODUCT/);
    refuses(() => addon.newSQ(8, 5, 1), /QT_8bit_direct is not supported/);
  },

  'quantizers: training sets faiss 1.7.3 cannot take are refused before it starts (nothing half-trained)'() {
    const pq = new IndexPQ(d, 2, 8);
    refuses(
      () => pq.train(xb.subarray(0, 100 * d)),
      /this IndexPQ trains 2\^nbits=256 centroids per sub-quantizer: it needs at least 256 training vectors, not 100/,
    );
    const ivfpq = new IndexIVFPQ(new IndexFlatL2(d), d, 4, 2, 8);
    ivfpq.train(xb); // 300 >= 256: trains (faiss warns below 39 per centroid)
    assert.ok(ivfpq.isTrained);
    // With fewer, an IVFPQ would train its quantizer, then throw in the PQ's k-means: refused first, nothing trained.
    const small = new IndexIVFPQ(new IndexFlatL2(d), d, 4, 2, 8);
    refuses(() => small.train(xb.subarray(0, 100 * d)), /needs at least 256 training vectors, not 100/);
    assert.equal(small.quantizer.ntotal, 0);
    assert.equal(small.isTrained, false);
    // An SQ learns its ranges from the first vector on, without looking: none is refused.
    for (const sq of [new IndexScalarQuantizer(d), new IndexHNSWSQ(d, ScalarQuantizer.QT_4bit, 8)]) {
      refuses(
        () => sq.train(new Float32Array(0)),
        /learns each component's range from its training vectors: it needs at least 1 training vectors, not 0/,
      );
    }
    // Training again with codes stored would decode them to other vectors.
    const sq = new IndexScalarQuantizer(d);
    sq.train(xb);
    sq.add(xb);
    refuses(
      () => sq.train(xb),
      /holds 300 vectors encoded with its current ranges: training again .* reset\(\) it first/,
    );
    sq.reset();
    sq.train(xb);
  },

  'quantizers: SQfp16 refuses values beyond a half float (they would become Infinity and distances NaN)'() {
    const fp16 = new IndexScalarQuantizer(d, ScalarQuantizer.QT_fp16, MetricType.INNER_PRODUCT);
    const x = xb.slice(0, 10 * d);
    x[3 * d + 2] = 7e4;
    refuses(
      () => fp16.add(x),
      /x holds 70000 at vector 3, component 2, but this IndexScalarQuantizer stores 16-bit floats \(QT_fp16\), which hold \|v\| <= 65504/,
    );
    const ivf = indexFactory(d, 'IDMap,IVF4,SQfp16');
    ivf.train(xb);
    x[3 * d + 2] = 4e4;
    refuses(() => ivf.addWithIds(x, ids(10)), /it encodes v - centroid, so \|v\| <= 32752 here/);
    x[3 * d + 2] = 3e4;
    ivf.addWithIds(x, ids(10));
    const res = ivf.search(xq, 3);
    assert.ok(res.distances.every((v) => Number.isFinite(v)));
  },

  'quantizers: saDecode of codes naming a list beyond nlist is refused (faiss 1.7.3 throws inside a parallel loop: abort)'() {
    for (const desc of ['IVF4,PQ2x4np', 'IVF300,SQ8']) {
      const ivf = indexFactory(d, desc) as IndexIVFPQ;
      ivf.train(xb);
      const codes = ivf.saEncode(xb.subarray(0, 3 * d));
      assert.equal(codes.length, 3 * ivf.saCodeSize);
      codes[ivf.saCodeSize] = 250; // code 1's list number (little-endian, first byte)
      if (desc.startsWith('IVF300')) codes[ivf.saCodeSize + 1] = 1;
      refuses(() => ivf.saDecode(codes), /code 1 names list (250|506), but the index has nlist=(4|300)/);
      refuses(() => ivf.saDecode(codes.subarray(1)), /not a multiple of this IndexIVF\w+'s saCodeSize/);
    }
  },

  'damaged buffers: every truncation of PQ, SQ, IVFPQ, IVFSQ, HNSWSQ and HNSWPQ buffers is refused'() {
    for (const desc of [
      'PQ2x4np',
      'SQ8',
      'SQfp16',
      'IVF4,PQ2x4np',
      'IVF4,SQ4',
      'HNSW4,SQ6',
      'HNSW4,PQ2np',
      'IDMap2,SQ8',
    ]) {
      const index = indexFactory(d, desc);
      index.train(xb);
      if (index instanceof IndexIDMap) index.addWithIds(xb.subarray(0, 20 * d), ids(20));
      else index.add(xb.subarray(0, 20 * d));
      const bytes = serializeIndex(index);
      for (let n = 1; n < bytes.length; n += n < 400 ? 1 : 7) {
        refuses(
          () => deserializeIndex(bytes.subarray(0, n)),
          /^cannot deserialize a faiss index from Buffer\(\d+\) \(truncated, or not a faiss index\?\): /,
        );
      }
      const back = deserializeIndex(bytes);
      assert.deepEqual(back.search(xq, 3).labels, index.search(xq, 3).labels, desc);
    }
  },

  'damaged buffers: each byte of PQ, SQ, IVFPQ, IVFSQ, HNSWSQ and HNSWPQ buffers flipped: refused, or an index that searches and adds'() {
    const counts: Record<string, { refused: number; loaded: number }> = {};
    for (const [desc, metric] of [
      ['PQ2x4np', MetricType.L2],
      ['SQ8', MetricType.INNER_PRODUCT],
      ['SQfp16', MetricType.L2],
      ['IVF2,PQ2x4np', MetricType.INNER_PRODUCT],
      ['IVF2,SQ4', MetricType.L2],
      ['HNSW4,SQ8', MetricType.INNER_PRODUCT],
    ] as const) {
      const index = indexFactory(4, desc, metric);
      const x = vectors(40, 4);
      index.train(x);
      index.add(x);
      counts[desc] = flipSweep(serializeIndex(index), desc.length);
    }
    // HNSWPQ: 256 centroids per sub-quantizer (4 KB); every fourth byte.
    const hpq = indexFactory(4, 'HNSW4,PQ2np');
    const x = vectors(300, 4);
    hpq.train(x);
    hpq.add(x.subarray(0, 40 * 4));
    const b = serializeIndex(hpq);
    counts['HNSW4,PQ2np'] = flipSweep(Buffer.from(b), 7, 4);
    for (const c of Object.values(counts)) assert.ok(c.refused > 0 && c.loaded > 0, JSON.stringify(counts));
    return { note: JSON.stringify(counts) };
  },

  'damaged buffers: forged quantizer fields (M=0, nbits=40, a polysemous search type, code sizes, ranges, an IP HNSWPQ) are refused'() {
    const pq = indexFactory(d, 'PQ2x4np');
    pq.train(xb);
    pq.add(xb.subarray(0, 10 * d));
    const pb = serializeIndex(pq);
    // IxPq: 37-byte header (L2), then the PQ's d, M, nbits (size_t each).
    const forge = (b: Buffer, at: number, v: bigint | number, size: 8 | 4 | 1 = 8) => {
      const c = Buffer.from(b);
      if (size === 8) c.writeBigUInt64LE(BigInt(v), at);
      else if (size === 4) c.writeInt32LE(Number(v), at);
      else c[at] = Number(v);
      return c;
    };
    refuses(() => deserializeIndex(forge(pb, 45, 0n)), /the index's PQ M \(sub-quantizers\) is 0, outside \[1, 8\]/);
    refuses(() => deserializeIndex(forge(pb, 45, 3n)), /the index's PQ M=3 does not divide d=8/);
    refuses(() => deserializeIndex(forge(pb, 53, 40n)), /the index's PQ nbits is 40, outside \[1, 16\]/);
    refuses(
      () => deserializeIndex(forge(pb, 53, 5n)),
      /the index's PQ centroids holds 128 items where 256 are expected/,
    );
    refuses(
      () => deserializeIndex(forge(pb, pb.length - 9, 4, 4)),
      /the index's search type is 4; this lab reads the plain PQ search/,
    );
    const sq = indexFactory(d, 'SQ8');
    sq.train(xb);
    const sb = serializeIndex(sq);
    // IxSQ: header, qtype, rangestat (int32), rangestat_arg (float), d, code_size (size_t), ranges.
    refuses(() => deserializeIndex(forge(sb, 37, 5, 4)), /the index's SQ type is 5; this lab reads QT_8bit, /);
    refuses(() => deserializeIndex(forge(sb, 57, 16n)), /the index's SQ code size is 16, outside \[8, 8\]/);
    refuses(
      () => deserializeIndex(forge(sb, 65, 2n)),
      /the index's SQ ranges hold 2 values where 16 are expected|read error/,
    );
    const far = Buffer.from(sb);
    far.writeFloatLE(3e38, 73);
    refuses(
      () => deserializeIndex(far),
      /the index's SQ range of component 0 is \[3\.0\d*e\+38, .*beyond ±3\.26e\+18 for d=8/,
    );
    const ivfpq = indexFactory(d, 'IVF2,PQ2x4np');
    ivfpq.train(xb);
    const ib = serializeIndex(ivfpq);
    // IwPQ: header 37, nlist, nprobe (16), quantizer (IxF2: 45 + 2 centroids of d floats), direct map (9), by_residual (1), code_size.
    const cs = 37 + 16 + 45 + 2 * d * 4 + 9 + 1;
    assert.equal(ib.readBigUInt64LE(cs), 1n);
    refuses(
      () => deserializeIndex(forge(ib, cs, 2n)),
      /the index's code size is 2, but its PQ writes 1 bytes per code/,
    );
    refuses(() => deserializeIndex(forge(ib, cs + 8 + 16, 9n)), /the index's PQ nbits is 9, outside \[1, 8\]/);
    // An IndexHNSWPQ by inner product (header and storage): faiss 1.7.3 builds one by L2 only.
    const h = indexFactory(d, 'HNSW4,PQ2np');
    h.train(xb);
    const hb = Buffer.from(serializeIndex(h));
    hb.writeInt32LE(0, 33);
    const storage = hb.indexOf('IxPq');
    hb.writeInt32LE(0, storage + 33);
    refuses(() => deserializeIndex(hb), /an IndexHNSWPQ has 8-bit codes and searches by L2/);
    // An HNSWSQ that says it is trained over an untrained scalar quantizer (no ranges to decode with).
    const hs = Buffer.from(serializeIndex(new IndexHNSWSQ(d, ScalarQuantizer.QT_8bit, 4)));
    hs[32] = 1;
    refuses(
      () => deserializeIndex(hs),
      /the index says it is trained or holds vectors, but its storage is not trained/,
    );
  },
};
