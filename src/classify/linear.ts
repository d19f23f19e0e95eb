/**
 * A linear classifier on embeddings, in plain TypeScript on Float32Arrays:
 * score(x) = scale * (w . x) + bias, with the weight w kept at unit length.
 *
 * Why unit length: the weight doubles as a query vector. The photos' vectors are
 * L2-normalised, so w . x is a cosine similarity, and "the photos the
 * classifier is surest about" are exactly "the nearest photos of w" in an
 * inner-product (or L2, or cosine) index. Left alone, gradient descent grows or
 * shrinks w; re-normalising after every step (as the visual dataset explorer
 * tutorial does) keeps the ranking a vector index can answer, and puts the
 * confidence into `scale` (fixed, like CLIP's logit scale) and the bias.
 *
 * It starts from a vector (the CLIP text embedding of a prompt: the zero-shot
 * classifier) or from a seeded random direction, and is fit with binary
 * cross-entropy on labelled positives and negatives (classes weighted equally
 * by default: a few positives among many negatives still count). Everything is
 * deterministic: the same seed, data and labels give the same weights.
 *
 * @example
 * const t = await embedTexts(['a dog playing in snow'], { normalize: true });
 * const clf = LinearClassifier.fromVector(t);            // the zero-shot classifier
 * const { losses } = clf.fit(X, [true, false, true]);    // X: (3, d), L2-normalised
 * clf.score(allPhotos);                                   // Float32Array of logits
 * index.search(clf.query, 12);                            // the weight as the query
 */

import { gaussian, rng } from '../data/synthetic';
import type { Matrix } from '../types';
import { ArgumentError, checkInteger, invalid } from '../util/check';
import { valuesOf } from '../util/vectors';

export interface ClassifierOptions {
  /** Logit scale: score = scale * (w . x) + bias (default 10). Fixed: w stays unit length. */
  scale?: number;
  /** Seed of the random start (no initial vector) and of mini-batch order (default 0). */
  seed?: number;
}

export interface FitOptions {
  /** Gradient steps over the labelled set (default 100). */
  epochs?: number;
  /**
   * Step size (default 1). Full-batch fits halve it whenever a step would raise
   * the loss (backtracking), so the loss never rises; mini-batch steps keep it.
   */
  learningRate?: number;
  /** Examples per step (default: all, full batch: the loss then never rises). */
  batchSize?: number;
  /** Weigh positives and negatives equally whatever their counts (default true). */
  balance?: boolean;
}

export interface FitResult {
  /** The weighted BCE loss before the first step and after each epoch (epochs + 1 values). */
  losses: number[];
  positives: number;
  negatives: number;
  steps: number;
}

/** Labels: true/1 positive, false/0 negative. */
export type Labels = ArrayLike<boolean | number>;

function unit(v: Float32Array, what: string): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (!(s > 0) || !Number.isFinite(s))
    throw new ArgumentError(`${what} has no direction (zero, NaN or infinite length)`);
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** See the module's description. */
export class LinearClassifier {
  /** The weight: unit length, always (a copy is the query vector). */
  readonly weight: Float32Array;
  /** The bias: the logit of a photo at right angles to the weight. */
  bias = 0;
  readonly scale: number;
  readonly seed: number;
  /** Where the start came from: 'vector' (e.g. a text prompt) or 'random'. */
  readonly start: 'vector' | 'random';
  private fitted = false;

  /** A classifier of d-dimensional vectors starting from `init` (normalised here) or a seeded random direction. */
  constructor(
    readonly d: number,
    init?: Float32Array,
    options: ClassifierOptions = {},
  ) {
    checkInteger(d, 'd', 1, 1 << 20);
    this.scale = options.scale ?? 10;
    if (!(this.scale > 0) || !Number.isFinite(this.scale)) throw invalid('scale', 'a positive number', options.scale);
    this.seed = checkInteger(options.seed ?? 0, 'seed', 0, 2 ** 32 - 1);
    if (init !== undefined) {
      if (!(init instanceof Float32Array) || init.length !== d)
        throw invalid('init', `a Float32Array of d=${d} values`, init);
      this.weight = unit(Float32Array.from(init), 'the initial vector');
      this.start = 'vector';
    } else {
      const normal = gaussian(rng(this.seed ^ 0x5eed));
      this.weight = unit(Float32Array.from({ length: d }, normal), 'the random start');
      this.start = 'random';
    }
  }

  /** The zero-shot classifier: the weight is the first row of v (e.g. a text embedding), normalised. */
  static fromVector(v: Float32Array | Matrix, options: ClassifierOptions = {}): LinearClassifier {
    const data = v instanceof Float32Array ? v : v?.data;
    const d = v instanceof Float32Array ? v.length : v?.d;
    if (!(data instanceof Float32Array) || !Number.isInteger(d) || data.length < d)
      throw invalid('v', 'a Float32Array or a (1, d) Matrix', v);
    return new LinearClassifier(d, data.slice(0, d), options);
  }

  /** The weight as a (1, d) query matrix (L2-normalised), for any index. */
  get query(): Matrix {
    return { data: Float32Array.from(this.weight), n: 1, d: this.d, source: { normalized: true } };
  }

  /** Logits scale * (w . x) + bias, one per row of X (rows should be L2-normalised). */
  score(X: Float32Array | Matrix): Float32Array {
    const x = valuesOf(X, this.d, 'X', 'the classifier');
    const n = x.length / this.d;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.logit(x, i);
    return out;
  }

  /** Probabilities sigmoid(score), one per row of X. */
  probability(X: Float32Array | Matrix): Float32Array {
    return this.score(X).map(sigmoid);
  }

