/**
 * Unpacking what students hand in, defensively: a folder or a zip per student
 * (as Moodle's "download all submissions" gives them), zips inside those, and
 * the photo zip. A zip is read as a stream in small pieces and each entry is
 * inflated while it is counted, so a zip bomb (a few MB that inflate to 10 GB,
 * whatever its headers claim) stops at the cap, not in memory or on disk;
 * the entries after a bomb are not read (named as not unpacked).
 * Entries are written only below the given folder: a name with `..`, an
 * absolute path or a NUL is refused and named (zip slip), and so is a second
 * entry of the same name. Problems are returned, never thrown: one bad zip
 * must not stop the batch.
 *
 * @example
 * const x = unpackZip('subs/anna.zip', 'out/.work/anna');
 * x.files;     // ['02-knn-queries.ipynb', ...] (relative to the folder)
 * x.refused;   // [{ entry: '../../evil.sh', reason: 'unsafe: a path that leads out of the folder (..)' }]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Unzip, type UnzipFile, UnzipInflate, UnzipPassThrough } from 'fflate';
import { safeEntryPath } from '../data/queries-zip';

/** Caps on what one zip may unpack to. */
export const UNPACK_LIMITS = {
  /** Inflated bytes of the whole zip (512 MiB: a submission with photos is tens of MB). */
  maxBytes: 512 * 2 ** 20,
  /** Inflated bytes of one entry (128 MiB). */
  maxEntryBytes: 128 * 2 ** 20,
  /** Entries written (2000). */
  maxEntries: 2000,
};

export type UnpackLimits = typeof UNPACK_LIMITS;

export interface Unpacked {
  zip: string;
  /** The folder the entries went to. */
  dir: string;
  /** Files written, relative to dir, with forward slashes. */
  files: string[];
  /** Entries not written, and why. */
  refused: Array<{ entry: string; reason: string }>;
  /** Entries of macOS or Windows junk and folders, skipped. */
  junk: number;
  /** Why the zip as a whole could not be read (not a zip, cut off), when it could not. */
  damaged?: string;
  /** Inflated bytes written. */
  bytes: number;
}

/** Compressed bytes fed to the inflater at a time: deflate inflates at most ~1032:1, so ~16 MB per step. */
const CHUNK = 16 * 1024;

const mib = (b: number) => (b < 2 ** 20 ? `${b} bytes` : `${(b / 2 ** 20).toFixed(0)} MiB`);

/** macOS and Windows junk in zips: resource forks, Finder and Explorer files. */
export function isJunk(p: string): boolean {
  const parts = p.split('/');
  return (
    parts[0] === '__MACOSX' ||
    parts.some((x) => x === '.DS_Store' || x.startsWith('._')) ||
    /^(thumbs\.db|desktop\.ini)$/i.test(parts[parts.length - 1])
  );
}

/**
 * Unpacks `zip` into `dir` (created; must be a folder of the caller's own, e.g.
 * under the report's output), streaming, within `limits`; see the module's
 * description. Never throws for a bad zip: `damaged` and `refused` say what happened.
 */
