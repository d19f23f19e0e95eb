// The hand-outs (scripts/handout.ts): nbgrader's rules hold in the worked notebooks, no solution line is left in a
// hand-out, each hand-out type-checks as a whole (a student who fills a TODO finds the next cells compiling) and runs
// on the lab's kernel up to its first TODO, failing there with that TODO's message and never earlier.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import {
  clearRegions,
  handout,
  type Notebook,
  nbgraderOf,
  nbgraderProblems,
  regionsOf,
  SHEET_MARK,
  sourceOf,
  TODO_ERROR,
  todosOf,
} from '../src/handout/solutions';
import { demoEnv, makeDemoSet } from '../src/internal';
import { tmpDir } from './support/data';
import { PYTHON } from './support/python';

const ROOT = path.join(__dirname, '..');
const NOTEBOOKS = path.join(ROOT, 'notebooks');
const JUPYTER_PATH = path.join(ROOT, '.jupyter', 'share', 'jupyter');
const TASKS = ['01-exact-search', '02-knn-queries', '03-hnsw', '04-hnsw-grid', '05-look-alike', '06-text-search'];
const read = (name: string) => JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, `${name}.ipynb`), 'utf8')) as Notebook;

/** The code cells as one TypeScript module, the way tslab sees them one after another; its diagnostics. */
function typeErrors(nb: Notebook): string[] {
  const file = path.join(NOTEBOOKS, '__handout_check__.ts');
  const code = nb.cells
    .filter((c) => c.cell_type === 'code')
    .map(sourceOf)
    .join('\n;\n');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, code, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return `line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')} (${code.split('\n')[line].trim()})`;
    });
}

describe('hand-outs: solution regions and nbgrader metadata', () => {
  it('every notebook keeps nbgrader rules (schema v3, ids, points, regions only in solution cells)', () => {
    for (const f of fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb'))) {
      const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, f), 'utf8')) as Notebook;
      assert.deepEqual(nbgraderProblems(nb, f), [], f);
    }
  });

  it("each task notebook has the sheet's calls as TODOs, each with what to write, and a graded answer", () => {
    for (const name of TASKS) {
      const nb = read(name);
      const todos = todosOf(nb);
      assert.ok(todos.length >= 2, `${name}: ${todos.length} TODOs`);
      for (const t of todos) assert.ok(t.hint.length > 10, `${name}, cell ${t.cell + 1}: a TODO without a hint`);
      const answers = nb.cells.filter((c) => {
        const m = c.metadata?.nbgrader as { grade?: boolean; points?: number } | undefined;
        return c.cell_type === 'markdown' && m?.grade && (m.points ?? 0) > 0;
      });
      assert.equal(answers.length, 1, `${name}: one graded written answer`);
    }
  });

  it('nbgraderProblems finds what nbgrader refuses', () => {
    const cell = (source: string, nbgrader?: object, type = 'code') => ({
      cell_type: type,
      source,
      metadata: nbgrader ? { nbgrader } : {},
    });
    const ok = { grade: false, solution: true, locked: false, schema_version: 3, grade_id: 'a' };
    const problems = (cells: Notebook['cells']) => nbgraderProblems({ cells }).join('\n');
    assert.equal(problems([cell('// BEGIN SOLUTION x\nx();\n// END SOLUTION', ok)]), '');
    assert.match(problems([cell('// BEGIN SOLUTION\nx();\n// END SOLUTION')]), /without nbgrader metadata/);
    assert.match(problems([cell('// BEGIN SOLUTION\nx();', ok)]), /not closed/);
    assert.match(problems([cell('// BEGIN SOLUTION\n// BEGIN SOLUTION\n// END SOLUTION', ok)]), /inside another/);
    assert.match(problems([cell('x', ok), cell('y', ok)]), /grade_id 'a' is used by cell 1/);
    assert.match(problems([cell('x', { ...ok, grade: true })]), /without points/);
    assert.match(problems([cell('x', { ...ok, schema_version: 2 })]), /schema_version is 2, expected 3/);
    assert.match(problems([cell('x', { ...ok, grade_id: 'a b' })]), /letters, digits/);
    assert.match(problems([cell('x', { ...ok, color: 'red' })]), /unknown key 'color'/);
    assert.match(problems([cell('x', { ...ok, grade: true, points: 1, solution: false }, 'markdown')]), /both graded/);
    assert.match(problems([cell('x', { ...ok, solution: false, task: true })]), /task cell must be markdown/);
    assert.match(problems([cell('// BEGIN SOLUTION\n// END SOLUTION', { ...ok, solution: false })]), /not marked/);
  });

  it('clears regions the way nbgrader does, keeping indentation and the hint', () => {
    const src = "a();\n  // BEGIN SOLUTION build it: don't panic\n  b(); // index.add(xb)\n  // END SOLUTION\nc();";
    assert.deepEqual(regionsOf(src)[0].python, ['index.add(xb)']);
    const out = clearRegions(src, 'code', { withHints: true });
    assert.equal(
      out,
      "a();\n  // YOUR CODE HERE: build it: don't panic\n  // Python: index.add(xb)\n" +
        "  throw new Error('not implemented yet: build it: don\\'t panic');\nc();",
    );
    assert.equal(
      clearRegions('Q?\n<!-- BEGIN SOLUTION -->\nA.\n<!-- END SOLUTION -->', 'markdown'),
      'Q?\nYOUR ANSWER HERE',
    );
  });

  for (const name of TASKS) {
    it(`${name}: the hand-out has no solution line and type-checks as a whole, as the worked one does`, function () {
      this.timeout(120000);
      const nb = read(name);
      for (const hints of [false, true]) {
        const out = handout(nb, { withHints: hints }, name);
        nb.cells.forEach((cell, i) => {
          const source = sourceOf(cell);
          const lines = source.split('\n');
          const inRegion = new Set(regionsOf(source).flatMap((r) => lines.slice(r.begin, r.end + 1)));
          const outside = new Set(lines.filter((l) => !inRegion.has(l)));
          const left = sourceOf(out.cells[i])
            .split('\n')
            .filter((l) => inRegion.has(l) && !outside.has(l) && l.trim().length > 1);
          assert.deepEqual(left, [], `${name}, cell ${i + 1}: solution lines left in the hand-out`);
          assert.deepEqual(out.cells[i].outputs ?? [], []);
        });
        assert.deepEqual(typeErrors(out), [], `${name} hand-out${hints ? ' with hints' : ''}`);
      }
      assert.deepEqual(typeErrors(nb), [], `${name} worked`);
    });
  }
});

