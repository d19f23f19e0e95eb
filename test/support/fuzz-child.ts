// One seeded random sequence of what a curious student might do to indexes in a
// notebook: constructions (good and bad arguments, factory strings and mutations
// of them), add/train/search sync and async (several at once), ids, removals,
// resets, query knobs, views, disposals, files, and damaged serialised buffers
// read back and used; and issue 12's calls: empty batches, rangeSearch, search
// parameters with id selectors (good, bad and out-of-bounds ones), reconstructN /
// reconstructBatch, direct maps, mergeFrom between any two indexes, cloneIndex; and the product and scalar
// quantizers (PQ, IVFPQ, SQ, IVFSQ, HNSWSQ, HNSWPQ: their constructors, factory strings, training sets,
// saEncode / saDecode of good and garbage codes, byResidual). Run by test/index-fuzz.test.ts, one child per sequence:
//
//   node --expose-gc --import tsx test/support/fuzz-child.ts SEED OPS LOGFILE
//
// Each call is written to LOGFILE (synchronously) before it runs, so after a crash
// the log's last lines are the call that killed the process. A refusal must be an
// Error with a message; a result must make sense (labels among the ids added,
// no NaN distances). Anything else exits with code 3 and says what. At the end
// one JSON line on stdout: { ops, refused, codes, native }.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rng } from '../../src/data/synthetic';
import {
  cloneIndex,
  DirectMap,
  deserializeIndex,
  IDSelector,
  IDSelectorArray,
  IDSelectorBatch,
  IDSelectorNot,
  IDSelectorRange,
  type Index,
  IndexFlat,
  IndexFlatIP,
  IndexFlatL2,
  IndexHNSW,
  IndexHNSWFlat,
  IndexHNSWPQ,
  IndexHNSWSQ,
  IndexIDMap,
  IndexIDMap2,
  IndexIVF,
  IndexIVFFlat,
  IndexIVFFlatDedup,
  IndexIVFPQ,
  IndexIVFScalarQuantizer,
  IndexPQ,
  IndexScalarQuantizer,
  indexFactory,
  MetricType,
  ompSetNumThreads,
  type QuantizerType,
  readIndex,
  ScalarQuantizer,
  SearchParameters,
  SearchParametersHNSW,
  SearchParametersIVF,
  serializeIndex,
  writeIndex,
} from '../../src/internal';
import { valueLimit } from '../../src/util/check';

const [seedArg, opsArg, logFile] = process.argv.slice(2);
const seed = Number(seedArg);
const OPS = Number(opsArg);
const g = rng(seed * 7919 + 17);
const logFd = fs.openSync(logFile, 'w');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `lab-fuzz-${seed}-`));

function log(s: string): void {
  fs.writeSync(logFd, s + '\n');
}

function fail(why: string): never {
  log(`FAILED: ${why}`);
  process.stderr.write(`fuzz seed ${seed}: ${why}\n`);
  process.exit(3);
}

// ---- random choices ---------------------------------------------------------------

const int = (a: number, b: number) => a + Math.floor(g() * (b - a + 1));
const chance = (p: number) => g() < p;
function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(g() * xs.length)];
}
function weighted<T>(xs: ReadonlyArray<[number, T]>): T {
  let t = g() * xs.reduce((s, [w]) => s + w, 0);
  for (const [w, x] of xs) {
    t -= w;
    if (t < 0) return x;
  }
  return xs[xs.length - 1][1];
}

const DIMS = [1, 2, 3, 4, 8, 8, 4, 16, 33];
const METRICS = [MetricType.L2, MetricType.INNER_PRODUCT, MetricType.L1, MetricType.Linf];
const BAD_NUMBERS: unknown[] = [
  0,
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31,
  2 ** 32 + 4,
  2 ** 53,
  2 ** 63,
  '3',
  3n,
  undefined,
  null,
  {},
];

function divisorsOf(d: number): number[] {
  return Array.from({ length: d }, (_, i) => i + 1).filter((m) => d % m === 0);
}

/** A ScalarQuantizer type, sometimes one faiss has but the lab refuses (QT_8bit_direct) or garbage. */
function qtype(): QuantizerType {
  return (chance(0.9) ? pick(Object.values(ScalarQuantizer)) : pick([5, 7, -1, '0', undefined])) as QuantizerType;
}

function metric(): MetricType {
  return chance(0.05) ? (pick([7, -1, 4, '1', 1.5]) as MetricType) : pick(METRICS);
}
function goodOrBad(good: () => number): number {
  return chance(0.08) ? (pick(BAD_NUMBERS) as number) : good();
}

