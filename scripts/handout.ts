/**
 * The students' versions of the notebooks: every solution region becomes `// YOUR CODE HERE` and an error that
 * says what to write; written answers become nbgrader's "YOUR ANSWER HERE"; outputs are stripped; prose, helpers
 * and nbgrader's metadata stay. The worked notebooks are checked by nbgrader's rules first.
 *   bash scripts/lab.sh handout [--with-hints] [--out DIR] [notebook.ipynb | folder ...]   (default: notebooks/)
 * --with-hints keeps the Python line of each call (faiss's API, the notebook's names) as a comment under its TODO,
 * marking the lines the exercise sheet (course/exercise-sheet.md) prints word for word. DIR defaults to release/;
 * notebooks there import '../dist' as the worked ones do, so a hand-out in release/ runs in this checkout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { handout, type Notebook, nbgraderProblems, todosOf } from '../src/handout/solutions';
import { notebookFiles, notebookJson } from './strip-notebooks';

const ROOT = path.resolve(__dirname, '..');

export interface HandoutRun {
  out: string;
  written: Array<{ file: string; todos: number }>;
}

/** Writes the hand-outs of `files` into `out`; throws before writing anything when a notebook breaks nbgrader's rules. */
export function writeHandouts(files: string[], out: string, withHints = false): HandoutRun {
  const notebooks = files.map((file) => {
    let nb: Notebook;
    try {
      nb = JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
    } catch (e) {
      throw new Error(`${file}: not a readable notebook (${(e as Error).message})`);
    }
    if (!Array.isArray(nb.cells)) throw new Error(`${file}: not a notebook (no cells list)`);
    return { file, nb };
  });
  const problems = notebooks.flatMap(({ file, nb }) => nbgraderProblems(nb, path.basename(file)));
  if (problems.length) {
    throw new Error(`the worked notebooks break nbgrader's rules, no hand-out written:\n  ${problems.join('\n  ')}`);
  }
  const sheetFile = path.join(ROOT, 'course', 'exercise-sheet.md');
  const sheet = fs.existsSync(sheetFile) ? fs.readFileSync(sheetFile, 'utf8') : undefined;
  fs.mkdirSync(out, { recursive: true });
  const written = notebooks.map(({ file, nb }) => {
    const target = path.join(out, path.basename(file));
    const tmp = `${target}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, notebookJson(handout(nb, { withHints, sheet }, path.basename(file))));
    fs.renameSync(tmp, target);
    return { file: target, todos: todosOf(nb).length };
  });
  return { out, written };
}

function main(): number {
  const args = process.argv.slice(2);
  let out = path.join(ROOT, 'release');
  let withHints = false;
  const inputs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--with-hints') withHints = true;
    else if (a === '--out') {
      if (!args[i + 1]) throw new Error('--out needs a folder');
      out = path.resolve(args[++i]);
    } else if (a === '-h' || a === '--help') {
      console.log('usage: bash scripts/lab.sh handout [--with-hints] [--out DIR] [notebook.ipynb | folder ...]');
      return 0;
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}: use --with-hints, --out DIR`);
    else inputs.push(a);
  }
  const run = writeHandouts(notebookFiles(inputs), out, withHints);
  for (const w of run.written) {
    console.log(`[handout] ${path.relative(process.cwd(), w.file)}: ${w.todos ? `${w.todos} TODO(s)` : 'as it is'}`);
  }
  console.log(
    `[handout] ${run.written.length} notebooks in ${path.relative(process.cwd(), run.out) || '.'}` +
      (withHints ? ' (with the Python of each call as hints)' : ''),
  );
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (e) {
    console.error(`[handout] error: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
