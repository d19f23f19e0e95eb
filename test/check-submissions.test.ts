// The teacher's check end to end: a good submission made for real (the main job on the demo set, notebooks 01-06,
// into a temporary export folder), then from it a folder of students as Moodle hands them out: one missing task 4's
// answer, one with an error output (its notebook run for real with a failing cell), one whose HTML carries a script,
// a truncated notebook, a zip with `../` entries (zip slip), a zip bomb (10 GiB of zeros in 10 MB, its header lying).
// The checker must report each, finish, and write nothing outside its output folder. --rerun on a notebook that
// loops stops at the per-cell timeout and re-runs a good one to the same answers.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { runNotebook } from '../scripts/jupyter';
import { writeZip } from '../scripts/zip';
import { demoEnv, makeDemoSet } from '../src/data/demo';
import { checkTask2, checkTask4 } from '../src/grading/answers';
import { readNotebook } from '../src/grading/notebook';
import { csvField } from '../src/grading/report';
import { unpackZip } from '../src/grading/unpack';
import { snapshot, tmpDir } from './support/data';

const ROOT = path.join(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const PYTHON = process.env.LAB_JUPYTER_PYTHON ?? '/usr/bin/python3';
const JUPYTER_PATH = path.join(ROOT, '.jupyter', 'share', 'jupyter');
const TASK_NOTEBOOKS = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => /^0[1-6]-.*\.ipynb$/.test(f));

interface Nb {
  cells: Array<{
    cell_type: string;
    source: string | string[];
    execution_count?: number | null;
    outputs?: unknown[];
    metadata?: unknown;
  }>;
}
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as Nb;
const src = (c: Nb['cells'][number]) => (Array.isArray(c.source) ? c.source.join('') : c.source);

/** A zip whose one entry inflates to `mib` MiB of zeros while its headers claim 1 KB (deflate blocks repeated). */
function writeBomb(out: string, name: string, mib: number): void {
  const block = zlib.deflateRawSync(Buffer.alloc(2 ** 20), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const nameBuf = Buffer.from(name);
  const csize = block.length * mib + 2;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(csize, 18);
  local.writeUInt32LE(1024, 22);
  local.writeUInt16LE(nameBuf.length, 26);
  const dir = Buffer.alloc(46);
  dir.writeUInt32LE(0x02014b50, 0);
  dir.writeUInt16LE(20, 4);
  dir.writeUInt16LE(20, 6);
  dir.writeUInt16LE(8, 10);
  dir.writeUInt32LE(csize, 20);
  dir.writeUInt32LE(1024, 24);
  dir.writeUInt16LE(nameBuf.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + nameBuf.length, 12);
  end.writeUInt32LE(30 + nameBuf.length + csize, 16);
  const fd = fs.openSync(out, 'w');
  fs.writeSync(fd, local);
  fs.writeSync(fd, nameBuf);
  for (let i = 0; i < mib; i++) fs.writeSync(fd, block);
  fs.writeSync(fd, Buffer.from([0x03, 0x00])); // the final, empty block
  fs.writeSync(fd, dir);
  fs.writeSync(fd, nameBuf);
  fs.writeSync(fd, end);
  fs.closeSync(fd);
}

function htmlExport(nbFile: string, outDir: string): void {
  const r = spawnSync(PYTHON, ['-m', 'nbconvert', '--to', 'html', '--output-dir', outDir, nbFile], {
    encoding: 'utf8',
    env: { ...process.env, JUPYTER_PATH },
  });
  assert.equal(r.status, 0, r.stderr);
}

function check(dir: string, out: string, extra: string[] = []) {
  const r = spawnSync(TSX, [path.join(ROOT, 'scripts', 'check-submissions.ts'), dir, '--out', out, ...extra], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, LAB_CACHE_DIR: path.join(ROOT, 'cache') },
  });
  const csv = fs.existsSync(path.join(out, 'report.csv')) ? fs.readFileSync(path.join(out, 'report.csv'), 'utf8') : '';
  const rows = new Map<string, Record<string, string>>();
  const lines = csv.trim().split('\n');
  const head = lines[0]?.split(',') ?? [];
  for (const l of lines.slice(1)) {
    // Fields: quoted where needed (the findings).
    const fields = [...l.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].map((m) =>
      m[1].replace(/^"|"$/g, '').replace(/""/g, '"'),
    );
    const row: Record<string, string> = {};
    head.forEach((h, i) => {
      row[h] = fields[i] ?? '';
    });
    rows.set(row.student, row);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, rows };
}