const SQS = ['4', '6', '8', 'fp16'];
const GOOD_FACTORY = [
  () => 'Flat',
  () => `HNSW${int(2, 16)}`,
  () => 'HNSW',
  () => `HNSW${int(2, 8)},Flat`,
  () => `IVF${int(1, 12)},Flat`,
  () => `IVF${int(1, 8)}_HNSW${int(2, 8)},Flat`,
  () => `IDMap,Flat`,
  () => `IDMap2,HNSW${int(2, 8)}`,
  () => `IDMap,IVF${int(1, 8)},Flat`,
  () => `IDMap2,IVF${int(1, 6)},Flat`,
  () => 'Flat,IDMap2',
  () => `IVF${int(1, 8)},FlatDedup`,
  // Product and scalar quantizers (M must divide d: a random M often does not, and is refused).
  () => `PQ${int(1, 4)}x${int(1, 6)}np`,
  () => `PQ${int(1, 2)}x${int(1, 4)}`,
  () => `IVF${int(1, 8)},PQ${int(1, 4)}x${int(1, 8)}np`,
  () => `SQ${pick(SQS)}`,
  () => `IVF${int(1, 8)},SQ${pick(SQS)}`,
  () => `IVF${int(1, 4)}_HNSW${int(2, 6)},SQ${pick(SQS)}`,
  () => `HNSW${int(2, 8)},SQ${pick(SQS)}`,
  () => `HNSW${int(2, 8)},PQ${int(1, 4)}np`,
  () => `IDMap,PQ${int(1, 4)}x${int(1, 4)}np`,
  () => `IDMap2,IVF${int(1, 4)},SQ${pick(SQS)}`,
  () => `IDMap,HNSW${int(2, 6)},SQ8`,
];
const BAD_FACTORY = [
  'HNSW0',
  'HNSW1',
  'IVF0,Flat',
  'PQ2x0',
  'PQ8x99',
  'PQ4',
  'NSG0,Flat',
  'NSG8',
  'NSG32,Flat',
  'HNSW8_SQ8',
  'HNSW8_PQ2',
  'IVF4,PQ2',
  'IVF4,SQ8',
  'SQ8',
  'LSH',
  'PCA2,Flat',
  'IVF4,Flat,RFlat',
  'IDMap,IDMap,Flat',
  'IMI2x2,Flat',
  'IVF4',
  'IVF-1,Flat',
  'HNSW99999999999',
  'IVF4_NSG8,Flat',
  'RQ2x4',
  'OPQ2,IVF4,PQ2',
  'Flat ',
  '',
  'IVF4(IVF2,Flat),Flat',
  'IVF4_HNSW0,Flat',
  'IDMap2',
  'HNSW8_Flat',
  'IDMap,IVF2,FlatDedup',
  'IVF2_HNSW4,FlatDedup',
  'ZnLattice2x4',
  'IVF1048577,Flat',
  'IVF0,FlatDedup',
  'PQ7',
  'PQ2x17np',
  'IVF4,PQ2x9np',
  'HNSW4,PQ2x4',
  'SQ8_direct',
  'PQ2x12',
  'PQ0',
  'IVF2,PQ2x0np',
  'HNSW0,SQ8',
  'IVF4,SQ2',
  'PQ2x4fs',
  'IMI2x2,PQ2',
];
function factoryString(): string {
  if (chance(0.3)) return pick(BAD_FACTORY);
  const s = pick(GOOD_FACTORY)();
  if (!chance(0.15)) return s;
  // A typo: a character dropped, doubled or replaced.
  const i = int(0, s.length - 1);
  return pick([
    s.slice(0, i) + s.slice(i + 1),
    s.slice(0, i) + s[i] + s.slice(i),
    s.slice(0, i) + pick([...'0123456789,_IVFHNSWFlatPQ']) + s.slice(i + 1),
  ]);
}

function vectors(d: number, n = int(1, chance(0.1) ? 400 : 40)): Float32Array {
  const flavor = weighted<string>([
    [50, 'uniform'],
    [8, 'duplicates'],
    [4, 'zeros'],
    [4, 'integers'],
    [6, 'nearLimit'],
    [6, 'huge'],
    [3, 'nonFinite'],
    [4, 'tiny'],
    [6, 'wideRange'],
  ]);
  const limit = valueLimit(d);
  const x = new Float32Array(n * d);
  const row = Float32Array.from({ length: d }, () => g() * 2 - 1);
  for (let i = 0; i < x.length; i++) {
    switch (flavor) {
      case 'duplicates':
        x[i] = chance(0.7) ? row[i % d] : g() * 2 - 1;
        break;
      case 'zeros':
        x[i] = chance(0.9) ? 0 : g();
        break;
      case 'integers':
        x[i] = int(-3, 3);
        break;
      case 'nearLimit':
        x[i] = (g() * 2 - 1) * limit;
        break;
      case 'tiny':
        x[i] = (g() * 2 - 1) * 1e-38;
        break;
      case 'wideRange':
        x[i] = (g() * 2 - 1) * 10 ** int(-20, 12);
        break;
      default:
        x[i] = g() * 2 - 1;
    }
  }
  if (flavor === 'huge') x[int(0, x.length - 1)] = pick([1e20, -3e38, 3.4e38, limit * 1.01]);
  if (flavor === 'nonFinite') x[int(0, x.length - 1)] = pick([NaN, Infinity, -Infinity]);
  return x;
}

/** Vectors for an index: mostly right, sometimes of the wrong shape or type. */
function argVectors(d: number): unknown {
  return weighted<() => unknown>([
    [85, () => vectors(d)],
    [4, () => ({ data: vectors(d, 4), n: 4, d })],
    [2, () => ({ data: vectors(d, 4), n: 5, d })],
    [3, () => vectors(pick(DIMS))],
    [2, () => new Float32Array(0)],
    [2, () => Float64Array.from(vectors(d, 2))],
    [1, () => Array.from(vectors(d, 2))],
    [1, () => pick([undefined, null, 42, 'x'])],
  ])();
}

function argIds(n: number): unknown {
  return weighted<() => unknown>([
    [70, () => BigInt64Array.from({ length: n }, () => BigInt(int(0, 5000)))],
    [10, () => BigInt64Array.from({ length: n }, (_, i) => BigInt(i))],
    [5, () => BigInt64Array.from({ length: n }, () => BigInt(int(-5, 5)))],
    [
      5,
      () => BigInt64Array.from({ length: n }, () => pick([2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, 9007199254740993n])),
    ],
    [5, () => BigInt64Array.from({ length: Math.max(0, n + pick([-1, 1])) }, () => 1n)],
    [5, () => pick([Array.from({ length: n }, () => 1), new Int32Array(n), undefined])],
  ])();
}

// ---- the pool of objects ---------------------------------------------------------

interface Entry {
  index: Index;
  name: string;
  /** Ids a search may return (for indexes whose labels are ids); undefined when unknown. */
  ids?: Set<bigint>;
}
const pool: Entry[] = [];
const buffers: Buffer[] = [];
let counter = 0;
let refused = 0;
const codes: Record<string, number> = {};
const native: Record<string, number> = {};
const messages: Record<string, number> = {};

function add(index: Index, name: string): Entry {
  const e: Entry = { index, name: `${name}#${++counter}` };
  if (index instanceof IndexIDMap || index instanceof IndexIVF) {
    e.ids = index.ntotal === 0 ? new Set() : undefined;
  }
  pool.push(e);
  if (pool.length > 24) pool.splice(int(0, pool.length - 1), 1);
  return e;
}

