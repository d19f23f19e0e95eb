/**
 * The teacher's check of one student's submission: which task notebooks are
 * there, whether they ran and without errors, whether each HTML export shows
 * the same notebook (and no foreign scripts), task 4's named settings against
 * the student's table, precision@k re-computed from printed neighbours, and the
 * photo zip. Every problem is a finding in the result; nothing here throws for
 * bad input, and everything unpacked goes below `workDir`.
 *
 * @example
 * const r = await checkStudent('subs/Anna Schmidt_123_assignsubmission_file_', 'out/.work/0');
 * r.tasks.map((t) => t.status);   // ['ok', 'ok', 'error', ...]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGE_EXTENSIONS } from '../embed/images';
import { checkTask2, checkTask3, checkTask4, type Finding, leftOutQueries, type Task4Finding } from './answers';
import { compareWithNotebook, foreignScripts, readExportHtml } from './export-html';
import { readNotebook, type SubmittedNotebook } from './notebook';
import { filesIn, studentName, type UnpackLimits, unpackZip } from './unpack';

/** The sheet's tasks, each a notebook of its own in the lab (notebooks/01-*.ipynb ... 06-*.ipynb). */
export const TASKS = [1, 2, 3, 4, 5, 6];

export interface TaskCheck {
  task: number;
  /** The notebook's path within the submission, when there is one. */
  notebook?: string;
  html?: string;
  /** ok, missing (no notebook), damaged (unreadable), not run (cells without output), error (an error output). */
  status: 'ok' | 'missing' | 'damaged' | 'not run' | 'error';
  /** Code cells run / with code. */
  executed?: string;
  /** ok, missing, differs, damaged, scripts (foreign scripts), n/a (no notebook to compare with). */
  htmlStatus: 'ok' | 'missing' | 'differs' | 'damaged' | 'scripts' | 'n/a';
  notes: string[];
  /** The notebook as read (for the re-run's comparison). */
  read?: SubmittedNotebook;
}

export interface PhotoCheck {
  status: 'ok' | 'missing' | 'damaged' | 'loose';
  photos: number;
  notes: string[];
}

export interface StudentCheck {
  /** The folder or zip's name in DIR. */
  entry: string;
  student: string;
  /** Problems with the submission as a whole (a damaged zip, refused entries, links). */
  problems: string[];
  tasks: TaskCheck[];
  task4: Task4Finding;
  precision: Finding;
  photos: PhotoCheck;
  /** Filled in by the re-run (./rerun), when asked for. */
  rerun?: Finding;
}

const isPhoto = (f: string) => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase());

/** A zip's content in its own folder below workDir, with what went wrong as problems. */
function unpackInto(zip: string, dir: string, label: string, problems: string[], limits?: Partial<UnpackLimits>) {
  const x = unpackZip(zip, dir, limits);
  if (x.damaged) problems.push(`${label}: ${x.damaged}`);
  for (const r of x.refused.slice(0, 5)) problems.push(`${label}: ${r.entry}: ${r.reason}`);
  if (x.refused.length > 5) problems.push(`${label}: ${x.refused.length - 5} more entries refused`);
  return x;
}

/** Whether the photos' headers can be read (sharp, header only: no pixels decoded). */
async function readablePhotos(files: string[]): Promise<string[]> {
  const sharp = (await import('sharp')).default;
  const bad: string[] = [];
  for (const f of files) {
    try {
      const m = await sharp(f, { limitInputPixels: 2 ** 28 }).metadata();
      if (!m.width || !m.height) bad.push(path.basename(f));
    } catch {
      bad.push(path.basename(f));
    }
  }
  return bad;
}

async function checkPhotos(
  zips: string[],
  loose: string[],
  workDir: string,
  limits?: Partial<UnpackLimits>,
): Promise<PhotoCheck> {
  const named = zips.find((z) => /photo|bild|foto/i.test(path.basename(z))) ?? zips[0];
  if (!named) {
    return loose.length
      ? { status: 'loose', photos: loose.length, notes: [`${loose.length} photo(s), but not as a zip`] }
      : { status: 'missing', photos: 0, notes: ['no photo zip'] };
  }
  const problems: string[] = [];
  const x = unpackInto(named, path.join(workDir, 'photos'), path.basename(named), problems, limits);
  const photos = x.files.filter(isPhoto).map((f) => path.join(x.dir, f));
  const bad = await readablePhotos(photos);
  if (bad.length) problems.push(`${bad.length} photo(s) that cannot be read: ${bad.slice(0, 5).join(', ')}`);
  const status = x.damaged || photos.length === 0 || bad.length || x.refused.length ? 'damaged' : 'ok';
  if (photos.length === 0 && !x.damaged) problems.push(`${path.basename(named)} holds no photos`);
  return { status, photos: photos.length - bad.length, notes: problems };
}

