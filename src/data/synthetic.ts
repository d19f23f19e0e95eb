/**
 * Seeded synthetic vectors shaped like image embeddings of a labelled dataset:
 * `clusters` classes (e.g. 120 breeds), each a Gaussian blob around its centre.
 * Same seed, same numbers, on every machine.
 */
import type { Matrix } from '../types';

/** mulberry32: a small, fast, seedable PRNG with uniform floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller) from a uniform generator. */
export function gaussian(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export interface ClusteredOptions {
  /** Number of vectors. */
  n: number;
  /** Dimension (512 for CLIP ViT-B/32). */
  d: number;
  /** Number of clusters (classes). */
  clusters: number;
  /** Standard deviation within a cluster, relative to centres drawn from N(0, 1). */
  spread?: number;
  seed?: number;
}

/** n vectors in `clusters` Gaussian clusters, and the cluster of each (its class). */
export function clusteredVectors(opts: ClusteredOptions): Matrix & { classes: Int32Array } {
  const { n, d, clusters, spread = 0.35, seed = 1234 } = opts;
  const normal = gaussian(rng(seed));
  const centres = new Float32Array(clusters * d);
  for (let i = 0; i < centres.length; i++) centres[i] = normal();
  const data = new Float32Array(n * d);
  const classes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    classes[i] = c;
    for (let t = 0; t < d; t++) data[i * d + t] = centres[c * d + t] + spread * normal();
  }
  return { data, n, d, classes };
}