/** The names a notebook's TypeScript declares (const, let, for-of, destructuring): what a Python hint may use. */
function declaredNames(nb: Notebook): Set<string> {
  const code = nb.cells
    .filter((c) => c.cell_type === 'code')
    .map(sourceOf)
    .join('\n');
  const names = new Set<string>();
  for (const m of code.matchAll(/\b(?:const|let|var)\s+(\[[^\]]*\]|\{[^}]*\}|[A-Za-z_$][\w$]*)/g)) {
    for (const n of m[1].match(/[A-Za-z_$][\w$]*/g) ?? []) names.add(n);
  }
  return names;
}

describe("hand-outs: hints are Python, in the notebook's names, and the sheet's lines word for word", () => {
  const SHEET = fs.readFileSync(path.join(ROOT, 'course', 'exercise-sheet.md'), 'utf8');

  for (const name of TASKS) {
    it(`${name}: each TODO's hints parse as one Python block, reading only names defined before them`, () => {
      const nb = read(name);
      const out = handout(nb, { withHints: true, sheet: SHEET }, name);
      // The hints of each TODO, in order: a block of Python, loops indented.
      const blocks: Array<Array<{ line: string; sheet: boolean }>> = [];
      for (const l of out.cells.filter((c) => c.cell_type === 'code').flatMap((c) => sourceOf(c).split('\n'))) {
        if (/\/\/ YOUR CODE HERE/.test(l)) blocks.push([]);
        const h = /^\s*\/\/ Python: (.*)$/.exec(l)?.[1];
        if (h === undefined) continue;
        const sheet = h.endsWith(SHEET_MARK);
        blocks[blocks.length - 1].push({ line: sheet ? h.slice(0, -SHEET_MARK.length).trimEnd() : h, sheet });
      }
      const hints = blocks.flat();
      if (name !== '01-exact-search') assert.ok(hints.length >= 3, `${name}: ${hints.length} hints`);
      // Python's own parser says which names each block reads and which it assigns (loop variables too).
      const py = spawnSync(
        PYTHON,
        [
          '-c',
          [
            'import ast, json, sys',
            'out = []',
            'for block in json.load(sys.stdin):',
            '    tree = ast.parse(block)',
            '    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name)]',
            '    out.append({"reads": [n.id for n in names if isinstance(n.ctx, ast.Load)],',
            '                "writes": [n.id for n in names if isinstance(n.ctx, ast.Store)]})',
            'print(json.dumps(out))',
          ].join('\n'),
        ],
        { input: JSON.stringify(blocks.map((b) => b.map((h) => h.line).join('\n'))), encoding: 'utf8' },
      );
      assert.equal(py.status, 0, `${name}: a TODO's hints are not Python: ${py.stderr}`);
      const parsed = JSON.parse(py.stdout) as Array<{ reads: string[]; writes: string[] }>;
      // What a student has: the names the hand-out itself declares (not the worked version's), and earlier hints'.
      const known = new Set([...declaredNames(out), 'faiss', 'np']);
      parsed.forEach((p, i) => {
        const here = new Set(p.writes);
        for (const n of p.reads) {
          assert.ok(
            known.has(n) || here.has(n),
            `${name}: hints "${blocks[i].map((h) => h.line).join(' / ')}" read ${n}`,
          );
        }
        for (const n of p.writes) known.add(n);
      });
      const sheetLines = SHEET.split('\n').map((l) => l.trim());
      for (const h of hints) {
        const line = h.line.trim();
        const verbatim = sheetLines.some((l) => l === line || l === `- \`${line}\`` || l.startsWith(`${line}  `));
        assert.equal(h.sheet, verbatim, `${name}: "${line}" ${verbatim ? 'is' : 'is not'} the sheet's line`);
      }
    });
  }

  it("marks a hint as the sheet's own only where the sheet prints it", () => {
    const src =
      '// BEGIN SOLUTION build\nx = 1; // index_flat = faiss.IndexFlatL2(d)\ny = 2; // index_flat.add(xb)\n// END SOLUTION';
    const out = clearRegions(src, 'code', { withHints: true, sheet: SHEET });
    assert.match(out, /\/\/ Python: index_flat = faiss\.IndexFlatL2\(d\) {3}\(the sheet's own line\)\n/);
    assert.match(out, /\/\/ Python: index_flat\.add\(xb\)\n/);
  });

  for (const name of TASKS) {
    it(`${name}: outside its TODOs the hand-out builds no index and states no answer`, () => {
      const out = handout(read(name), {}, name);
      const leaks = out.cells
        .filter((c) => c.cell_type === 'code')
        .flatMap((c) => sourceOf(c).split('\n'))
        .filter((l) => !/YOUR CODE HERE|not implemented yet: /.test(l)) // the TODO's own words say what to write
        .filter((l) => /new Index\w*\(|indexFactory\(|hnsw\.efConstruction\s*=[^=]|\bAnswer\b/.test(l));
      assert.deepEqual(leaks, [], `${name}: solution code outside a TODO`);
    });
  }
});

describe('hand-outs on the lab kernel (bash scripts/lab.sh handout)', function () {
  this.timeout(20 * 60 * 1000);
  const tmp = tmpDir('handout');
  const release = path.join(tmp, 'release');
  let env: NodeJS.ProcessEnv;

  before(async function () {
    const kernel = fs.existsSync(path.join(JUPYTER_PATH, 'kernels', 'tslab', 'kernel.json'));
    if (!kernel || !fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
      if (process.env.CI) throw new Error('the tslab kernel or dist/ is missing: run bash scripts/lab.sh setup');
      this.skip();
    }
    const set = await makeDemoSet(path.join(tmp, 'demo'), { log: false });
    env = {
      ...process.env,
      ...demoEnv(set),
      LAB_OFFLINE: '1',
      JUPYTER_PATH,
      LAB_CACHE_DIR: path.join(tmp, 'cache'),
      LAB_EXPORT_DIR: path.join(tmp, 'export'),
    };
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/handout.ts', '--out', release], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /10 notebooks in/);
    // The hand-outs import '../dist' as the worked ones do.
    fs.symlinkSync(path.join(ROOT, 'dist'), path.join(tmp, 'dist'));
  });

  for (const name of TASKS) {
    it(`${name}: runs to its first TODO and fails there with its message, never earlier`, () => {
      const file = path.join(release, `${name}.ipynb`);
      const r = spawnSync(
        PYTHON,
        [
          '-m',
          'nbconvert',
          '--execute',
          '--allow-errors',
          '--to',
          'notebook',
          '--output-dir',
          path.join(tmp, 'out'),
        ].concat(['--ExecutePreprocessor.timeout=600', file]),
        { encoding: 'utf8', env: env, cwd: release },
      );
      assert.equal(r.status, 0, r.stderr.slice(-3000));
      const ran = JSON.parse(fs.readFileSync(path.join(tmp, 'out', `${name}.ipynb`), 'utf8')) as Notebook;
      const first = todosOf(read(name))[0];
      const stderr = (i: number) =>
        (ran.cells[i].outputs ?? [])
          .map((o) => o as { name?: string; text?: string | string[] })
          .filter((o) => o.name === 'stderr')
          .map((o) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? '')))
          .join('');
      for (let i = 0; i < first.cell; i++) {
        assert.doesNotMatch(stderr(i), /Error|error TS|^\d+:\d+ - /m, `${name}: cell ${i + 1} failed before the TODO`);
      }
      assert.ok(
        stderr(first.cell).includes(`Error: ${TODO_ERROR}${first.hint}`),
        `${name}: cell ${first.cell + 1} should fail with its TODO; its stderr: ${stderr(first.cell).slice(0, 800)}`,
      );
    });
  }

  it('04 filled by a student whose own loop skips cachedBuild runs to its end (the graph cell builds what it needs)', () => {
    const nb = JSON.parse(fs.readFileSync(path.join(release, '04-hnsw-grid.ipynb'), 'utf8')) as Notebook;
    const worked = read('04-hnsw-grid');
    const studentGrid = [
      'for (const metric of metric_types) {',
      '  const exact = new IndexFlat(d, metric);',
      '  exact.add(xb);',
      '  const truth = exact.search(xq, k);',
      '  for (const M of M_values) for (const efConstruction of efConstruction_values) {',
      '    const index = new IndexHNSWFlat(d, M, metric);',
      '    index.hnsw.efConstruction = efConstruction;',
      '    index.add(xb);',
      '    for (const efSearch of efSearch_values) {',
      '      index.hnsw.efSearch = efSearch;',
      '      const t = await timeSearch(index, xq, k, { repeats: repeats });',
      "      rows.push({ label: 'M=' + M + ' efC=' + efConstruction + ' ' + metricName(metric) + ' ef=' + efSearch,",
      "        index: 'HNSWFlat', metric: metricName(metric), M: M, efConstruction: efConstruction, efSearch: efSearch,",
      '        buildSeconds: 0, cached: false, latencyMs: t.medianMs, runsMs: t.runsMs, qps: t.qps,',
      '        precision: haveBreeds ? precisionAtK(t.result, q.scoredClasses, q.database.classOf, k) : undefined,',
      '        recall: recallAtK(truth, t.result, k) });',
      '    }',
      '    index.dispose();',
      '  }',
      '}',
    ].join('\n');
    // Every TODO filled: the grid by the student's loop, the others by the worked notebook's code.
    nb.cells.forEach((cell, i) => {
      const src = sourceOf(cell);
      if (!src.includes('// YOUR CODE HERE')) return;
      const region = regionsOf(sourceOf(worked.cells[i]))[0];
      const code =
        nbgraderOf(cell)?.grade_id === 't4_grid'
          ? studentGrid
          : sourceOf(worked.cells[i])
              .split('\n')
              .slice(region.begin + 1, region.end)
              .join('\n');
      cell.source = src.replace(/^\s*\/\/ YOUR CODE HERE.*\n(\s*\/\/ Python:.*\n)*\s*throw new Error\(.*\);$/m, code);
    });
    const file = path.join(release, '04-filled.ipynb');
    fs.writeFileSync(file, JSON.stringify(nb));
    const r = spawnSync(
      PYTHON,
      ['-m', 'nbconvert', '--execute', '--to', 'notebook', '--output-dir', path.join(tmp, 'out')].concat([
        '--ExecutePreprocessor.timeout=600',
        file,
      ]),
      { encoding: 'utf8', env: { ...env, LAB_CACHE_DIR: path.join(tmp, 'cache-filled') }, cwd: release },
    );
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    const ran = JSON.parse(fs.readFileSync(path.join(tmp, 'out', '04-filled.ipynb'), 'utf8')) as Notebook;
    const errors = ran.cells.flatMap((c, i) =>
      (c.outputs ?? [])
        .map((o) => o as { name?: string; text?: string | string[] })
        .filter((o) => o.name === 'stderr' && /Error|error TS/.test(String(o.text)))
        .map((o) => `cell ${i + 1}: ${String(o.text).slice(0, 300)}`),
    );
    assert.deepEqual(errors, []);
    const code = ran.cells.filter((c) => c.cell_type === 'code');
    // Ran to the end: the last cell (the walk's note) showed its output.
    assert.ok((code[code.length - 1].outputs ?? []).length > 0, 'the last cell ran');
    const walk = JSON.stringify(ran.cells.find((c) => c.id === 'walk02')?.outputs ?? []);
    assert.match(walk, /links per node/);
  });
});
