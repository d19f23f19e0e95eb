/**
 * The main job: executes every task notebook (notebooks/NN-*.ipynb, in order)
 * headless on the lab's tslab kernel and writes the submission to export/:
 * each executed notebook (signed as trusted), its self-contained HTML, and
 * my-photos.zip; then prints the task-4 answers, the time per notebook and
 * where the files are.
 *
 *   bash scripts/lab.sh main [--demo] [--build-data [--breeds N --per-breed N]] [--timeout S]
 *
 * Data: the course's files (data/vectors.csv.gz, queries/, data/stanford-dogs,
 * my-photos/) when vectors.csv.gz is there. Without it, a generated demo set
 * (data/demo/, or LAB_DEMO_DIR) in the same format with a tiny model, marked
 * DEMO DATA everywhere; with the model at hand, --build-data downloads Stanford
 * Dogs and embeds it instead (npm run data:dogs, npm run data:embed).
 * A failing notebook stops the run (exit 1) with the failed cell's source and
 * error and the partly executed notebook's path.
 *
 * Other forms: --notebooks DIR (another folder of notebooks), --demo-env (make
 * the demo set and print shell exports pointing the lab at it: lab.sh jupyter --demo).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { config, isLocalModel, PROJECT_ROOT } from '../src/config';
import { DEMO_MARKER, findCourseCsv } from '../src/data/course';
import { DEMO_BREEDS, type DemoSet, demoEnv, dogPhoto, makeDemoSet } from '../src/data/demo';
import { findQueriesZip } from '../src/data/queries-zip';
import { embedImages, embedTexts } from '../src/embed/clip';
import { IMAGE_EXTENSIONS } from '../src/embed/images';
import { readAnswers } from '../src/eval/answers';
import { describeFailure, JUPYTER_PATH, runNotebook } from './jupyter';
import { writeZip } from './zip';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
function option(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

const rel = (p: string) => {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};
const say = (s = '') => console.log(s);
const BAR = '='.repeat(78);

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

function seconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** Whether the CLIP model can be had: a local folder, models/, or the hub (asked with a short timeout). */
export async function clipModelAvailable(timeoutMs = 4000): Promise<{ ok: boolean; why: string }> {
  const model = config.clipModel;
  if (isLocalModel(model)) {
    const ok = fs.existsSync(path.join(path.resolve(model), 'onnx', 'vision_model.onnx'));
    return { ok, why: ok ? `model folder ${model}` : `the model folder ${model} has no onnx/vision_model.onnx` };
  }
  const kept = path.join(config.modelsDir, model);
  if (fs.existsSync(path.join(kept, 'onnx', 'vision_model.onnx')))
    return { ok: true, why: `${model} kept in ${rel(kept)}` };
  if (config.offline)
    return { ok: false, why: `${model} is not in ${rel(config.modelsDir)} and downloads are off (LAB_OFFLINE)` };
  const url = `${config.remoteHost}${model}/resolve/main/config.json`;
  try {
    const r = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    if (r.status < 500)
      return { ok: true, why: `${model} downloads from ${config.remoteHost} (once, into ${rel(config.modelsDir)})` };
    return { ok: false, why: `${config.remoteHost} answered ${r.status}` };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    return {
      ok: false,
      why: `${model} is not in ${rel(config.modelsDir)} and ${config.remoteHost} cannot be reached (${cause})`,
    };
  }
}

