/**
 * The teacher's check of a folder of submissions (one folder or zip per
 * student, or Moodle's "download all submissions": its folders per student and
 * plugin, or its flat files, grouped by participant id; or that zip itself):
 * a table in the terminal, OUT/report.csv and OUT/report.html.
 *
 *   bash scripts/lab.sh check-submissions DIR [--out OUT] [--rerun] [--timeout S]
 *
 * OUT defaults to DIR-report beside DIR. Everything unpacked goes to OUT/.work
 * and is removed at the end; the submissions are only read. --rerun executes
 * each task notebook again (a copy) on the lab's kernel, on the course data or,
 * without it, the demo set (task 5 on the photos of the student's zip), S
 * seconds per cell at most (default 600), and compares what it prints. It runs
 * the students' code: do it in a container or as a user with nothing to lose.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { config } from '../src/config';
import { findCourseCsv } from '../src/data/course';
import { demoEnv, makeDemoSet } from '../src/data/demo';
import { checkStudent, listSubmissions, type StudentCheck, type Submission } from '../src/grading/checks';
import { reportText, writeReport } from '../src/grading/report';
import { type RerunOptions, rerunStudent } from '../src/grading/rerun';
import { moodleEntry, unpackZip } from '../src/grading/unpack';
import { JUPYTER_PATH, runNotebook } from './jupyter';

const USAGE = 'usage: bash scripts/lab.sh check-submissions DIR [--out OUT] [--rerun] [--timeout S]';

function parseArgs(argv: string[]) {
  const out: { dir?: string; out?: string; rerun: boolean; timeout: number } = { rerun: false, timeout: 600 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rerun') out.rerun = true;
    else if (a === '--out' || a === '--timeout') {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      if (a === '--out') out.out = v;
      else {
        out.timeout = Number(v);
        if (!Number.isInteger(out.timeout) || out.timeout < 1)
          throw new Error(`--timeout ${v}: expected whole seconds per cell, e.g. --timeout 600`);
      }
    } else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else if (out.dir === undefined) out.dir = a;
    else throw new Error(`one folder of submissions, not also ${a}\n${USAGE}`);
  }
  if (!out.dir) throw new Error(USAGE);
  return out;
}

/** The kernel's environment for --rerun: the course data when there, else the demo set (as the main job decides). */
async function rerunEnv(): Promise<{ env: Record<string, string>; demo: boolean }> {
  const env: Record<string, string> = {
    LAB_DATA_DIR: config.dataDir,
    LAB_QUERIES_DIR: config.queriesDir,
    LAB_CACHE_DIR: config.cacheDir,
    LAB_MODELS_DIR: config.modelsDir,
    // LAB_MY_PHOTOS_DIR is each student's own (rerunStudent), never the teacher's my-photos/.
  };
  if (findCourseCsv(config.dataDir)) return { env, demo: false };
  const demo = await makeDemoSet(path.resolve(process.env.LAB_DEMO_DIR || path.join(config.dataDir, 'demo')));
  Object.assign(env, demoEnv(demo), { LAB_CACHE_DIR: path.join(config.cacheDir, 'demo'), LAB_OFFLINE: '1' });
  return { env, demo: true };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const dir = path.resolve(args.dir!);
  if (!fs.existsSync(dir)) throw new Error(`${dir}: no such folder (expected one folder or zip per student)`);
  const out = path.resolve(args.out ?? `${dir.replace(/\.zip$/i, '')}-report`);
  if (out === dir || out.startsWith(dir + path.sep)) {
    throw new Error(`--out ${out} is inside ${dir}: choose a folder outside the submissions`);
  }
  const work = path.join(out, '.work');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  let rerun: Awaited<ReturnType<typeof rerunEnv>> | undefined;
  if (args.rerun) {
    if (!fs.existsSync(path.join(JUPYTER_PATH, 'kernels', 'tslab', 'kernel.json')))
      throw new Error('the tslab kernel is not registered: run bash scripts/lab.sh setup first');
    rerun = await rerunEnv();
    if (rerun.demo) console.log('--rerun: no course data here, so the notebooks re-run on the DEMO set');
  }
  try {
    let root = dir;
    if (fs.statSync(dir).isFile()) {
      // Moodle's single download: one zip holding a folder per student.
      root = path.join(work, 'all');
      const x = unpackZip(dir, root, { maxBytes: 8 * 2 ** 30, maxEntries: 100000 });
      if (x.damaged) throw new Error(`${dir}: ${x.damaged}`);
      for (const r of x.refused) console.log(`${path.basename(dir)}: ${r.entry}: ${r.reason}`);
      root = moodleFolder(root);
    }
    const entries = listSubmissions(root);
    if (entries.length === 0) {
      throw new Error(
        `${dir}: no submissions (expected one folder or zip per student, or Moodle's download of the assignment)`,
      );
    }
    console.log(`Checking ${entries.length} submission(s) in ${dir}${args.rerun ? ' (with re-runs)' : ''} ...`);
    const checks = await checkAll(entries, work, {
      rerun: rerun && { run: runNotebook, env: rerun.env, timeout: args.timeout, demo: rerun.demo },
      log: (s) => console.log(s),
    });
    const files = writeReport(out, checks, { dir, when: new Date(), rerun: !!rerun });
    console.log(`\n${reportText(checks)}\n\nReport: ${files.csv}\n        ${files.html}`);
    return 0;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Checks each submission in turn (a work folder of its own under `work`, removed after it), and re-runs its notebooks
 * when asked; logs "[i/n] student" as each one's check is done, then that student's re-run progress lines.
 */
export async function checkAll(
  entries: Submission[],
  work: string,
  options: { rerun?: Omit<RerunOptions, 'log'>; log: (line: string) => void },
): Promise<StudentCheck[]> {
  const checks: StudentCheck[] = [];
  for (const [i, entry] of entries.entries()) {
    const w = path.join(work, String(i));
    let c: StudentCheck;
    try {
      c = await checkStudent(entry, w);
    } catch (e) {
      // Whatever went wrong with this one, the batch goes on and the report says so.
      c = failed(entry, e as Error);
    }
    // The student's line first: the re-run's progress lines below it are that student's.
    options.log(`[${i + 1}/${entries.length}] ${c.student}`);
    if (options.rerun) {
      c.rerun = await rerunStudent(c, path.join(w, 'rerun'), { ...options.rerun, log: options.log }).catch(
        (e: Error) => ({ status: 'differs' as const, summary: 'the re-run failed', notes: [e.message] }),
      );
    }
    checks.push(c);
    fs.rmSync(w, { recursive: true, force: true });
  }
  return checks;
}

/** The folder of a zip's content that holds the submissions: the zip's top, or the one folder it wraps them in. */
function moodleFolder(root: string): string {
  const top = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && !e.name.startsWith('__MACOSX'));
  if (top.length !== 1 || !top[0].isDirectory() || moodleEntry(top[0].name)) return root;
  const inner = path.join(root, top[0].name);
  return fs.readdirSync(inner).some((n) => moodleEntry(n.replace(/\.zip$/i, ''))) ? inner : root;
}

function failed(sub: Submission, e: Error): StudentCheck {
  const none = { status: 'missing' as const, summary: 'not checked', notes: [] };
  return {
    entry: sub.parts.map((p) => path.basename(p.path)).join(', '),
    student: sub.student,
    problems: [`could not be checked: ${e.message}`],
    tasks: [],
    task4: { ...none, settings: 0 },
    precision: none,
    photos: { status: 'missing', photos: 0, notes: [] },
  };
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      console.error(`check-submissions: ${e.message}`);
      process.exitCode = 1;
    },
  );
}
