/**
 * Few-shot classification with hard-negative mining, as in the visual dataset
 * explorer tutorial:
 *
 *   1. start: the classifier's weight is the prompt's text embedding (zero-shot);
 *   2. search the index with the weight as the query: the top N photos not yet
 *      labelled are this round's candidates;
 *   3. label them (a person, or a labeller function): the wrong ones that ranked
 *      high are the hard negatives, the most useful labels there are;
 *   4. fit on every label so far (binary cross-entropy, weight kept unit length);
 *   5. repeat from 2. A labelled id never comes back as a candidate.
 *
 * Each round reports its candidates and their precision (the share the labeller
 * calls positive): round 0 is the zero-shot start, so the gain is visible.
 *
 * @example
 * const miner = new HardNegativeMiner({ vectors: unitVectors, source: faissCandidates(ip), classifier: clf, n: 12 });
 * const r0 = await miner.round(classLabeller(course.classOf, 'Samoyed'));  // candidates, precision, loss
 * // or by hand: const c = await miner.candidates(); miner.label([ids...], [ids...]); miner.fit();
 */

import type { Hit } from '../search/results';
import type { Matrix } from '../types';
import { ArgumentError, checkInteger, invalid } from '../util/check';
import { takeRows } from '../util/vectors';
import type { CandidateSource } from './candidates';
import { type FitOptions, type FitResult, LinearClassifier } from './linear';

/** Says, for each id, whether it is a positive (true), a negative (false) or unknown (undefined: left unlabelled). */
export type Labeller = (ids: number[]) => Array<boolean | undefined> | Promise<Array<boolean | undefined>>;

export interface MinerOptions {
  /** The photos' vectors, L2-normalised, row i = id i (the ids the source returns). */
  vectors: Matrix;
  /** Where candidates come from: faissCandidates(index) or sqlCandidates(store), over the same vectors. */
  source: CandidateSource;
  /** The classifier to improve (e.g. LinearClassifier.fromVector(prompt)). */
  classifier: LinearClassifier;
  /** Candidates per round: the N of precision@N (default 12). */
  n?: number;
  /** How each fit runs (epochs, learning rate, ...). */
  fit?: FitOptions;
}

/** One round: what was shown, how it was labelled, and the fit that followed. */
export interface MiningRound {
  /** 0 = the start (zero-shot, when the classifier came from a prompt). */
  round: number;
  /** The N best unlabelled photos for the classifier of this round, best first (distance: the index's score). */
  candidates: Hit[];
  /** The labeller's answer per candidate. */
  labels: Array<boolean | undefined>;
  positives: number;
  negatives: number;
  /** positives / candidates: precision@N of this round's new candidates. */
  precision: number;
  /** Labels held after this round. */
  labelled: number;
  /** Positives found so far, over all rounds. */
  found: number;
  /** The fit on all labels after this round (undefined when no fit could run yet). */
  fit?: FitResult;
}

/** See the module's description. */
export class HardNegativeMiner {
  readonly vectors: Matrix;
  readonly source: CandidateSource;
  readonly classifier: LinearClassifier;
  readonly n: number;
  /** Every label given, by id, in the order given. */
  readonly labels = new Map<number, boolean>();
  /** The rounds so far. */
  readonly rounds: MiningRound[] = [];
  private readonly fitOptions: FitOptions;

  constructor(options: MinerOptions) {
    const { vectors, source, classifier } = options ?? ({} as MinerOptions);
    if (!vectors || !(vectors.data instanceof Float32Array))
      throw invalid('vectors', "the photos' L2-normalised vectors (a Matrix)", vectors);
    if (!source || typeof source.search !== 'function')
      throw invalid('source', 'faissCandidates(index) or sqlCandidates(store)', source);
    if (!(classifier instanceof LinearClassifier)) throw invalid('classifier', 'a LinearClassifier', classifier);
    if (classifier.d !== vectors.d)
      throw new ArgumentError(`the classifier has d=${classifier.d}, the vectors d=${vectors.d}`);
    if (source.ntotal !== vectors.n) {
      throw new ArgumentError(
        `the source holds ${source.ntotal} vectors but vectors has ${vectors.n}: ids must be the vectors' rows`,
      );
    }
    this.vectors = vectors;
    this.source = source;
    this.classifier = classifier;
    this.n = checkInteger(options.n ?? 12, 'n', 1, vectors.n);
    this.fitOptions = options.fit ?? {};
  }

  /** The ids labelled so far. */
  get labelled(): ReadonlySet<number> {
    return new Set(this.labels.keys());
  }