  /** The (balanced) binary cross-entropy on labelled rows. */
  loss(X: Float32Array | Matrix, y: Labels, options: Pick<FitOptions, 'balance'> = {}): number {
    const x = valuesOf(X, this.d, 'X', 'the classifier');
    const labels = this.checkLabels(y, x.length / this.d);
    const w = exampleWeights(labels, options.balance ?? true);
    let s = 0;
    for (let i = 0; i < labels.length; i++) s += w[i] * bce(this.logit(x, i), labels[i]);
    return s;
  }

  /**
   * Fits on labelled rows (X: (n, d), L2-normalised; y: n labels) with binary
   * cross-entropy, re-normalising the weight after every step. Continues from
   * the current weight (the prompt, or the last fit). On the first fit the bias
   * starts where the labelled scores are centred.
   */
  fit(X: Float32Array | Matrix, y: Labels, options: FitOptions = {}): FitResult {
    const x = valuesOf(X, this.d, 'X', 'the classifier');
    const n = x.length / this.d;
    const labels = this.checkLabels(y, n);
    if (n === 0) throw new ArgumentError('fit needs labelled examples (X and y are empty)');
    const epochs = checkInteger(options.epochs ?? 100, 'epochs', 0, 1e6);
    const lr = options.learningRate ?? 1;
    if (!(lr > 0) || !Number.isFinite(lr)) throw invalid('learningRate', 'a positive number', options.learningRate);
    const batch = checkInteger(options.batchSize ?? n, 'batchSize', 1);
    const balance = options.balance ?? true;
    const weights = exampleWeights(labels, balance);
    const { d, scale } = this;
    if (!this.fitted) {
      let m = 0;
      for (let i = 0; i < n; i++) m += this.dot(x, i);
      this.bias = -scale * (m / n);
      this.fitted = true;
    }
    const total = () => {
      let s = 0;
      for (let i = 0; i < n; i++) s += weights[i] * bce(this.logit(x, i), labels[i]);
      return s;
    };
    const losses = [total()];
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const random = rng(this.seed);
    const grad = new Float64Array(d);
    const keep = new Float32Array(d);
    let rate = lr;
    let steps = 0;
    for (let e = 0; e < epochs; e++) {
      if (batch < n) shuffle(order, random);
      for (let s = 0; s < n; s += batch) {
        const end = Math.min(n, s + batch);
        // Each batch's weights are rescaled to sum to 1, so a step's size does not depend on the batch size.
        let wsum = 0;
        for (let j = s; j < end; j++) wsum += weights[order[j]];
        if (wsum === 0) continue;
        grad.fill(0);
        let gb = 0;
        for (let j = s; j < end; j++) {
          const i = order[j];
          const g = (weights[i] / wsum) * (sigmoid(this.logit(x, i)) - labels[i]); // dLoss/dlogit
          gb += g;
          const off = i * d;
          for (let t = 0; t < d; t++) grad[t] += g * scale * x[off + t];
        }
        if (batch < n) {
          this.step(grad, gb, rate);
        } else {
          // Full batch: a step that would raise the loss is taken back and tried at half the size
          // (backtracking), so the loss never rises and one learning rate suits any embedding.
          keep.set(this.weight);
          const bias = this.bias;
          const before = losses[losses.length - 1];
          let tries = 0;
          for (;;) {
            this.step(grad, gb, rate);
            if (total() <= before || ++tries > 30) break;
            this.weight.set(keep);
            this.bias = bias;
            rate /= 2;
          }
          if (tries > 30) {
            this.weight.set(keep);
            this.bias = bias;
          }
        }
        steps++;
      }
      losses.push(total());
    }
    return {
      losses,
      positives: labels.filter((v) => v === 1).length,
      negatives: labels.filter((v) => v === 0).length,
      steps,
    };
  }

  toString(): string {
    return `LinearClassifier(d=${this.d}, scale=${this.scale}, bias=${this.bias.toFixed(3)}, start=${this.start})`;
  }

  /** One gradient step, then the weight back to unit length. */
  private step(grad: Float64Array, gb: number, rate: number): void {
    for (let t = 0; t < this.d; t++) this.weight[t] -= rate * grad[t];
    this.bias -= rate * gb;
    unit(this.weight, 'the weight after a step');
  }

  private dot(x: Float32Array, i: number): number {
    let s = 0;
    const off = i * this.d;
    for (let t = 0; t < this.d; t++) s += this.weight[t] * x[off + t];
    return s;
  }

  private logit(x: Float32Array, i: number): number {
    return this.scale * this.dot(x, i) + this.bias;
  }

  private checkLabels(y: Labels, n: number): number[] {
    if (y == null || typeof y.length !== 'number' || y.length !== n)
      throw invalid('y', `one label per row (${n}): true/1 positive, false/0 negative`, y);
    return Array.from(y, (v, i) => {
      if (v === true || v === 1) return 1;
      if (v === false || v === 0) return 0;
      throw new ArgumentError(`y[${i}] is ${JSON.stringify(v)}: labels are true/1 (positive) or false/0 (negative)`);
    });
  }
}

function bce(z: number, y: number): number {
  return y === 1 ? softplus(-z) : softplus(z);
}

/** Per-example weights summing to 1: each class half when balanced (and both present), else equal. */
function exampleWeights(labels: number[], balance: boolean): Float64Array {
  const n = labels.length;
  const pos = labels.filter((v) => v === 1).length;
  const neg = n - pos;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = balance && pos > 0 && neg > 0 ? 0.5 / (labels[i] === 1 ? pos : neg) : 1 / n;
  return w;
}

function shuffle(a: Int32Array, random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
