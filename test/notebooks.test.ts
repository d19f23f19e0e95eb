// Notebooks: committed without outputs, and each runs headless on the tslab kernel
// registered inside the project (as the main job and students' exports do).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from './support/data';
import { PYTHON } from './support/python';

const ROOT = path.join(__dirname, '..');
const NOTEBOOKS = path.join(ROOT, 'notebooks');
const JUPYTER_PATH = path.join(ROOT, '.jupyter', 'share', 'jupyter');

interface Cell {
  cell_type: string;
  source: string[] | string;
  outputs?: Array<Record<string, unknown>>;
}

const notebooks = fs
  .readdirSync(NOTEBOOKS)
  .filter((f) => f.endsWith('.ipynb'))
  .sort();

function requireJupyter(ctx: Mocha.Context): void {
  const kernel = fs.existsSync(path.join(JUPYTER_PATH, 'kernels', 'tslab', 'kernel.json'));
  const nbconvert = spawnSync(PYTHON, ['-c', 'import nbconvert, nbclient'], { encoding: 'utf8' }).status === 0;
  if (kernel && nbconvert) return;
  const why = `Jupyter (nbconvert) or the project's tslab kernel is missing: run bash scripts/lab.sh setup`;
  if (process.env.CI) throw new Error(why);
  ctx.skip();
}

describe('notebooks', () => {
  it('are committed without outputs', () => {
    assert.ok(notebooks.length > 0);
    for (const file of notebooks) {
      const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, file), 'utf8')) as { cells: Cell[] };
      for (const cell of nb.cells.filter((c) => c.cell_type === 'code')) {
        assert.deepEqual(cell.outputs, [], `${file} has outputs: strip them before committing`);
      }
    }
  });

  it("every task notebook opens with the task in the sheet's words and imports the library from ../dist", () => {
    for (const file of notebooks.filter((f) => /^0[1-6]-/.test(f))) {
      const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, file), 'utf8')) as { cells: Cell[] };
      const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join('') : c.source);
      assert.equal(nb.cells[0].cell_type, 'markdown', file);
      assert.match(text(nb.cells[0]), /^# Task \d/, file);
      assert.match(text(nb.cells[0]), /^> /m, `${file} quotes the sheet (test/sheet-quotes.test.ts checks the words)`);
      const code = nb.cells.filter((c) => c.cell_type === 'code').map(text);
      assert.match(code[0], /from '\.\.\/dist'/, file);
      // tslab: a shorthand property naming a variable of an earlier cell throws (NOTEBOOKS.md).
      for (const src of code) {
        const names = '(course|q|index|grid|res|mine|texts|t|exact|approx|report|xb|xq|d|k|repeats|rows|M)';
        assert.doesNotMatch(
          src,
          new RegExp(`(?<!\\$)\\{\\s*${names}\\s*[,}]|,\\s*${names}\\s*\\}`),
          `${file}: write { a: a }, not { a }`,
        );
      }
    }
  });

  // The task notebooks (01-06) need the course data: the main job's test runs them on the generated demo set.
  for (const file of notebooks.filter((f) => !/^0[1-6]-/.test(f))) {
    it(`${file} runs headless without errors`, function () {
      requireJupyter(this);
      assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'index.js')), 'dist/ is not built: run npm run build');
      const out = tmpDir('nb');
      const r = spawnSync(
        PYTHON,
        [
          '-m',
          'nbconvert',
          '--execute',
          '--to',
          'notebook',
          '--output-dir',
          out,
          '--ExecutePreprocessor.timeout=600',
          path.join(NOTEBOOKS, file),
        ],
        { encoding: 'utf8', env: { ...process.env, JUPYTER_PATH } },
      );
      assert.equal(r.status, 0, `nbconvert failed on ${file}:\n${r.stderr.slice(-3000)}`);
      const nb = JSON.parse(fs.readFileSync(path.join(out, file), 'utf8')) as { cells: Cell[] };
      const text = nb.cells
        .flatMap((c) => c.outputs ?? [])
        .map((o) => JSON.stringify(o))
        .join('\n');
      assert.doesNotMatch(
        text,
        /"output_type":"error"|"name":"stderr"/,
        `${file} wrote errors:\n${text.slice(0, 2000)}`,
      );
      if (file.startsWith('00-')) assert.match(text, /FAISS 1\.\d+\.\d+, \d+ threads/);
    });
  }
});
