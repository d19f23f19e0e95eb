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
 * for (const s of listSubmissions('subs')) await checkStudent(s, ...);   // Moodle's folders grouped per student
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGE_EXTENSIONS } from '../embed/images';
import {
  checkTask2,
  checkTask3,
  checkTask4,
  type Finding,
  leftOutQueries,
  type Task4Finding,
  writtenAnswers,
} from './answers';
import { compareWithNotebook, foreignScripts, readExportHtml } from './export-html';
import { parseHtml, textOf } from './html';
import { readNotebook, type SubmittedNotebook } from './notebook';
import { filesIn, moodleEntry, studentName, type UnpackLimits, unpackZip } from './unpack';

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
  /** The folder the photo zip went to, when it held photos (in the work folder: task 5's re-run reads them). */
  dir?: string;
}

export interface StudentCheck {
  /** Its folder or zip's name in DIR; Moodle's prefix and a count when it is more than one. */
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
  return { status, photos: photos.length - bad.length, notes: problems, dir: photos.length ? x.dir : undefined };
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
    // Blank means nothing but the question and the blank: an answer above the blank, or in a cell under it, counts.
    const blank = writtenAnswers(nb).filter((a) => a.blank);
    if (blank.length) {
      check.notes.push(
        `written answer left blank (YOUR ANSWER HERE) in cell${blank.length > 1 ? 's' : ''} ` +
          blank.map((a) => a.cell + 1).join(', '),
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

/** A notebook that answers a task, with what ranks it among others for the same task. */
interface Candidate {
  file: string;
  nb: SubmittedNotebook;
  /** Its HTML export sits beside it (same folder, same name). */
  html: boolean;
  /** Its modification time; undefined for a file unpacked from a zip (its time is the unpacking's). */
  mtime?: number;
}

function candidate(file: string, nb: SubmittedNotebook, htmls: string[], zipDirs: string[]): Candidate {
  const stem = file.replace(/\.ipynb$/i, '');
  const html = htmls.some((h) => h.replace(/\.html?$/i, '') === stem);
  let mtime: number | undefined;
  if (!zipDirs.some((d) => file.startsWith(d + path.sep))) {
    try {
      mtime = fs.statSync(file).mtimeMs;
    } catch {
      mtime = undefined;
    }
  }
  return { file, nb, html, mtime };
}

/**
 * The order among notebooks for one task, best first: readable over damaged, then the most code cells run, then
 * without an error output, then the one with its HTML export beside it, then the newest; else as found.
 */
function compareCandidates(a: Candidate, b: Candidate): number {
  return rankDifference(a, b).order;
}

/** Which criterion tells two candidates apart (in order), and how: < 0 when `a` is the better. */
function rankDifference(
  a: Candidate,
  b: Candidate,
): { order: number; by?: 'damaged' | 'run' | 'error' | 'html' | 'newer' } {
  const readable = Number(!a.nb.damaged) - Number(!b.nb.damaged);
  if (readable) return { order: -readable, by: 'damaged' };
  if (a.nb.executed !== b.nb.executed) return { order: b.nb.executed - a.nb.executed, by: 'run' };
  const clean = Number(a.nb.errors.length === 0) - Number(b.nb.errors.length === 0);
  if (clean) return { order: -clean, by: 'error' };
  if (a.html !== b.html) return { order: a.html ? -1 : 1, by: 'html' };
  if (a.mtime !== undefined && b.mtime !== undefined && a.mtime !== b.mtime) {
    return { order: b.mtime - a.mtime, by: 'newer' };
  }
  return { order: 0 };
}

/** A notebook's state in a few words: "all cells run", "0 of 9 cells run", "damaged", and an error output. */
function candidateState(c: Candidate): string {
  if (c.nb.damaged) return 'damaged';
  const run =
    c.nb.codeCells === 0
      ? 'no code cells'
      : c.nb.executed >= c.nb.codeCells
        ? 'all cells run'
        : `${c.nb.executed} of ${c.nb.codeCells} cells run`;
  return c.nb.errors.length ? `${run}, an error output` : run;
}

/** "2 notebooks for task 2: checked a (all cells run); not checked: b (0 of 9 cells run)", ranked best first. */
function duplicatesFinding(task: number, ranked: Candidate[], shown: (f: string) => string): string {
  const [best, ...others] = ranked;
  // When only the last criteria tell the checked one apart, the finding says which.
  const by = rankDifference(best, others[0]).by;
  const why = by === 'html' ? '; its HTML beside it' : by === 'newer' ? '; the newest' : '';
  const named = (c: Candidate) => `${shown(c.file)} (${candidateState(c)})`;
  return (
    `${ranked.length} notebooks for task ${task}: checked ${shown(best.file)} (${candidateState(best)}${why}); ` +
    `not checked: ${others.map(named).join(', ')}`
  );
}

/** Moodle's online text (assignsubmission_onlinetext), as it names it in every layout. */
const isOnlineText = (f: string) => path.basename(f).toLowerCase() === 'onlinetext.html';

/** The words of Moodle's online text, the first ones, to quote in a finding ('' for an empty one). */
function onlineTextWords(file: string): string {
  try {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(256 * 1024); // the start is enough to quote
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    const words = textOf(parseHtml(buf.subarray(0, n).toString('utf8')))
      .replace(/\s+/g, ' ')
      .trim();
    return words.length > 120 ? `${words.slice(0, 120)}...` : words;
  } catch (e) {
    return `(cannot be read: ${(e as Error).message})`;
  }
}

/** A short name for a submission's parts in DIR: the one folder or zip, or Moodle's prefix and how many. */
function entryName(sub: Submission): string {
  const names = sub.parts.map((p) => path.basename(p.path));
  if (names.length === 1) return names[0];
  return sub.id ? `${sub.student}_${sub.id}_assignsubmission_* (${names.length} in DIR)` : names.join(', ');
}

/**
 * Checks one student's submission: a folder or a zip (a path), or the parts
 * Moodle made for them (listSubmissions), checked together as one; everything
 * unpacked or copied goes to `workDir` (the caller's, removed by the caller).
 */
export async function checkStudent(
  submission: Submission | string,
  workDir: string,
  options: { limits?: Partial<UnpackLimits> } = {},
): Promise<StudentCheck> {
  const sub = typeof submission === 'string' ? submissionOf(submission) : submission;
  const problems: string[] = [];
  // Where the student's files are: their folders, their zips unpacked, and loose files copied under their own names
  // (Moodle's flat download prefixes every file) into one folder of the work folder; DIR is only read.
  const roots: string[] = [];
  // Folders of unpacked zips: their files' times are the unpacking's, no guide to which file is the newer.
  const fromZips: string[] = [];
  const own = path.join(workDir, 'files');
  for (const [i, part] of sub.parts.entries()) {
    if (part.kind === 'folder') roots.push(part.path);
    else if (part.kind === 'zip') {
      const dir = path.join(workDir, `entry-${i}`);
      fromZips.push(dir);
      unpackInto(part.path, dir, path.basename(part.path), problems, options.limits);
      roots.push(dir);
    } else {
      const name = part.name ?? path.basename(part.path);
      const target = path.join(own, name);
      fs.mkdirSync(own, { recursive: true });
      if (path.dirname(target) !== own || fs.existsSync(target)) {
        problems.push(`${path.basename(part.path)}: not checked: another file of the submission is named ${name}`);
        continue;
      }
      fs.copyFileSync(part.path, target);
      const { atime, mtime } = fs.statSync(part.path); // the copy keeps its time: the newest of several is told by it
      fs.utimesSync(target, atime, mtime);
      if (!roots.includes(own)) roots.push(own);
    }
  }
  let files: string[] = [];
  for (const root of roots) {
    const listed = filesIn(root);
    problems.push(...listed.skipped);
    files.push(...listed.files.map((f) => path.join(root, f)));
  }
  // A zip of notebooks inside the submission (the whole export zipped) is opened once.
  const zips = files.filter((f) => /\.zip$/i.test(f));
  const photoZips: string[] = [];
  // A file as the teacher finds it: its path in the submission, or in a zip there ("export.zip: 01-....ipynb").
  const unpacked = new Map<string, string>();
  const shown = (f: string) => {
    for (const [dir, zip] of unpacked) if (f.startsWith(dir + path.sep)) return `${zip}: ${path.relative(dir, f)}`;
    const root = roots.find((r) => f.startsWith(r + path.sep));
    return root ? path.relative(root, f) : path.basename(f);
  };
  for (const [i, z] of zips.entries()) {
    const dir = path.join(workDir, `zip-${i}`);
    const label = shown(z);
    unpacked.set(dir, label);
    fromZips.push(dir);
    const x = unpackInto(z, dir, label, problems, options.limits);
    const inner = x.files.map((f) => path.join(dir, f));
    if (inner.some((f) => /\.(ipynb|html?)$/i.test(f))) files = [...files, ...inner];
    else photoZips.push(z);
    for (const f of inner.filter((f) => /\.zip$/i.test(f))) photoZips.push(f);
  }
  // Moodle's online text is no notebook's export: quoted for the teacher, kept out of the HTML checks.
  for (const f of files.filter(isOnlineText)) {
    const words = onlineTextWords(f);
    if (words) problems.push(`online text present (${shown(f)}), not checked: "${words}"`);
  }
  files = files.filter((f) => !isOnlineText(f));
  const notebooks = files.filter((f) => /\.ipynb$/i.test(f) && !f.includes('.ipynb_checkpoints'));
  const htmls = files.filter((f) => /\.html?$/i.test(f));
  // Several notebooks may answer one task (working copies beside the executed export): the best is checked.
  const candidates = new Map<number, Candidate[]>();
  for (const f of notebooks) {
    const nb = readNotebook(f);
    const task = nb.task ?? (nb.damaged ? /^0?(\d)[-_ ]/.exec(path.basename(f))?.[1] : undefined);
    if (task === undefined) continue;
    const list = candidates.get(Number(task)) ?? [];
    list.push(candidate(f, nb, htmls, fromZips));
    candidates.set(Number(task), list);
  }
  const byTask = new Map<number, string>();
  for (const [task, list] of [...candidates].sort(([a], [b]) => a - b)) {
    const ranked = [...list].sort(compareCandidates);
    byTask.set(task, ranked[0].file);
    if (ranked.length > 1) problems.push(duplicatesFinding(task, ranked, shown));
  }
  const stemOf = (f: string) => path.basename(f).replace(/\.(ipynb|html?)$/i, '');
  // The HTML beside the notebook checked (same folder, same name), else one of its name, else one named by the task.
  const htmlFor = (nb: string | undefined, task: number) => {
    const score = (h: string) => {
      const named = nb && stemOf(h) === stemOf(nb) ? 4 : new RegExp(`^0?${task}[-_ ]`).test(path.basename(h)) ? 2 : 0;
      return named && nb && path.dirname(h) === path.dirname(nb) ? named + 1 : named;
    };
    let best: string | undefined;
    for (const h of htmls) if (score(h) > 0 && (best === undefined || score(h) > score(best))) best = h;
    return best;
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
    entry: entryName(sub),
    student: sub.student,
    problems,
    tasks,
    task4,
    precision,
    photos,
  };
}

/** One part of a student's submission in DIR. */
export interface SubmissionPart {
  /** Its path in DIR. */
  path: string;
  /** A folder or a zip holds the student's files; a file is one of them (Moodle's flat download, or alone). */
  kind: 'folder' | 'zip' | 'file';
  /** A file's own name, without Moodle's prefix. */
  name?: string;
}

/** One student's submission: every folder, zip and file Moodle's download made for them. */
export interface Submission {
  student: string;
  /** Moodle's participant id, when the names carry it. */
  id?: string;
  parts: SubmissionPart[];
}

/** A folder or file of DIR as a part of a submission, with the student it belongs to. */
function partOf(file: string, isDir: boolean): { part: SubmissionPart; student: string; id?: string } {
  const base = path.basename(file);
  const isZip = !isDir && /\.zip$/i.test(base);
  if (isDir || isZip) {
    const kind = isDir ? 'folder' : 'zip';
    // Moodle's folder ("Name_1_assignsubmission_file_", newer versions without the last "_"), or a zip of one.
    const m = moodleEntry(isZip ? base.slice(0, -4) : base);
    if (m && (isDir || m.file === '')) return { part: { path: file, kind }, student: m.student, id: m.id };
    if (isDir || !moodleEntry(base)) return { part: { path: file, kind }, student: studentName(base) };
  }
  // The flat download: "Name_1_assignsubmission_file_" and the file's own name (a zip too: "..._export.zip").
  const m = moodleEntry(base);
  if (m) {
    const name = m.file !== '' && m.file !== '.' && m.file !== '..' ? m.file : base;
    return { part: { path: file, kind: 'file', name }, student: m.student, id: m.id };
  }
  return { part: { path: file, kind: 'file', name: base }, student: studentName(base) };
}

/** A folder, zip or file given on its own, as a submission. */
export function submissionOf(entry: string): Submission {
  const { part, student, id } = partOf(entry, fs.statSync(entry).isDirectory());
  return { student, id, parts: [part] };
}

/**
 * The students in DIR (hidden files and macOS junk left out): one folder or zip each, or Moodle's download, whose
 * folders and files (one per submission plugin, or per file in the flat download) are grouped by participant id
 * (and name).
 */
export function listSubmissions(dir: string): Submission[] {
  const byKey = new Map<string, Submission>();
  const entries = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && !e.name.startsWith('__MACOSX') && (e.isDirectory() || e.isFile()))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const { part, student, id } = partOf(path.join(dir, e.name), e.isDirectory());
    // One participant id, one student; the name too: folders made by hand (a copy renamed) may share an id.
    const key = id !== undefined ? `id ${id} ${student}` : `entry ${e.name}`;
    const known = byKey.get(key);
    if (known) known.parts.push(part);
    else byKey.set(key, { student, id, parts: [part] });
  }
  return [...byKey.values()];
}
