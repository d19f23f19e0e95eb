// The teacher's check on Moodle's layouts of "download all submissions", built here in a temporary folder with the
// lab's own notebooks (committed without outputs: "not run" is what they are): a folder per student and plugin
// (older Moodle ends it in "_", its downloader.php of 2022 does not) with online text in a folder of its own, the
// flat download ("Download submissions in folders" unticked: every file prefixed), and the whole download as one
// zip. Each participant is one row with their files found under their own names; DIR is only read.
// Then the re-run's comparison on notebooks written here with the lab's own grid and table HTML, and the re-run's
// wiring of task 5's photos into the kernel's environment, with a recording stand-in for the runner (the real
// runner and kernel are tested in test/check-submissions.test.ts).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { writeZip } from '../scripts/zip';
import { checkStudent, listSubmissions, type StudentCheck, TASKS } from '../src/grading/checks';
import { readNotebook } from '../src/grading/notebook';
import { reportRow } from '../src/grading/report';
import { compareValues, type RerunOptions, reproducibleValues, rerunStudent } from '../src/grading/rerun';
import { moodleEntry } from '../src/grading/unpack';
import { photoGridHtml } from '../src/show/photos';
import { tableHtml } from '../src/show/table';
import { snapshot, tmpDir } from './support/data';