/** A pool entry; disposed ones are mostly dropped on the way (a few stay, to be called anyway). */
function entry(): Entry | undefined {
  while (pool.length) {
    const i = int(0, pool.length - 1);
    if (!pool[i].index.disposed || chance(0.1)) return pool[i];
    pool.splice(i, 1);
  }
  return undefined;
}

/** An index argument: from the pool mostly, sometimes a fresh one or garbage. */
function indexArg(d: number): unknown {
  const same = pool.filter((e) => !e.index.disposed && e.index.d === d);
  if (same.length && chance(0.6)) return pick(same).index;
  if (chance(0.1)) return pick([undefined, {}, 'flat', entry()?.index]);
  return chance(0.7) ? new IndexFlatL2(d) : new IndexHNSWFlat(d, int(2, 8));
}

/** The dimension to make vectors for (a damaged buffer may hold an empty index of d = 2^30). */
function dimOf(index: Index): number {
  return index.disposed || index.d > 4096 ? 4 : index.d;
}

function forget(x: unknown): void {
  // An index wrapped by another changes through it: its own id model no longer holds.
  for (const e of pool) if (e.index === x) e.ids = undefined;
}

// ---- outcomes -----------------------------------------------------------------------

const BUG =
  /Cannot read propert|is not a function|is not iterable|undefined is not|Maximum call stack|Invalid array length|out of memory/i;

function refusedWith(e: unknown, what: string): void {
  if (!(e instanceof Error)) fail(`${what} threw a non-Error: ${String(e)}`);
  if (!e.message) fail(`${what} threw an Error without a message`);
  if (BUG.test(e.message) && !(e as { code?: string }).code) fail(`${what} failed inside the library: ${e.stack}`);
  const code = (e as { code?: string }).code ?? e.constructor.name;
  codes[code] = (codes[code] ?? 0) + 1;
  if (process.env.LAB_FUZZ_MESSAGES) {
    const key = `${code}: ${e.message.replace(/\d+(\.\d+)?(e[+-]\d+)?/g, 'N').slice(0, 90)}`;
    messages[key] = (messages[key] ?? 0) + 1;
  }
  if (code === 'ERR_FAISS_NATIVE' || code === 'ERR_FAISS_OOM') {
    const key = e.message.replace(/\d+/g, 'N').slice(0, 120);
    native[key] = (native[key] ?? 0) + 1;
  }
  refused++;
}

function checkResults(
  e: Entry,
  res: { distances: Float32Array; labels: BigInt64Array },
  what: string,
  sel?: IDSelector,
): void {
  const { index } = e;
  const n = index.ntotal;
  const exactIds = !(index instanceof IndexIDMap) && !(index instanceof IndexIVF);
  // A dedup index answers with the ids of duplicates too, which a plain add numbered ntotal.. at the time.
  const dedup = index instanceof IndexIVFFlatDedup;
  // assumeSorted is the caller's promise that each IVF list's ids are sorted (faiss then bisects the
  // lists for the range); ids added out of order break it, and faiss answers ids outside the range.
  const unsortedRange = sel instanceof IDSelectorRange && sel.assumeSorted && index instanceof IndexIVF;
  for (let i = 0; i < res.labels.length; i++) {
    const l = res.labels[i];
    if (l === -1n) continue;
    if (exactIds && (l < 0n || l >= BigInt(n))) fail(`${what}: label ${l} beyond ntotal=${n}`);
    if (!exactIds && !dedup && e.ids && !e.ids.has(l)) fail(`${what}: label ${l} was never added (or was removed)`);
    if (sel && !sel.isMember(l) && !unsortedRange) fail(`${what}: label ${l} is not selected by ${sel}`);
    if (Number.isNaN(res.distances[i])) fail(`${what}: NaN distance for label ${l}`);
  }
}

async function attempt(what: string, fn: () => unknown): Promise<unknown> {
  log(what);
  try {
    return { ok: await fn() };
  } catch (e) {
    refusedWith(e, what);
    return undefined;
  }
}

// ---- operations ---------------------------------------------------------------------

/** Sometimes change the vectors right after an async call took them (faiss must not see it). */
function scribble(x: unknown, async: boolean): void {
  if (async && x instanceof Float32Array && x.length && chance(0.2)) {
    log('  (the vectors are overwritten while the call runs)');
    x.fill(pick([NaN, Infinity, 1e30, -3e38]));
  }
}

