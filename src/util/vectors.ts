import type { Matrix } from '../types';

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