  /** This round's candidates: the N best photos for the current weight, none labelled yet. */
  async candidates(): Promise<Hit[]> {
    return this.source.search(this.classifier.weight, this.n, this.labelled);
  }

  /**
   * Records labels given by hand (ids as in the grids). An id already labelled
   * the other way is refused; the same label again is fine.
   */
  label(positive: Iterable<number> = [], negative: Iterable<number> = []): void {
    const pos = [...positive];
    const neg = [...negative];
    const both = pos.filter((id) => neg.includes(id));
    if (both.length)
      throw new ArgumentError(`ids ${both.join(', ')} are in both lists: each photo is positive or negative`);
    for (const [ids, value] of [
      [pos, true],
      [neg, false],
    ] as const) {
      for (const id of ids) {
        checkInteger(id, 'id', 0, this.vectors.n - 1);
        const had = this.labels.get(id);
        if (had !== undefined && had !== value) {
          throw new ArgumentError(`photo ${id} is already labelled ${had ? 'positive' : 'negative'}`);
        }
      }
    }
    for (const id of pos) this.labels.set(id, true);
    for (const id of neg) this.labels.set(id, false);
  }

  /** Fits the classifier on every label so far; undefined when there are none. */
  fit(): FitResult | undefined {
    if (this.labels.size === 0) return undefined;
    const ids = [...this.labels.keys()];
    return this.classifier.fit(
      takeRows(this.vectors, ids),
      ids.map((id) => this.labels.get(id)!),
      this.fitOptions,
    );
  }

  /** One round with a labeller: candidates, labels, precision, then a fit on all labels. */
  async round(labeller: Labeller): Promise<MiningRound> {
    const candidates = await this.candidates();
    const ids = candidates.map((h) => h.id);
    for (const id of ids) {
      if (this.labels.has(id))
        throw new Error(`the candidate source returned photo ${id}, which is already labelled (${this.source.name})`);
    }
    const labels = await labeller(ids);
    if (!Array.isArray(labels) || labels.length !== ids.length) {
      throw new Error(
        `the labeller returned ${Array.isArray(labels) ? labels.length : typeof labels} answers for ${ids.length} candidates: one per id (true, false or undefined)`,
      );
    }
    this.label(
      ids.filter((_, i) => labels[i] === true),
      ids.filter((_, i) => labels[i] === false),
    );
    const positives = labels.filter((v) => v === true).length;
    const negatives = labels.filter((v) => v === false).length;
    const fit = this.fit();
    const round: MiningRound = {
      round: this.rounds.length,
      candidates,
      labels,
      positives,
      negatives,
      precision: candidates.length ? positives / candidates.length : 0,
      labelled: this.labels.size,
      found: [...this.labels.values()].filter(Boolean).length,
      fit,
    };
    this.rounds.push(round);
    return round;
  }

  /** `rounds` rounds with one labeller. */
  async run(rounds: number, labeller: Labeller): Promise<MiningRound[]> {
    checkInteger(rounds, 'rounds', 1, 1000);
    const out: MiningRound[] = [];
    for (let r = 0; r < rounds; r++) out.push(await this.round(labeller));
    return out;
  }

  /**
   * Precision@N of the classifier over every photo (labelled ones included)
   * by a labeller that knows every answer (e.g. the dataset's breeds): how good
   * the classifier itself has become, apart from which photos were left to find.
   */
  async precisionAtN(labeller: Labeller, n = this.n): Promise<number> {
    const hits = await this.source.search(this.classifier.weight, n, new Set());
    const labels = await labeller(hits.map((h) => h.id));
    return hits.length ? labels.filter((v) => v === true).length / hits.length : 0;
  }
}

/** The automatic labeller: positive when the photo's class is `target` (e.g. the breed). */
export function classLabeller(classOf: (id: number) => string | number | undefined, target: string | number): Labeller {
  if (typeof classOf !== 'function')
    throw invalid('classOf', 'a function from id to class (e.g. course.classOf)', classOf);
  return (ids) =>
    ids.map((id) => {
      const c = classOf(id);
      return c === undefined ? undefined : c === target;
    });
}

/**
 * A person's labels, as two lists of ids typed into a cell: positive and
 * negative; ids in neither list stay unlabelled (and may be shown again).
 */
export function listLabeller(positive: Iterable<number>, negative: Iterable<number>): Labeller {
  const pos = new Set(positive);
  const neg = new Set(negative);
  return (ids) => ids.map((id) => (pos.has(id) ? true : neg.has(id) ? false : undefined));
}
