// The teacher's check, three defects of a review: (1) a student who hands in unexecuted working copies beside the
// executed notebooks is checked on the best of them (readable, most cells run, no error, HTML beside, newest), and
// a finding names the others; (2) nbconvert's classic template (`--template classic`, Notebook 6's "Download as
// HTML") is read like the lab template, its page scripts (jQuery, require.js, MathJax) nbconvert's own; (3) with
// --rerun a student's line comes before their re-run's progress lines.
// Real notebooks run here on the demo set (01 and 03: 03 shows charts, scripts in its outputs) and are exported with
// nbconvert's lab template (the runner) and its classic template (Debian's nbconvert, as a teacher would run it).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkAll } from '../scripts/check-submissions';
import { type NotebookRun, runNotebook } from '../scripts/jupyter';
import { writeZip } from '../scripts/zip';
import { demoEnv, makeDemoSet } from '../src/data/demo';
import { checkStudent, listSubmissions } from '../src/grading/checks';
import { compareWithNotebook, foreignScripts, readExportHtml } from '../src/grading/export-html';
import { readNotebook } from '../src/grading/notebook';
import { findingsOf } from '../src/grading/report';
import type { RerunOptions } from '../src/grading/rerun';
import { tmpDir } from './support/data';

const ROOT = path.join(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const PYTHON = process.env.LAB_JUPYTER_PYTHON ?? '/usr/bin/python3';
const JUPYTER_PATH = path.join(ROOT, '.jupyter', 'share', 'jupyter');
const NB1 = '01-exact-search';
const NB3 = '03-hnsw';

interface JsonCell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: Array<{ output_type: string; name?: string; text?: string; data?: Record<string, string | string[]> }>;
}
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as { cells: JsonCell[] };
const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join('') : (v ?? ''));
/** Code cells with code, as the check counts them. */
const codeCells = (f: string) =>
  readJson(f).cells.filter((c) => c.cell_type === 'code' && text(c.source).trim() !== '').length;

/** nbconvert's classic template, as `jupyter nbconvert --to html --template classic` writes it: OUT/<name>.html. */
function classicExport(nbFile: string, outDir: string): string {
  const r = spawnSync(
    PYTHON,
    ['-m', 'nbconvert', '--to', 'html', '--template', 'classic', '--output-dir', outDir, nbFile],
    { encoding: 'utf8', env: { ...process.env, JUPYTER_PATH } },
  );
  assert.equal(r.status, 0, r.stderr);
  return path.join(outDir, `${path.basename(nbFile, '.ipynb')}.html`);
}