/** The check of one notebook and its HTML export. */
function checkTask(
  task: number,
  nbFile: string | undefined,
  htmlFile: string | undefined,
  shown: (f: string) => string,
): TaskCheck {
  const rel = (f: string | undefined) => (f ? shown(f) : undefined);
  const check: TaskCheck = {
    task,
    notebook: rel(nbFile),
    html: rel(htmlFile),
    status: 'missing',
    htmlStatus: htmlFile ? 'n/a' : 'missing',
    notes: [],
  };
  const nb = nbFile ? readNotebook(nbFile) : undefined;
  if (nb?.damaged) {
    check.status = 'damaged';
    check.notes.push(`${check.notebook}: ${nb.damaged}`);
  } else if (nb) {
    check.read = nb;
    check.executed = `${nb.executed}/${nb.codeCells}`;
    if (nb.errors.length) {
      check.status = 'error';
      const e = nb.errors[0];
      check.notes.push(`error output in cell ${e.cell + 1}: ${e.text}`);
    } else if (nb.executed < nb.codeCells) {
      check.status = 'not run';
      check.notes.push(`${nb.codeCells - nb.executed} of ${nb.codeCells} code cells not run`);
    } else check.status = 'ok';
    // nbgrader's blank of a written answer, as the hand-out has it: the answer that carries the task's points.
    const blank = nb.cells.filter((c) => c.type === 'markdown' && /YOUR ANSWER HERE/.test(c.source));
    if (blank.length) {
      check.notes.push(
        `written answer left blank (YOUR ANSWER HERE) in cell${blank.length > 1 ? 's' : ''} ` +
          blank.map((c) => c.index + 1).join(', '),
      );
    }
    if (!nb.inOrder) check.notes.push('cells ran out of order');
    if (nb.kernel && nb.kernel !== 'tslab') check.notes.push(`kernel ${nb.kernel} (the lab's is tslab)`);
  }
  if (htmlFile) {
    const html = readExportHtml(htmlFile);
    const same = !html.damaged && nb && !nb.damaged ? compareWithNotebook(html, nb) : undefined;
    // An export of another notebook first says so: its charts would otherwise read as foreign scripts.
    const foreign = html.damaged || (same && !same.same) ? [] : foreignScripts(html, nb?.damaged ? undefined : nb);
    if (html.damaged) {
      check.htmlStatus = 'damaged';
      check.notes.push(`${check.html}: ${html.damaged}`);
    } else if (same && !same.same) {
      check.htmlStatus = 'differs';
      check.notes.push(`${check.html} differs from the notebook: ${same.differences.slice(0, 3).join('; ')}`);
    }
    if (foreign.length || (!html.damaged && html.handlers.length)) {
      check.htmlStatus = 'scripts';
      const what = foreign.map((s) => (s.src ? `src=${s.src.slice(0, 60)}` : `"${s.body.trim().slice(0, 40)}"`));
      check.notes.push(
        `${check.html}: scripts not from the notebook: ${[...what, ...html.handlers].slice(0, 4).join('; ')}`,
      );
    } else if (same?.same && check.htmlStatus === 'n/a') check.htmlStatus = 'ok';
  }
  return check;
}

/**
 * Checks one student's submission: `entry` is a folder or a zip; everything
 * unpacked goes to `workDir` (the caller's, removed by the caller).
 */