export function unpackZip(zip: string, dir: string, limits: Partial<UnpackLimits> = {}): Unpacked {
  const lim = { ...UNPACK_LIMITS, ...limits };
  const root = path.resolve(dir);
  fs.mkdirSync(root, { recursive: true });
  const result: Unpacked = { zip, dir: root, files: [], refused: [], junk: 0, bytes: 0 };
  const taken = new Set<string>();
  let stopAll: string | undefined;
  // The entry being written: its file, its bytes so far, and whether it was cut off.
  let open: { entry: string; rel: string; target: string; fd: number; bytes: number; dead: boolean } | undefined;

  const close = (keep: boolean) => {
    if (!open) return;
    fs.closeSync(open.fd);
    if (keep) result.files.push(open.rel);
    else fs.rmSync(open.target, { force: true });
    open = undefined;
  };

  const onFile = (f: UnzipFile) => {
    close(false); // an entry that never finished (cut off) is not kept
    if (stopAll) return;
    if (f.name.endsWith('/') || f.name.endsWith('\\')) {
      result.junk++;
      return;
    }
    const safe = safeEntryPath(f.name);
    if ('refused' in safe) {
      result.refused.push({ entry: f.name, reason: `unsafe: ${safe.refused}` });
      return;
    }
    if (isJunk(safe.path)) {
      result.junk++;
      return;
    }
    if (taken.has(safe.path.toLowerCase())) {
      result.refused.push({ entry: f.name, reason: 'a second entry of the same name' });
      return;
    }
    if (f.compression !== 0 && f.compression !== 8) {
      result.refused.push({ entry: f.name, reason: `compressed with method ${f.compression} (only stored, deflate)` });
      return;
    }
    if (result.files.length >= lim.maxEntries) {
      stopAll = `more than ${lim.maxEntries} files`;
      return;
    }
    const target = path.resolve(root, ...safe.path.split('/'));
    // Belt and braces: nothing outside the folder, whatever the name held.
    if (!target.startsWith(root + path.sep)) {
      result.refused.push({ entry: f.name, reason: 'unsafe: leads out of the folder' });
      return;
    }
    // A file where a folder is needed (a/b after a), or the reverse: refused, not overwritten.
    try {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if (fs.existsSync(target)) throw new Error('exists');
    } catch {
      result.refused.push({ entry: f.name, reason: 'clashes with another entry (a file and a folder of one name)' });
      return;
    }
    taken.add(safe.path.toLowerCase());
    const entry = { entry: f.name, rel: safe.path, target, fd: fs.openSync(target, 'wx'), bytes: 0, dead: false };
    open = entry;
    f.ondata = (err, data, final) => {
      if (entry.dead || open !== entry) return;
      if (err) {
        entry.dead = true;
        result.refused.push({ entry: f.name, reason: `damaged: ${err.message}` });
        close(false);
        return;
      }
      entry.bytes += data.length;
      result.bytes += data.length;
      if (entry.bytes > lim.maxEntryBytes || result.bytes > lim.maxBytes) {
        entry.dead = true;
        const whole = result.bytes > lim.maxBytes;
        result.refused.push({
          entry: f.name,
          reason: whole
            ? `the zip inflates to more than ${mib(lim.maxBytes)} (a zip bomb?): stopped there`
            : `inflates to more than ${mib(lim.maxEntryBytes)} (a zip bomb?)` +
              (f.originalSize !== undefined ? `; its header claims ${mib(f.originalSize)}` : ''),
        });
        f.terminate();
        close(false);
        // fflate would still inflate the rest of this entry to skip it: stop reading the zip instead.
        stopAll = whole ? `more than ${mib(lim.maxBytes)} inflated` : `stopped at ${f.name}`;
        return;
      }
      fs.writeSync(entry.fd, data);
      if (final) close(true);
    };
    f.start();
  };

  const unzip = new Unzip(onFile);
  unzip.register(UnzipInflate);
  unzip.register(UnzipPassThrough);
  let fd: number | undefined;
  try {
    fd = fs.openSync(zip, 'r');
    const buf = Buffer.alloc(CHUNK);
    const size = fs.fstatSync(fd).size;
    let pos = 0;
    while (pos < size && !stopAll) {
      const n = fs.readSync(fd, buf, 0, CHUNK, pos);
      if (n <= 0) break;
      pos += n;
      unzip.push(buf.subarray(0, n), pos >= size);
    }
    if (size === 0) result.damaged = 'an empty file, not a zip';
    else if (result.files.length === 0 && result.refused.length === 0 && result.junk === 0 && !stopAll) {
      result.damaged = 'no entries found: not a zip file, or a damaged one';
    }
  } catch (e) {
    result.damaged = `cannot be unpacked: ${(e as Error).message}`;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    if (open) {
      const cut = open.entry;
      close(false);
      if (!stopAll && !result.damaged) {
        result.refused.push({ entry: cut, reason: 'damaged: it ends before this entry does (a cut-off zip?)' });
      }
    }
  }
  if (stopAll) result.refused.push({ entry: '(the entries after it)', reason: `not unpacked: ${stopAll}` });
  result.files.sort();
  return result;
}

/** A student's name from a Moodle folder or zip name ("Anna Schmidt_123_assignsubmission_file_" -> "Anna Schmidt"). */
export function studentName(entry: string): string {
  const base = entry.replace(/\.zip$/i, '');
  const m = /^(.*?)_\d+_assignsubmission_[A-Za-z]+_?$/.exec(base);
  return (m ? m[1] : base).trim() || base;
}

/** What a name in Moodle's "download all submissions" says (see moodleEntry). */
export interface MoodleEntry {
  /** The student's full name (a team's name for team submissions, "Participant" under blind marking). */
  student: string;
  /** The participant id: the same in every folder or file of one student. */
  id: string;
  /** The submission plugin: file, onlinetext, ... */
  plugin: string;
  /** The file's own name, in the flat download; '' for a folder (or a zip of one). */
  file: string;
}

/**
 * Reads Moodle's prefix off a folder or file name of its "download all submissions":
 * `fullname_participantid_assignsubmission_plugin` then, by version and layout, nothing (folders, Moodle's
 * mod/assign/classes/downloader.php of 2022 on), `_` (folders, locallib.php's download_submissions before it) or `_`
 * and the file's own name (the flat download, "Download submissions in folders" unticked; both versions). Moodle
 * turns `_` in names into spaces, so the first `_` ends the name. Undefined for any other name.
 *
 * @example
 * moodleEntry('Anna Schmidt_123456_assignsubmission_file_01-exact-search.ipynb');
 * // { student: 'Anna Schmidt', id: '123456', plugin: 'file', file: '01-exact-search.ipynb' }
 */
export function moodleEntry(name: string): MoodleEntry | undefined {
  const m = /^(.+?)_(\d+)_assignsubmission_([A-Za-z0-9]+)(?:_(.*))?$/s.exec(name);
  if (!m?.[1].trim()) return undefined;
  return { student: m[1].trim(), id: m[2], plugin: m[3].toLowerCase(), file: m[4] ?? '' };
}

/** The files of a folder, relative, walked without following links; links and overflow are named in `skipped`. */
export function filesIn(dir: string, maxFiles = 5000): { files: string[]; skipped: string[] } {
  const files: string[] = [];
  const skipped: string[] = [];
  const walk = (d: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch (e) {
      skipped.push(`${path.relative(dir, d) || '.'}: cannot be read (${(e as Error).message})`);
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p).split(path.sep).join('/');
      if (isJunk(rel)) continue;
      if (e.isSymbolicLink()) skipped.push(`${rel}: a symbolic link (not followed)`);
      else if (e.isDirectory() && depth < 8) walk(p, depth + 1);
      else if (e.isFile()) {
        if (files.length >= maxFiles) {
          skipped.push(`${rel} and more: over ${maxFiles} files`);
          return;
        }
        files.push(rel);
      }
    }
  };
  walk(dir, 0);
  return { files, skipped };
}