function construct(): void {
  const d = goodOrBad(() => pick(DIMS));
  const kind = pick([
    'Flat',
    'FlatL2',
    'FlatIP',
    'HNSW',
    'IVF',
    'Dedup',
    'IDMap',
    'IDMap2',
    'factory',
    'factory',
    'factory',
    'PQ',
    'IVFPQ',
    'SQ',
    'IVFSQ',
    'HNSWSQ',
    'HNSWPQ',
  ]);
  const dd = typeof d === 'number' && Number.isSafeInteger(d) && d > 0 && d <= 8 ? d : 4;
  const make: Record<string, () => [Index, string]> = {
    Flat: () => [new IndexFlat(d, metric()), 'Flat'],
    FlatL2: () => [new IndexFlatL2(d), 'FlatL2'],
    FlatIP: () => [new IndexFlatIP(d), 'FlatIP'],
    HNSW: () => [
      new IndexHNSWFlat(
        d,
        goodOrBad(() => int(2, 16)),
        metric(),
      ),
      'HNSW',
    ],
    IVF: () => {
      const q = indexArg(dd);
      const ivf = new IndexIVFFlat(
        q as Index,
        d,
        goodOrBad(() => int(1, 12)),
        pick([MetricType.L2, MetricType.INNER_PRODUCT, metric()]),
      );
      return [ivf, 'IVF'];
    },
    Dedup: () => {
      const q = indexArg(dd);
      return [
        new IndexIVFFlatDedup(
          q as Index,
          d,
          goodOrBad(() => int(1, 8)),
          pick([MetricType.L2, MetricType.INNER_PRODUCT, metric()]),
        ),
        'Dedup',
      ];
    },
    IDMap: () => {
      const inner = chance(0.3) ? new IndexIVFFlat(new IndexFlatL2(dd), dd, int(1, 6)) : indexArg(dd);
      const m = new IndexIDMap(inner as Index);
      forget(inner);
      return [m, 'IDMap'];
    },
    PQ: () => [
      new IndexPQ(
        d,
        goodOrBad(() => pick(divisorsOf(dd))),
        goodOrBad(() => int(1, 8)),
        metric(),
      ),
      'PQ',
    ],
    IVFPQ: () => {
      const q = indexArg(dd);
      const m = pick([MetricType.L2, MetricType.INNER_PRODUCT, metric()]);
      return [
        new IndexIVFPQ(
          q as Index,
          d,
          goodOrBad(() => int(1, 8)),
          goodOrBad(() => pick(divisorsOf(dd))),
          goodOrBad(() => int(1, 8)),
          m,
        ),
        'IVFPQ',
      ];
    },
    SQ: () => [new IndexScalarQuantizer(d, qtype(), metric()), 'SQ'],
    IVFSQ: () => {
      const q = indexArg(dd);
      const m = pick([MetricType.L2, MetricType.INNER_PRODUCT, metric()]);
      return [
        new IndexIVFScalarQuantizer(
          q as Index,
          d,
          goodOrBad(() => int(1, 8)),
          qtype(),
          m,
          chance(0.8),
        ),
        'IVFSQ',
      ];
    },
    HNSWSQ: () => [
      new IndexHNSWSQ(
        d,
        qtype(),
        goodOrBad(() => int(2, 16)),
        metric(),
      ),
      'HNSWSQ',
    ],
    HNSWPQ: () => [
      new IndexHNSWPQ(
        d,
        goodOrBad(() => pick(divisorsOf(dd))),
        goodOrBad(() => int(2, 16)),
      ),
      'HNSWPQ',
    ],
    IDMap2: () => {
      const inner = indexArg(dd);
      const m = new IndexIDMap2(inner as Index);
      forget(inner);
      return [m, 'IDMap2'];
    },
    factory: () => {
      const desc = factoryString();
      return [indexFactory(d, desc, metric()), `factory(${JSON.stringify(desc)})`];
    },
  };
  log(`new ${kind} d=${String(d)}`);
  let made: Entry;
  try {
    const [index, name] = make[kind]();
    made = add(index, name);
  } catch (e) {
    refusedWith(e, `new ${kind}`);
    return;
  }
  // Mostly bring it to a searchable state, as a notebook would.
  if (chance(0.7)) {
    const { index } = made;
    // A product quantizer needs 2^nbits training vectors (256 at 8 bits): sometimes that many.
    const x = vectors(dimOf(index), chance(0.25) ? int(200, 320) : int(1, 60));
    try {
      if (!index.isTrained) index.train(x);
      if (index instanceof IndexIDMap) {
        const ids = BigInt64Array.from({ length: x.length / index.d }, () => BigInt(int(0, 3000)));
        index.addWithIds(x, ids);
        noteAdded(made, 0, 0, ids);
      } else {
        const before = index.ntotal;
        index.add(x);
        noteAdded(made, before, x.length / index.d);
      }
    } catch (e) {
      refusedWith(e, `${made.name} train/add after construction`);
    }
  }
}

function noteAdded(e: Entry, before: number, n: number, ids?: BigInt64Array): void {
  if (!e.ids) return;
  if (ids) for (const id of ids) e.ids.add(id);
  else for (let i = 0; i < n; i++) e.ids.add(BigInt(before + i));
}

async function addOp(e: Entry, async: boolean): Promise<void> {
  const { index } = e;
  const d = dimOf(index);
  const x = argVectors(d);
  const before = index.disposed ? 0 : index.ntotal;
  const batched = async && chance(0.3);
  const p = attempt(`${e.name}.add${async ? 'Async' : ''}(${describeArg(x)}${batched ? ', batches' : ''})`, () =>
    async
      ? index.addAsync(x as Float32Array, batched ? { batchSize: int(1, 20), onProgress: () => {} } : {})
      : index.add(x as Float32Array),
  );
  scribble(x, async);
  const r = await p;
  if (r) noteAdded(e, before, index.ntotal - before);
  else if (batched) e.ids = undefined;
}

async function addWithIdsOp(e: Entry, async: boolean): Promise<void> {
  const { index } = e;
  const d = dimOf(index);
  const x = argVectors(d);
  const n = x instanceof Float32Array ? x.length / d : 4;
  const ids = argIds(Number.isInteger(n) ? n : 1);
  const p = attempt(`${e.name}.addWithIds${async ? 'Async' : ''}(${describeArg(x)}, ${describeArg(ids)})`, () =>
    async
      ? index.addWithIdsAsync(x as Float32Array, ids as BigInt64Array)
      : index.addWithIds(x as Float32Array, ids as BigInt64Array),
  );
  scribble(x, async);
  const r = await p;
  if (r) noteAdded(e, 0, 0, ids as BigInt64Array);
}

async function searchOp(e: Entry, async: boolean): Promise<void> {
  const { index } = e;
  const d = dimOf(index);
  const xq = chance(0.9) ? vectors(d, int(chance(0.05) ? 0 : 1, 8)) : argVectors(d);
  const k = goodOrBad(() => int(1, (index.disposed ? 1 : index.ntotal) + 5));
  const params = chance(0.3) ? paramsArg(index) : undefined;
  const p = attempt(
    `${e.name}.search${async ? 'Async' : ''}(${describeArg(xq)}, ${String(k)}${params ? `, ${String(params)}` : ''})`,
    () =>
      async
        ? index.searchAsync(xq as Float32Array, k, params as SearchParameters)
        : index.search(xq as Float32Array, k, params as SearchParameters),
  );
  scribble(xq, async);
  const r = (await p) as { ok: { distances: Float32Array; labels: BigInt64Array } } | undefined;
  if (r) checkResults(e, r.ok, `${e.name}.search`, selOf(params));
}