/** The notebooks to run: NN-*.ipynb in order. */
export function listNotebooks(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Exports in `out` (NN-name.ipynb / .html) of notebooks other than `names`: left by an earlier run. */
export function otherExports(out: string, names: string[]): string[] {
  if (!fs.existsSync(out)) return [];
  const run = new Set(names);
  return fs
    .readdirSync(out)
    .filter((f) => /^\d\d-.*\.(ipynb|html)$/.test(f) && !run.has(f.replace(/\.(ipynb|html)$/, '')))
    .sort();
}

/** The photos of my-photos/ (by extension; README.md and hidden files left out). */
export function myPhotos(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const REAL_RUN_FILES = `For the real run, supply:
  data/vectors.csv.gz   the course's embeddings (or build them: npm run data:dogs, then npm run data:embed,
                        or bash scripts/lab.sh main --build-data)
  queries/*.jpg         the course's ten query photos (or its queries.zip, as downloaded, in the project folder);
                        breed in the file name, e.g. beagle.jpg, or queries/labels.csv
  data/stanford-dogs/   the photos, for the grids: npm run data:dogs (a subset: -- --breeds 10 --per-breed 20)
  my-photos/            your own photos for task 5 (five photos of people from the internet are fine)
and the CLIP model: internet once (kept in models/), or LAB_CLIP_MODEL=<a model folder>.`;

function runTsx(script: string, args: string[]): void {
  const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  say(`$ tsx ${script} ${args.join(' ')}`);
  const r = spawnSync(tsx, [path.join(PROJECT_ROOT, script), ...args], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status ?? r.signal}): see above`);
}

/** Whether a model is a local folder or already kept in models/ (nothing to download). */
function modelAtHand(model: string, file: string): boolean {
  return isLocalModel(model)
    ? fs.existsSync(path.resolve(model))
    : fs.existsSync(path.join(config.modelsDir, model, file));
}

/**
 * Downloads the models the notebooks use (CLIP's two towers, the multilingual text
 * encoder) once, here with progress in the terminal, rather than inside a notebook
 * (where the download lines would land in its stderr). A failure is only a warning:
 * the notebook that needs the model says what is wrong.
 */
async function prefetchModels(): Promise<void> {
  const steps: Array<[string, string, string, () => Promise<unknown>]> = [
    [
      config.clipModel,
      'onnx/vision_model.onnx',
      'CLIP',
      async () => {
        const photo = path.join(os.tmpdir(), `lab-main-${process.pid}.jpg`);
        fs.writeFileSync(photo, (await dogPhoto(DEMO_BREEDS[0], 1)).jpeg);
        try {
          await embedImages([photo], { cache: false, progress: false });
        } finally {
          fs.rmSync(photo, { force: true });
        }
        await embedTexts(['a dog'], { cache: false, progress: false });
      },
    ],
    [
      config.multilingualModel,
      'onnx/model.onnx',
      'the multilingual text encoder (notebook 6)',
      () => embedTexts(['ein Hund'], { model: config.multilingualModel, cache: false, progress: false }),
    ],
  ];
  for (const [model, file, what, load] of steps) {
    if (config.offline || modelAtHand(model, file)) continue;
    say(`Downloading ${what}, ${model}, once into ${rel(config.modelsDir)} ...`);
    try {
      await load();
    } catch (e) {
      say(`Warning: ${what} could not be downloaded: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}

interface Plan {
  demo: DemoSet | undefined;
  /** Why the demo set is used, or how the course data was found. */
  reason: string;
  env: Record<string, string>;
}

/** Decides the data (course files or the demo set) and the kernel's environment. */
async function plan(): Promise<Plan> {
  // Every path absolute: the kernel runs in the notebooks' folder.
  const env: Record<string, string> = {
    LAB_DATA_DIR: config.dataDir,
    LAB_QUERIES_DIR: config.queriesDir,
    LAB_MY_PHOTOS_DIR: config.myPhotosDir,
    LAB_EXPORT_DIR: config.exportDir,
    LAB_CACHE_DIR: config.cacheDir,
    LAB_MODELS_DIR: config.modelsDir,
  };
  if (process.env.LAB_SQL_DIR) env.LAB_SQL_DIR = config.sqlDir;
  if (isLocalModel(config.clipModel)) env.LAB_CLIP_MODEL = path.resolve(config.clipModel);
  if (isLocalModel(config.multilingualModel)) env.LAB_MULTILINGUAL_MODEL = path.resolve(config.multilingualModel);

  let csv = flag('demo') ? undefined : findCourseCsv(config.dataDir);
  let reason = '';
  if (!csv && !flag('demo')) {
    const model = await clipModelAvailable();
    if (model.ok && flag('build-data')) {
      say(
        `No course vectors in ${rel(config.dataDir)}: building them from Stanford Dogs with ${config.clipModel} (--build-data).`,
      );
      const subset = ['breeds', 'per-breed'].flatMap((o) => (option(o) ? [`--${o}`, option(o)!] : []));
      runTsx('scripts/download-dogs.ts', subset);
      runTsx('scripts/embed-dogs.ts', []);
      csv = findCourseCsv(config.dataDir);
    } else if (model.ok) {
      reason =
        `no ${rel(path.join(config.dataDir, 'vectors.csv.gz'))}. The CLIP model can be had (${model.why}), so you can build\n` +
        `the course's file yourself: npm run data:dogs, then npm run data:embed (or: bash scripts/lab.sh main --build-data).`;
    } else {
      reason = `no ${rel(path.join(config.dataDir, 'vectors.csv.gz'))} and no CLIP model: ${model.why}.`;
    }
  }
  if (csv) {
    const model = await clipModelAvailable();
    const queries = fs.existsSync(config.queriesDir)
      ? fs.readdirSync(config.queriesDir).filter((f) => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase()))
      : [];
    const zip = queries.length ? undefined : findQueriesZip(config.queriesDir, config.dataDir);
    const where = queries.length
      ? `${queries.length} query photos in ${rel(config.queriesDir)}`
      : zip
        ? `query photos from ${rel(zip)}`
        : `no query photos in ${rel(config.queriesDir)} and no queries.zip (10 photos are held out instead)`;
    say(
      `Course data: ${rel(csv)}${fs.existsSync(path.join(path.dirname(csv), DEMO_MARKER)) ? ' (a DEMO set)' : ''}; ${where}.`,
    );
    if (!model.ok)
      say(`Warning: the CLIP model is not available (${model.why}): notebooks that embed photos or texts will fail.`);
    else await prefetchModels();
    return { demo: undefined, reason: 'course', env };
  }

  if (flag('demo')) reason = 'asked for with --demo.';
  const dir = path.resolve(process.env.LAB_DEMO_DIR || path.join(PROJECT_ROOT, 'data', 'demo'));
  say(BAR);
  say(`DEMO DATA: ${reason}`);
  say(
    `Running every notebook on a generated demo set (${rel(dir)}): drawn photos and a tiny model with random weights,`,
  );
  say('so every step runs, but the results mean nothing.');
  say(BAR);
  const demo = await makeDemoSet(dir, { log: (s) => say(s) });
  if (!demo.generated) say(`demo set: already there (${rel(dir)})`);
  Object.assign(env, demoEnv(demo), { LAB_CACHE_DIR: path.join(config.cacheDir, 'demo'), LAB_OFFLINE: '1' });
  return { demo, reason, env };
}

