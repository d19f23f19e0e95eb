/**
 * What a mining notebook shows: each round's candidates as a photo grid (framed
 * green when labelled positive, red when negative, with their ids so a person
 * can type labels), and one table row per round.
 *
 * @example
 * const round = await miner.round(classLabeller(course.classOf, 'Samoyed'));
 * await showMiningRound(round, { rows: course.rows, imageOf: (r) => course.imagePath(r) });
 * void showTable(miningTable(miner.rounds));
 */

import type { MiningRound } from '../classify/mining';
import type { Hit } from '../search/results';
import { type PhotoGridOptions, type PhotoGridRow, type PhotoLike, showPhotoGrid } from './photos';

export interface MiningGridOptions<R extends PhotoLike> extends PhotoGridOptions {
  /** The dataset's rows by id (for captions: the class). */
  rows: ArrayLike<R>;
  /** The photo file of a row (undefined: a placeholder tile). */
  imageOf: (row: R, id: number) => string | undefined;
}

/** One grid row: the round's candidates, best first. */
export function miningGridRow<R extends PhotoLike>(round: MiningRound, options: MiningGridOptions<R>): PhotoGridRow {
  const verdict = (v: boolean | undefined) => (v === true ? 'positive' : v === false ? 'negative' : 'not labelled');
  return {
    title:
      `Round ${round.round}${round.round === 0 ? ' (zero-shot)' : ''}: ${round.positives} of ${round.candidates.length} positive, ` +
      `precision@${round.candidates.length} = ${round.precision.toFixed(2)}`,
    tiles: round.candidates.map((h, i) => {
      const row = options.rows[h.id];
      return {
        image: row ? options.imageOf(row, h.id) : undefined,
        caption: [`#${h.rank} id ${h.id}`, `${row?.class ?? ''} · ${verdict(round.labels[i])}`],
        mark: round.labels[i] === true ? 'hit' : round.labels[i] === false ? 'miss' : undefined,
      };
    }),
  };
}

/** Shows a round's candidates (notebook) or returns the grid's HTML (elsewhere). */
export async function showMiningRound<R extends PhotoLike>(
  round: MiningRound,
  options: MiningGridOptions<R>,
): Promise<string | undefined> {
  return showPhotoGrid([miningGridRow(round, options)], { size: 96, ...options });
}

/** The photos to label now (miner.candidates()), with their ids: what a person labels by hand. */
export async function showCandidates<R extends PhotoLike>(
  hits: readonly Hit[],
  options: MiningGridOptions<R> & { title?: string },
): Promise<string | undefined> {
  const row: PhotoGridRow = {
    title: options.title ?? `${hits.length} photos to label: type their ids into the lists below`,
    tiles: hits.map((h) => {
      const r = options.rows[h.id];
      return {
        image: r ? options.imageOf(r, h.id) : undefined,
        caption: [`id ${h.id}`, `#${h.rank} · score ${h.distance.toFixed(3)}`],
      };
    }),
  };
  return showPhotoGrid([row], { size: 96, ...options, title: undefined });
}

/** One plain row per round, for showTable: precision@N, labels so far, the fit's loss. */
export function miningTable(rounds: readonly MiningRound[]): Array<Record<string, string | number | undefined>> {
  return rounds.map((r) => ({
    round: r.round === 0 ? '0 (zero-shot)' : r.round,
    [`precision@${r.candidates.length}`]: r.precision,
    positives: r.positives,
    negatives: r.negatives,
    'labelled so far': r.labelled,
    'positives found': r.found,
    'loss before fit': r.fit?.losses[0],
    'loss after fit': r.fit ? r.fit.losses[r.fit.losses.length - 1] : undefined,
  }));
}