// ---- issue 12: selectors, parameters, range search, reconstruct, direct maps, merge, clone ----

function idArg(e?: Entry): unknown {
  const known = e?.ids ? Array.from(e.ids) : [];
  return weighted<() => unknown>([
    [60, () => int(-3, 60)],
    [15, () => (known.length ? pick(known) : int(0, 500))],
    [10, () => int(0, 5000)],
    [5, () => pick([2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, 2 ** 53, -(2 ** 53)])],
    [3, () => pick([1.5, NaN, '3', 2n ** 64n, undefined])],
  ])();
}

function idListArg(e?: Entry): unknown {
  return weighted<() => unknown>([
    [60, () => Array.from({ length: int(0, 12) }, () => idArg(e))],
    [15, () => BigInt64Array.from({ length: int(0, 40) }, () => BigInt(int(-2, 80)))],
    [10, () => new Set(Array.from({ length: int(0, 20) }, () => int(0, 60)))],
    [5, () => Array.from({ length: int(200, 600) }, () => int(0, 3000))],
    [3, () => pick([undefined, 'ids', 5, {}])],
  ])();
}

/** A selector, or garbage; may throw (a bad id), which the caller's attempt reports. */
function selectorArg(e?: Entry, depth = 0): unknown {
  return weighted<() => unknown>([
    [6, () => new IDSelectorRange(idArg(e) as number, idArg(e) as number, chance(0.3))],
    [4, () => new IDSelectorArray(idListArg(e) as number[])],
    [5, () => new IDSelectorBatch(idListArg(e) as number[])],
    [
      4,
      () =>
        depth < 4 ? new IDSelectorNot(selectorArg(e, depth + 1) as IDSelector) : new IDSelectorRange(0, int(0, 30)),
    ],
    [1, () => pick([undefined, null, {}, 'sel', 3])],
  ])();
}

/** Search parameters: mostly the index's own kind, sometimes another, garbage, or a field changed after construction. */
function paramsArg(index: Index): unknown {
  try {
    const sel = chance(0.8) ? selectorArg() : undefined;
    const own = index instanceof IndexIVF ? 'ivf' : index instanceof IndexHNSW ? 'hnsw' : 'base';
    const kind = chance(0.75) ? own : pick(['ivf', 'hnsw', 'base', 'garbage']);
    let p: unknown;
    if (kind === 'ivf')
      p = new SearchParametersIVF({
        sel: sel as IDSelector,
        nprobe: goodOrBad(() => int(1, 20)),
        ...(chance(0.2) ? { maxCodes: int(0, 50) } : {}),
      });
    else if (kind === 'hnsw')
      p = new SearchParametersHNSW({
        sel: sel as IDSelector,
        efSearch: goodOrBad(() => int(1, 100)),
        checkRelativeDistance: chance(0.8),
      });
    else if (kind === 'base') p = new SearchParameters({ sel: sel as IDSelector });
    else p = pick([{}, null, 'params', { sel }, { nprobe: 3 }]);
    if (p instanceof SearchParametersIVF && chance(0.05)) p.nprobe = pick(BAD_NUMBERS) as number;
    if (p instanceof SearchParametersHNSW && chance(0.05)) p.efSearch = pick(BAD_NUMBERS) as number;
    if (p instanceof SearchParameters && chance(0.03)) p.sel = pick([{}, 'x']) as unknown as IDSelector;
    return p;
  } catch (e) {
    refusedWith(e, 'new SearchParameters');
    return pick([undefined, {}]);
  }
}

function selOf(params: unknown): IDSelector | undefined {
  return params instanceof SearchParameters && params.sel instanceof IDSelector ? params.sel : undefined;
}

async function rangeOp(e: Entry, async: boolean): Promise<void> {
  const { index } = e;
  const d = dimOf(index);
  const xq = chance(0.9) ? vectors(d, int(chance(0.05) ? 0 : 1, 6)) : argVectors(d);
  const radius = chance(0.9)
    ? g() * pick([0.01, 0.5, 2, 10, 1e6]) * (chance(0.1) ? -1 : 1)
    : pick([NaN, Infinity, -Infinity, 0, '1', undefined]);
  const params = chance(0.3) ? paramsArg(index) : undefined;
  const options = chance(0.1) ? { maxResults: goodOrBad(() => int(1, 50)) } : undefined;
  const p = attempt(
    `${e.name}.rangeSearch${async ? 'Async' : ''}(${describeArg(xq)}, ${String(radius)}${params ? `, ${String(params)}` : ''}${options ? `, maxResults ${options.maxResults}` : ''})`,
    () =>
      async
        ? index.rangeSearchAsync(xq as Float32Array, radius as number, params as SearchParameters, options)
        : index.rangeSearch(xq as Float32Array, radius as number, params as SearchParameters, options),
  );
  scribble(xq, async);
  const r = (await p) as { ok: { distances: Float32Array; labels: BigInt64Array; lims: Float64Array } } | undefined;
  if (!r) return;
  const { lims, labels, distances } = r.ok;
  if (lims[lims.length - 1] !== labels.length || labels.length !== distances.length)
    fail(`${e.name}.rangeSearch: lims end at ${lims[lims.length - 1]} for ${labels.length} labels`);
  // -1 is never padding here (an IVF or IDMap may hold -1 as an id of its own).
  if (labels.includes(-1n) && !(index instanceof IndexIDMap) && !(index instanceof IndexIVF))
    fail(`${e.name}.rangeSearch returned label -1`);
  checkResults(e, r.ok, `${e.name}.rangeSearch`, selOf(params));
}

