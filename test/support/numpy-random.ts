// numpy's legacy RandomState (MT19937) in TypeScript, enough to make the data sets
// faiss's own tests use (tests/common_faiss_tests.py: get_dataset, get_dataset_2),
// so the ported tests run on the same vectors as upstream: rand() is bit-exact,
// normal() is numpy's legacy polar method. test/index-quantizers.test.ts checks both
// against numpy itself.

/** numpy.random.RandomState(seed) for an integer seed (0 .. 2^32-1). */
export class RandomState {
  private readonly mt = new Uint32Array(624);
  private pos = 624;
  private gauss: number | undefined;

  constructor(seed: number) {
    // mt19937_seed (numpy's legacy seeding for an integer): Knuth's initialisation.
    let s = seed >>> 0;
    for (let i = 0; i < 624; i++) {
      this.mt[i] = s;
      s = (Math.imul(1812433253, s ^ (s >>> 30)) + i + 1) >>> 0;
    }
  }

  /** One 32-bit output of MT19937. */
  uint32(): number {
    const mt = this.mt;
    if (this.pos >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.pos = 0;
    }
    let y = mt[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** random_sample(): a double in [0, 1) from 53 random bits. */
  double(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** rand(n): n doubles, as rs.rand(rows, cols) fills them row by row. */
  rand(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.double();
    return out;
  }

  /** standard_normal() the legacy way (polar method, the second value kept for the next call). */
  normal(): number {
    if (this.gauss !== undefined) {
      const g = this.gauss;
      this.gauss = undefined;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.double() - 1;
      x2 = 2 * this.double() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    return f * x2;
  }
}

export interface Dataset {
  xt: Float32Array;
  xb: Float32Array;
  xq: Float32Array;
  d: number;
}

/** common_faiss_tests.get_dataset(d, nb, nt, nq): uniform in [0, 1), seed 123 (note the order: nb before nt). */
export function getDataset(d: number, nb: number, nt: number, nq: number): Dataset {
  const rs = new RandomState(123);
  const xb = Float32Array.from(rs.rand(nb * d));
  const xt = Float32Array.from(rs.rand(nt * d));
  const xq = Float32Array.from(rs.rand(nq * d));
  return { xt, xb, xq, d };
}

/**
 * common_faiss_tests.get_dataset_2(d, nt, nb, nq): "not completely random but still
 * challenging to index": a 10-dimensional Gaussian mapped into d dimensions, scaled per
 * component and passed through sin. Computed in float64 as numpy does, then float32.
 */
export function getDataset2(d: number, nt: number, nb: number, nq: number): Dataset {
  const d1 = 10;
  const n = nb + nt + nq;
  const rs = new RandomState(1338);
  const g = new Float64Array(n * d1);
  for (let i = 0; i < g.length; i++) g[i] = rs.normal();
  const proj = rs.rand(d1 * d);
  const scale = rs.rand(d).map((v) => v * 4 + 0.1);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let t = 0; t < d1; t++) s += g[i * d1 + t] * proj[t * d + j];
      x[i * d + j] = Math.sin(s * scale[j]);
    }
  }
  return { xt: x.slice(0, nt * d), xb: x.slice(nt * d, (nt + nb) * d), xq: x.slice((nt + nb) * d), d };
}
