// The main job end to end, as `bash scripts/lab.sh main` runs it on a machine
// without the course files and offline: the demo set is generated, every
// notebook in notebooks/ runs headless into a temporary export folder, and the
// submission is checked as a reader gets it: executed notebooks without errors
// and with a valid trust signature, HTML that renders in chromium without the
// network, my-photos.zip, and the summary. Also: a failing notebook stops the
// run with its cell and error; the strip command.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as tar from 'tar';
import { writeZip } from '../scripts/zip';
import { DEMO_BREEDS, dogPhoto, makeDemoSet } from '../src/data/demo';
import { hasChromium, isTemplateRequest, openInBrowser } from './support/browser';
import { tmpDir } from './support/data';
import { startHub } from './support/hub';
import { PYTHON } from './support/python';

const ROOT = path.join(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const NOTEBOOKS = path.join(ROOT, 'notebooks');
const JUPYTER_PATH = path.join(ROOT, '.jupyter', 'share', 'jupyter');
const notebooks = fs
  .readdirSync(NOTEBOOKS)
  .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
  .sort()
  .map((f) => f.replace(/\.ipynb$/, ''));

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}
interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
}
const readNb = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as { cells: Cell[] };
const join = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join('') : (t ?? ''));
const outputText = (o: Output) =>
  join(o.text) +
  Object.values(o.data ?? {})
    .map(join)
    .join('\n');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function runMain(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [path.join(ROOT, 'scripts', 'main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: (Date.now() - t0) / 1000 }));
  });
}

function requireJupyter(ctx: Mocha.Context): void {
  const kernel = fs.existsSync(path.join(JUPYTER_PATH, 'kernels', 'tslab', 'kernel.json'));
  const nbclient = spawnSync(PYTHON, ['-c', 'import nbconvert, nbclient'], { encoding: 'utf8' }).status === 0;
  const dist = fs.existsSync(path.join(ROOT, 'dist', 'index.js'));
  if (kernel && nbclient && dist) return;
  const why = "Jupyter (nbclient), the project's tslab kernel or dist/ is missing: run bash scripts/lab.sh setup";
  if (process.env.CI) throw new Error(why);
  ctx.skip();
}

/** Whether each notebook's trust signature is valid for the given Jupyter data folder. */
function trusted(files: string[], jupyterData: string): boolean[] {
  const code =
    'import sys, json, nbformat\nfrom nbformat.sign import NotebookNotary\nn = NotebookNotary()\n' +
    'print(json.dumps([bool(n.check_signature(nbformat.read(f, as_version=4))) for f in sys.argv[1:]]))';
  const r = spawnSync(PYTHON, ['-c', code, ...files], {
    encoding: 'utf8',
    env: { ...process.env, JUPYTER_DATA_DIR: jupyterData },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as boolean[];
}

/** A notebook file with the given code cells, on the lab's kernel, importing the built library by its full path. */
function notebookFile(file: string, cells: string[]): void {
  fs.writeFileSync(
    file,
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' },
        language_info: { name: 'typescript' },
      },
      cells: cells.map((source, i) => ({
        id: `c${i}`,
        cell_type: 'code',
        metadata: {},
        execution_count: null,
        outputs: [],
        source,
      })),
    }),
  );
}

