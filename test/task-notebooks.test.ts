// Tasks 2-4 without the queries' breeds: each notebook runs to the end, says what to supply (labels.csv or breed
// names), still reports recall, and prints no NaN. On the generated demo set, its query photos renamed.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { demoEnv, makeDemoSet } from '../src/internal';
import { tmpDir } from './support/data';
import { PYTHON } from './support/python';

const ROOT = path.join(__dirname, '..');
const JUPYTER_PATH = path.join(ROOT, '.jupyter', 'share', 'jupyter');

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}
const join = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join('') : (t ?? ''));
const outputText = (o: Output) =>
  join(o.text) +
  Object.values(o.data ?? {})
    .map(join)
    .join('\n');

describe("task notebooks without the queries' breeds", function () {
  this.timeout(15 * 60 * 1000);
  const tmp = tmpDir('no-breeds');
  const out = path.join(tmp, 'out');
  let env: NodeJS.ProcessEnv;

  before(async function () {
    const kernel = fs.existsSync(path.join(JUPYTER_PATH, 'kernels', 'tslab', 'kernel.json'));
    if (!kernel || !fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
      if (process.env.CI) throw new Error('the tslab kernel or dist/ is missing: run bash scripts/lab.sh setup');
      this.skip();
    }
    const set = await makeDemoSet(path.join(tmp, 'demo'), { log: false });
    // The demo's query photos, named so that no breed can be told.
    const queries = path.join(tmp, 'queries');
    fs.mkdirSync(queries);
    fs.readdirSync(set.queriesDir)
      .filter((f) => /\.jpe?g$/i.test(f))
      .sort()
      .forEach((f, i) => {
        fs.copyFileSync(
          path.join(set.queriesDir, f),
          path.join(queries, `photo-${String(i + 1).padStart(2, '0')}.jpg`),
        );
      });
    env = {
      ...process.env,
      ...demoEnv(set),
      LAB_QUERIES_DIR: queries,
      LAB_OFFLINE: '1',
      JUPYTER_PATH,
      LAB_CACHE_DIR: path.join(tmp, 'cache'),
      LAB_EXPORT_DIR: path.join(tmp, 'export'),
    };
  });

  const run = (file: string) => {
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
        path.join(ROOT, 'notebooks', file),
      ],
      { encoding: 'utf8', env: env },
    );
    assert.equal(r.status, 0, `nbconvert failed on ${file}:\n${r.stderr.slice(-3000)}`);
    const nb = JSON.parse(fs.readFileSync(path.join(out, file), 'utf8')) as { cells: Array<{ outputs?: Output[] }> };
    const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
    const bad = outputs.filter((o) => o.output_type === 'error' || o.name === 'stderr').map(outputText);
    assert.deepEqual(bad, [], `${file} wrote errors`);
    const text = outputs
      .map(outputText)
      .join('\n')
      .replace(/<script[\s\S]*?<\/script>/g, '');
    assert.doesNotMatch(text, /\bNaN\b/, `${file} prints NaN`);
    assert.match(text, /Breed unknown for photo-01\.jpg/, `${file}: the queries' note names the unknown breeds`);
    return text;
  };

  it('task 2 says what to supply instead of a precision', () => {
    const text = run('02-knn-queries.ipynb');
    assert.match(text, /No query has a known breed, so precision@3 cannot be computed: name the query photos by breed/);
    assert.match(text, /queries\/labels\.csv/);
  });

  it('task 3 reports recall and says precision is unknown', () => {
    const text = run('03-hnsw.ipynb');
    assert.match(text, /exact neighbours \(recall@3\), precision@3 unknown \(no query breeds\)/);
  });

  it('task 4 answers "most precise" by recall@5 and says why', () => {
    const text = run('04-hnsw-grid.ipynb');
    assert.match(text, /precision@5 cannot be measured: name the query photos by breed/);
    assert.match(text, /the most precise search \(recall@5: no breeds known, so recall\)/);
    const answers = JSON.parse(fs.readFileSync(path.join(tmp, 'export', 'answers', 'task4.json'), 'utf8'));
    assert.equal(answers.quality, 'recall');
    assert.equal(answers.rows.length, 54);
  });
});
