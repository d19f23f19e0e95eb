/**
 * Matrix helpers shared by the library (one copy each): row picking, shape
 * checks at the TS boundary, L2 normalisation.
 */
import type { Matrix } from '../types';
import { ArgumentError, invalid } from './check';

/** Scales each row of a row-major (n, d) matrix to unit L2 norm, in place (zero rows stay zero). */
export function l2normalize(data: Float32Array, d: number): void {
  for (let i = 0; i < data.length; i += d) {
    let s = 0;
    for (let t = 0; t < d; t++) s += data[i + t] * data[i + t];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let t = 0; t < d; t++) data[i + t] *= inv;
  }
}

/** L2-normalised copies of a matrix's rows (source marked normalised): what cosine search and the classifier take. */
export function normalizeRows(x: Matrix): Matrix {
  const data = Float32Array.from(x.data);
  l2normalize(data, x.d);
  return { data, n: x.n, d: x.d, source: { ...(x.source ?? {}), normalized: true } };
}

/** x itself when it is a well-formed Matrix { data: Float32Array, n, d } with n*d values; else a clear error. */
export function checkMatrix(x: Matrix, name: string): Matrix {
  const ok =
    !!x && typeof x === 'object' && x.data instanceof Float32Array && Number.isInteger(x.d) && Number.isInteger(x.n);
  if (!ok) throw invalid(name, 'a Matrix { data: Float32Array, n, d } (e.g. course.vectors)', x);
  if (x.data.length !== x.n * x.d) {
    throw new ArgumentError(`${name} says n=${x.n}, d=${x.d}, but holds ${x.data.length} values`);
  }
  return x;
}

/**
 * The values of x, a Float32Array of n*d values or a Matrix of dimension d,
 * checked against the d that `owner` (e.g. 'the classifier') has.
 */
export function valuesOf(x: Float32Array | Matrix, d: number, name: string, owner: string): Float32Array {
  const data = x instanceof Float32Array ? x : x?.data;
  if (!(data instanceof Float32Array)) throw invalid(name, 'a Float32Array of n*d values or a Matrix', x);
  if (!(x instanceof Float32Array) && x.d !== d) {
    throw new ArgumentError(`${name} has vectors of d=${x.d}, but ${owner} has d=${d}`);
  }
  if (data.length % d !== 0) {
    throw new ArgumentError(`${name} holds ${data.length} values, not a whole number of vectors of d=${d}`);
  }
  return data;
}

/**
 * Rows of a matrix picked by index, in the order given (e.g. queries taken from
 * the database), keeping its source: the picked vectors are still that model's.
 */
export function takeRows(m: Matrix, rows: ArrayLike<number>): Matrix {
  const { d, n } = checkMatrix(m, 'm');
  if (!rows || typeof rows.length !== 'number') throw invalid('rows', 'a list of row numbers', rows);
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!Number.isInteger(r) || r < 0 || r >= n) throw invalid(`rows[${i}]`, `a row number from 0 to ${n - 1}`, r);
    out.set(m.data.subarray(r * d, (r + 1) * d), i * d);
  }
  return m.source ? { data: out, n: rows.length, d, source: m.source } : { data: out, n: rows.length, d };
}
