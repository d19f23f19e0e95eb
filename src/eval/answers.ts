/**
 * A notebook's answers to the sheet's questions, kept as JSON in the export
 * folder (export/answers/<task>.json), so the main job can print them at the end
 * of a run and a teacher can read them without opening the notebook.
 *
 * @example
 * saveAnswers('task4', { fastest: fastest(grid.rows).label, mostPrecise: mostPrecise(grid.rows).label });
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { config } from '../config';
import { writeFileAtomic } from '../io/files';

export function answersFile(task: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(task))
    throw new Error(`task name ${JSON.stringify(task)}: use letters, digits, _ or - (e.g. "task4")`);
  return path.join(config.exportDir, 'answers', `${task}.json`);
}

/** Writes the answers of one task (replacing earlier ones); returns the file. */
export function saveAnswers(task: string, answers: Record<string, unknown>): string {
  const file = answersFile(task);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify({ task, savedAt: new Date().toISOString(), ...answers }, null, 1));
  return file;
}

/** The answers saved for a task, or undefined. */
export function readAnswers(task: string): Record<string, unknown> | undefined {
  const file = answersFile(task);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
}
