/**
 * Index builders for parameter grids: each makes one kind of index from its
 * build-time knobs, fills it, and saves/loads it so a grid re-run reuses it.
 * (`satisfies` keeps each builder's own types: create returns the index, not a Promise.)
 * The SQL store's HNSW builder is sqlHnsw (src/sql/builder.ts).
 *
 * @example
 * runGrid({ builder: hnswFlat, build: { M: [16, 32], efConstruction: [40] }, query: { efSearch: [10, 50] }, ... })
 */

import { type Index, IndexFlat, IndexHNSWFlat, IndexIVFFlat, IndexIVFPQ, readIndex, writeIndex } from '../faiss';
import { registerBuilder } from '../faiss/registry';
import type { Matrix } from '../types';
import { ArgumentError } from '../util/check';
import { BruteForceIndex } from './bruteforce';
import type { BuildArguments, IndexBuilder } from './interface';
import type { MetricType } from './results';

function num(build: BuildArguments, name: string, fallback: number): number {
  const v = build[name] ?? fallback;
  if (typeof v !== 'number')
    throw new ArgumentError(`build argument ${name} must be a number, but received ${JSON.stringify(v)}`);
  return v;
}

function only(build: BuildArguments, names: string[], who: string): void {
  for (const key of Object.keys(build)) {
    if (!names.includes(key)) {
      throw new ArgumentError(
        `${who} has no build argument "${key}"` + (names.length ? ` (it has: ${names.join(', ')})` : ' (it has none)'),
      );
    }
  }
}

/** Reads a saved index and checks it is of the expected class. */
function loadAs<T extends Index>(file: string, cls: abstract new (...args: never[]) => T): T {
  const index = readIndex(file);
  if (!(index instanceof cls)) {
    index.dispose();
    throw new Error(`${file} holds a ${index.className}, not a ${cls.name}`);
  }
  return index;
}

/** faiss.IndexFlat: exact search, no knobs. */
export const flat = {
  name: 'Flat',
  create(d: number, metric: MetricType, build: BuildArguments): IndexFlat {
    only(build, [], 'Flat');
    return new IndexFlat(d, metric);
  },
  save: (index, file) => writeIndex(index, file),
  load: (file) => loadAs(file, IndexFlat),
  memoryBytes: (index) => index.ntotal * index.d * 4,
} satisfies IndexBuilder<IndexFlat>;

/** faiss.IndexHNSWFlat: build knobs M and efConstruction; query knob efSearch. */
export const hnswFlat = {
  name: 'HNSWFlat',
  create(d: number, metric: MetricType, build: BuildArguments): IndexHNSWFlat {
    only(build, ['M', 'efConstruction'], 'HNSWFlat');
    const index = new IndexHNSWFlat(d, num(build, 'M', 32), metric);
    index.hnsw.efConstruction = num(build, 'efConstruction', 40);
    return index;
  },
  // Building costs about efConstruction distance computations per level and link.
  cost: (build) => num(build, 'efConstruction', 40) * Math.sqrt(num(build, 'M', 32)),
  save: (index, file) => writeIndex(index, file),
  load: (file) => loadAs(file, IndexHNSWFlat),
  // Vectors plus the level-0 links (2*M int32 per vector) and about 1/M upper-level nodes with M links.
  memoryBytes: (index) => index.ntotal * (index.d * 4 + index.hnsw.M * 2 * 4 + 4 * 2),
} satisfies IndexBuilder<IndexHNSWFlat>;

/** faiss.IndexIVFFlat over a flat quantizer: build knob nlist; query knob nprobe. Trained on the database. */
export const ivfFlat = {
  name: 'IVFFlat',
  create(d: number, metric: MetricType, build: BuildArguments): IndexIVFFlat {
    only(build, ['nlist'], 'IVFFlat');
    return new IndexIVFFlat(new IndexFlat(d, metric), d, num(build, 'nlist', 100), metric);
  },
  async fit(index: IndexIVFFlat, xb: Matrix): Promise<void> {
    await index.trainAsync(xb);
    await index.addAsync(xb);
  },
  cost: (build) => num(build, 'nlist', 100),
  save: (index, file) => writeIndex(index, file),
  load: (file) => loadAs(file, IndexIVFFlat),
  memoryBytes: (index) => index.ntotal * (index.d * 4 + 8) + index.nlist * index.d * 4,
} satisfies IndexBuilder<IndexIVFFlat>;

/**
 * faiss.IndexIVFPQ over a flat quantizer: build knobs nlist, M (sub-quantizers, must
 * divide d; default d/8, or d/4, d/2, d: the first whole number) and nbits (1..8,
 * default 8); query knob nprobe. Trained on the database, which must hold at least
 * max(nlist, 2^nbits) vectors. Memory: M * nbits / 8 bytes of code and an 8-byte id
 * per vector, the centroids, the PQ's codebook, and (L2) faiss's table of
 * nlist * M * 2^nbits floats that speeds up search (made when under 2 GB).
 *
 * @example
 * runGrid({ builder: ivfPQ, build: { nlist: [143], M: [32, 64] }, query: { nprobe: [1, 8, 32] }, ... })
 */
export const ivfPQ = {
  name: 'IVFPQ',
  create(d: number, metric: MetricType, build: BuildArguments): IndexIVFPQ {
    only(build, ['nlist', 'M', 'nbits'], 'IVFPQ');
    const fallback = [8, 4, 2, 1].map((f) => d / f).find((m) => Number.isInteger(m)) ?? d;
    return new IndexIVFPQ(
      new IndexFlat(d, metric),
      d,
      num(build, 'nlist', 100),
      num(build, 'M', fallback),
      num(build, 'nbits', 8),
      metric,
    );
  },
  async fit(index: IndexIVFPQ, xb: Matrix): Promise<void> {
    await index.trainAsync(xb);
    await index.addAsync(xb);
  },
  // k-means on nlist centroids, then on 2^nbits per sub-quantizer (M of them, d/M wide each).
  cost: (build) => num(build, 'nlist', 100) + 2 ** num(build, 'nbits', 8),
  save: (index, file) => writeIndex(index, file),
  load: (file) => loadAs(file, IndexIVFPQ),
  memoryBytes: (index) =>
    index.ntotal * (index.codeSize + 8) +
    index.nlist * index.d * 4 +
    index.pq.ksub * index.d * 4 +
    index.native.getParam('precomputedTable') * 4,
} satisfies IndexBuilder<IndexIVFPQ>;

// Each FAISS builder is its kind's row in the registry (src/faiss/registry.ts): the grid builder of that kind.
for (const b of [flat, hnswFlat, ivfFlat, ivfPQ]) registerBuilder(b);

/** The plain-TypeScript exact reference (slow: for tests and small data). */
export const bruteForce = {
  name: 'BruteForce',
  create(d: number, metric: MetricType, build: BuildArguments): BruteForceIndex {
    only(build, [], 'BruteForce');
    return new BruteForceIndex(d, metric);
  },
  memoryBytes: (index) => index.ntotal * index.d * 4,
} satisfies IndexBuilder<BruteForceIndex>;