function printAnswers(demo: boolean): void {
  const a = readAnswers('task4');
  say(`Task 4: the 5-NN HNSW grid${demo ? ' (DEMO DATA: meaningless)' : ''}`);
  if (!a) {
    say(
      `  no answers saved (${rel(path.join(config.exportDir, 'answers', 'task4.json'))} is missing: is there a notebooks/04-*.ipynb?)`,
    );
    return;
  }
  const num = (v: unknown, digits: number) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-');
  const queries = typeof a.queries === 'number' ? a.queries : undefined;
  const quality = a.quality === 'recall' ? 'recall@5 (no query breeds known)' : 'precision@5';
  type Saved = { label?: string; latencyMs?: number; precision?: number | null; recall?: number };
  for (const [key, what] of [
    ['fastest', 'fastest setting'],
    ['mostPrecise', 'most precise setting'],
    ['bestTradeoff', 'best trade-off'],
  ] as const) {
    const r = a[key] as Saved | undefined;
    if (!r) {
      say(`  ${what.padEnd(21)} (not saved)`);
      continue;
    }
    say(
      `  ${`${what}:`.padEnd(22)}${r.label ?? '?'}  (${num(r.latencyMs, 3)} ms per batch${queries ? ` of ${queries} queries` : ''}, ` +
        `precision@5 ${num(r.precision, 3)}, recall@5 ${num(r.recall, 3)})`,
    );
    const others = (key === 'fastest' ? a.equallyFast : key === 'mostPrecise' ? a.tiedForMostPrecise : undefined) as
      | Saved[]
      | undefined;
    if (others && others.length > 1) {
      say(
        `  ${''.padEnd(22)}${
          key === 'fastest'
            ? `${others.length - 1} more equally fast within the timing noise`
            : `${others.length} settings tie for the best ${quality}; picked by: ${String(a.tieRule)}`
        }`,
      );
    }
  }
}