async function reconstructMany(e: Entry): Promise<void> {
  const { index } = e;
  const r = (await (chance(0.5)
    ? (() => {
        const i0 = chance(0.9) ? idArg(e) : pick([2n ** 62n, -1n, undefined]);
        const n = goodOrBad(() => int(0, Math.max(1, index.disposed ? 1 : index.ntotal) + 2));
        return attempt(`${e.name}.reconstructN(${String(i0)}, ${String(n)})`, () =>
          index.reconstructN(i0 as number, n),
        );
      })()
    : (() => {
        const keys = chance(0.8) ? Array.from({ length: int(0, 8) }, () => idArg(e)) : idListArg(e);
        return attempt(`${e.name}.reconstructBatch(${describeArg(keys)})`, () =>
          index.reconstructBatch(keys as number[]),
        );
      })())) as { ok: Float32Array } | undefined;
  if (r?.ok.some((v) => Number.isNaN(v))) fail(`${e.name}: reconstructed NaN`);
}

async function directMapOp(e: Entry): Promise<void> {
  const { index } = e;
  const type = chance(0.9)
    ? pick([DirectMap.NoMap, DirectMap.Array, DirectMap.Hashtable, DirectMap.Array])
    : pick([3, -1, '1', undefined]);
  await attempt(`${e.name}.setDirectMapType(${String(type)})`, () => {
    if (!(index instanceof IndexIVF)) return (index as unknown as IndexIVF).setDirectMapType?.(type as 0);
    if (chance(0.3)) return index.makeDirectMap(type !== DirectMap.NoMap);
    return index.setDirectMapType(type as 0);
  });
}

async function mergeOp(e: Entry): Promise<void> {
  const other = chance(0.1) ? e : chance(0.8) ? entry() : undefined;
  const addId = chance(0.7) ? 0 : idArg(e);
  const target = other?.index ?? pick([undefined, {}, 'index']);
  const r = await attempt(`${e.name}.mergeFrom(${other?.name ?? String(target)}, ${String(addId)})`, () =>
    e.index.mergeFrom(target as Index, addId as number),
  );
  if (!r || !other) return;
  // Where both id models are known, the target now holds both sets (the other's shifted by addId).
  if (e.ids && other.ids) for (const id of other.ids) e.ids.add(id + BigInt(addId as number));
  else if (!(e.index instanceof IndexFlat)) e.ids = undefined;
  other.ids?.clear();
}

async function cloneOp(e: Entry): Promise<void> {
  const arg = chance(0.95) ? e.index : pick([undefined, {}, 'index']);
  const r = (await attempt(`cloneIndex(${e.name})`, () => cloneIndex(arg as Index))) as { ok: Index } | undefined;
  if (!r) return;
  const c = add(r.ok, `clone(${e.name})`);
  c.ids = e.ids ? new Set(e.ids) : undefined;
  if (c.index.className !== e.index.className)
    fail(`cloneIndex(${e.name}) is an ${c.index.className}, not an ${e.index.className}`);
}

// ---- product and scalar quantizers: the standalone codec, parameters, byResidual -------------

interface Codec {
  saEncode(x: Float32Array): Uint8Array;
  saDecode(codes: Uint8Array): Float32Array;
  readonly saCodeSize: number;
}

async function codecOp(e: Entry): Promise<void> {
  const { index } = e;
  const codec =
    index instanceof IndexPQ ||
    index instanceof IndexScalarQuantizer ||
    index instanceof IndexIVFPQ ||
    index instanceof IndexIVFScalarQuantizer
      ? (index as unknown as Codec)
      : undefined;
  const what = pick(['encode', 'decode', 'decode', 'params', 'byResidual']);
  if (what === 'byResidual') {
    if (!(index instanceof IndexIVFPQ)) return;
    const v = chance(0.9) ? chance(0.5) : pick([1, 'yes', undefined]);
    await attempt(`${e.name}.byResidual = ${String(v)}`, () => {
      index.byResidual = v as boolean;
    });
    return;
  }
  if (what === 'params') {
    await attempt(`${e.name} quantizer parameters`, () => {
      const inner = index instanceof IndexIDMap ? index.index : index;
      const out: unknown[] = [];
      if (inner instanceof IndexPQ || inner instanceof IndexIVFPQ || inner instanceof IndexHNSWPQ) {
        const { pq } = inner;
        out.push(pq.M, pq.nbits, pq.ksub, pq.dsub, pq.codeSize, pq.centroids.length, inner.codeSize);
        if (pq.centroids.length !== pq.M * pq.ksub * pq.dsub) fail(`${e.name}: ${pq.centroids.length} centroid values`);
      }
      if (
        inner instanceof IndexScalarQuantizer ||
        inner instanceof IndexIVFScalarQuantizer ||
        inner instanceof IndexHNSWSQ
      ) {
        out.push(inner.sq.qtype, inner.sq.codeSize, inner.sq.trained.length, inner.codeSize);
      }
      return out;
    });
    return;
  }
  if (!codec) return;
  const d = dimOf(index);
  if (what === 'encode') {
    const x = argVectors(d);
    const r = (await attempt(`${e.name}.saEncode(${describeArg(x)})`, () => codec.saEncode(x as Float32Array))) as
      | { ok: Uint8Array }
      | undefined;
    if (!r) return;
    const n = (x instanceof Float32Array ? x : (x as { data: Float32Array }).data).length / d;
    if (r.ok.length !== n * codec.saCodeSize)
      fail(`${e.name}.saEncode: ${r.ok.length} bytes for ${n} vectors of ${codec.saCodeSize}`);
    const back = (await attempt(`${e.name}.saDecode(its own ${r.ok.length} bytes)`, () => codec.saDecode(r.ok))) as
      | { ok: Float32Array }
      | undefined;
    if (back?.ok.some((v) => !Number.isFinite(v)))
      fail(`${e.name}: saDecode of saEncode's codes gave a value that is not finite`);
    return;
  }
  // Codes of the right size with random bytes (list numbers beyond nlist), of a wrong size, or not bytes.
  const size = index.disposed
    ? 4
    : (() => {
        try {
          return codec.saCodeSize;
        } catch {
          return 4;
        }
      })();
  const codes = weighted<() => unknown>([
    [70, () => Uint8Array.from({ length: int(0, 6) * size }, () => int(0, 255))],
    [15, () => new Uint8Array(int(0, 6) * size).fill(pick([0, 255]))],
    [10, () => Uint8Array.from({ length: int(1, 40) }, () => int(0, 255))],
    [5, () => pick([undefined, [1, 2, 3], new Int8Array(size), 'codes'])],
  ])();
  await attempt(
    `${e.name}.saDecode(${describeArg(codes)}: ${ArrayBuffer.isView(codes) ? Buffer.from(codes.buffer).toString('hex').slice(0, 80) : ''})`,
    () => codec.saDecode(codes as Uint8Array),
  );
}