describe('main job on the generated demo set (offline, no course files)', function () {
  this.timeout(30 * 60 * 1000);
  const tmp = tmpDir('main');
  const exportDir = path.join(tmp, 'export');
  const jupyterData = path.join(tmp, 'jupyter-data');
  const env: NodeJS.ProcessEnv = {
    LAB_OFFLINE: '1',
    LAB_DATA_DIR: path.join(tmp, 'no-course-data'),
    LAB_DEMO_DIR: path.join(tmp, 'demo'),
    LAB_EXPORT_DIR: exportDir,
    LAB_CACHE_DIR: path.join(tmp, 'cache'),
    LAB_MODELS_DIR: path.join(tmp, 'models'),
    LAB_MY_PHOTOS_DIR: path.join(tmp, 'my-photos'),
    JUPYTER_DATA_DIR: jupyterData,
  };
  let run: Run;
  // The sources as the run found them (others may edit notebooks/ meanwhile).
  const sources = new Map(
    notebooks.map((n) => [n, readNb(path.join(NOTEBOOKS, `${n}.ipynb`)).cells.map((c) => join(c.source))]),
  );

  before(async function () {
    requireJupyter(this);
    // Two of "my" photos (one in a subfolder) and a README that is not a photo.
    fs.mkdirSync(path.join(tmp, 'my-photos', 'holiday'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'my-photos', 'me.jpg'), (await dogPhoto(DEMO_BREEDS[2], 11)).jpeg);
    fs.writeFileSync(path.join(tmp, 'my-photos', 'holiday', 'me-too.jpg'), (await dogPhoto(DEMO_BREEDS[5], 12)).jpeg);
    fs.writeFileSync(path.join(tmp, 'my-photos', 'README.md'), 'your photos here');
    // An export of a notebook that no longer exists, from an earlier run.
    fs.mkdirSync(exportDir, { recursive: true });
    fs.writeFileSync(path.join(exportDir, '99-removed.html'), 'earlier run');
    run = await runMain([], env);
    console.log(`      main job: ${run.seconds.toFixed(1)} s for ${notebooks.length} notebook(s) and the demo set`);
  });

  it('exits 0 having run every notebook in notebooks/, in order', () => {
    assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
    assert.ok(notebooks.length > 0);
    const order = notebooks.map((n) => run.stdout.indexOf(`] ${n} ... ok`));
    assert.ok(
      order.every((i) => i >= 0),
      run.stdout,
    );
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    assert.ok(
      fs.existsSync(path.join(tmp, 'demo', 'DEMO-DATA.txt')),
      'the demo set was generated where LAB_DEMO_DIR says',
    );
  });

  it('every executed notebook: no error, nothing on stderr', () => {
    for (const name of notebooks) {
      const nb = readNb(path.join(exportDir, `${name}.ipynb`));
      const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
      assert.ok(outputs.length > 0, `${name} has no outputs`);
      const bad = outputs.filter((o) => o.output_type === 'error' || o.name === 'stderr');
      assert.deepEqual(bad.map(outputText), [], `${name} wrote errors`);
    }
  });

  it('the first output of every task notebook (01 to 06) says DEMO DATA', () => {
    const tasks = notebooks.filter((n) => /^0[1-6]-/.test(n));
    for (const name of tasks) {
      const first = readNb(path.join(exportDir, `${name}.ipynb`)).cells.flatMap((c) => c.outputs ?? [])[0];
      assert.match(outputText(first), /DEMO DATA/, `${name}'s first output`);
    }
  });

  it('every HTML export is self-contained and renders in chromium: images decoded, charts drawn, no page errors, no requests', async function () {
    if (!hasChromium()) {
      if (process.env.CI) throw new Error('chromium is missing: apt-get install chromium');
      this.skip();
    }
    for (const name of notebooks) {
      const file = path.join(exportDir, `${name}.html`);
      const html = fs.readFileSync(file, 'utf8');
      // Nothing loaded from files beside it: every image inline.
      const srcs = [...html.matchAll(/<img[^>]*\ssrc="([^"]*)"/g)].map((m) => m[1]);
      assert.deepEqual(
        srcs.filter((s) => !s.startsWith('data:')),
        [],
        `${name}: images not inline`,
      );
      const report = await openInBrowser(file);
      assert.deepEqual(report.pageErrors, [], `${name}: page errors`);
      assert.deepEqual(
        report.externalRequests.filter((u) => !isTemplateRequest(u)),
        [],
        `${name}: requests`,
      );
      assert.equal(
        report.decoded,
        report.images,
        `${name}: ${report.images - report.decoded} of ${report.images} images not decoded`,
      );
      assert.equal(
        report.drawnCharts,
        report.charts,
        `${name}: ${report.charts - report.drawnCharts} of ${report.charts} charts not drawn`,
      );
      console.log(
        `      ${name}.html: ${(fs.statSync(file).size / 2 ** 20).toFixed(2)} MiB, ${report.images} images, ${report.charts} charts`,
      );
    }
  });

  it('task 4 names every setting tied for the best precision@5, and every setting equally fast as the fastest', () => {
    const a = JSON.parse(fs.readFileSync(path.join(exportDir, 'answers', 'task4.json'), 'utf8')) as {
      rows: Array<{ label: string; precision: number | null; latencyMs: number }>;
      tiedForMostPrecise: Array<{ label: string }>;
      mostPrecise: { label: string };
      fastest: { label: string };
      equallyFast: Array<{ label: string }>;
    };
    assert.equal(a.rows.length, 54);
    // Recomputed from the table: the settings at the best precision (step 0.02 with 10 queries).
    const best = Math.max(...a.rows.map((r) => r.precision ?? -1));
    const tied = a.rows.filter((r) => Math.abs((r.precision ?? -1) - best) < 1e-9).map((r) => r.label);
    assert.deepEqual(
      a.tiedForMostPrecise.map((r) => r.label),
      tied,
    );
    assert.ok(tied.includes(a.mostPrecise.label));
    const fastestMedian = Math.min(...a.rows.map((r) => r.latencyMs));
    assert.equal(a.rows.find((r) => r.label === a.fastest.label)!.latencyMs, fastestMedian);
    assert.equal(a.equallyFast[0].label, a.fastest.label);
    // The answer cell names each tied setting.
    const nb = readNb(path.join(exportDir, '04-hnsw-grid.ipynb'));
    const answer = nb.cells
      .flatMap((c) => c.outputs ?? [])
      .map(outputText)
      .find((t) => t.includes('Answer 1'))!;
    for (const label of tied) assert.ok(answer.includes(label), `the answer does not name the tied ${label}`);
  });

  it('no task notebook prints NaN', () => {
    for (const n of notebooks) {
      const nb = readNb(path.join(exportDir, `${n}.ipynb`));
      const text = nb.cells
        .flatMap((c) => c.outputs ?? [])
        .map(outputText)
        .join('\n')
        .replace(/<script[\s\S]*?<\/script>/g, '');
      assert.doesNotMatch(text, /\bNaN\b/, `${n} prints NaN`);
    }
  });

  it('every executed notebook carries a valid trust signature (for the Jupyter data folder it was signed with)', () => {
    const files = notebooks.map((n) => path.join(exportDir, `${n}.ipynb`));
    assert.deepEqual(
      trusted(files, jupyterData),
      files.map(() => true),
    );
    // Not a vacuous check: another user's secret does not accept them.
    assert.deepEqual(trusted(files.slice(0, 1), tmpDir('other-jupyter')), [false]);
  });

  it('my-photos.zip holds the photos of my-photos/ (and nothing else)', () => {
    const zip = path.join(exportDir, 'my-photos.zip');
    const list = spawnSync(PYTHON, ['-m', 'zipfile', '-l', zip], { encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    const names = list.stdout
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0])
      .filter(Boolean)
      .sort();
    assert.deepEqual(names, ['my-photos/holiday/me-too.jpg', 'my-photos/me.jpg']);
    const test = spawnSync(PYTHON, ['-m', 'zipfile', '-t', zip], { encoding: 'utf8' });
    assert.equal(test.status, 0, test.stdout + test.stderr);
  });

  it('prints DEMO DATA, the task-4 answers, the time per notebook, the files and what to supply for the real run', () => {
    const out = run.stdout;
    assert.match(out, /DEMO DATA/);
    assert.match(out, /Xenova\/clip-vit-base-patch32 is not in .* downloads are off \(LAB_OFFLINE\)/);
    for (const f of ['data/vectors.csv.gz', 'queries/*.jpg', 'npm run data:dogs', 'my-photos/'])
      assert.ok(out.includes(f), f);
    if (notebooks.some((n) => n.startsWith('04-'))) {
      for (const what of ['fastest setting', 'most precise setting', 'best trade-off']) {
        assert.match(
          out,
          new RegExp(
            `${what}: +HNSW\\S*\\(M=\\d+.*\\(\\d+\\.\\d+ ms per batch of \\d+ queries, precision@5 \\d\\.\\d+, recall@5 \\d\\.\\d+\\)`,
          ),
          what,
        );
      }
    }
    for (const n of notebooks)
      assert.match(out, new RegExp(`^  ${n} +[\\d.]+ s|^  ${n} +\\d+ min`, 'm'), `${n}'s time`);
    assert.match(out, /whole job +(\d+ min )?[\d.]+ s/);
    assert.match(out, /my-photos\.zip: 2 photo\(s\)/);
    assert.match(
      out,
      /Not from this run \(no such notebook in notebooks\/; delete before you submit\): 99-removed\.html/,
    );
  });

  it("a failing notebook stops the run: exit 1, the cell's source and error, the partly executed notebook", async () => {
    const dir = path.join(tmp, 'failing');
    fs.mkdirSync(dir);
    const dist = JSON.stringify(path.join(ROOT, 'dist'));
    notebookFile(path.join(dir, '00-first.ipynb'), [
      `import { faissVersion } from ${dist};\nconsole.log('before the failure: faiss ' + faissVersion);`,
      `const answer: number = 41;\nif (answer !== 42) throw new Error('the demo failure ' + (answer + 1));`,
      `console.log('never printed');`,
    ]);
    notebookFile(path.join(dir, '01-never.ipynb'), ['console.log(1);']);
    const out = path.join(tmp, 'export-failing');
    // An earlier run's export of the notebook after the failing one stays, named as not from this run.
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, '01-never.html'), 'earlier run');
    const r = await runMain(['--notebooks', dir], { ...env, LAB_EXPORT_DIR: out });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /\] 00-first \.\.\. FAILED/);
    assert.match(r.stderr, /00-first\.ipynb failed in cell 1/);
    assert.ok(r.stderr.includes(`if (answer !== 42) throw new Error('the demo failure ' + (answer + 1));`), r.stderr);
    assert.match(r.stderr, /Error: the demo failure 42/);
    const partial = path.join(out, '00-first.ipynb');
    assert.ok(r.stderr.includes(`The partly executed notebook is ${partial}`), r.stderr);
    const cells = readNb(partial).cells;
    assert.match(cells[0].outputs!.map(outputText).join(''), /before the failure: faiss 1\./);
    assert.doesNotMatch(JSON.stringify(cells[2].outputs), /never printed/);
    assert.ok(!fs.existsSync(path.join(out, '01-never.ipynb')), 'the run went on after the failure');
    assert.equal(fs.readFileSync(path.join(out, '01-never.html'), 'utf8'), 'earlier run');
    assert.match(r.stderr, /Not from this run \(left by an earlier one\): 01-never\.html\./);
  });

  it('strip: committed notebooks have no outputs; an executed copy is stripped back to its sources', () => {
    const tsx = (...args: string[]) =>
      spawnSync(TSX, [path.join(ROOT, 'scripts', 'strip-notebooks.ts'), ...args], { encoding: 'utf8', cwd: ROOT });
    const committed = tsx('--check');
    assert.equal(committed.status, 0, committed.stdout + committed.stderr);
    const dir = tmpDir('strip');
    for (const n of notebooks) fs.copyFileSync(path.join(exportDir, `${n}.ipynb`), path.join(dir, `${n}.ipynb`));
    assert.equal(tsx('--check', dir).status, 1);
    const stripped = tsx(dir);
    assert.equal(stripped.status, 0, stripped.stderr);
    assert.equal(tsx('--check', dir).status, 0);
    for (const n of notebooks) {
      const a = readNb(path.join(dir, `${n}.ipynb`));
      assert.deepEqual(
        a.cells.map((c) => join(c.source)),
        sources.get(n),
        n,
      );
      for (const c of a.cells.filter((x) => x.cell_type === 'code')) {
        assert.deepEqual(c.outputs, []);
        assert.equal((c as { execution_count?: unknown }).execution_count, null);
      }
    }
  });
});

