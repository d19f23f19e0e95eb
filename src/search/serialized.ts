/**
 * Checks faiss's serialised index format before faiss reads it.
 *
 * faiss 1.7.3's reader trusts its input: a few flipped bytes in an HNSW graph
 * make a later search read out of bounds, a negative ntotal makes a read that
 * never ends, a list entry beyond the table makes an IDMap return heap values.
 * So readIndex and deserializeIndex first walk the bytes here, the way faiss's
 * read_index will (impl/index_read.cpp), and refuse them unless every size and
 * count fits the buffer and every structure is one faiss can search and add to:
 *   - headers: d >= 1, ntotal >= 0, is_trained 0 or 1, a metric faiss supports;
 *   - IndexFlat: ntotal*d floats, all finite and within valueLimit(d);
 *   - IndexHNSWFlat: levels, offsets and neighbour tables consistent, every
 *     neighbour a vector that exists at that level, entry point and max level
 *     matching, efSearch/efConstruction in range, storage a matching flat index;
 *   - IndexIVFFlat: nlist lists whose sizes add up to ntotal, d floats per
 *     entry, a flat or HNSW quantizer holding nlist centroids once trained,
 *     direct-map entries that point at an entry with that id;
 *   - IndexIVFFlatDedup: the same (its lists hold at most ntotal entries: the
 *     duplicates are pairs of ids in a table, which must come in pairs);
 *   - IndexPQ ("IxPq"): M dividing d, 1 <= nbits <= 16, d * 2^nbits centroids
 *     (finite, within valueLimit(d)), ntotal codes of ceil(M*nbits/8) bytes, the
 *     plain PQ search (faiss's other search types read tables the file lacks);
 *   - IndexScalarQuantizer ("IxSQ"): a quantizer type faiss builds from a factory
 *     string or constructor (not QT_8bit_direct), its code size, trained ranges of
 *     the right length whose decoded values stay within 2 * valueLimit(d), fp16
 *     codes that are finite;
 *   - IndexIVFPQ ("IwPQ", nbits <= 8) and IndexIVFScalarQuantizer ("IwSq"): as an
 *     IVF, with the code size of their quantizer in the lists;
 *   - IndexHNSWSQ ("IHNs") and IndexHNSWPQ ("IHNp": 8-bit codes, L2, as faiss
 *     builds it): the graph as for HNSWFlat over such storage, trained if the
 *     index says so (faiss would read the ranges of an untrained one out of bounds);
 *   - IndexIDMap/IndexIDMap2: an id per vector of the inner index, whose labels
 *     stay within the id table; not over an IVF with a hash-table direct map
 *     (faiss 1.7.3 would file the IDMap's additions under wrong ids).
 * Only these types are read (those indexFactory builds); any other is refused
 * by name. Bytes that change a value but keep the structure (a flipped bit in a
 * vector) cannot be told from real data: such an index loads and searches safely.
 *
 * @example
 * checkSerialized(fs.readFileSync('dogs.hnsw'));   // throws IndexDataError if damaged
 */
import { INDEX_KINDS } from '../faiss/registry';
import { firstNonFinite, valueLimit } from '../util/check';
import { NLIST_MAX } from './factory';

/** A serialised index that faiss must not read, with what is wrong. */
export class IndexDataError extends Error {
  readonly code = 'ERR_INDEX_DATA';
}

/** Types read here; faiss writes flat indexes as IxFI (inner product), IxF2 (L2) or IxFl (others). */
const READABLE =
  'IndexFlat, IndexHNSWFlat, IndexIVFFlat, IndexPQ, IndexIVFPQ, IndexScalarQuantizer, IndexIVFScalarQuantizer, ' +
  'IndexHNSWSQ, IndexHNSWPQ and IndexIDMap/IndexIDMap2 over them, and IndexIVFFlatDedup';
const EF_MAX = 1 << 20;
const NPROBE_MAX = 2 ** 30;

type Kind =
  | 'Flat'
  | 'HNSWFlat'
  | 'IVFFlat'
  | 'IVFFlatDedup'
  | 'IDMap'
  | 'PQ'
  | 'SQ'
  | 'IVFPQ'
  | 'IVFSQ'
  | 'HNSWSQ'
  | 'HNSWPQ';

