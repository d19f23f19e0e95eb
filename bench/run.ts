/**
 * Runs the benchmarks and regenerates bench/RESULTS.md.
 *   npm run bench [-- --n 20580 --reps 5 --grid full|small --only faiss,csv,clip --images FOLDER --count 64]
 *   (--only sql, --only explore and --only hub run those comparisons; they are not in the default set;
 *   hub: [--hub-students 1,3,6] [--hub-sets demo,course], as root)
 * (bash scripts/lab.sh bench installs the Python side's packages first.)
 * Each comparison runs both sides in the same run on the same data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { arg } from '../scripts/args';
import { clipComparisons } from './clip';
import { csvComparison } from './csv';
import { exploreComparison } from './explore';
import { faissComparison } from './faiss';
import { markdown } from './harness';
import { type HubSet, hubComparison } from './hub';
import { sqlComparison } from './sql';

const out = path.join(__dirname, 'out');
fs.mkdirSync(out, { recursive: true });
const n = Number(arg('n', '20580'));
const reps = Number(arg('reps', '5'));
const grid = arg('grid', 'full') === 'small' ? 'small' : 'full';

const only = arg('only', 'faiss,csv,clip').split(',');

async function main(): Promise<void> {
  const comparisons = [];
  if (only.includes('faiss')) comparisons.push(await faissComparison({ n, reps, grid, out }));
  if (only.includes('csv')) comparisons.push(await csvComparison({ n, reps, out }));
  if (only.includes('sql'))
    comparisons.push(
      await sqlComparison({
        sizes: arg('sql-sizes', '20000,1000000').split(',').map(Number),
        nq: Number(arg('sql-queries', '20')),
        out,
      }),
    );
  if (only.includes('explore'))
    comparisons.push(await exploreComparison({ reps: Number(arg('explore-reps', '100')), out }));
  if (only.includes('hub'))
    comparisons.push(
      await hubComparison({
        students: arg('hub-students', '1,3,6').split(',').map(Number),
        sets: arg('hub-sets', 'demo,course').split(',') as HubSet[],
        out,
      }),
    );
  if (only.includes('clip')) {
    const images = arg('images', '') || undefined;
    comparisons.push(
      ...(await clipComparisons({ reps: Math.min(reps, 3), out, images, count: Number(arg('count', '64')) })),
    );
  }
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const file = path.join(__dirname, 'RESULTS.md');
  const report = markdown(comparisons, command, fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
  fs.writeFileSync(file, report);
  console.log(report);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