/** The demo set's environment as shell exports (for lab.sh jupyter --demo). */
async function printDemoEnv(): Promise<void> {
  const dir = path.resolve(process.env.LAB_DEMO_DIR || path.join(PROJECT_ROOT, 'data', 'demo'));
  const demo = await makeDemoSet(dir);
  const env = { ...demoEnv(demo), LAB_CACHE_DIR: path.join(config.cacheDir, 'demo'), LAB_OFFLINE: '1' };
  for (const [k, v] of Object.entries(env)) console.log(`export ${k}='${v.replace(/'/g, `'\\''`)}'`);
}

async function main(): Promise<number> {
  if (flag('demo-env')) {
    await printDemoEnv();
    return 0;
  }
  const t0 = performance.now();
  const notebooksDir = path.resolve(option('notebooks') ?? path.join(PROJECT_ROOT, 'notebooks'));
  const notebooks = listNotebooks(notebooksDir);
  if (notebooks.length === 0) throw new Error(`no notebooks (NN-name.ipynb) in ${notebooksDir}`);
  if (!fs.existsSync(path.join(PROJECT_ROOT, 'dist', 'index.js')))
    throw new Error('the library is not compiled (dist/): run bash scripts/lab.sh setup');
  if (!fs.existsSync(path.join(JUPYTER_PATH, 'kernels', 'tslab', 'kernel.json'))) {
    throw new Error(`the tslab kernel is not registered in ${rel(JUPYTER_PATH)}: run bash scripts/lab.sh setup`);
  }
  const timeout = Number(option('timeout') ?? 1800);
  if (!Number.isInteger(timeout) || timeout < 1)
    throw new Error(`--timeout ${option('timeout')}: expected whole seconds per cell, e.g. --timeout 1800`);

  const { demo, env } = await plan();
  const out = config.exportDir;
  fs.mkdirSync(out, { recursive: true });
  // Answers are written by this run's notebooks: none left over from an earlier one.
  fs.rmSync(path.join(out, 'answers'), { recursive: true, force: true });

  // The student's photos, as the sheet asks: a zip.
  const photos = myPhotos(config.myPhotosDir);
  const zip = path.join(out, 'my-photos.zip');
  fs.rmSync(zip, { force: true });
  if (photos.length > 0) {
    const bytes = writeZip(
      zip,
      photos.map((f) => ({ name: path.join('my-photos', path.relative(config.myPhotosDir, f)), file: f })),
    );
    say(`my-photos.zip: ${photos.length} photo(s), ${size(bytes)}`);
  } else {
    say(
      `my-photos.zip not written: ${rel(config.myPhotosDir)} has no photos (task 5 asks for your own; see its notebook).`,
    );
  }

  say(`\nRunning ${notebooks.length} notebook(s) from ${rel(notebooksDir)} into ${rel(out)}/`);
  const times: Array<{ name: string; wall: number; cells: number }> = [];
  for (const [i, nb] of notebooks.entries()) {
    const name = path.basename(nb, '.ipynb');
    const head = `[${i + 1}/${notebooks.length}] ${name} ... `;
    process.stdout.write(head);
    const t = performance.now();
    // On a terminal, the time so far (notebook 4's first grid build takes minutes on the course data).
    const ticker = process.stdout.isTTY
      ? setInterval(() => process.stdout.write(`\r${head}${seconds((performance.now() - t) / 1000)}`), 1000)
      : undefined;
    const run = await runNotebook(nb, out, { html: true, trust: true, timeout, env }).finally(() => {
      if (ticker) {
        clearInterval(ticker);
        process.stdout.write(`\r\x1b[K${head}`);
      }
    });
    const wall = (performance.now() - t) / 1000;
    if (!run.ok) {
      say('FAILED');
      console.error(`\n${describeFailure(run)}`);
      console.error(`\nThe run stopped at ${name}; the notebooks before it are in ${rel(out)}/.`);
      const earlier = otherExports(
        out,
        notebooks.slice(0, i + 1).map((f) => path.basename(f, '.ipynb')),
      );
      if (earlier.length > 0) console.error(`Not from this run (left by an earlier one): ${earlier.join(', ')}.`);
      return 1;
    }
    times.push({ name, wall, cells: run.seconds });
    const stderr = stderrOf(run.notebook);
    say(`ok, ${seconds(wall)}${stderr ? `  (wrote to stderr: ${stderr.split('\n')[0].slice(0, 100)})` : ''}`);
  }

  const total = (performance.now() - t0) / 1000;
  say(`\n${BAR}`);
  if (demo) say('DEMO DATA: generated photos and a tiny random model; every result below is meaningless.\n');
  printAnswers(!!demo);
  say('\nWall time per notebook (kernel start, cells, HTML export):');
  for (const t of times) say(`  ${t.name.padEnd(32)} ${seconds(t.wall).padStart(9)}   (cells ${seconds(t.cells)})`);
  say(`  ${'whole job'.padEnd(32)} ${seconds(total).padStart(9)}`);
  say(`\nThe submission, in ${out}/:`);
  for (const t of times) {
    const files = ['ipynb', 'html'].map((ext) => path.join(out, `${t.name}.${ext}`)).filter((f) => fs.existsSync(f));
    say(`  ${t.name}: ${files.map((f) => `${path.extname(f).slice(1)} ${size(fs.statSync(f).size)}`).join(', ')}`);
  }
  const stale = otherExports(
    out,
    times.map((t) => t.name),
  );
  if (stale.length > 0)
    say(
      `  Not from this run (no such notebook in ${rel(notebooksDir)}/; delete before you submit): ${stale.join(', ')}`,
    );
  say(
    fs.existsSync(zip)
      ? `  my-photos.zip: ${photos.length} photo(s), ${size(fs.statSync(zip).size)}`
      : '  my-photos.zip: not written (no photos in my-photos/)',
  );
  say('The .ipynb files are signed as trusted for this user: Jupyter shows their charts when opened.');
  if (demo) say(`\n${REAL_RUN_FILES}`);
  say(BAR);
  return 0;
}

/** What an executed notebook's cells wrote to stderr (warnings), or ''. */
function stderrOf(file: string): string {
  try {
    const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      cells: Array<{ outputs?: Array<{ name?: string; text?: string | string[] }> }>;
    };
    return nb.cells
      .flatMap((c) => c.outputs ?? [])
      .filter((o) => o.name === 'stderr')
      .map((o) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? '')))
      .join('')
      .trim();
  } catch {
    return '';
  }
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      console.error(`main job: ${e.message}`);
      process.exitCode = 1;
    },
  );
}