describe('main job with the model at hand but no course file', function () {
  this.timeout(10 * 60 * 1000);

  it('says how to build the course file (and runs on the demo set); --build-data downloads Stanford Dogs, embeds it and runs on it', async function () {
    requireJupyter(this);
    const tmp = tmpDir('main-build');
    // "Stanford Dogs" archives (9 generated photos) on a loopback site, the tiny model on a loopback hub.
    const src = await makeDemoSet(path.join(tmp, 'src'), { breeds: 3, perBreed: 3, queries: 0, log: false });
    const site = path.join(tmp, 'site');
    fs.mkdirSync(site);
    await tar.c({ file: path.join(site, 'images.tar'), cwd: src.photosDir }, ['Images']);
    await tar.c({ file: path.join(site, 'annotation.tar'), cwd: src.photosDir }, ['Annotation']);
    const server = http.createServer((req, res) => {
      const file = path.join(site, path.basename(req.url ?? ''));
      if (!fs.existsSync(file)) return void res.writeHead(404).end();
      const body = fs.readFileSync(file);
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const hub = await startHub({
      'lab-test/tiny-clip': src.clipModel,
      'lab-test/tiny-multilingual': src.multilingualModel,
    });
    try {
      const notebooks = path.join(tmp, 'notebooks');
      fs.mkdirSync(notebooks);
      notebookFile(path.join(notebooks, '01-course.ipynb'), [
        `import { loadCourse } from ${JSON.stringify(path.join(ROOT, 'dist'))};\nconst course = await loadCourse();\nconsole.log(course.summary);`,
      ]);
      const data = path.join(tmp, 'data');
      const env: NodeJS.ProcessEnv = {
        LAB_OFFLINE: '',
        HF_HUB_OFFLINE: '',
        LAB_CLIP_MODEL: 'lab-test/tiny-clip',
        LAB_MULTILINGUAL_MODEL: 'lab-test/tiny-multilingual',
        LAB_HF_ENDPOINT: hub.url,
        LAB_MODELS_DIR: path.join(tmp, 'models'),
        LAB_DOGS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        LAB_DATA_DIR: data,
        LAB_DEMO_DIR: path.join(tmp, 'demo'),
        LAB_CACHE_DIR: path.join(tmp, 'cache'),
        LAB_EXPORT_DIR: path.join(tmp, 'export'),
        LAB_MY_PHOTOS_DIR: path.join(tmp, 'my-photos'),
        JUPYTER_DATA_DIR: path.join(tmp, 'jupyter-data'),
      };
      const summary = () =>
        readNb(path.join(tmp, 'export', '01-course.ipynb'))
          .cells[0].outputs!.map(outputText)
          .join('');

      const hint = await runMain(['--notebooks', notebooks], env);
      assert.equal(hint.code, 0, hint.stdout + hint.stderr);
      assert.match(
        hint.stdout,
        /DEMO DATA: no .*vectors\.csv\.gz\. The CLIP model can be had \(lab-test\/tiny-clip downloads from http:\/\/127\.0\.0\.1/,
      );
      assert.match(
        hint.stdout,
        /npm run data:dogs, then npm run data:embed \(or: bash scripts\/lab\.sh main --build-data\)/,
      );
      assert.match(summary(), /^DEMO DATA/);

      const built = await runMain(['--build-data', '--notebooks', notebooks], env);
      assert.equal(built.code, 0, built.stdout + built.stderr);
      assert.doesNotMatch(built.stdout, /DEMO DATA/);
      assert.ok(fs.existsSync(path.join(data, 'stanford-dogs', 'Images')));
      assert.ok(
        hub.requests.some((r) => r.endsWith('/lab-test/tiny-clip/resolve/main/onnx/vision_model.onnx')),
        hub.requests.join('\n'),
      );
      // The multilingual encoder is downloaded by the job (progress in the terminal), not inside notebook 6.
      assert.match(
        built.stdout,
        /Downloading the multilingual text encoder \(notebook 6\), lab-test\/tiny-multilingual, once into/,
      );
      assert.ok(fs.existsSync(path.join(tmp, 'models', 'lab-test', 'tiny-multilingual', 'onnx', 'model.onnx')));
      assert.doesNotMatch(built.stdout, /Downloading CLIP/, 'data:embed downloaded it already');
      assert.match(
        summary(),
        new RegExp(
          `^9 photos x 512 from ${path.join(data, 'vectors.csv.gz')}, 3 breeds; photos in ${path.join(data, 'stanford-dogs')}`,
        ),
      );
      // The next run finds the course file and builds nothing.
      const again = await runMain(['--notebooks', notebooks], env);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(
        again.stdout,
        /Course data: .*vectors\.csv\.gz; no query photos in .* \(10 photos are held out instead\)/,
      );
      assert.doesNotMatch(again.stdout, /tsx scripts\/download-dogs|Downloading/);
      // With the course file but no model yet: both are downloaded before the notebooks run.
      const fresh = await runMain(['--notebooks', notebooks], { ...env, LAB_MODELS_DIR: path.join(tmp, 'models-2') });
      assert.equal(fresh.code, 0, fresh.stdout + fresh.stderr);
      assert.match(
        fresh.stdout,
        /Downloading CLIP, lab-test\/tiny-clip, once into .*models-2[\s\S]*Downloading the multilingual text encoder/,
      );
      for (const f of [
        'tiny-clip/onnx/vision_model.onnx',
        'tiny-clip/onnx/text_model.onnx',
        'tiny-multilingual/onnx/model.onnx',
      ]) {
        assert.ok(fs.existsSync(path.join(tmp, 'models-2', 'lab-test', f)), f);
      }
    } finally {
      await hub.close();
      server.close();
    }
  });
});

describe('zip writer', () => {
  it('writes zips that Python reads back byte for byte (deflated and stored entries, UTF-8 names)', () => {
    const dir = tmpDir('zip');
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'a dog and a girl\n'.repeat(200));
    const noise = path.join(dir, 'noise.bin');
    fs.writeFileSync(noise, crypto.randomBytes(5000));
    const empty = path.join(dir, 'empty.jpg');
    fs.writeFileSync(empty, '');
    const zip = path.join(dir, 'out.zip');
    const bytes = writeZip(zip, [
      { name: 'my-photos/notes.txt', file: text },
      { name: 'my-photos/Übung/noise.bin', file: noise },
      { name: 'my-photos/empty.jpg', file: empty },
    ]);
    assert.equal(bytes, fs.statSync(zip).size);
    const code =
      'import sys, zipfile, json\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n' +
      'print(json.dumps({i.filename: [i.compress_type, z.read(i).hex()] for i in z.infolist()}))';
    const r = spawnSync(PYTHON, ['-c', code, zip], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as Record<string, [number, string]>;
    assert.deepEqual(Object.keys(got), ['my-photos/notes.txt', 'my-photos/Übung/noise.bin', 'my-photos/empty.jpg']);
    assert.equal(got['my-photos/notes.txt'][0], 8, 'text is deflated');
    assert.equal(Buffer.from(got['my-photos/notes.txt'][1], 'hex').toString(), fs.readFileSync(text, 'utf8'));
    assert.equal(got['my-photos/Übung/noise.bin'][0], 0, 'incompressible bytes are stored');
    assert.equal(got['my-photos/Übung/noise.bin'][1], fs.readFileSync(noise).toString('hex'));
    assert.equal(got['my-photos/empty.jpg'][1], '');
  });
});