export async function checkStudent(
  entry: string,
  workDir: string,
  options: { limits?: Partial<UnpackLimits> } = {},
): Promise<StudentCheck> {
  const problems: string[] = [];
  let root = entry;
  if (fs.statSync(entry).isFile()) {
    if (!/\.zip$/i.test(entry)) {
      // A single file handed in (a notebook, an HTML): looked at on its own.
      root = path.join(workDir, 'files');
      fs.mkdirSync(root, { recursive: true });
      fs.copyFileSync(entry, path.join(root, path.basename(entry)));
    } else {
      root = path.join(workDir, 'files');
      unpackInto(entry, root, path.basename(entry), problems, options.limits);
    }
  }
  const listed = filesIn(root);
  problems.push(...listed.skipped);
  let files = listed.files.map((f) => path.join(root, f));
  // A zip of notebooks inside the submission (the whole export zipped) is opened once.
  const zips = files.filter((f) => /\.zip$/i.test(f));
  const photoZips: string[] = [];
  // A file as the teacher finds it: its path in the submission, or in a zip there ("export.zip: 01-....ipynb").
  const unpacked = new Map<string, string>();
  const shown = (f: string) => {
    for (const [dir, zip] of unpacked) if (f.startsWith(dir + path.sep)) return `${zip}: ${path.relative(dir, f)}`;
    return path.relative(root, f);
  };
  for (const [i, z] of zips.entries()) {
    const dir = path.join(workDir, `zip-${i}`);
    unpacked.set(dir, path.relative(root, z));
    const x = unpackInto(z, dir, path.relative(root, z), problems, options.limits);
    const inner = x.files.map((f) => path.join(dir, f));
    if (inner.some((f) => /\.(ipynb|html?)$/i.test(f))) files = [...files, ...inner];
    else photoZips.push(z);
    for (const f of inner.filter((f) => /\.zip$/i.test(f))) photoZips.push(f);
  }
  const notebooks = files.filter((f) => /\.ipynb$/i.test(f) && !f.includes('.ipynb_checkpoints'));
  const htmls = files.filter((f) => /\.html?$/i.test(f));
  const byTask = new Map<number, string>();
  for (const f of notebooks) {
    const nb = readNotebook(f);
    const task = nb.task ?? (nb.damaged ? /^0?(\d)[-_ ]/.exec(path.basename(f))?.[1] : undefined);
    if (task !== undefined && !byTask.has(Number(task))) byTask.set(Number(task), f);
  }
  const htmlFor = (nb: string | undefined, task: number) => {
    const stem = nb ? path.basename(nb).replace(/\.ipynb$/i, '') : undefined;
    return (
      htmls.find((h) => stem && path.basename(h).replace(/\.html?$/i, '') === stem) ??
      htmls.find((h) => new RegExp(`^0?${task}[-_ ]`).test(path.basename(h)))
    );
  };
  const tasks = TASKS.map((t) => checkTask(t, byTask.get(t), htmlFor(byTask.get(t), t), shown));
  const read = (t: number) => tasks.find((x) => x.task === t)?.read;
  const nb4 = read(4);
  const task4: Task4Finding = nb4
    ? checkTask4(nb4)
    : { status: 'missing', summary: 'no readable notebook for task 4', notes: [], settings: 0 };
  const p2 = read(2) ? checkTask2(read(2)!) : undefined;
  const p3 = read(3) ? checkTask3(read(3)!, leftOutQueries(read(2))) : undefined;
  const parts = [
    ['task 2', p2],
    ['task 3', p3],
  ] as const;
  const found = parts.filter(([, f]) => f);
  const precision: Finding = {
    status: found.some(([, f]) => f!.status === 'differs')
      ? 'differs'
      : found.some(([, f]) => f!.status === 'ok')
        ? 'ok'
        : found.length
          ? found[0][1]!.status
          : 'missing',
    summary: found.length ? found.map(([w, f]) => `${w}: ${f!.summary}`).join('; ') : 'no notebook for tasks 2, 3',
    notes: found.flatMap(([w, f]) => f!.notes.map((n) => `${w}: ${n}`)),
  };
  const loose = files.filter(isPhoto);
  const photos = await checkPhotos(photoZips, loose, workDir, options.limits);
  return {
    entry: path.basename(entry),
    student: studentName(path.basename(entry)),
    problems,
    tasks,
    task4,
    precision,
    photos,
  };
}

/** The students in DIR: one folder or zip each (hidden files and Moodle's index files left out). */
export function listSubmissions(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && !e.name.startsWith('__MACOSX') && (e.isDirectory() || e.isFile()))
    .map((e) => path.join(dir, e.name))
    .sort();
}