const ROOT = path.join(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const NOTEBOOKS: Record<number, string> = {
  1: '01-exact-search.ipynb',
  2: '02-knn-queries.ipynb',
  3: '03-hnsw.ipynb',
  4: '04-hnsw-grid.ipynb',
  5: '05-look-alike.ipynb',
  6: '06-text-search.ipynb',
};
const lab = (task: number) => path.join(ROOT, 'notebooks', NOTEBOOKS[task]);

interface Cell {
  cell_type: string;
  source: string;
  metadata: Record<string, unknown>;
  execution_count?: number | null;
  outputs?: unknown[];
}

/** A notebook file with one code cell per HTML output given (the lab's displays), each run. */
function writeNotebook(file: string, title: string, htmls: string[]): string {
  const cells: Cell[] = [{ cell_type: 'markdown', source: title, metadata: {} }];
  for (const [i, html] of htmls.entries()) {
    cells.push({
      cell_type: 'code',
      source: `show(${i})`,
      metadata: {},
      execution_count: i + 1,
      outputs: [{ output_type: 'display_data', data: { 'text/html': html, 'text/plain': '' }, metadata: {} }],
    });
  }
  fs.writeFileSync(file, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
  return file;
}

/** A neighbours grid as the lab shows it: per query its caption and breed, then "#k breed" per neighbour. */
function gridHtml(rows: Array<{ query: string; breed: string; neighbours: string[] }>): Promise<string> {
  return photoGridHtml(
    rows.map((r) => ({
      tiles: [
        { caption: [r.query, `query · ${r.breed}`], mark: 'query' as const },
        ...r.neighbours.map((n, k) => ({ caption: [`#${k + 1} ${n}`, `d=${(0.1 * (k + 1)).toFixed(2)}`] })),
      ],
    })),
  );
}

/** A small real photo (a PNG sharp can read). */
async function photo(file: string, color: string): Promise<string> {
  await sharp({ create: { width: 24, height: 24, channels: 3, background: color } })
    .png()
    .toFile(file);
  return file;
}

/** The CSV report's rows by student (fields quoted where needed). */
function csvRows(file: string): Array<Record<string, string>> {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  return lines.slice(1).map((l) => {
    const fields = [...l.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].map((m) =>
      m[1].replace(/^"|"$/g, '').replace(/""/g, '"'),
    );
    return Object.fromEntries(head.map((h, i) => [h, fields[i] ?? '']));
  });
}

/** The notebook each task was found in, by task ('' for none). */
const notebooksOf = (c: StudentCheck) => Object.fromEntries(c.tasks.map((t) => [t.task, t.notebook ?? '']));

describe('check-submissions: Moodle layouts', function () {
  this.timeout(120_000);
  const tmp = tmpDir('subs-layouts');
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  const work = () => path.join(tmp, 'work', String(n++));

  it("reads Moodle's prefix off folder and flat names, and nothing off other names", () => {
    assert.deepEqual(moodleEntry('Anna Schmidt_123456_assignsubmission_file_'), {
      student: 'Anna Schmidt',
      id: '123456',
      plugin: 'file',
      file: '',
    });
    assert.deepEqual(moodleEntry('Anna Schmidt_123456_assignsubmission_onlinetext'), {
      student: 'Anna Schmidt',
      id: '123456',
      plugin: 'onlinetext',
      file: '',
    });
    assert.deepEqual(moodleEntry('Jörg-Peter Müller 2_77_assignsubmission_file_04 hnsw_grid v2.ipynb'), {
      student: 'Jörg-Peter Müller 2',
      id: '77',
      plugin: 'file',
      file: '04 hnsw_grid v2.ipynb',
    });
    for (const other of ['Hanna Good', 'anna.zip', 'anna_123.zip', '_123_assignsubmission_file_', 'a_b_file_x']) {
      assert.equal(moodleEntry(other), undefined, other);
    }
  });

  it('groups the folders Moodle makes per student and plugin into one row, online text not a second row', async () => {
    const dir = path.join(tmp, 'folders');
    // Anna: the six notebooks (older Moodle's folder names) and online text beside them.
    const anna = path.join(dir, 'Anna Schmidt_123456_assignsubmission_file_');
    fs.mkdirSync(anna, { recursive: true });
    for (const t of TASKS) fs.copyFileSync(lab(t), path.join(anna, NOTEBOOKS[t]));
    const annaText = path.join(dir, 'Anna Schmidt_123456_assignsubmission_onlinetext_');
    fs.mkdirSync(annaText);
    fs.writeFileSync(path.join(annaText, 'onlinetext.html'), '<p>Meine Abgabe: <b>siehe</b> die Notebooks.</p>');
    // Ben: two notebooks in a subfolder (newer Moodle's names, no trailing "_"), an empty online text.
    const ben = path.join(dir, 'Ben Meyer_234567_assignsubmission_file', 'export');
    fs.mkdirSync(ben, { recursive: true });
    for (const t of [1, 2]) fs.copyFileSync(lab(t), path.join(ben, NOTEBOOKS[t]));
    const benText = path.join(dir, 'Ben Meyer_234567_assignsubmission_onlinetext');
    fs.mkdirSync(benText);
    fs.writeFileSync(path.join(benText, 'onlinetext.html'), '<p> </p>');
    // Cleo: online text only.
    const cleoText = path.join(dir, 'Cleo Wagner_345678_assignsubmission_onlinetext_');
    fs.mkdirSync(cleoText);
    fs.writeFileSync(path.join(cleoText, 'onlinetext.html'), '<p>Ich reiche nächste Woche nach.</p>');
    const before = snapshot(dir);

    const subs = listSubmissions(dir);
    assert.deepEqual(
      subs.map((s) => [s.student, s.id, s.parts.length]),
      [
        ['Anna Schmidt', '123456', 2],
        ['Ben Meyer', '234567', 2],
        ['Cleo Wagner', '345678', 1],
      ],
    );
    const checks: StudentCheck[] = [];
    for (const s of subs) checks.push(await checkStudent(s, work()));
    const [annaCheck, benCheck, cleoCheck] = checks;

    assert.deepEqual(notebooksOf(annaCheck), NOTEBOOKS);
    assert.deepEqual(
      annaCheck.tasks.map((t) => [t.status, t.html]),
      TASKS.map(() => ['not run', undefined]),
      'onlinetext.html taken as an HTML export',
    );
    assert.deepEqual(annaCheck.problems, [
      'online text present (onlinetext.html), not checked: "Meine Abgabe: siehe die Notebooks."',
    ]);
    assert.equal(reportRow(annaCheck).notebooks, '6 not run');
    assert.equal(annaCheck.student, 'Anna Schmidt');

    assert.deepEqual(notebooksOf(benCheck), {
      ...Object.fromEntries(TASKS.map((t) => [t, ''])),
      1: path.join('export', NOTEBOOKS[1]),
      2: path.join('export', NOTEBOOKS[2]),
    });
    assert.deepEqual(benCheck.problems, [], 'an empty online text is nothing to read');

    assert.deepEqual(
      cleoCheck.tasks.map((t) => t.status),
      TASKS.map(() => 'missing'),
    );
    assert.deepEqual(cleoCheck.problems, [
      'online text present (onlinetext.html), not checked: "Ich reiche nächste Woche nach."',
    ]);
    assert.deepEqual(snapshot(dir), before, 'the submissions changed');
  });

  it("groups Moodle's flat download by participant, each file under its own name", async () => {
    const dir = path.join(tmp, 'flat');
    fs.mkdirSync(dir);
    const anna = 'Anna Schmidt_123456_assignsubmission_file_';
    for (const t of [1, 2, 4]) fs.copyFileSync(lab(t), path.join(dir, anna + NOTEBOOKS[t]));
    const photos = path.join(tmp, 'anna-photos');
    fs.mkdirSync(photos);
    const pics = [
      await photo(path.join(photos, 'me-1.png'), '#c33'),
      await photo(path.join(photos, 'me-2.png'), '#3c3'),
    ];
    writeZip(
      path.join(dir, `${anna}my-photos.zip`),
      pics.map((f) => ({ name: `my-photos/${path.basename(f)}`, file: f })),
    );
    fs.writeFileSync(
      path.join(dir, 'Anna Schmidt_123456_assignsubmission_onlinetext_onlinetext.html'),
      '<p>Fertig.</p>',
    );
    // A task notebook renamed by the student: found by its "# Task 5" heading, shown by its own name.
    fs.copyFileSync(lab(5), path.join(dir, 'Ben Meyer_234567_assignsubmission_file_look alike (final).ipynb'));
    fs.copyFileSync(lab(6), path.join(dir, 'Ben Meyer_234567_assignsubmission_file_06-text-search.ipynb'));
    // Not from Moodle: a folder of its own, as before.
    fs.mkdirSync(path.join(dir, 'Hanna Good'));
    fs.copyFileSync(lab(3), path.join(dir, 'Hanna Good', NOTEBOOKS[3]));
    const before = snapshot(dir);

    const subs = listSubmissions(dir);
    assert.deepEqual(
      subs.map((s) => [s.student, s.parts.length]),
      [
        ['Anna Schmidt', 5],
        ['Ben Meyer', 2],
        ['Hanna Good', 1],
      ],
    );
    const [annaWork, benWork, hannaWork] = [work(), work(), work()];
    const anna1 = await checkStudent(subs[0], annaWork);
    const ben1 = await checkStudent(subs[1], benWork);
    const hanna1 = await checkStudent(subs[2], hannaWork);

    const none = Object.fromEntries(TASKS.map((t) => [t, '']));
    assert.deepEqual(notebooksOf(anna1), { ...none, 1: NOTEBOOKS[1], 2: NOTEBOOKS[2], 4: NOTEBOOKS[4] });
    assert.deepEqual([anna1.photos.status, anna1.photos.photos], ['ok', 2], anna1.photos.notes.join('; '));
    assert.deepEqual(anna1.problems, ['online text present (onlinetext.html), not checked: "Fertig."']);
    assert.match(anna1.entry, /^Anna Schmidt_123456_assignsubmission_\* \(5 in DIR\)$/);
    assert.deepEqual(notebooksOf(ben1), { ...none, 5: 'look alike (final).ipynb', 6: NOTEBOOKS[6] });
    assert.deepEqual(notebooksOf(hanna1), { ...none, 3: NOTEBOOKS[3] });
    assert.equal(hanna1.entry, 'Hanna Good');

    // The prefix is gone in the copies, which are in the work folder; DIR is as it was.
    assert.deepEqual(fs.readdirSync(path.join(annaWork, 'files')).sort(), [
      NOTEBOOKS[1],
      NOTEBOOKS[2],
      NOTEBOOKS[4],
      'my-photos.zip',
      'onlinetext.html',
    ]);
    assert.deepEqual(snapshot(dir), before, 'the submissions changed');
  });

  it("checks the whole download as one zip, Moodle's (flat at its top) or wrapped in a folder", () => {
    const dir = path.join(tmp, 'zips');
    fs.mkdirSync(dir);
    const text = path.join(tmp, 'onlinetext.html');
    fs.writeFileSync(text, '<p>Siehe Dateien.</p>');
    const entries = [
      ...[1, 2].map((t) => ({ name: `Anna Schmidt_123456_assignsubmission_file/${NOTEBOOKS[t]}`, file: lab(t) })),
      { name: 'Anna Schmidt_123456_assignsubmission_onlinetext/onlinetext.html', file: text },
      { name: `Ben Meyer_234567_assignsubmission_file_${NOTEBOOKS[3]}`, file: lab(3) },
      { name: `Ben Meyer_234567_assignsubmission_file_${NOTEBOOKS[4]}`, file: lab(4) },
    ];
    const moodle = path.join(dir, 'KURS-Aufgabe 3-4711.zip');
    writeZip(moodle, entries);
    const wrapped = path.join(dir, 'wrapped.zip');
    writeZip(
      wrapped,
      entries.map((e) => ({ ...e, name: `Aufgabe 3/${e.name}` })),
    );
    const before = snapshot(dir);
    for (const zip of [moodle, wrapped]) {
      const out = path.join(tmp, `report-${path.basename(zip, '.zip')}`);
      const r = spawnSync(TSX, [path.join(ROOT, 'scripts', 'check-submissions.ts'), zip, '--out', out], {
        encoding: 'utf8',
        cwd: ROOT,
      });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      const rows = csvRows(path.join(out, 'report.csv'));
      assert.deepEqual(
        rows.map((x) => [x.student, x.notebooks]),
        [
          ['Anna Schmidt', '2 not run, 4 missing'],
          ['Ben Meyer', '4 missing, 2 not run'], // tasks 1, 2 missing first (the tally's order)
        ],
        path.basename(zip),
      );
      assert.equal(
        rows[0].findings.split(' | ')[0],
        'online text present (onlinetext.html), not checked: "Siehe Dateien."',
      );
      assert.ok(!rows[1].findings.includes('online text'), rows[1].findings);
      assert.deepEqual(fs.readdirSync(out).sort(), ['report.csv', 'report.html']);
    }
    assert.deepEqual(snapshot(dir), before, 'the zips changed');
  });
});

describe('check-submissions --rerun: comparing and task 5 photos', function () {
  this.timeout(60_000);
  const tmp = tmpDir('subs-rerun');
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const nb = (name: string, htmls: string[]) =>
    readNotebook(writeNotebook(path.join(tmp, `${name}.ipynb`), '# Task 2', htmls));
  const rows = [
    { query: 'q1.jpg', breed: 'beagle', neighbours: ['beagle', 'pug', 'beagle'] },
    { query: 'q2.jpg', breed: 'pug', neighbours: ['pug', 'pug', 'boxer'] },
  ];
  const table = tableHtml([
    { query: 'q1.jpg', 'precision@3': 2 / 3, latencyMs: 0.41 },
    { query: 'q2.jpg', 'precision@3': 2 / 3, latencyMs: 0.39 },
  ]);

  it('holds every value handed in against the re-run: a different one, one not printed, none printed', async () => {
    const grid = await gridHtml(rows);
    const submitted = nb('handed-in', [grid, table]);
    const values = reproducibleValues(submitted);
    assert.deepEqual(Object.fromEntries(values), {
      'grid 1, q1.jpg: neighbours': 'beagle, pug, beagle',
      'grid 1, q2.jpg: neighbours': 'pug, pug, boxer',
      'table in cell 3, q1.jpg: precision@3': '0.667',
      'table in cell 3, q2.jpg: precision@3': '0.667',
    });

    // The same, with other timings and an extra query: no difference.
    const extra = [...rows, { query: 'q3.jpg', breed: 'boxer', neighbours: ['boxer', 'boxer', 'pug'] }];
    const slower = tableHtml([
      { query: 'q1.jpg', 'precision@3': 2 / 3, latencyMs: 3.1 },
      { query: 'q2.jpg', 'precision@3': 2 / 3, latencyMs: 2.9 },
    ]);
    assert.deepEqual(compareValues(submitted, nb('same', [await gridHtml(extra), slower])), []);

    // Another neighbour for q2, and no table at all.
    const other = [rows[0], { ...rows[1], neighbours: ['pug', 'boxer', 'boxer'] }];
    assert.deepEqual(compareValues(submitted, nb('other', [await gridHtml(other)])), [
      'grid 1, q2.jpg: neighbours: handed in pug, pug, boxer, re-run pug, boxer, boxer',
      'table in cell 3, q1.jpg: precision@3: handed in 0.667, the re-run printed none',
      'table in cell 3, q2.jpg: precision@3: handed in 0.667, the re-run printed none',
    ]);

    // One query searched of two: the other's values are missing.
    assert.deepEqual(compareValues(submitted, nb('half', [await gridHtml([rows[0]]), table])), [
      'grid 1, q2.jpg: neighbours: handed in pug, pug, boxer, the re-run printed none',
    ]);

    // Nothing printed (nothing to search): one difference that says so, never "same answers".
    assert.deepEqual(compareValues(submitted, nb('nothing', [])), [
      'the re-run printed none of the 4 value(s) handed in ' +
        '(no neighbour grid or table; grid 1, q1.jpg: neighbours, ...)',
    ]);
    // A notebook without values has nothing to reproduce.
    assert.deepEqual(compareValues(nb('empty', []), nb('empty-rerun', [])), []);
  });

  /** A student folder with task 5's notebook (its grid of the student's photos printed), maybe their photo zip. */
  async function student(name: string, withPhotos: boolean): Promise<{ check: StudentCheck; work: string }> {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    const j = JSON.parse(fs.readFileSync(lab(5), 'utf8')) as { cells: Cell[] };
    const code = j.cells.find((c) => c.cell_type === 'code')!;
    const grid = await gridHtml([{ query: 'me-1.png', breed: 'unknown', neighbours: ['pug', 'pug', 'boxer'] }]);
    Object.assign(code, {
      execution_count: 1,
      outputs: [{ output_type: 'display_data', data: { 'text/html': grid }, metadata: {} }],
    });
    fs.writeFileSync(path.join(dir, NOTEBOOKS[5]), JSON.stringify(j));
    if (withPhotos) {
      const pics = path.join(tmp, `${name}-photos`);
      fs.mkdirSync(pics);
      const files = [
        await photo(path.join(pics, 'me-1.png'), '#33c'),
        await photo(path.join(pics, 'me-2.png'), '#c3c'),
      ];
      writeZip(
        path.join(dir, 'my-photos.zip'),
        files.map((f) => ({ name: `my-photos/${path.basename(f)}`, file: f })),
      );
    }
    const work = path.join(tmp, 'work', name);
    return { check: await checkStudent(dir, work), work };
  }

  /** The runner's stand-in: records the kernel's environment; its notebook prints what `printed` says. */
  function recorder(printed: 'as handed in' | 'nothing') {
    const seen: Array<{ notebook: string; env: NodeJS.ProcessEnv }> = [];
    const run: RerunOptions['run'] = async (notebook, outDir, options) => {
      seen.push({ notebook, env: options.env });
      fs.mkdirSync(outDir, { recursive: true });
      const out = path.join(outDir, path.basename(notebook));
      const j = JSON.parse(fs.readFileSync(notebook, 'utf8')) as { cells: Cell[] };
      if (printed === 'nothing') for (const c of j.cells) if (c.cell_type === 'code') c.outputs = [];
      fs.writeFileSync(out, JSON.stringify(j));
      return { ok: true, notebook: out, error: null };
    };
    return { seen, run };
  }

  it("re-runs task 5 on the student's unpacked photos, through LAB_MY_PHOTOS_DIR", async () => {
    const { check, work } = await student('with-photos', true);
    assert.equal(check.photos.status, 'ok', check.photos.notes.join('; '));
    const { seen, run } = recorder('as handed in');
    const env = { LAB_DATA_DIR: '/course/data', LAB_MY_PHOTOS_DIR: '/teacher/my-photos' };
    const finding = await rerunStudent(check, path.join(work, 'rerun'), { run, env, timeout: 60 });
    assert.equal(seen.length, 1);
    const given = seen[0].env;
    // The folder the zip's my-photos/ went to, inside the work folder: the photos the student handed in.
    const mine = given.LAB_MY_PHOTOS_DIR!;
    assert.ok(mine.startsWith(work + path.sep), mine);
    assert.equal(path.basename(mine), 'my-photos');
    assert.deepEqual(fs.readdirSync(mine).sort(), ['me-1.png', 'me-2.png']);
    assert.equal(given.LAB_DATA_DIR, '/course/data');
    assert.deepEqual([finding.status, finding.summary], ['ok', '1 of 1 notebook(s) re-ran with the same answers']);
  });

  it("says so when task 5 re-ran without the photos, never on the teacher's my-photos/", async () => {
    const { check, work } = await student('without-photos', false);
    assert.equal(check.photos.status, 'missing');
    const env = { LAB_MY_PHOTOS_DIR: '/teacher/my-photos' };

    const same = recorder('as handed in');
    const ok = await rerunStudent(check, path.join(work, 'rerun-1'), { run: same.run, env, timeout: 60 });
    const empty = same.seen[0].env.LAB_MY_PHOTOS_DIR!;
    assert.ok(empty.startsWith(work + path.sep), empty);
    assert.deepEqual(fs.readdirSync(empty), []);
    assert.equal(ok.status, 'ok');
    assert.equal(
      ok.summary,
      "1 of 1 notebook(s) re-ran with the same answers; task 5 re-ran without the student's photos (no photo zip)",
    );

    // Without the photos the re-run shows no grid: that differs from the one handed in, and the note says why.
    const nothing = recorder('nothing');
    const differs = await rerunStudent(check, path.join(work, 'rerun-2'), { run: nothing.run, env, timeout: 60 });
    assert.equal(differs.status, 'differs');
    assert.deepEqual(differs.notes, [
      "task 5 (re-ran without the student's photos: no photo zip): the re-run printed none of the 1 value(s) " +
        'handed in (no neighbour grid or table; grid 1, me-1.png: neighbours, ...)',
    ]);
  });
});