describe('check-submissions', function () {
  this.timeout(20 * 60 * 1000);
  const tmp = tmpDir('check-subs');
  const lab = path.join(tmp, 'lab'); // notebooks beside a link to dist/, as they import '../dist'
  const exportDir = path.join(tmp, 'export');
  const subs = path.join(tmp, 'submissions');
  const out = path.join(tmp, 'report');
  let env: Record<string, string>;
  const student = (name: string) => path.join(subs, `${name}_4711_assignsubmission_file_`);

  before(async () => {
    fs.mkdirSync(path.join(lab, 'notebooks'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'dist'), path.join(lab, 'dist'), 'dir');
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(lab, 'node_modules'), 'dir');
    for (const f of TASK_NOTEBOOKS) fs.copyFileSync(path.join(ROOT, 'notebooks', f), path.join(lab, 'notebooks', f));
    const demo = await makeDemoSet(path.join(ROOT, 'data', 'demo'));
    env = { ...demoEnv(demo), LAB_CACHE_DIR: path.join(ROOT, 'cache', 'demo'), LAB_OFFLINE: '1' };
    const photos = path.join(tmp, 'my-photos');
    fs.mkdirSync(photos);
    const dogs = path.join(demo.dataDir, 'stanford-dogs', 'Images');
    const breed = fs.readdirSync(dogs)[0];
    for (const f of fs.readdirSync(path.join(dogs, breed)).slice(0, 2))
      fs.copyFileSync(path.join(dogs, breed, f), path.join(photos, f));
    // The good submission, for real: the main job (about 90 s for notebooks 01-06).
    const run = spawnSync(
      TSX,
      [path.join(ROOT, 'scripts', 'main.ts'), '--demo', '--notebooks', path.join(lab, 'notebooks')],
      {
        encoding: 'utf8',
        cwd: ROOT,
        env: { ...process.env, LAB_EXPORT_DIR: exportDir, LAB_MY_PHOTOS_DIR: photos },
      },
    );
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    fs.rmSync(path.join(exportDir, 'answers'), { recursive: true, force: true }); // not asked for by the sheet

    const copyGood = (name: string) => {
      fs.cpSync(exportDir, student(name), { recursive: true });
      return student(name);
    };
    copyGood('Anna Good');

    // Task 4's answer cell never run: no answer, and the HTML exported from that notebook.
    const noAnswer = copyGood('Ben NoAnswer');
    const nb4 = path.join(noAnswer, '04-hnsw-grid.ipynb');
    const j4 = readJson(nb4);
    const answerCell = j4.cells.findIndex((c) => c.cell_type === 'code' && /saveAnswers\(/.test(src(c)));
    assert.ok(answerCell > 0);
    Object.assign(j4.cells[answerCell], { outputs: [], execution_count: null });
    fs.writeFileSync(nb4, JSON.stringify(j4));
    htmlExport(nb4, noAnswer);

    // An error output, for real: notebook 02 with a cell that asks precision@4 of a 3-NN result.
    const withError = copyGood('Cleo Error');
    const bad = path.join(lab, 'notebooks', '02-knn-queries.ipynb');
    const j2 = readJson(bad);
    const cell = j2.cells.find((c) => c.cell_type === 'code' && /precisionReport\(q, res, 3\)/.test(src(c)))!;
    cell.source = src(cell).replaceAll('precisionReport(q, res, 3)', 'precisionReport(q, res, 4)');
    const errOut = path.join(tmp, 'error-run');
    fs.writeFileSync(bad, JSON.stringify(j2));
    const r = await runNotebook(bad, errOut, { html: true, timeout: 600, env: env });
    assert.equal(r.ok, false);
    fs.copyFileSync(r.notebook, path.join(withError, '02-knn-queries.ipynb'));
    fs.copyFileSync(r.html!, path.join(withError, '02-knn-queries.html'));

    // A script in the HTML that the notebook never showed.
    const scripted = copyGood('Dora Script');
    const h1 = path.join(scripted, '01-exact-search.html');
    fs.writeFileSync(h1, fs.readFileSync(h1, 'utf8').replace('</body>', '<script>alert("pwned")</script></body>'));

    // The hand-out's blank left in task 2's written answer.
    const blank = copyGood('Hana Blank');
    const nb2 = path.join(blank, '02-knn-queries.ipynb');
    const j2b = readJson(nb2);
    const written = j2b.cells.find((c) => c.cell_type === 'markdown' && /BEGIN SOLUTION/.test(src(c)))!;
    written.source = src(written).replace(/<!-- BEGIN SOLUTION -->[\s\S]*<!-- END SOLUTION -->/, 'YOUR ANSWER HERE');
    fs.writeFileSync(nb2, JSON.stringify(j2b));
    htmlExport(nb2, blank);

    // Task 3's HTML handed in as task 2's: another notebook's export, with its charts.
    const swapped = copyGood('Ivan Swap');
    fs.copyFileSync(path.join(swapped, '03-hnsw.html'), path.join(swapped, '02-knn-queries.html'));

    // The export zipped inside the student's folder, as Moodle hands out a zip upload.
    fs.mkdirSync(student('Jana Zipped'));
    writeZip(
      path.join(student('Jana Zipped'), 'export.zip'),
      fs.readdirSync(exportDir).map((f) => ({ name: `export/${f}`, file: path.join(exportDir, f) })),
    );

    // A truncated notebook.
    const cut = copyGood('Emil Cut');
    const nb3 = path.join(cut, '03-hnsw.ipynb');
    fs.writeFileSync(nb3, fs.readFileSync(nb3).subarray(0, 20000));

    // A zip with the good files and entries that climb out (zip slip).
    fs.writeFileSync(path.join(tmp, 'evil.txt'), 'owned');
    const entries = fs
      .readdirSync(exportDir)
      .map((f) => ({ name: `submission/${f}`, file: path.join(exportDir, f) }))
      .concat([
        { name: '../../evil.txt', file: path.join(tmp, 'evil.txt') },
        { name: 'submission/../../../evil2.txt', file: path.join(tmp, 'evil.txt') },
      ]);
    writeZip(path.join(subs, 'Finn Slip_4712_assignsubmission_file_.zip'), entries);
    fs.rmSync(path.join(tmp, 'evil.txt'));

    // A zip bomb: 10 GiB of zeros in about 10 MB, its header claiming 1 KB.
    writeBomb(path.join(subs, 'Gina Bomb_4713_assignsubmission_file_.zip'), '04-hnsw-grid.ipynb', 10 * 1024);
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reports each submission as it is, finishes, and writes only into its output folder', () => {
    const before = snapshot(tmp);
    const r = check(subs, out);
    assert.equal(r.status, 0, r.stderr);
    const after = snapshot(tmp).filter((l) => !l.startsWith(`${path.basename(out)}${path.sep}`));
    assert.deepEqual(after, before, 'files outside the report folder changed');
    assert.deepEqual(fs.readdirSync(out).sort(), ['report.csv', 'report.html']); // its work folder removed
    assert.ok(!fs.existsSync(path.join(path.dirname(tmp), 'evil.txt')));

    const row = (name: string) => {
      const x = r.rows.get(name);
      assert.ok(x, `no row for ${name} in:\n${r.stdout}`);
      return x;
    };
    const good = row('Anna Good');
    assert.deepEqual(
      [good.notebooks, good.html, good.task4, good.precision, good.photos, good.verdict],
      ['6 ok', '6 ok', 'ok', 'ok', 'ok (2)', 'ok'],
      good.findings,
    );

    const noAnswer = row('Ben NoAnswer');
    assert.equal(noAnswer.task4, 'missing');
    assert.match(noAnswer.findings, /names no fastest setting; names no most precise setting/);
    assert.equal(noAnswer.html, '6 ok'); // its HTML is of the notebook as handed in

    const withError = row('Cleo Error');
    assert.equal(withError.notebooks, '5 ok, 1 error');
    assert.match(withError.findings, /task 2: error output in cell \d+: .*precision: k=4 needs k columns/);
    assert.equal(withError.precision, 'ok'); // task 3's neighbours still check out

    const scripted = row('Dora Script');
    assert.equal(scripted.html, '5 ok, 1 scripts');
    assert.match(scripted.findings, /task 1: 01-exact-search\.html: scripts not from the notebook: "alert\("pwned"\)/);

    const blankRow = row('Hana Blank');
    assert.match(blankRow.findings, /task 2: written answer left blank \(YOUR ANSWER HERE\) in cell \d+/);
    assert.equal(blankRow.verdict, 'look (1)', blankRow.findings);

    const swapped = row('Ivan Swap');
    assert.equal(swapped.html, '5 ok, 1 differs', swapped.findings);
    assert.match(swapped.findings, /task 2: 02-knn-queries\.html differs from the notebook/);

    const zipped = row('Jana Zipped');
    assert.deepEqual([zipped.notebooks, zipped.html, zipped.verdict], ['6 ok', '6 ok', 'ok'], zipped.findings);

    const cut = row('Emil Cut');
    assert.equal(cut.notebooks, '5 ok, 1 damaged');
    assert.match(cut.findings, /task 3: 03-hnsw\.ipynb: not a whole notebook: its JSON is broken .*cut off/);

    const slip = row('Finn Slip');
    assert.match(slip.findings, /\.\.\/\.\.\/evil\.txt: unsafe: a path that leads out of the folder/);
    assert.match(slip.findings, /submission\/\.\.\/\.\.\/\.\.\/evil2\.txt: unsafe/);
    assert.equal(slip.notebooks, '6 ok'); // the safe entries are checked as usual
    assert.equal(slip.photos, 'ok (2)');

    const bomb = row('Gina Bomb');
    assert.match(
      bomb.findings,
      /04-hnsw-grid\.ipynb: inflates to more than 128 MiB \(a zip bomb\?\); its header claims 1024 bytes/,
    );
    assert.match(bomb.findings, /no notebook for tasks 1, 2, 3, 4, 5, 6/);

    // The terminal table names every student; the HTML report is escaped and runs nothing.
    for (const name of r.rows.keys()) assert.ok(r.stdout.includes(name));
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.ok(!/<script/i.test(html));
    assert.ok(html.includes('&quot;pwned&quot;'));
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    // Files in a zip are named by the zip and their path in it, never by the checker's work folder.
    assert.ok(html.includes('export.zip: export/01-exact-search.ipynb'), 'a zipped notebook named by its zip');
    assert.ok(!html.includes('.work'), 'no work-folder path in the report');
  });

  it('--rerun: re-runs a good notebook to the same answers and stops a loop at the per-cell timeout', () => {
    const dir = path.join(tmp, 'rerun-submissions');
    const good = path.join(dir, 'Hanna Good');
    const loop = path.join(dir, 'Ivo Loop');
    for (const d of [good, loop]) fs.mkdirSync(d, { recursive: true });
    fs.copyFileSync(path.join(exportDir, '02-knn-queries.ipynb'), path.join(good, '02-knn-queries.ipynb'));
    const j = readJson(path.join(exportDir, '03-hnsw.ipynb'));
    j.cells.push({ cell_type: 'code', source: 'while (true) {}', execution_count: null, outputs: [], metadata: {} });
    fs.writeFileSync(path.join(loop, '03-hnsw.ipynb'), JSON.stringify(j));
    const before = snapshot(dir);
    const r = check(dir, path.join(tmp, 'rerun-report'), ['--rerun', '--timeout', '60']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(snapshot(dir), before, 'the submitted notebooks changed');
    assert.equal(r.rows.get('Hanna Good')?.rerun, 'ok', r.stdout);
    const looped = r.rows.get('Ivo Loop')!;
    assert.equal(looped.rerun, 'differs');
    assert.match(looped.findings, /re-run: task 3: failed in cell \d+: a cell ran longer than 60 s \(stopped\)/);
  });

  it('reads task 4 from the printed answer and holds it against the table', () => {
    const nb = readNotebook(path.join(exportDir, '04-hnsw-grid.ipynb'));
    const f = checkTask4(nb);
    assert.equal(f.status, 'ok', f.notes.join('; '));
    assert.equal(f.settings, 54);
    // A fastest named against the table: the check says so.
    const j = readJson(path.join(exportDir, '04-hnsw-grid.ipynb'));
    const cell = j.cells.find((c) => c.cell_type === 'code' && /saveAnswers\(/.test(src(c)))!;
    const o = cell.outputs![0] as { data: Record<string, string | string[]> };
    const text = Array.isArray(o.data['text/html']) ? o.data['text/html'].join('') : o.data['text/html'];
    const named = /fastest search: HNSWFlat\(M=(\d+), efConstruction=(\d+)\) (L[12]) efSearch=(\d+)/.exec(text)!;
    const other = named[4] === '100' ? '10' : '100';
    o.data['text/html'] = text.replace(named[0], named[0].replace(/efSearch=\d+$/, `efSearch=${other}`));
    const file = path.join(tmp, 'task4-other.ipynb');
    fs.writeFileSync(file, JSON.stringify(j));
    const g = checkTask4(readNotebook(file));
    // efSearch=100 is never the fastest; efSearch=10 may be equally fast: either way a named setting is found.
    assert.ok(g.fastest && g.fastest.efSearch === Number(other));
    if (other === '100') assert.equal(g.status, 'differs', JSON.stringify(g));
    // The printed answer right, the written answer naming a setting its table shows slower: the check says so.
    const k = readJson(path.join(exportDir, '04-hnsw-grid.ipynb'));
    const written = k.cells.find((c) => c.cell_type === 'markdown' && /\*\*Your answer\.\*\*/.test(src(c)))!;
    written.source = src(written).replace(
      /<!-- BEGIN SOLUTION -->[\s\S]*<!-- END SOLUTION -->/,
      'The fastest search is M=32, efConstruction=200, efSearch=100, L2; the most precise is the one the note names.',
    );
    const file2 = path.join(tmp, 'task4-written.ipynb');
    fs.writeFileSync(file2, JSON.stringify(k));
    const w = checkTask4(readNotebook(file2));
    assert.equal(w.status, 'differs', JSON.stringify(w));
    assert.match(
      w.notes.join('\n'),
      /its written answer's fastest \(cell \d+: M=32, efConstruction=200, efSearch=100, L2/,
    );
  });

  it("reads task 2's mean precision@3 in the student's words and in the written answer", () => {
    const file = path.join(exportDir, '02-knn-queries.ipynb');
    assert.equal(checkTask2(readNotebook(file)).status, 'ok');
    const j = readJson(file);
    // The lab's answer note replaced by a line of the student's own, with the value the note gave.
    const cell = j.cells.find((c) => c.cell_type === 'code' && /'answer'\)/.test(src(c)) && c.outputs?.length)!;
    const o = cell.outputs!.find((x) => (x as { output_type: string }).output_type === 'display_data') as {
      data: Record<string, string | string[]>;
    };
    const html = Array.isArray(o.data['text/html']) ? o.data['text/html'].join('') : o.data['text/html'];
    const mean = /mean precision@3 over \d+ queries is (\d\.\d+)/.exec(html)![1];
    cell.outputs = [{ output_type: 'stream', name: 'stdout', text: `Mean precision@3: ${mean}\n` }];
    const own = path.join(tmp, 'task2-own.ipynb');
    fs.writeFileSync(own, JSON.stringify(j));
    const f = checkTask2(readNotebook(own));
    assert.equal(f.status, 'ok', f.notes.join('; '));
    // A written answer claiming another mean: the check compares it with the printed neighbours.
    const written = j.cells.find((c) => c.cell_type === 'markdown' && /\*\*Your answer\.\*\*/.test(src(c)))!;
    const other = Number(mean) > 0.5 ? '0.100' : '0.900';
    written.source = src(written).replace(
      /<!-- BEGIN SOLUTION -->[\s\S]*<!-- END SOLUTION -->/,
      `The mean precision@3 is ${other}.`,
    );
    fs.writeFileSync(own, JSON.stringify(j));
    const g = checkTask2(readNotebook(own));
    assert.equal(g.status, 'differs');
    assert.match(
      g.notes.join('\n'),
      new RegExp(`its written answer \\(cell \\d+\\) gives the mean precision@3 as ${other}`),
    );
  });

  it('unpacks within caps: a bomb stops at the per-entry cap, its lying header named', () => {
    const zip = path.join(tmp, 'small-bomb.zip');
    writeBomb(zip, 'a.bin', 64);
    const x = unpackZip(zip, path.join(tmp, 'small-bomb'), { maxEntryBytes: 2 ** 20 });
    assert.deepEqual(x.files, []);
    assert.match(x.refused[0].reason, /inflates to more than 1 MiB \(a zip bomb\?\); its header claims 1024 bytes/);
    assert.ok(x.bytes < 40 * 2 ** 20, `${x.bytes} bytes inflated before stopping`);
    const y = unpackZip(zip, path.join(tmp, 'small-bomb-ok'));
    assert.deepEqual(y.files, ['a.bin']);
    assert.equal(fs.statSync(path.join(tmp, 'small-bomb-ok', 'a.bin')).size, 64 * 2 ** 20);
  });

  it('names a notebook cut short as cut off, wherever the cut falls (after a bracket too)', () => {
    const whole = JSON.stringify(
      { cells: [{ cell_type: 'code', source: ['x[0]'], outputs: [] }], nbformat: 4 },
      null,
      1,
    );
    const dir = path.join(tmp, 'cuts');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, '03-hnsw.ipynb');
    // Every cut of the file: after "x[0]" (a bracket inside a string), after "[]" and "}" of nested values.
    for (let end = 1; end < whole.length; end++) {
      fs.writeFileSync(file, `${whole.slice(0, end)}\n  `);
      const why = readNotebook(file).damaged ?? '';
      assert.match(why, /its JSON is broken .*cut off before the end/, `cut at ${end}: ${why}`);
    }
    fs.writeFileSync(file, whole.replace('"outputs"', '"outputs",'));
    const broken = readNotebook(file).damaged ?? '';
    assert.match(broken, /its JSON is broken/);
    assert.doesNotMatch(broken, /cut off/);
  });

  it('defuses spreadsheet formulas in the CSV', () => {
    assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvField('Anna, B'), '"Anna, B"');
    assert.equal(csvField('-'), '-'); // nothing to report, not a formula
    assert.equal(csvField('-1+2'), "'-1+2");
  });
});
