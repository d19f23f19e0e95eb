/**
 * Runs the benchmarks and regenerates bench/RESULTS.md.
 *   npm run bench [-- --n 20580 --reps 5 --grid full|small]
 * Each comparison runs both sides in the same run on the same data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { faissComparison } from './faiss';
import { markdown } from './harness';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const out = path.join(__dirname, 'out');
fs.mkdirSync(out, { recursive: true });
const n = Number(arg('n', '20580'));
const reps = Number(arg('reps', '5'));
const grid = arg('grid', 'full') === 'small' ? 'small' : 'full';

const comparisons = [faissComparison({ n, reps, grid, out })];
const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
const report = markdown(comparisons, command);
fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), report);
console.log(report);
