/**
 * Re-running a student's notebooks headless and comparing the answers: each
 * task notebook is copied into the report's work folder (the student's file is
 * never touched), executed there on the lab's kernel one at a time with a
 * per-cell timeout (a notebook that loops fails at that cell, the batch goes
 * on), and what it prints is held against what the student handed in: the
 * neighbours in the photo grids, task 2's precision@3, task 3's table, task 4's
 * best precision@5 and the named settings' values. Latencies differ from run to
 * run and are not compared. A value handed in that the re-run does not print
 * is a difference too (a re-run that printed nothing is no "same answers").
 * The kernel's my-photos folder (LAB_MY_PHOTOS_DIR, task 5) is the student's
 * unpacked photo zip, or an empty folder: never the teacher's own photos.
 *
 * The runner is passed in (scripts/jupyter.ts's runNotebook), so this module
 * knows nothing of Python.
 *
 * @example
 * c.rerun = await rerunStudent(c, 'out/.work/0/rerun', { run: runNotebook, env, timeout: 600 });
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../config';
import { type Finding, printedGrids, printedTables } from './answers';
import type { StudentCheck } from './checks';
import { readNotebook, type SubmittedNotebook } from './notebook';

/** What the runner returns (scripts/jupyter.ts's NotebookRun). */
export interface RunResult {
  ok: boolean;
  notebook: string;
  error: { kind: string; cell: number | null; stderr: string } | null;
}

export interface RerunOptions {
  run: (
    notebook: string,
    outDir: string,
    options: { timeout: number; env: NodeJS.ProcessEnv; html?: boolean },
  ) => Promise<RunResult>;
  /** The kernel's environment (the course data or the demo set, the export folder is set here). */
  env: Record<string, string>;
  /** Seconds per cell. */
  timeout: number;
  /** Whether the data is the demo set (said in the finding). */
  demo?: boolean;
  log?: (line: string) => void;
}

/** The values of a notebook's output that a re-run must reproduce (no timings), keyed by what they are. */
export function reproducibleValues(nb: SubmittedNotebook): Map<string, string> {
  const out = new Map<string, string>();
  printedGrids(nb).forEach((g, i) => {
    for (const r of g.rows) out.set(`grid ${i + 1}, ${r.query}: neighbours`, r.neighbours.join(', '));
  });
  for (const t of printedTables(nb)) {
    const cols = Object.keys(t.rows[0] ?? {}).filter((c) => /^(precision|recall)@\d+$/.test(c));
    if (cols.length === 0) continue;
    // A row is known by its other, non-timing columns (query, index and efSearch, or the grid's knobs).
    const keys = Object.keys(t.rows[0]).filter(
      (c) => !cols.includes(c) && !/latency|middle|build|qps|^#|neighbours/i.test(c),
    );
    for (const r of t.rows) {
      const id = keys.map((k) => r[k]).join(' ');
      for (const c of cols) out.set(`table in cell ${t.cell + 1}, ${id}: ${c}`, r[c]);
    }
  }
  return out;
}

/**
 * The differences between what was handed in and what the re-run printed, as sentences: a value that differs, and
 * one the re-run did not print (a grid or table it left out, a query it did not search); a re-run that printed none
 * of a notebook's values is said once.
 */
export function compareValues(submitted: SubmittedNotebook, rerun: SubmittedNotebook): string[] {
  const a = reproducibleValues(submitted);
  const b = reproducibleValues(rerun);
  if (a.size > 0 && b.size === 0) {
    const first = [...a.keys()][0];
    return [`the re-run printed none of the ${a.size} value(s) handed in (no neighbour grid or table; ${first}, ...)`];
  }
  const out: string[] = [];
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined) out.push(`${k}: handed in ${v}, the re-run printed none`);
    else if (w !== v) out.push(`${k}: handed in ${v}, re-run ${w}`);
  }
  return out;
}