function describeArg(x: unknown): string {
  if (x instanceof Float32Array) {
    let m = 0;
    for (const v of x) m = Math.max(m, Math.abs(v));
    return `Float32Array(${x.length}, max|v|=${m.toExponential(1)})`;
  }
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}(${(x as unknown as ArrayLike<unknown>).length})`;
  if (x && typeof x === 'object' && 'data' in x)
    return `Matrix(n=${(x as unknown as { n: number }).n}, d=${(x as unknown as { d: number }).d})`;
  return typeof x === 'bigint' ? `${x}n` : String(x);
}

/** A damaged copy of a serialised index. */
function damage(b: Buffer): Buffer {
  const c = Buffer.from(b);
  switch (pick(['flip', 'flip', 'flips', 'truncate', 'extend', 'int64', 'int32', 'splice'])) {
    case 'flip':
      c[int(0, c.length - 1)] ^= 1 << int(0, 7);
      return c;
    case 'flips':
      for (let i = int(2, 10); i > 0; i--) c[int(0, c.length - 1)] ^= 1 << int(0, 7);
      return c;
    case 'truncate':
      return c.subarray(0, int(0, c.length - 1));
    case 'extend':
      return Buffer.concat([c, Buffer.alloc(int(1, 16), int(0, 255))]);
    case 'int64': {
      const at = int(0, Math.max(0, c.length - 8));
      if (c.length >= 8) c.writeBigInt64LE(pick([-1n, 0n, 1n, 2n ** 40n, -(2n ** 63n), BigInt(int(0, 1000))]), at);
      return c;
    }
    case 'int32': {
      const at = int(0, Math.max(0, c.length - 4));
      if (c.length >= 4) c.writeInt32LE(pick([-1, 0, 1, 2 ** 31 - 1, -(2 ** 31), int(0, 100)]), at);
      return c;
    }
    default: {
      const other = pick(buffers);
      const at = int(0, c.length);
      return Buffer.concat([c.subarray(0, at), other.subarray(int(0, other.length)), c.subarray(at)]);
    }
  }
}

async function one(i: number): Promise<void> {
  const op = weighted<string>([
    [12, 'new'],
    [12, 'add'],
    [7, 'addWithIds'],
    [6, 'train'],
    [14, 'search'],
    [3, 'reset'],
    [4, 'removeIds'],
    [3, 'reconstruct'],
    [5, 'param'],
    [4, 'view'],
    [3, 'dispose'],
    [6, 'bytes'],
    [2, 'file'],
    [5, 'burst'],
    [1, 'threads'],
    [2, 'gc'],
    [6, 'range'],
    [3, 'reconstructMany'],
    [3, 'directMap'],
    [3, 'merge'],
    [2, 'clone'],
    [3, 'codec'],
  ]);
  log(`#${i} ${op}`);
  const e = entry();
  if (!e && !['new', 'threads', 'gc'].includes(op)) return construct();
  switch (op) {
    case 'new':
      return construct();
    case 'add':
    case 'addWithIds': {
      // Mostly the right one for the index: ids for an IDMap, plain add for the others (IVF: both).
      const ids = e!.index instanceof IndexIDMap || (e!.index instanceof IndexIVF && chance(0.5));
      return (chance(0.9) ? ids : op === 'addWithIds') ? addWithIdsOp(e!, chance(0.4)) : addOp(e!, chance(0.4));
    }
    case 'train': {
      const x = argVectors(dimOf(e!.index));
      const async = chance(0.4);
      const p = attempt(`${e!.name}.train${async ? 'Async' : ''}(${describeArg(x)})`, () =>
        async ? e!.index.trainAsync(x as Float32Array) : e!.index.train(x as Float32Array),
      );
      scribble(x, async);
      await p;
      return;
    }
    case 'search':
      return searchOp(e!, chance(0.4));
    case 'range':
      return rangeOp(e!, chance(0.4));
    case 'reconstructMany':
      return reconstructMany(e!);
    case 'directMap':
      return directMapOp(e!);
    case 'merge':
      return mergeOp(e!);
    case 'clone':
      return cloneOp(e!);
    case 'codec':
      return codecOp(e!);
    case 'reset': {
      if (await attempt(`${e!.name}.reset()`, () => e!.index.reset())) e!.ids?.clear();
      return;
    }
    case 'removeIds': {
      const known = e!.ids ? Array.from(e!.ids) : [];
      const ids = chance(0.8)
        ? BigInt64Array.from({ length: int(0, 6) }, () =>
            known.length && chance(0.7) ? pick(known) : BigInt(int(-2, 60)),
          )
        : argIds(2);
      const r = await attempt(`${e!.name}.removeIds(${describeArg(ids)})`, () =>
        e!.index.removeIds(ids as BigInt64Array),
      );
      if (r && e!.ids) for (const id of ids as BigInt64Array) e!.ids.delete(id);
      return;
    }
    case 'reconstruct': {
      const known = e!.ids ? Array.from(e!.ids) : [];
      const key = chance(0.5) && known.length ? Number(pick(known)) : goodOrBad(() => int(0, 50));
      const r = (await attempt(`${e!.name}.reconstruct(${String(key)})`, () => e!.index.reconstruct(key))) as
        | { ok: Float32Array }
        | undefined;
      if (r?.ok.some((v) => Number.isNaN(v))) fail(`reconstruct(${key}) gave NaN`);
      return;
    }
    case 'param': {
      const { index } = e!;
      const which =
        index instanceof IndexHNSW && chance(0.8)
          ? pick(['efSearch', 'efConstruction'])
          : index instanceof IndexIVF && chance(0.8)
            ? 'nprobe'
            : pick(['query', 'read', 'read']);
      const v = goodOrBad(() => int(1, 300));
      await attempt(`${e!.name}.${which} = ${String(v)}`, () => {
        if (which === 'efSearch') (index as IndexHNSW).hnsw.efSearch = v;
        else if (which === 'efConstruction') (index as IndexHNSW).hnsw.efConstruction = v;
        else if (which === 'nprobe') (index as IndexIVF).nprobe = v;
        else if (which === 'query')
          index.setQueryArguments(pick<Record<string, number>>([{ efSearch: v }, { nprobe: v }, { k: v }, {}]));
        else {
          const s: unknown[] = [
            String(index),
            index.queryArguments,
            index.isTrained,
            index.metricType,
            index.className,
            index.source,
          ];
          if (index instanceof IndexHNSW) s.push(index.hnsw.M, index.hnsw.maxLevel, index.hnsw.efConstruction);
          if (index instanceof IndexIVF) s.push(index.nlist, index.nprobe);
          return s;
        }
        return undefined;
      });
      return;
    }
    case 'view': {
      const { index } = e!;
      await attempt(`${e!.name}.view`, () => {
        if (index instanceof IndexIVF) add(index.quantizer, `${e!.name}.quantizer`);
        else if (index instanceof IndexIDMap) {
          const v = add(index.index, `${e!.name}.index`);
          v.ids = undefined;
        }
      });
      return;
    }
    case 'dispose': {
      await attempt(`${e!.name}.dispose()`, () => e!.index.dispose());
      return;
    }
    case 'bytes': {
      const r = (await attempt(`serializeIndex(${e!.name})`, () => serializeIndex(e!.index))) as
        | { ok: Buffer }
        | undefined;
      if (r) buffers.push(r.ok);
      if (buffers.length > 12) buffers.shift();
      if (!buffers.length) return;
      const src = pick(buffers);
      const bytes = chance(0.2) ? src : damage(src);
      const got = (await attempt(
        `deserializeIndex(${bytes === src ? 'intact' : 'damaged'} ${bytes.length} bytes: ${bytes.toString('base64')})`,
        () => deserializeIndex(bytes),
      )) as { ok: Index } | undefined;
      if (got) {
        const n = add(got.ok, 'read');
        n.ids = undefined;
      }
      return;
    }
    case 'file': {
      const file = weighted<string>([
        [8, path.join(tmp, `i${int(0, 3)}.index`)],
        [1, path.join(tmp, 'a\0b')],
        [1, path.join(tmp, 'no', 'x')],
        [1, tmp],
      ]);
      await attempt(`writeIndex(${e!.name}, ${JSON.stringify(file)})`, () => writeIndex(e!.index, file));
      const got = (await attempt(`readIndex(${JSON.stringify(file)})`, () => readIndex(file))) as
        | { ok: Index }
        | undefined;
      if (got) add(got.ok, 'file').ids = undefined;
      return;
    }
    case 'burst': {
      // Several async calls at once (on one index, or on indexes sharing data), a sync call in between.
      const calls: Array<Promise<void>> = [];
      for (let j = int(2, 4); j > 0; j--) {
        const t = chance(0.5) ? e! : (entry() ?? e!);
        const kind = pick(['add', 'search', 'search', 'train', 'addWithIds', 'range']);
        if (kind === 'add') calls.push(addOp(t, true));
        else if (kind === 'search') calls.push(searchOp(t, true));
        else if (kind === 'range') calls.push(rangeOp(t, true));
        else if (kind === 'addWithIds') calls.push(addWithIdsOp(t, true));
        else
          calls.push(
            attempt(`${t.name}.trainAsync`, () => t.index.trainAsync(vectors(dimOf(t.index)))).then(() => undefined),
          );
        const s = entry();
        if (s && chance(0.3)) {
          const what = pick(['reset', 'dispose', 'search', 'merge', 'directMap', 'clone']);
          await attempt(`${s.name} sync during burst: ${what}`, () => {
            if (what === 'search') return s.index.search(vectors(dimOf(s.index), 1), 1);
            if (what === 'reset') return s.index.reset();
            if (what === 'merge') return s.index.mergeFrom(t.index);
            if (what === 'directMap') return (s.index as IndexIVF).makeDirectMap?.();
            if (what === 'clone') return cloneIndex(s.index);
            return s.index.dispose();
          });
          s.ids = undefined;
        }
      }
      log(`  awaiting ${calls.length} async calls`);
      await Promise.all(calls);
      return;
    }
    case 'threads': {
      const n = goodOrBad(() => int(1, 3));
      await attempt(`ompSetNumThreads(${String(n)})`, () => ompSetNumThreads(n));
      return;
    }
    default: {
      for (let j = int(1, 4); j > 0 && pool.length; j--) pool.splice(int(0, pool.length - 1), 1);
      (globalThis as { gc?: () => void }).gc?.();
      return;
    }
  }
}

(async () => {
  ompSetNumThreads(int(1, 2));
  for (let i = 0; i < OPS; i++) await one(i);
  log('done');
  fs.rmSync(tmp, { recursive: true, force: true });
  if (process.env.LAB_FUZZ_MESSAGES) {
    for (const [k, v] of Object.entries(messages).sort((a, b) => b[1] - a[1])) process.stderr.write(`${v}\t${k}\n`);
  }
  process.stdout.write(JSON.stringify({ seed, ops: OPS, refused, codes, native }) + '\n');
})().catch((e) => fail(`the sequence itself threw: ${e instanceof Error ? e.stack : String(e)}`));
