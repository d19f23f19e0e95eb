/**
 * numpy's .npy format (versions 1-3), so caches and results open in Python
 * with np.load. Little-endian, C order. Writes are atomic (temp file + rename).
 */
import * as fs from 'node:fs';
import { ArgumentError, describe } from '../util/check';
import { readError, writeFileAtomic } from './files';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

type NpyArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

const DTYPES: Record<string, { ctor: new (n: number) => NpyArray; bytes: number }> = {
  '<f4': { ctor: Float32Array, bytes: 4 },
  '<f8': { ctor: Float64Array, bytes: 8 },
  '<i8': { ctor: BigInt64Array, bytes: 8 },
  '<i4': { ctor: Int32Array, bytes: 4 },
  '|u1': { ctor: Uint8Array, bytes: 1 },
};

function dtypeOf(a: NpyArray): string {
  if (a instanceof Float32Array) return '<f4';
  if (a instanceof Float64Array) return '<f8';
  if (a instanceof BigInt64Array) return '<i8';
  if (a instanceof Int32Array) return '<i4';
  if (a instanceof Uint8Array) return '|u1';
  throw new ArgumentError(
    `Expected Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array but received ${describe(a)}`,
  );
}

export interface Npy<T extends NpyArray = NpyArray> {
  data: T;
  shape: number[];
  dtype: string;
}

/** The bytes of a .npy file holding `data` with this shape (default: 1-D). */
export function encodeNpy(data: NpyArray, shape: number[] = [data.length]): Buffer {
  const dtype = dtypeOf(data);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((s) => Number.isSafeInteger(s) && s >= 0) || count !== data.length) {
    throw new ArgumentError(`shape [${shape}] does not match ${data.length} values`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad so that the data starts on a 64-byte boundary, ending the header with \n.
  const pre = MAGIC.length + 2 + 2;
  header += ' '.repeat(64 - ((pre + header.length + 1) % 64 || 64)) + '\n';
  const head = Buffer.alloc(pre);
  MAGIC.copy(head, 0);
  head[6] = 1; // version 1.0
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

interface Layout {
  kind: (typeof DTYPES)[string];
  shape: number[];
  dtype: string;
  /** Where the data starts, and how many elements it holds. */
  offset: number;
  count: number;
}

/** Reads a .npy header from its first bytes; `total` is the whole file's (or buffer's) length. */
function parseHeader(head: Buffer, total: number, source: string): Layout {
  const fail = (why: string) => new Error(`${source} is not a valid .npy file: ${why}`);
  if (head.length < 10 || !head.subarray(0, 6).equals(MAGIC)) throw fail('missing the \\x93NUMPY magic');
  const major = head[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = head.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (head.length < 12) throw fail('truncated header');
    headerLen = head.readUInt32LE(8);
    start = 12;
  } else {
    throw fail(`unsupported version ${major}`);
  }
  if (start + headerLen > head.length) throw fail('truncated header');
  const header = head.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw fail(`unreadable header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw fail('Fortran-order arrays are not supported (save with np.ascontiguousarray)');
  const kind = DTYPES[descr === '<u1' ? '|u1' : descr];
  if (!kind) throw fail(`dtype ${descr} not supported (expected one of ${Object.keys(DTYPES).join(', ')})`);
  const shape = shapeText
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(Number);
  if (!shape.every((x) => Number.isSafeInteger(x) && x >= 0)) throw fail(`bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const expected = offset + count * kind.bytes;
  if (total !== expected) {
    throw fail(`expected ${expected} bytes for shape (${shape}) of ${descr}, found ${total} (truncated or damaged)`);
  }
  return { kind, shape, dtype: descr, offset, count };
}

/** Parses .npy bytes; `source` names the file in error messages. */
export function decodeNpy(buf: Buffer, source = 'npy data'): Npy {
  const { kind, shape, dtype, offset, count } = parseHeader(buf, buf.length, source);
  // Copy: the data may not be aligned for a typed-array view.
  const data = new kind.ctor(count);
  Buffer.from(data.buffer).set(buf.subarray(offset, offset + count * kind.bytes));
  return { data, shape, dtype };
}

/** Reads a .npy file (as written by np.save or writeNpy), straight into its typed array (no second copy). */
export function readNpy(file: string): Npy {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw readError(file, e);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 1 << 16));
    fs.readSync(fd, head, 0, head.length, 0);
    const { kind, shape, dtype, offset, count } = parseHeader(head, size, file);
    const data = new kind.ctor(count);
    const bytes = Buffer.from(data.buffer, 0, count * kind.bytes);
    for (let done = 0; done < bytes.length; ) {
      const n = fs.readSync(fd, bytes, done, bytes.length - done, offset + done);
      if (n === 0) throw new Error(`${file} is not a valid .npy file: it ended early (being written?)`);
      done += n;
    }
    return { data, shape, dtype };
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a .npy file atomically; np.load reads it. shape defaults to 1-D. */
export function writeNpy(file: string, data: NpyArray, shape?: number[]): void {
  writeFileAtomic(file, encodeNpy(data, shape));
}
