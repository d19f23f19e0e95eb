/**
 * Indexes in and out: faiss's file format (readIndex, writeIndex, serializeIndex,
 * deserializeIndex), cloneIndex and indexFactory, each returning the most specific
 * class (downcast).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NativeIndex } from 'faiss-lab-native';
import { writeFileAtomic } from '../io/files';
import { type FactorySpec, parseFactory } from '../search/factory';
import { MetricType } from '../search/results';
import { checkSerialized } from '../search/serialized';
import { checkInt32, checkPath, checkString, describe, invalid } from '../util/check';
import { checkMetric, withContext } from './args';
import { Index, setDowncast } from './base';
// The families register their classes in the registry as they load.
import './flat';
import './hnsw';
import './idmap';
import './ivf';
import { native } from './native';
import { ownershipOf, type Role } from './ownership';
import './quantizers';
import { INDEX_KINDS, kindOfClass } from './registry';

// A row without its class means a family file that does not call registerClass.
const unbound = INDEX_KINDS.filter((k) => !k.cls).map((k) => k.name);
if (unbound.length) {
  throw new Error(`index kinds without a class (registerClass in their family file): ${unbound.join(', ')}`);
}

/**
 * Wraps a native index in the most specific class, like faiss.downcast_index.
 * A view (an index living inside `container`) is read-only.
 */
function downcast(n: NativeIndex, container?: Index, role?: Role): Index {
  const name = n.className();
  const cls = kindOfClass(name)?.cls ?? Index;
  const obj = Object.create(cls.prototype) as Index;
  Object.defineProperty(obj, 'native', { value: n, enumerable: false });
  if (container) Object.assign(ownershipOf(obj), { container, role });
  return obj;
}
// Views (an IVF's quantizer, an IDMap's index) are downcast by the classes through base.ts.
setDowncast(downcast);

/**
 * Builds an index from a faiss factory string, faiss.index_factory(d, description, metric).
 * Only the strings the lab runs safely are accepted (src/search/factory.ts, the
 * README's list): Flat, HNSW<M>, IVF<nlist>,Flat, IVF<nlist>_HNSW<M>,Flat, PQ<M>,
 * IVF<nlist>,PQ<M>, SQ8 (SQ4, SQ6, SQfp16), IVF<nlist>,SQ8, HNSW<M>,SQ8, HNSW<M>,PQ<m>,
 * each optionally as IDMap,... or IDMap2,...; anything else, and parameters faiss
 * 1.7.3 cannot run (PQ2x0, PQ8x99, PQ7 with d=512), are refused with the reason.
 *
 * @example
 * indexFactory(512, 'IVF143,Flat')        // IndexIVFFlat, train before add
 * indexFactory(512, 'HNSW32', MetricType.L1)
 * indexFactory(512, 'IDMap,Flat')          // addWithIds
 * indexFactory(512, 'IVF143,PQ64np')       // IndexIVFPQ: 64-byte codes, train on >= 256 vectors
 */
export function indexFactory(d: number, description: string, metric: MetricType = MetricType.L2): Index {
  checkInt32(d, 'd', 1);
  checkString(description, 'description');
  const m = checkMetric(metric);
  const what = `indexFactory(${d}, ${JSON.stringify(description)})`;
  let spec: FactorySpec;
  try {
    spec = parseFactory(description, m, d);
  } catch (e) {
    throw withContext(e, what);
  }
  try {
    return downcast(native.indexFactory(d, spec.canonical, m));
  } catch (e) {
    throw withContext(e, what);
  }
}

/**
 * A deep copy of an index, faiss.clone_index: its vectors, ids, graph, lists and
 * quantizer (the copy owns its own). Unlike faiss 1.7.3's clone_index, an
 * IndexHNSWFlat, IndexHNSWSQ or IndexHNSWPQ keeps its class (faiss makes it a plain
 * IndexHNSW, which write_index refuses) and an IndexIVFFlatDedup keeps its duplicates.
 *
 * @example
 * const empty = indexFactory(d, 'IVF64,Flat'); empty.train(xt);
 * const a = cloneIndex(empty), b = cloneIndex(empty);   // same centroids: add to each, then a.mergeFrom(b, a.ntotal)
 */
export function cloneIndex(index: Index): Index {
  checkIndex(index);
  const copy = downcast(native.cloneIndex(index.native));
  const src = index.source;
  if (src) Object.defineProperty(copy, 'sourceRef', { value: src, enumerable: false, configurable: true });
  return copy;
}

function checkIndex(index: unknown): Index {
  if (!(index instanceof Index)) throw invalid('index', 'an Index', index);
  return index;
}

/**
 * Writes an index in faiss's file format (Python's faiss.read_index reads it).
 * Atomic: a crash mid-write leaves any previous file at `file` intact.
 */
export function writeIndex(index: Index, file: string): void {
  checkIndex(index);
  checkPath(file, 'file');
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new Error(`cannot write index to ${file}: folder ${dir} does not exist`);
  const bytes = index.native.serialize();
  try {
    writeFileAtomic(file, bytes);
  } catch (e) {
    throw withContext(e, `cannot write index to ${file}`);
  }
}

/**
 * An index from faiss's bytes, checked first (src/search/serialized.ts): a
 * damaged or foreign buffer is refused before faiss reads it.
 */
function fromBytes(bytes: Uint8Array, what: string): Index {
  try {
    checkSerialized(bytes);
  } catch (e) {
    throw withContext(e, what);
  }
  try {
    return downcast(native.deserializeIndex(bytes));
  } catch (e) {
    throw withContext(e, what);
  }
}

/**
 * Reads an index written by writeIndex or by Python's faiss.write_index: Flat,
 * HNSWFlat, IVFFlat, PQ, IVFPQ, ScalarQuantizer, IVFScalarQuantizer, HNSWSQ,
 * HNSWPQ and IDMap/IDMap2 over them. The bytes are checked before faiss reads
 * them; a truncated or damaged file is refused with what is wrong.
 */
export function readIndex(file: string): Index {
  checkPath(file, 'file');
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new Error(`cannot read index: ${file} does not exist`);
  }
  if (!stat.isFile()) throw new Error(`cannot read index: ${file} is not a file`);
  const bytes = fs.readFileSync(file);
  return fromBytes(bytes, `cannot read a faiss index from ${file} (truncated, or not a faiss index file?)`);
}

/** The index in faiss's file format, in memory (faiss.serialize_index). */
export function serializeIndex(index: Index): Buffer {
  return checkIndex(index).native.serialize();
}

/**
 * An index from bytes made by serializeIndex or faiss.serialize_index
 * (faiss.deserialize_index); checked like readIndex.
 */
export function deserializeIndex(data: Uint8Array): Index {
  if (!(data instanceof Uint8Array)) throw invalid('data', 'a Buffer or Uint8Array', data);
  if (data.length === 0) throw invalid('data', 'the bytes of a faiss index', data);
  // Bytes another thread could change between the check and faiss's read are copied first.
  const bytes = data.buffer instanceof ArrayBuffer ? data : new Uint8Array(data);
  return fromBytes(bytes, `cannot deserialize a faiss index from ${describe(data)} (truncated, or not a faiss index?)`);
}
