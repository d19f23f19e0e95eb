/** A row-major float32 matrix of n vectors of d values: row i is data[i*d .. (i+1)*d). */
export interface Matrix {
  data: Float32Array;
  n: number;
  d: number;
}