/** Links the lab's compiled library beside the copied notebooks: they import '../dist'. */
function prepare(dir: string): string {
  const nbDir = path.join(dir, 'notebooks');
  fs.mkdirSync(nbDir, { recursive: true });
  for (const name of ['dist', 'node_modules']) {
    const link = path.join(dir, name);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(PROJECT_ROOT, name), link, 'dir');
  }
  return nbDir;
}

/**
 * The folder of an unpacked photo zip that stands for the student's my-photos/: the main job zips it as
 * `my-photos/...`, and task 5 captions each photo by its path below that folder.
 */
function myPhotosIn(dir: string): string {
  let d = dir;
  for (let depth = 0; depth < 8; depth++) {
    const kids = fs.readdirSync(d, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
    if (kids.length !== 1 || !kids[0].isDirectory()) break;
    d = path.join(d, kids[0].name);
  }
  return d;
}

/** Re-runs every readable task notebook of a student in `dir` and compares; see the module's description. */
export async function rerunStudent(check: StudentCheck, dir: string, options: RerunOptions): Promise<Finding> {
  const notes: string[] = [];
  let ran = 0;
  let same = 0;
  const nbDir = prepare(dir);
  // Task 5 looks for the student's photos in my-photos/: theirs as handed in, else an empty folder.
  const ownPhotos = check.photos.dir && fs.existsSync(check.photos.dir) ? myPhotosIn(check.photos.dir) : undefined;
  const photos = ownPhotos ?? path.join(dir, 'no-photos');
  fs.mkdirSync(photos, { recursive: true });
  const noZip = check.photos.status === 'loose' ? 'photos not as a zip' : 'no photo zip';
  let task5 = false;
  for (const t of check.tasks) {
    if (!t.read || !t.notebook) continue;
    const copy = path.join(nbDir, `${String(t.task).padStart(2, '0')}-task.ipynb`);
    fs.copyFileSync(t.read.file, copy);
    options.log?.(`  re-running task ${t.task} (${t.notebook}) ...`);
    const env = { ...options.env, LAB_EXPORT_DIR: path.join(dir, 'export'), LAB_MY_PHOTOS_DIR: photos };
    // What the teacher reads first of a task's note: its photos missing explain what follows.
    const task =
      t.task === 5 && !ownPhotos ? `task 5 (re-ran without the student's photos: ${noZip})` : `task ${t.task}`;
    if (t.task === 5) task5 = true;
    let run: RunResult;
    try {
      run = await options.run(copy, path.join(dir, 'out'), { timeout: options.timeout, env });
    } catch (e) {
      const lines = (e as Error).message.trim().split('\n');
      notes.push(`${task}: could not be run: ${lines[0]} ${lines.length > 1 ? lines[lines.length - 1] : ''}`);
      continue;
    }
    ran++;
    if (!run.ok) {
      const e = run.error;
      const why =
        e?.kind === 'CellTimeoutError'
          ? `a cell ran longer than ${options.timeout} s (stopped)`
          : ((e?.stderr ?? '')
              .trim()
              .split('\n')
              .find((l) => /error/i.test(l)) ??
            (e?.stderr ?? '').trim().split('\n')[0] ??
            e?.kind);
      notes.push(`${task}: failed in cell ${e?.cell === null || e?.cell === undefined ? '?' : e.cell + 1}: ${why}`);
      continue;
    }
    const diffs = compareValues(t.read, readNotebook(run.notebook));
    if (diffs.length > 1) notes.push(`${task}: ${diffs.length} value(s) differ: ${diffs.slice(0, 3).join('; ')}`);
    else if (diffs.length) notes.push(`${task}: ${diffs[0]}`);
    else same++;
  }
  const data = options.demo ? ' on the DEMO set' : '';
  const without = task5 && !ownPhotos ? `; task 5 re-ran without the student's photos (${noZip})` : '';
  const summary =
    ran === 0 ? 'nothing to re-run' : `${same} of ${ran} notebook(s) re-ran${data} with the same answers${without}`;
  return { status: notes.length ? 'differs' : ran === 0 ? 'n/a' : 'ok', summary, notes };
}