interface Summary {
  kind: Kind;
  d: number;
  ntotal: number;
  metric: number;
  isTrained: boolean;
  /** IVF: the ids stored in its lists. */
  ids?: BigInt64Array[];
  /** IVF: its direct map's type (0 none, 1 array, 2 hash table). */
  directMap?: number;
  /** A product quantizer's nbits (PQ). */
  nbits?: number;
}

class Reader {
  pos = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(what: string, at = this.pos): never {
    throw new IndexDataError(`${what} (at byte ${at} of ${this.bytes.length})`);
  }

  need(n: number, what: string): number {
    if (!(n <= this.bytes.length - this.pos)) {
      this.fail(`read error: ${what} needs ${n} bytes, but the data ends ${this.bytes.length - this.pos} bytes on`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(what: string): number {
    return this.view.getUint8(this.need(1, what));
  }
  i32(what: string): number {
    return this.view.getInt32(this.need(4, what), true);
  }
  f32(what: string): number {
    return this.view.getFloat32(this.need(4, what), true);
  }
  /** An int64 or size_t that must lie in [min, max] (max <= 2^53). */
  int(what: string, min: number, max: number, signed = true): number {
    const at = this.need(8, what);
    const v = signed ? this.view.getBigInt64(at, true) : this.view.getBigUint64(at, true);
    if (v < BigInt(min) || v > BigInt(max)) this.fail(`${what} is ${v}, outside [${min}, ${max}]`, at);
    return Number(v);
  }
  fourcc(what: string): string {
    const at = this.need(4, what);
    return Array.from(this.bytes.subarray(at, at + 4), (c) =>
      c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`,
    ).join('');
  }
  /** A copy of n bytes at `at`, aligned for typed arrays (Buffer.slice would share memory instead). */
  copy(at: number, n: number): ArrayBuffer {
    return Uint8Array.prototype.slice.call(this.bytes, at, at + n).buffer as ArrayBuffer;
  }

  /** A faiss vector: a size_t count, then count items of `size` bytes. Returns an aligned copy of the items. */
  vector(what: string, size: number, exact?: number): { count: number; data: ArrayBuffer; at: number } {
    const count = this.int(`the length of ${what}`, 0, Number.MAX_SAFE_INTEGER, false);
    if (exact !== undefined && count !== exact)
      this.fail(`${what} holds ${count} items where ${exact} are expected`, this.pos - 8);
    const at = this.need(count * size, `${what} (${count} items of ${size} bytes)`);
    return { count, data: this.copy(at, count * size), at };
  }
}

function checkFloats(r: Reader, data: ArrayBuffer, d: number, at: number, what: string): void {
  const x = new Float32Array(data);
  const limit = valueLimit(d);
  const bad = firstNonFinite(x, limit);
  if (bad >= 0) {
    const v = x[bad];
    r.fail(
      `${what} holds ${v} at vector ${Math.floor(bad / d)}, component ${bad % d}: ` +
        (Number.isFinite(v)
          ? `beyond ±${limit.toExponential(2)}, where squared distances overflow float32 for d=${d}`
          : 'not a finite number'),
      at + bad * 4,
    );
  }
}

function header(r: Reader, what: string): Omit<Summary, 'kind'> {
  const at = r.pos;
  const d = r.i32(`${what}'s d`);
  if (d < 1) r.fail(`${what}'s d is ${d}; it must be >= 1`, at);
  const ntotal = r.int(`${what}'s ntotal`, 0, Number.MAX_SAFE_INTEGER);
  r.need(16, `${what}'s header`);
  const trainedAt = r.pos;
  const trained = r.u8(`${what}'s is_trained`);
  if (trained > 1) r.fail(`${what}'s is_trained is ${trained}; it must be 0 or 1`, trainedAt);
  const metricAt = r.pos;
  const metric = r.i32(`${what}'s metric`);
  if (metric < 0 || metric > 3)
    r.fail(`${what}'s metric is ${metric}; this lab reads L2, INNER_PRODUCT, L1 and Linf (0-3)`, metricAt);
  if (metric > 1) {
    const arg = r.f32(`${what}'s metric argument`);
    if (!Number.isFinite(arg)) r.fail(`${what}'s metric argument is ${arg}`, r.pos - 4);
  }
  return { d, ntotal, metric, isTrained: trained === 1 };
}

const FLAT_FOURCC: Record<string, (m: number) => boolean> = {
  IxFI: (m) => m === 0,
  IxF2: (m) => m === 1,
  IxFl: (m) => m === 2 || m === 3,
};

function readFlat(r: Reader, h: string, what: string): Summary {
  const s = header(r, what);
  if (!FLAT_FOURCC[h](s.metric)) r.fail(`${what} is stored as ${h} but says metric ${s.metric}`);
  if (s.ntotal * s.d > Number.MAX_SAFE_INTEGER) r.fail(`${what}'s ntotal*d is too large`);
  const v = r.vector(`${what}'s vectors`, 4, s.ntotal * s.d);
  checkFloats(r, v.data, s.d, v.at, `${what}'s vectors`);
  return { kind: 'Flat', ...s };
}

// ---- quantizers ----------------------------------------------------------------------

/** What a product or scalar quantizer's codes look like. */
interface Codec {
  codeSize: number;
  /** Checks `count` codes at `at` (their bytes are in the buffer). */
  check?: (r: Reader, at: number, count: number, what: string) => void;
  nbits?: number;
}

/** faiss's ProductQuantizer: d, M, nbits (size_t each), then d * 2^nbits centroids. */
function readPQ(r: Reader, what: string, d: number, maxNbits: number): Codec {
  const at = r.pos;
  const pd = r.int(`${what}'s PQ d`, d, d, false);
  const M = r.int(`${what}'s PQ M (sub-quantizers)`, 1, pd, false);
  // faiss's set_derived_values divides d by M: M = 0 would end the process.
  if (pd % M !== 0) r.fail(`${what}'s PQ M=${M} does not divide d=${pd}`, at + 8);
  const nbits = r.int(`${what}'s PQ nbits`, 1, maxNbits, false);
  const c = r.vector(`${what}'s PQ centroids`, 4, d * 2 ** nbits);
  checkFloats(r, c.data, d, c.at, `${what}'s PQ centroids`);
  return { codeSize: Math.ceil((M * nbits) / 8), nbits };
}

/** faiss's ScalarQuantizer::QuantizerType values read here (not QT_8bit_direct, 5). */
const SQ_QTYPES: Record<number, { name: string; bits: number; uniform?: boolean }> = {
  0: { name: 'QT_8bit', bits: 8 },
  1: { name: 'QT_4bit', bits: 4 },
  2: { name: 'QT_8bit_uniform', bits: 8, uniform: true },
  3: { name: 'QT_4bit_uniform', bits: 4, uniform: true },
  4: { name: 'QT_fp16', bits: 16 },
  6: { name: 'QT_6bit', bits: 6 },
};

/** Half floats with an all-ones exponent (Infinity, NaN) decode to what no distance survives. */
function checkHalfFloats(r: Reader, at: number, count: number, what: string): void {
  const v = new DataView(r.bytes.buffer, r.bytes.byteOffset + at, count);
  for (let i = 0; i + 1 < count; i += 2) {
    if ((v.getUint16(i, true) & 0x7c00) === 0x7c00) r.fail(`${what} holds a 16-bit float that is not finite`, at + i);
  }
}

/**
 * faiss's ScalarQuantizer: qtype, rangestat (int32 each), rangestat_arg (float), d
 * and code_size (size_t each), trained ranges. Decoded values lie in [vmin, vmin +
 * vdiff]: both ends within 2 * valueLimit(d), or distances could overflow to NaN.
 */
function readSQ(r: Reader, what: string, d: number, trained: boolean): Codec {
  const at = r.pos;
  const qtype = r.i32(`${what}'s SQ type`);
  const t = SQ_QTYPES[qtype];
  if (!t)
    r.fail(
      `${what}'s SQ type is ${qtype}; this lab reads ${Object.values(SQ_QTYPES)
        .map((x) => x.name)
        .join(', ')}`,
      at,
    );
  const rs = r.i32(`${what}'s SQ range statistic`);
  if (rs < 0 || rs > 3) r.fail(`${what}'s SQ range statistic is ${rs}, not 0-3`, at + 4);
  const arg = r.f32(`${what}'s SQ range argument`);
  if (!Number.isFinite(arg)) r.fail(`${what}'s SQ range argument is ${arg}`, at + 8);
  r.int(`${what}'s SQ d`, d, d, false);
  const codeSize = t.bits === 16 ? 2 * d : t.bits === 6 ? Math.ceil((6 * d) / 8) : t.bits === 4 ? Math.ceil(d / 2) : d;
  r.int(`${what}'s SQ code size`, codeSize, codeSize, false);
  const v = r.vector(`${what}'s SQ ranges`, 4);
  // faiss decodes with trained[0..1] (uniform) or trained[0..2d) without checking their length.
  const want = t.bits === 16 ? v.count : t.uniform ? 2 : 2 * d;
  if (v.count !== want && (trained || v.count !== 0))
    r.fail(`${what}'s SQ ranges hold ${v.count} values where ${want} are expected`, v.at - 8);
  const x = new Float32Array(v.data);
  const limit = 2 * valueLimit(d);
  const n = t.uniform ? 1 : d;
  if (t.bits !== 16 && x.length === want) {
    for (let j = 0; j < n; j++) {
      const lo = x[j];
      const hi = lo + x[n + j];
      if (!(Math.abs(lo) <= limit && Math.abs(hi) <= limit)) {
        r.fail(
          `${what}'s SQ range of component ${j} is [${lo}, ${hi}], beyond ±${limit.toExponential(2)} for d=${d}`,
          v.at + 4 * j,
        );
      }
    }
  }
  return { codeSize, check: t.bits === 16 ? checkHalfFloats : undefined };
}

/** IndexPQ ("IxPq"): header, PQ, codes, search type, encode_signs, polysemous_ht. */
function readPQIndex(r: Reader, what: string): Summary {
  const s = header(r, what);
  if (s.metric > 1) r.fail(`${what}'s metric is ${s.metric}; an IndexPQ searches by L2 or INNER_PRODUCT only`);
  if (!s.isTrained && s.ntotal > 0) r.fail(`${what} holds ${s.ntotal} vectors but is not trained`);
  const pq = readPQ(r, what, s.d, 16);
  const codes = r.vector(`${what}'s codes`, 1, s.ntotal * pq.codeSize);
  void codes;
  const stAt = r.pos;
  const searchType = r.i32(`${what}'s search type`);
  // The polysemous, Hamming and SDC searches need tables faiss does not store or rebuild on read.
  if (searchType !== 0)
    r.fail(`${what}'s search type is ${searchType}; this lab reads the plain PQ search (ST_PQ, 0)`, stAt);
  const signs = r.u8(`${what}'s encode_signs`);
  if (signs > 1) r.fail(`${what}'s encode_signs is ${signs}, not 0 or 1`, stAt + 4);
  r.i32(`${what}'s polysemous_ht`);
  return { kind: 'PQ', ...s, nbits: pq.nbits };
}

/** IndexScalarQuantizer ("IxSQ"): header, SQ, codes. */
function readSQIndex(r: Reader, what: string): Summary {
  const s = header(r, what);
  if (s.metric > 1)
    r.fail(`${what}'s metric is ${s.metric}; an IndexScalarQuantizer searches by L2 or INNER_PRODUCT only`);
  if (!s.isTrained && s.ntotal > 0) r.fail(`${what} holds ${s.ntotal} vectors but is not trained`);
  const sq = readSQ(r, what, s.d, s.isTrained);
  const codes = r.vector(`${what}'s codes`, 1, s.ntotal * sq.codeSize);
  sq.check?.(r, codes.at, codes.count, `${what}'s codes`);
  return { kind: 'SQ', ...s };
}

function readHNSW(r: Reader, what: string, kind: 'HNSWFlat' | 'HNSWSQ' | 'HNSWPQ' = 'HNSWFlat'): Summary {
  const s = header(r, what);
  const probas = r.vector(`${what}'s level probabilities`, 8);
  const L = probas.count;
  if (L < 2 || L > 64) r.fail(`${what} has ${L} levels; faiss's HNSW has between 2 and 64`, probas.at);
  for (const p of new Float64Array(probas.data)) {
    if (!(p >= 0 && p <= 1)) r.fail(`${what}'s level probability ${p} is not in [0, 1]`, probas.at);
  }
  const cumV = r.vector(`${what}'s neighbours per level`, 4, L + 1);
  const cum = new Int32Array(cumV.data);
  if (cum[0] !== 0) r.fail(`${what}'s neighbour table starts at ${cum[0]}, not 0`, cumV.at);
  for (let l = 0; l < L; l++) {
    if (!(cum[l + 1] > cum[l]) || cum[l + 1] > 1 << 16) {
      r.fail(`${what}'s neighbours per level are not increasing within 65536 (${Array.from(cum).join(', ')})`, cumV.at);
    }
  }
  const n = s.ntotal;
  const levelsV = r.vector(`${what}'s levels`, 4, n);
  const levels = new Int32Array(levelsV.data);
  for (let i = 0; i < n; i++) {
    if (levels[i] < 1 || levels[i] > L)
      r.fail(`${what}: vector ${i} is on ${levels[i]} levels, not 1..${L}`, levelsV.at + 4 * i);
  }
  const offsetsV = r.vector(`${what}'s offsets`, 8, n + 1);
  const offsets = new BigUint64Array(offsetsV.data);
  let o = 0;
  for (let i = 0; i <= n; i++) {
    if (offsets[i] !== BigInt(o)) {
      r.fail(
        `${what}: vector ${i}'s neighbours start at ${offsets[i]}, where its levels put them at ${o}`,
        offsetsV.at + 8 * i,
      );
    }
    if (i < n) o += cum[levels[i]];
  }
  const nbV = r.vector(`${what}'s neighbours`, 4, o);
  const nb = new Int32Array(nbV.data);
  for (let i = 0; i < n; i++) {
    const start = Number(offsets[i]);
    for (let l = 0; l < levels[i]; l++) {
      for (let j = start + cum[l]; j < start + cum[l + 1]; j++) {
        const v = nb[j];
        if (v === -1) continue;
        // A neighbour must exist at this level: its table for the level is where faiss reads next.
        if (v < 0 || v >= n || levels[v] <= l) {
          r.fail(
            `${what}: neighbour ${v} of vector ${i} at level ${l} ` +
              (v < -1 || v >= n ? `is not a vector (ntotal=${n})` : 'has no table at that level'),
            nbV.at + 4 * j,
          );
        }
      }
    }
  }
  const epAt = r.pos;
  const entry = r.i32(`${what}'s entry point`);
  const maxLevel = r.i32(`${what}'s max level`);
  if (n === 0 ? entry !== -1 || maxLevel !== -1 : entry < 0 || entry >= n || maxLevel !== levels[entry] - 1) {
    r.fail(`${what}'s entry point ${entry} and max level ${maxLevel} do not match its ${n} vectors`, epAt);
  }
  const efC = r.i32(`${what}'s efConstruction`);
  const efS = r.i32(`${what}'s efSearch`);
  const beam = r.i32(`${what}'s upper_beam`);
  if (efC < 1 || efC > EF_MAX || efS < 1 || efS > EF_MAX)
    r.fail(`${what}'s efConstruction ${efC} or efSearch ${efS} is not in [1, ${EF_MAX}]`, epAt + 8);
  if (beam !== 1) r.fail(`${what}'s upper_beam is ${beam}; this lab reads faiss's default, 1`, epAt + 16);
  const want = kind === 'HNSWFlat' ? 'Flat' : kind === 'HNSWSQ' ? 'SQ' : 'PQ';
  const storageAt = r.pos;
  const storage = readIndexAt(r, `${what}'s storage`, [want]);
  if (storage.kind !== want || storage.d !== s.d || storage.ntotal !== n || storage.metric !== s.metric) {
    r.fail(`${what}'s storage is not an Index${want} of its d=${s.d}, ntotal=${n} and metric ${s.metric}`, storageAt);
  }
  // Searching reads the storage's codebook: an untrained one has none (read out of bounds).
  if ((s.isTrained || n > 0) && !storage.isTrained)
    r.fail(`${what} says it is trained or holds vectors, but its storage is not trained`, storageAt);
  // faiss builds an IndexHNSWPQ with 8-bit codes by L2 and computes a table of 4^nbits * M floats on read.
  if (kind === 'HNSWPQ' && (storage.nbits !== 8 || s.metric !== 1)) {
    r.fail(
      `${what}'s PQ has nbits=${storage.nbits} and metric ${s.metric}; an IndexHNSWPQ has 8-bit codes and searches by L2`,
      storageAt,
    );
  }
  if (kind === 'HNSWSQ' && s.metric > 1)
    r.fail(`${what}'s metric is ${s.metric}; an IndexHNSWSQ searches by L2 or INNER_PRODUCT only`, storageAt);
  return { kind, ...s };
}

function readIVF(r: Reader, what: string, variant: 'Flat' | 'Dedup' | 'PQ' | 'SQ' = 'Flat'): Summary {
  const dedup = variant === 'Dedup';
  const s = header(r, what);
  if (s.metric > 1) r.fail(`${what}'s metric is ${s.metric}; IVF indexes support L2 and INNER_PRODUCT only`);
  const nlistAt = r.pos;
  const nlist = r.int(`${what}'s nlist`, 1, NLIST_MAX, false);
  r.int(`${what}'s nprobe`, 1, NPROBE_MAX, false);
  const q = readIndexAt(r, `${what}'s quantizer`, ['Flat', 'HNSWFlat']);
  if ((q.kind !== 'Flat' && q.kind !== 'HNSWFlat') || q.metric > 1 || q.d !== s.d) {
    r.fail(`${what}'s quantizer is not a flat or HNSW index by L2 or inner product with d=${s.d}`, nlistAt);
  }
  if (q.ntotal !== 0 && q.ntotal !== nlist)
    r.fail(`${what}'s quantizer holds ${q.ntotal} centroids for ${nlist} lists`, nlistAt);
  if (s.isTrained && q.ntotal !== nlist)
    r.fail(`${what} says it is trained, but its quantizer holds ${q.ntotal} of ${nlist} centroids`, nlistAt);
  if (!s.isTrained && s.ntotal > 0) r.fail(`${what} holds ${s.ntotal} vectors but is not trained`, nlistAt);

  const dmAt = r.pos;
  const dmType = r.u8(`${what}'s direct map type`);
  if (dmType > 2) r.fail(`${what}'s direct map type is ${dmType}, not 0, 1 or 2`, dmAt);
  const dmArray = new BigInt64Array(r.vector(`${what}'s direct map`, 8).data);
  const dmPairs = dmType === 2 ? new BigInt64Array(r.vector(`${what}'s direct map table`, 16).data) : undefined;
  if (dedup) {
    // faiss reads the duplicates' table two ids at a time.
    const tab = r.vector(`${what}'s table of duplicates`, 8);
    if (tab.count % 2) r.fail(`${what}'s table of duplicates holds ${tab.count} ids, not pairs`, tab.at - 8);
  }

  // The codes in the lists: full vectors, or a quantizer's codes.
  let codec: Codec = { codeSize: 4 * s.d };
  if (variant === 'PQ') {
    const byAt = r.pos;
    if (r.u8(`${what}'s by_residual`) > 1) r.fail(`${what}'s by_residual is not 0 or 1`, byAt);
    const csAt = r.pos;
    const cs = r.int(`${what}'s code size`, 1, Number.MAX_SAFE_INTEGER, false);
    codec = readPQ(r, what, s.d, 8);
    if (cs !== codec.codeSize)
      r.fail(`${what}'s code size is ${cs}, but its PQ writes ${codec.codeSize} bytes per code`, csAt);
  } else if (variant === 'SQ') {
    codec = readSQ(r, what, s.d, s.isTrained);
    const csAt = r.pos;
    const cs = r.int(`${what}'s code size`, 1, Number.MAX_SAFE_INTEGER, false);
    if (cs !== codec.codeSize)
      r.fail(`${what}'s code size is ${cs}, but its SQ writes ${codec.codeSize} bytes per code`, csAt);
    const byAt = r.pos;
    if (r.u8(`${what}'s by_residual`) > 1) r.fail(`${what}'s by_residual is not 0 or 1`, byAt);
  }
  const ilAt = r.pos;
  const il = r.fourcc(`${what}'s inverted lists`);
  if (il !== 'ilar')
    r.fail(`${what}'s inverted lists are "${il}"; this lab reads lists stored in the file ("ilar")`, ilAt);
  r.int(`${what}'s list count`, nlist, nlist, false);
  r.int(`${what}'s code size`, codec.codeSize, codec.codeSize, false);
  const sizes = new Array<number>(nlist).fill(0);
  const ltAt = r.pos;
  const listType = r.fourcc(`${what}'s list sizes`);
  if (listType === 'full') {
    const v = new BigUint64Array(r.vector(`${what}'s list sizes`, 8, nlist).data);
    v.forEach((x, i) => {
      sizes[i] = x > BigInt(s.ntotal) ? -1 : Number(x);
    });
  } else if (listType === 'sprs') {
    const v = new BigUint64Array(r.vector(`${what}'s list sizes`, 8).data);
    if (v.length % 2) r.fail(`${what}'s sparse list sizes come in pairs, but there are ${v.length}`, ltAt);
    for (let j = 0; j < v.length; j += 2) {
      if (v[j] >= BigInt(nlist)) r.fail(`${what}'s sparse list sizes name list ${v[j]} of ${nlist}`, ltAt);
      sizes[Number(v[j])] = v[j + 1] > BigInt(s.ntotal) ? -1 : Number(v[j + 1]);
    }
  } else {
    r.fail(`${what}'s list sizes are stored as "${listType}", not "full" or "sprs"`, ltAt);
  }
  const total = sizes.reduce((a, b) => (a < 0 || b < 0 ? -1 : a + b), 0);
  // A dedup index counts its duplicates in ntotal but stores each vector once.
  if (dedup ? total < 0 || total > s.ntotal : total !== s.ntotal) {
    r.fail(`${what}'s lists hold ${total < 0 ? 'more' : total} entries, but its ntotal is ${s.ntotal}`, ltAt);
  }
  const ids: BigInt64Array[] = [];
  for (let i = 0; i < nlist; i++) {
    if (sizes[i] === 0) {
      ids.push(new BigInt64Array(0));
      continue;
    }
    const at = r.need(sizes[i] * codec.codeSize, `list ${i} of ${what}`);
    if (variant === 'Flat' || dedup) checkFloats(r, r.copy(at, sizes[i] * 4 * s.d), s.d, at, `list ${i} of ${what}`);
    else codec.check?.(r, at, sizes[i] * codec.codeSize, `list ${i} of ${what}`);
    const idAt = r.need(sizes[i] * 8, `the ids of list ${i} of ${what}`);
    ids.push(new BigInt64Array(r.copy(idAt, sizes[i] * 8)));
  }

  // faiss reconstructs through the direct map: each entry must name a list entry holding that id.
  const entry = (id: bigint, lo: bigint): boolean => {
    const list = Number(lo >> 32n);
    const offset = Number(lo & 0xffffffffn);
    return lo >= 0n && list < nlist && offset < sizes[list] && ids[list][offset] === id;
  };
  if (dmType === 1) {
    if (dmArray.length !== s.ntotal)
      r.fail(`${what}'s direct map has ${dmArray.length} entries for ${s.ntotal} vectors`, dmAt);
    dmArray.forEach((lo, i) => {
      if (lo !== -1n && !entry(BigInt(i), lo))
        r.fail(`${what}'s direct map entry ${i} does not point at vector ${i}`, dmAt);
    });
  } else if (dmPairs) {
    for (let j = 0; j < dmPairs.length; j += 2) {
      if (!entry(dmPairs[j], dmPairs[j + 1]))
        r.fail(`${what}'s direct map entry for id ${dmPairs[j]} does not point at it`, dmAt);
    }
  }
  const kind = ({ Flat: 'IVFFlat', Dedup: 'IVFFlatDedup', PQ: 'IVFPQ', SQ: 'IVFSQ' } as const)[variant];
  return { kind, ...s, ids, directMap: dmType };
}

function readIDMap(r: Reader, what: string): Summary {
  const s = header(r, what);
  const innerAt = r.pos;
  const inner = readIndexAt(r, `${what}'s index`, [
    'Flat',
    'HNSWFlat',
    'IVFFlat',
    'PQ',
    'SQ',
    'IVFPQ',
    'IVFSQ',
    'HNSWSQ',
    'HNSWPQ',
  ]);
  if (inner.kind === 'IDMap') r.fail(`${what} wraps another IDMap`, innerAt);
  if (inner.d !== s.d || inner.ntotal !== s.ntotal || inner.metric !== s.metric || inner.isTrained !== s.isTrained) {
    r.fail(`${what} and its index disagree on d, ntotal, metric or training`, innerAt);
  }
  if (inner.directMap === 2) {
    r.fail(
      `${what} wraps an IVF with a hash-table direct map, under which faiss 1.7.3 files the IDMap's additions by wrong ids`,
      innerAt,
    );
  }
  r.vector(`${what}'s ids`, 8, s.ntotal);
  // IDMap::search looks each label of the inner index up in its table: an IVF's stored ids must index it.
  for (const list of inner.ids ?? []) {
    for (const id of list) {
      if (id < 0n || id >= BigInt(s.ntotal))
        r.fail(`${what}'s IVF holds label ${id}, beyond its table of ${s.ntotal} ids`, innerAt);
    }
  }
  return { kind: 'IDMap', ...s };
}

/** The checks each four-character code is read with, from the registry's rows (src/faiss/registry.ts). */
const KINDS: Record<string, Kind> = Object.fromEntries(
  INDEX_KINDS.flatMap((k) => k.fourcc.map((code) => [code, (k.checkedAs ?? k.name) as Kind])),
);

/** faiss's class of each kind, for messages: the row of that name. */
const CLASS = Object.fromEntries(
  INDEX_KINDS.filter((k) => k.fourcc.length > 0 && k.checkedAs === undefined).map((k) => [k.name, k.className]),
) as Record<Kind, string>;

/** Reads one index of the kinds allowed where it stands (a quantizer is flat or HNSW, ...). */
function readIndexAt(r: Reader, what: string, allowed: Kind[]): Summary {
  const at = r.pos;
  const h = r.fourcc(`the type of ${what}`);
  const kind = KINDS[h];
  if (!kind) return r.fail(`index type "${h}" of ${what} not recognized: this lab reads ${READABLE}`, at);
  if (!allowed.includes(kind))
    return r.fail(
      `${what} is an ${CLASS[kind]} ("${h}"); it must be one of: ${allowed.map((k) => CLASS[k]).join(', ')}`,
      at,
    );
  switch (kind) {
    case 'Flat':
      return readFlat(r, h, what);
    case 'HNSWFlat':
    case 'HNSWSQ':
    case 'HNSWPQ':
      return readHNSW(r, what, kind);
    case 'IVFFlat':
      return readIVF(r, what, 'Flat');
    case 'IVFFlatDedup':
      return readIVF(r, what, 'Dedup');
    case 'IVFPQ':
      return readIVF(r, what, 'PQ');
    case 'IVFSQ':
      return readIVF(r, what, 'SQ');
    case 'PQ':
      return readPQIndex(r, what);
    case 'SQ':
      return readSQIndex(r, what);
    default:
      return readIDMap(r, what);
  }
}

/**
 * Throws an IndexDataError unless `bytes` hold one index of a type this lab
 * reads, in a form faiss can read, search and add to without reading out of bounds.
 */
export function checkSerialized(bytes: Uint8Array): void {
  const r = new Reader(bytes);
  readIndexAt(r, 'the index', Object.keys(CLASS) as Kind[]);
  if (r.pos !== bytes.length) r.fail(`${bytes.length - r.pos} bytes follow the index: damaged, or not one index`);
}