/** A small notebook of its own: a "# Task N" heading, `cells` code cells of which the first `run` ran. */
function writeNb(file: string, o: { task: number; cells: number; run: number; error?: boolean }): string {
  const cells: JsonCell[] = [{ cell_type: 'markdown', source: `# Task ${o.task}: a test` }];
  for (let i = 0; i < o.cells; i++) {
    const ran = i < o.run;
    const out = [{ output_type: 'stream', name: 'stdout', text: `${i}\n` }];
    if (ran && o.error && i === 0) out.push({ output_type: 'stream', name: 'stderr', text: 'TypeError: boom\n' });
    cells.push({
      cell_type: 'code',
      source: `console.log(${i})`,
      execution_count: ran ? i + 1 : null,
      outputs: ran ? out : [],
    });
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
  return file;
}

describe('check-submissions: duplicates, classic exports, re-run order', function () {
  this.timeout(10 * 60 * 1000);
  const tmp = tmpDir('check-more');
  const lab = path.join(tmp, 'lab'); // notebooks beside links to dist/ and node_modules/, as they import '../dist'
  let env: Record<string, string>;
  /** The runner's output per notebook: executed notebook and its lab-template HTML. */
  const ran: Record<string, NotebookRun> = {};
  /** Classic-template exports of the executed notebooks. */
  const classic: Record<string, string> = {};
  const labNotebook = (name: string) => path.join(ROOT, 'notebooks', `${name}.ipynb`);

  before(async () => {
    fs.mkdirSync(path.join(lab, 'notebooks'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'dist'), path.join(lab, 'dist'), 'dir');
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(lab, 'node_modules'), 'dir');
    const demo = await makeDemoSet(path.join(ROOT, 'data', 'demo'));
    env = { ...demoEnv(demo), LAB_CACHE_DIR: path.join(ROOT, 'cache', 'demo'), LAB_OFFLINE: '1' };
    for (const name of [NB1, NB3]) {
      const copy = path.join(lab, 'notebooks', `${name}.ipynb`);
      fs.copyFileSync(labNotebook(name), copy);
      const r = await runNotebook(copy, path.join(tmp, 'run'), {
        html: true,
        timeout: 600,
        env: { ...env, LAB_EXPORT_DIR: path.join(tmp, 'run-export') },
      });
      assert.ok(r.ok, JSON.stringify(r.error));
      ran[name] = r;
      classic[name] = classicExport(r.notebook, path.join(tmp, 'classic'));
    }
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('classic HTML exports', () => {
    it('reads a classic export like a lab export: both show the notebook as it ran, cell by cell', () => {
      for (const name of [NB1, NB3]) {
        const nb = readNotebook(ran[name].notebook);
        // The cells as the notebook has them (raw cells show in neither template as cells).
        const types = readJson(ran[name].notebook)
          .cells.map((c) => c.cell_type)
          .filter((t) => t !== 'raw');
        const asLab = readExportHtml(ran[name].html!);
        const asClassic = readExportHtml(classic[name]);
        assert.equal(asLab.template, 'lab');
        assert.equal(asClassic.template, 'classic');
        for (const html of [asLab, asClassic]) {
          assert.ok(html.nbconvert, `${html.file}: not read as nbconvert's`);
          assert.deepEqual(
            html.cells.map((c) => c.type),
            types,
          );
          assert.deepEqual(compareWithNotebook(html, nb), { same: true, differences: [] }, html.file);
          assert.deepEqual(foreignScripts(html, nb), [], html.file);
        }
      }
    });

    it('keeps the scripts of the notebook (charts) and of the classic page apart from foreign ones', () => {
      // Task 3's notebook shows charts: scripts in its outputs, which the classic page carries as they are.
      const outputs = readJson(ran[NB3].notebook).cells.flatMap((c) => c.outputs ?? []);
      assert.ok(
        outputs.some((o) => /<script/i.test(text(o.data?.['text/html']))),
        'task 3 shows no chart scripts',
      );
      const page = readExportHtml(classic[NB3]);
      // What Debian's nbconvert puts in the classic page's head: jQuery, require.js, MathJax and its configuration.
      const srcs = page.scripts.map((s) => s.src ?? '');
      for (const lib of [/jquery(\.min)?\.js$/, /require(\.min)?\.js$/, /MathJax\.js\?/]) {
        assert.ok(
          srcs.some((s) => lib.test(s)),
          `${lib} not in ${srcs.join(', ')}`,
        );
      }
      assert.ok(page.scripts.some((s) => s.type === 'text/x-mathjax-config'));
      assert.ok(page.scripts.length > 4, 'the charts carry scripts of their own');
      assert.deepEqual(foreignScripts(page, readNotebook(ran[NB3].notebook)), []);

      // nbconvert's own CDN addresses (its defaults upstream; nbconvert 5 loads MathJax's latest.js): nbconvert's.
      const raw = fs.readFileSync(classic[NB1], 'utf8');
      const cdn = 'https://cdnjs.cloudflare.com/ajax/libs';
      const upstream = (mathjax: string) =>
        raw
          .replace(/src="[^"]*jquery[^"]*"/, `src="${cdn}/jquery/2.0.3/jquery.min.js"`)
          .replace(/src="[^"]*require[^"]*"/, `src="${cdn}/require.js/2.1.10/require.min.js"`)
          .replace(
            /src="[^"]*MathJax\.js[^"]*"/,
            `src="${cdn}/mathjax/2.7.7/${mathjax}?config=TeX-AMS_CHTML-full,Safe"`,
          );
      const nb1 = readNotebook(ran[NB1].notebook);
      for (const mathjax of ['MathJax.js', 'latest.js']) {
        const file = path.join(tmp, `cdn-${mathjax}.html`);
        fs.writeFileSync(file, upstream(mathjax));
        const html = readExportHtml(file);
        assert.ok(html.scripts.some((s) => s.src === `${cdn}/jquery/2.0.3/jquery.min.js`));
        assert.deepEqual(foreignScripts(html, nb1), [], mathjax);
        assert.ok(compareWithNotebook(html, nb1).same);
      }
      // Somebody else's script in the classic page is foreign; so is jQuery in a lab page (its template loads none).
      const evil = path.join(tmp, 'classic-evil.html');
      const miner = '<script src="https://cdn.example.org/miner.js"></script>';
      fs.writeFileSync(evil, raw.replace('</body>', `${miner}</body>`));
      assert.deepEqual(
        foreignScripts(readExportHtml(evil), nb1).map((s) => s.src),
        ['https://cdn.example.org/miner.js'],
      );
      const labJquery = path.join(tmp, 'lab-jquery.html');
      const jq = `${cdn}/jquery/2.0.3/jquery.min.js`;
      fs.writeFileSync(
        labJquery,
        fs.readFileSync(ran[NB1].html!, 'utf8').replace('</body>', `<script src="${jq}"></script></body>`),
      );
      assert.deepEqual(
        foreignScripts(readExportHtml(labJquery), nb1).map((s) => s.src),
        [jq],
      );
    });

    it("tells a classic export of another notebook, or of the notebook before it ran, from the notebook's", () => {
      const nb1 = readNotebook(ran[NB1].notebook);
      const nb3 = readNotebook(ran[NB3].notebook);
      const other = compareWithNotebook(readExportHtml(classic[NB3]), nb1);
      assert.equal(other.same, false);
      assert.ok(other.differences.length > 0);
      assert.equal(compareWithNotebook(readExportHtml(classic[NB1]), nb3).same, false);
      // The hand-out's notebook (no outputs) exported: same code, not the outputs the run printed.
      const unrun = classicExport(labNotebook(NB1), path.join(tmp, 'classic-unrun'));
      const before = compareWithNotebook(readExportHtml(unrun), nb1);
      assert.equal(before.same, false);
      assert.match(before.differences.join('; '), /other output in the HTML/);
    });

    it('checks a student whose HTML is a classic export: ok for the notebook, differs for another', async () => {
      const good = path.join(tmp, 'subs-classic', 'Ada Classic');
      const swapped = path.join(tmp, 'subs-classic', 'Bo Swapped');
      for (const d of [good, swapped]) {
        fs.mkdirSync(d, { recursive: true });
        fs.copyFileSync(ran[NB1].notebook, path.join(d, `${NB1}.ipynb`));
      }
      fs.copyFileSync(classic[NB1], path.join(good, `${NB1}.html`));
      fs.copyFileSync(classic[NB3], path.join(swapped, `${NB1}.html`));
      const a = (await checkStudent(good, path.join(tmp, 'work-classic-a'))).tasks[0];
      assert.deepEqual([a.status, a.html, a.htmlStatus, a.notes], ['ok', `${NB1}.html`, 'ok', []]);
      const b = (await checkStudent(swapped, path.join(tmp, 'work-classic-b'))).tasks[0];
      assert.equal(b.htmlStatus, 'differs');
      assert.match(b.notes.join('\n'), new RegExp(`^${NB1}\\.html differs from the notebook: `, 'm'));
    });
  });

  describe('several notebooks for one task', () => {
    it('checks the executed notebook, not the working copy found first, and names the other', async () => {
      const n = codeCells(labNotebook(NB1));
      for (const [first, second] of [
        ['notebooks', 'submission'], // the working copies found first (the review's case)
        ['a-submission', 'z-notebooks'], // and found last: the same choice
      ]) {
        const dir = path.join(tmp, `subs-dup-${first}`, 'Cara Copies');
        const drafts = first.endsWith('notebooks') ? first : second;
        const final = first.endsWith('notebooks') ? second : first;
        fs.mkdirSync(path.join(dir, drafts), { recursive: true });
        fs.mkdirSync(path.join(dir, final, '.ipynb_checkpoints'), { recursive: true });
        // The working copy (the hand-out's notebook, never run) with an export of its own beside it.
        fs.copyFileSync(labNotebook(NB1), path.join(dir, drafts, `${NB1}.ipynb`));
        classicExport(labNotebook(NB1), path.join(dir, drafts));
        // The executed set as the main job writes it, and Jupyter's checkpoint (ignored).
        fs.copyFileSync(ran[NB1].notebook, path.join(dir, final, `${NB1}.ipynb`));
        fs.copyFileSync(ran[NB1].html!, path.join(dir, final, `${NB1}.html`));
        fs.copyFileSync(ran[NB3].notebook, path.join(dir, final, `${NB3}.ipynb`));
        fs.copyFileSync(ran[NB3].html!, path.join(dir, final, `${NB3}.html`));
        fs.copyFileSync(labNotebook(NB1), path.join(dir, final, '.ipynb_checkpoints', `${NB1}-checkpoint.ipynb`));
        // The working copy newer than the executed one: run and export outrank the time.
        fs.utimesSync(path.join(dir, drafts, `${NB1}.ipynb`), new Date(), new Date());
        fs.utimesSync(path.join(dir, final, `${NB1}.ipynb`), new Date(2020, 0, 1), new Date(2020, 0, 1));

        const c = await checkStudent(dir, path.join(tmp, `work-dup-${first}`));
        const t1 = c.tasks[0];
        assert.deepEqual(
          [t1.status, t1.notebook, t1.executed, t1.html, t1.htmlStatus],
          ['ok', `${final}/${NB1}.ipynb`, `${n}/${n}`, `${final}/${NB1}.html`, 'ok'],
          t1.notes.join('; '),
        );
        assert.deepEqual(c.problems, [
          `2 notebooks for task 1: checked ${final}/${NB1}.ipynb (all cells run); ` +
            `not checked: ${drafts}/${NB1}.ipynb (0 of ${n} cells run)`,
        ]);
        const t3 = c.tasks[2];
        assert.deepEqual([t3.status, t3.notebook, t3.htmlStatus], ['ok', `${final}/${NB3}.ipynb`, 'ok']);
        assert.ok(findingsOf(c).includes(c.problems[0]));
      }
    });

    it('ranks readable, then most cells run, then no error, then HTML beside, then newest', async () => {
      const base = path.join(tmp, 'subs-rank');
      let k = 0;
      const check = async (files: (dir: string) => void) => {
        const dir = path.join(base, `student-${k++}`);
        files(dir);
        const c = await checkStudent(dir, path.join(tmp, `work-rank-${k}`));
        return { task: c.tasks[1], problems: c.problems };
      };
      const old = new Date(2021, 5, 1);
      const young = new Date(2024, 5, 1);

      // Damaged loses to a readable notebook that never ran.
      let r = await check((d) => {
        const cut = writeNb(path.join(d, 'a', '02-knn.ipynb'), { task: 2, cells: 3, run: 3 });
        fs.writeFileSync(cut, fs.readFileSync(cut).subarray(0, 60));
        writeNb(path.join(d, 'b', '02-knn.ipynb'), { task: 2, cells: 3, run: 0 });
      });
      assert.deepEqual([r.task.notebook, r.task.status], ['b/02-knn.ipynb', 'not run']);
      assert.deepEqual(r.problems, [
        '2 notebooks for task 2: checked b/02-knn.ipynb (0 of 3 cells run); not checked: a/02-knn.ipynb (damaged)',
      ]);

      // More cells run wins, whatever the error; three named best first.
      r = await check((d) => {
        writeNb(path.join(d, 'a', '02-knn.ipynb'), { task: 2, cells: 4, run: 1 });
        writeNb(path.join(d, 'b', '02-knn.ipynb'), { task: 2, cells: 4, run: 3, error: true });
        writeNb(path.join(d, 'c', '02-knn.ipynb'), { task: 2, cells: 4, run: 2 });
      });
      assert.deepEqual([r.task.notebook, r.task.status], ['b/02-knn.ipynb', 'error']);
      assert.deepEqual(r.problems, [
        '3 notebooks for task 2: checked b/02-knn.ipynb (3 of 4 cells run, an error output); ' +
          'not checked: c/02-knn.ipynb (2 of 4 cells run), a/02-knn.ipynb (1 of 4 cells run)',
      ]);

      // As many cells run: the one without an error output, though older.
      r = await check((d) => {
        const a = writeNb(path.join(d, 'a', '02-knn.ipynb'), { task: 2, cells: 3, run: 3, error: true });
        const b = writeNb(path.join(d, 'b', '02-knn.ipynb'), { task: 2, cells: 3, run: 3 });
        fs.utimesSync(a, young, young);
        fs.utimesSync(b, old, old);
      });
      assert.deepEqual([r.task.notebook, r.task.status], ['b/02-knn.ipynb', 'ok']);
      assert.deepEqual(r.problems, [
        '2 notebooks for task 2: checked b/02-knn.ipynb (all cells run); ' +
          'not checked: a/02-knn.ipynb (all cells run, an error output)',
      ]);

      // Alike so far: the one with its HTML export beside it (same name), though older; that HTML is checked.
      r = await check((d) => {
        const a = writeNb(path.join(d, 'a', '02-knn.ipynb'), { task: 2, cells: 3, run: 3 });
        const b = writeNb(path.join(d, 'b', '02-knn.ipynb'), { task: 2, cells: 3, run: 3 });
        fs.copyFileSync(classic[NB1], path.join(d, 'b', '02-knn.html'));
        fs.utimesSync(a, young, young);
        fs.utimesSync(b, old, old);
      });
      assert.deepEqual([r.task.notebook, r.task.html], ['b/02-knn.ipynb', 'b/02-knn.html']);
      assert.deepEqual(r.problems, [
        '2 notebooks for task 2: checked b/02-knn.ipynb (all cells run; its HTML beside it); ' +
          'not checked: a/02-knn.ipynb (all cells run)',
      ]);

      // Alike but for their time: the newest, found first or last.
      for (const newer of ['a', 'b']) {
        r = await check((d) => {
          const a = writeNb(path.join(d, 'a', '02-knn.ipynb'), { task: 2, cells: 3, run: 3 });
          const b = writeNb(path.join(d, 'b', '02-knn.ipynb'), { task: 2, cells: 3, run: 3 });
          fs.utimesSync(a, newer === 'a' ? young : old, newer === 'a' ? young : old);
          fs.utimesSync(b, newer === 'b' ? young : old, newer === 'b' ? young : old);
        });
        const older = newer === 'a' ? 'b' : 'a';
        assert.equal(r.task.notebook, `${newer}/02-knn.ipynb`);
        assert.deepEqual(r.problems, [
          `2 notebooks for task 2: checked ${newer}/02-knn.ipynb (all cells run; the newest); ` +
            `not checked: ${older}/02-knn.ipynb (all cells run)`,
        ]);
      }
    });

    it('in a zip: named by the zip, the executed one checked, no time claimed for unpacked files', async () => {
      const src = path.join(tmp, 'zip-src');
      const unrun = writeNb(path.join(src, 'draft.ipynb'), { task: 2, cells: 3, run: 0 });
      const run = writeNb(path.join(src, 'final.ipynb'), { task: 2, cells: 3, run: 3 });
      const dir = path.join(tmp, 'subs-zip', 'Dan Zip');
      fs.mkdirSync(dir, { recursive: true });
      writeZip(path.join(dir, 'export.zip'), [
        { name: 'notebooks/02-knn.ipynb', file: unrun },
        { name: 'submission/02-knn.ipynb', file: run },
      ]);
      const c = await checkStudent(dir, path.join(tmp, 'work-zip'));
      assert.equal(c.tasks[1].notebook, 'export.zip: submission/02-knn.ipynb');
      assert.deepEqual(c.problems, [
        '2 notebooks for task 2: checked export.zip: submission/02-knn.ipynb (all cells run); ' +
          'not checked: export.zip: notebooks/02-knn.ipynb (0 of 3 cells run)',
      ]);
      // Two alike in a zip: their times are the unpacking's, so neither is called the newest.
      writeZip(path.join(dir, 'export.zip'), [
        { name: 'a/02-knn.ipynb', file: run },
        { name: 'b/02-knn.ipynb', file: run },
      ]);
      const d = await checkStudent(dir, path.join(tmp, 'work-zip-2'));
      assert.deepEqual(d.problems, [
        '2 notebooks for task 2: checked export.zip: a/02-knn.ipynb (all cells run); ' +
          'not checked: export.zip: b/02-knn.ipynb (all cells run)',
      ]);
    });

    it("tells the newest by the files' own times in Moodle's flat download, by none in a zip handed in", async () => {
      const dir = path.join(tmp, 'subs-flat');
      fs.mkdirSync(dir, { recursive: true });
      const prefix = 'Ida Flat_77_assignsubmission_file_';
      // Copied into the work folder one after the other: the copy's time must not decide.
      const v2 = writeNb(path.join(dir, `${prefix}02-knn-v2.ipynb`), { task: 2, cells: 3, run: 3 });
      const v1 = writeNb(path.join(dir, `${prefix}02-knn.ipynb`), { task: 2, cells: 3, run: 3 });
      fs.utimesSync(v2, new Date(2024, 5, 1), new Date(2024, 5, 1));
      fs.utimesSync(v1, new Date(2021, 5, 1), new Date(2021, 5, 1));
      const [sub] = listSubmissions(dir);
      assert.equal(sub.parts.length, 2);
      const c = await checkStudent(sub, path.join(tmp, 'work-flat'));
      assert.deepEqual(c.problems, [
        '2 notebooks for task 2: checked 02-knn-v2.ipynb (all cells run; the newest); ' +
          'not checked: 02-knn.ipynb (all cells run)',
      ]);
      // The student's zip itself in DIR: unpacked, so no time is claimed; the first by path is checked.
      const zip = path.join(tmp, 'subs-zipped', 'Jo Zipped_78_assignsubmission_file_.zip');
      fs.mkdirSync(path.dirname(zip), { recursive: true });
      writeZip(zip, [
        { name: 'b/02-knn.ipynb', file: v2 },
        { name: 'a/02-knn.ipynb', file: v1 },
      ]);
      const z = await checkStudent(zip, path.join(tmp, 'work-zipped'));
      assert.deepEqual(z.problems, [
        '2 notebooks for task 2: checked a/02-knn.ipynb (all cells run); not checked: b/02-knn.ipynb (all cells run)',
      ]);
    });
  });

  describe('--rerun', () => {
    it("logs each student's line, then that student's re-run progress (a stand-in runner)", async () => {
      const dir = path.join(tmp, 'subs-order');
      for (const name of ['Eva First', 'Finn Second']) {
        writeNb(path.join(dir, name, '02-knn.ipynb'), { task: 2, cells: 2, run: 2 });
        writeNb(path.join(dir, name, '03-hnsw.ipynb'), { task: 3, cells: 2, run: 2 });
      }
      const lines: string[] = [];
      const run: RerunOptions['run'] = async (notebook, outDir) => {
        lines.push(`(ran ${path.basename(notebook)})`);
        fs.mkdirSync(outDir, { recursive: true });
        const copy = path.join(outDir, path.basename(notebook));
        fs.copyFileSync(notebook, copy);
        return { ok: true, notebook: copy, error: null };
      };
      const work = path.join(tmp, 'work-order');
      const checks = await checkAll(listSubmissions(dir), work, {
        rerun: { run, env: {}, timeout: 60 },
        log: (s) => lines.push(s),
      });
      const progress = (task: number, file: string) => [
        `  re-running task ${task} (${file}) ...`,
        `(ran 0${task}-task.ipynb)`,
      ];
      assert.deepEqual(lines, [
        '[1/2] Eva First',
        ...progress(2, '02-knn.ipynb'),
        ...progress(3, '03-hnsw.ipynb'),
        '[2/2] Finn Second',
        ...progress(2, '02-knn.ipynb'),
        ...progress(3, '03-hnsw.ipynb'),
      ]);
      assert.deepEqual(
        checks.map((c) => [c.student, c.rerun?.status]),
        [
          ['Eva First', 'ok'],
          ['Finn Second', 'ok'],
        ],
      );
      assert.deepEqual(fs.readdirSync(work), []); // each student's work folder removed
    });

    it('the CLI prints the header before the re-run of that student (a real re-run)', () => {
      const dir = path.join(tmp, 'subs-cli');
      fs.mkdirSync(path.join(dir, 'Gus Run'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'Hella None'), { recursive: true });
      fs.copyFileSync(ran[NB1].notebook, path.join(dir, 'Gus Run', `${NB1}.ipynb`));
      fs.writeFileSync(path.join(dir, 'Hella None', 'notes.txt'), 'nothing yet\n');
      const r = spawnSync(
        TSX,
        [path.join(ROOT, 'scripts', 'check-submissions.ts'), dir, '--out', path.join(tmp, 'cli-report'), '--rerun'],
        { encoding: 'utf8', cwd: ROOT, env: { ...process.env, LAB_CACHE_DIR: path.join(ROOT, 'cache') } },
      );
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.split('\n');
      const at = (re: RegExp) => {
        const i = lines.findIndex((l) => re.test(l));
        assert.ok(i >= 0, `${re} not in:\n${r.stdout}`);
        return i;
      };
      const gus = at(/^\[1\/2\] Gus Run$/);
      const rerun = at(/^ {2}re-running task 1 \(01-exact-search\.ipynb\) \.\.\.$/);
      const hella = at(/^\[2\/2\] Hella None$/);
      assert.ok(gus < rerun && rerun < hella, r.stdout);
      assert.equal(lines.filter((l) => /re-running/.test(l)).length, 1, r.stdout);
    });
  });
});
