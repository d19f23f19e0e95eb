/**
 * The course's queries.zip as students download it (Moodle): the query photos,
 * perhaps inside a folder, perhaps with macOS junk (__MACOSX/, ._* AppleDouble
 * files, .DS_Store). It is unpacked once into the cache, safely, and then read
 * like the queries/ folder.
 *
 * Safe means: an entry with `..` in its path, an absolute path (/x, C:\x, \\host)
 * or a name that would land outside the folder is skipped and named; only
 * photos (by extension) and labels.csv are written; each entry and the whole
 * are capped in size before anything is inflated, and an entry is inflated into
 * a buffer of its declared size, so a lying header cannot make it bigger.
 *
 * @example
 * const zip = findQueriesZip();                      // queries.zip in the project or data/, or undefined
 * const x = extractQueriesZip(zip!);                 // { dir: 'cache/queries-zip/<sha>/', files, skipped, ... }
 * const q = await embedImages(x.dir);
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type UnzipFileInfo, unzipSync } from 'fflate';
import { config } from '../config';
import { IMAGE_EXTENSIONS } from '../embed/images';

/** The name the course gives the download. */
export const QUERIES_ZIP = 'queries.zip';

/** Caps on what a queries.zip may unpack to: ten photos are a few MB. */
export const ZIP_LIMITS = {
  /** Total inflated bytes of the entries kept (default 256 MiB). */
  maxBytes: 256 * 2 ** 20,
  /** One entry's inflated bytes (default 64 MiB: no query photo is bigger). */
  maxEntryBytes: 64 * 2 ** 20,
  /** Entries kept (default 1000). */
  maxEntries: 1000,
};

export interface ExtractOptions {
  /** Parent folder of the unpacked copies (default <config.cacheDir>/queries-zip). */
  cacheDir?: string;
  /** Total inflated bytes allowed (default ZIP_LIMITS.maxBytes). */
  maxBytes?: number;
  /** One entry's inflated bytes allowed (default ZIP_LIMITS.maxEntryBytes). */
  maxEntryBytes?: number;
  /** Entries kept at most (default ZIP_LIMITS.maxEntries). */
  maxEntries?: number;
}

export interface ZipExtraction {
  /** The zip read. */
  zip: string;
  /** SHA-256 of the zip's bytes (names the folder: another zip gets another folder). */
  sha256: string;
  /** The folder holding the unpacked photos (and labels.csv). */
  dir: string;
  /** Files written, relative to dir (a folder every entry shared is dropped: queries/beagle.jpg -> beagle.jpg). */
  files: string[];
  /** Entries not written and why (unsafe path, too big, not a photo); macOS junk is only counted. */
  skipped: Array<{ entry: string; reason: string }>;
  /** Entries of macOS junk (__MACOSX/, ._*, .DS_Store) and folders, ignored. */
  junk: number;
  /** Whether an earlier unpacking of the same zip was used. */
  fromCache: boolean;
}

/** Where a queries.zip is: beside queries/ (the project root), inside it, or in the data folder; or undefined. */
export function findQueriesZip(queriesDir = config.queriesDir, dataDir = config.dataDir): string | undefined {
  const dir = path.resolve(queriesDir);
  const places = [path.dirname(dir), dir, path.resolve(dataDir)].map((d) => path.join(d, QUERIES_ZIP));
  return places.find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
}

/**
 * An entry's path as it will be written (forward slashes, no leading ./), or
 * the reason it is refused. Zip entries may use backslashes (written on Windows).
 */
export function safeEntryPath(name: string): { path: string } | { refused: string } {
  if (name.includes('\0')) return { refused: 'a NUL byte in its name' };
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) return { refused: 'an absolute path' };
  const parts = slashed.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { refused: 'a path that leads out of the folder (..)' };
  if (parts.length === 0) return { refused: 'an empty name' };
  return { path: parts.join('/') };
}

/** macOS and Windows junk in zips: resource forks, Finder and Explorer files. */
function isJunk(p: string): boolean {
  const parts = p.split('/');
  const base = parts[parts.length - 1];
  return parts[0] === '__MACOSX' || parts.some((x) => x.startsWith('.')) || /^(thumbs\.db|desktop\.ini)$/i.test(base);
}

function wanted(p: string): boolean {
  const base = path.posix.basename(p);
  return base.toLowerCase() === 'labels.csv' || IMAGE_EXTENSIONS.includes(path.posix.extname(base).toLowerCase());
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`;
}

function checkLimit(v: number | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new Error(`extractQueriesZip: ${name} must be a whole number >= 1, got ${v}`);
  }
  return v;
}

const MANIFEST = '.queries-zip.json';

/**
 * Unpacks a queries.zip into `<cacheDir>/queries-zip/<sha256>/` (once: the same
 * bytes reuse that folder), keeping only photos and labels.csv; see the module's
 * description for what is refused. Throws for a file that is not a zip.
 */
export function extractQueriesZip(zip: string, options: ExtractOptions = {}): ZipExtraction {
  const maxBytes = checkLimit(options.maxBytes, 'maxBytes', ZIP_LIMITS.maxBytes);
  const maxEntryBytes = checkLimit(options.maxEntryBytes, 'maxEntryBytes', ZIP_LIMITS.maxEntryBytes);
  const maxEntries = checkLimit(options.maxEntries, 'maxEntries', ZIP_LIMITS.maxEntries);
  const file = path.resolve(zip);
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new Error(`cannot read ${file}: no such file`);
  }
  // Stored (uncompressed) photos make a zip as big as its contents, never bigger than the cap allows.
  if (size > maxBytes + 2 ** 20) {
    throw new Error(`${file} is ${mib(size)}: more than a queries.zip should be (at most ${mib(maxBytes)})`);
  }
  const bytes = fs.readFileSync(file);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  const root = path.resolve(options.cacheDir ?? path.join(config.cacheDir, 'queries-zip'));
  const dir = path.join(root, sha256.slice(0, 16));
  const manifestFile = path.join(dir, MANIFEST);
  const cached = readManifest(manifestFile, sha256, dir);
  if (cached) return { zip: file, sha256, dir, ...cached, fromCache: true };

  // Decide every entry from the central directory before inflating any.
  const skipped: ZipExtraction['skipped'] = [];
  const keep: Array<{ index: number; name: string; path: string; size: number }> = [];
  let junk = 0;
  let total = 0;
  let index = -1;
  const decide = (f: UnzipFileInfo): string | undefined => {
    const safe = safeEntryPath(f.name);
    if ('refused' in safe) return `unsafe: ${safe.refused}`;
    if (isJunk(safe.path)) return '';
    if (!wanted(safe.path)) return 'not a photo (by its extension) nor labels.csv';
    if (f.compression !== 0 && f.compression !== 8) {
      return `compressed with method ${f.compression} (only stored and deflate are read)`;
    }
    if (f.originalSize > maxEntryBytes) {
      return `too big: ${mib(f.originalSize)} unpacked (at most ${mib(maxEntryBytes)} per photo)`;
    }
    if (total + f.originalSize > maxBytes || keep.length >= maxEntries) {
      return `over the limit for the whole zip (${mib(maxBytes)}, ${maxEntries} files)`;
    }
    if (keep.some((k) => k.path.toLowerCase() === safe.path.toLowerCase())) return 'a second entry of the same name';
    total += f.originalSize;
    keep.push({ index, name: f.name, path: safe.path, size: f.originalSize });
    return undefined;
  };
  try {
    unzipSync(bytes, {
      filter: (f) => {
        index++;
        if (f.name.endsWith('/') || f.name.endsWith('\\')) {
          junk++;
          return false;
        }
        const why = decide(f);
        if (why === '') junk++;
        else if (why !== undefined) skipped.push({ entry: f.name, reason: why });
        return false;
      },
    });
  } catch (e) {
    throw new Error(`cannot unpack ${file}: ${e instanceof Error ? e.message : String(e)} (is it a zip file?)`);
  }
  // One folder shared by every entry kept (queries/beagle.jpg) is dropped: the photos sit at the top.
  const tops = new Set(keep.map((k) => (k.path.includes('/') ? k.path.split('/')[0] : '')));
  const strip = tops.size === 1 && !tops.has('') ? [...tops][0].length + 1 : 0;

  // Written into a fresh folder, then renamed into place: a crash never leaves half a copy that looks whole.
  fs.mkdirSync(root, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(root, `.${sha256.slice(0, 16)}-`));
  const files: string[] = [];
  try {
    for (const k of keep) {
      const out = k.path.slice(strip);
      const target = path.resolve(tmp, ...out.split('/'));
      // Belt and braces: nothing is written outside the folder, whatever the name held.
      if (!target.startsWith(tmp + path.sep)) {
        skipped.push({ entry: k.name, reason: 'unsafe: leads out of the folder' });
        continue;
      }
      const data = inflateEntry(bytes, k.index);
      if (typeof data === 'string') {
        skipped.push({ entry: k.name, reason: `damaged: ${data}` });
        continue;
      }
      if (data.length !== k.size) {
        skipped.push({ entry: k.name, reason: `damaged: ${data.length} bytes unpacked, its header says ${k.size}` });
        continue;
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, data);
      files.push(out);
    }
    files.sort();
    fs.writeFileSync(path.join(tmp, MANIFEST), JSON.stringify({ sha256, files, skipped, junk }, null, 1));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Another process unpacked the same zip at the same moment: its copy is as good.
    const theirs = readManifest(manifestFile, sha256, dir);
    if (theirs) return { zip: file, sha256, dir, ...theirs, fromCache: true };
    throw e;
  }
  return { zip: file, sha256, dir, files, skipped, junk, fromCache: false };
}

/**
 * The entry at `index` of the central directory, inflated into a buffer of its
 * declared size (never more), or why it could not be.
 */
function inflateEntry(bytes: Uint8Array, index: number): Uint8Array | string {
  let i = -1;
  try {
    const out = Object.values(unzipSync(bytes, { filter: () => ++i === index }));
    return out.length === 1 ? out[0] : 'not found again in the zip';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** An earlier unpacking, when whole (its manifest names this zip and every file is there). */
type Unpacked = Pick<ZipExtraction, 'files' | 'skipped' | 'junk'>;

function readManifest(file: string, sha256: string, dir: string): Unpacked | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Unpacked & { sha256: string };
    if (m.sha256 !== sha256 || !Array.isArray(m.files) || !Array.isArray(m.skipped)) return undefined;
    if (!m.files.every((f) => typeof f === 'string' && fs.existsSync(path.join(dir, f)))) return undefined;
    return { files: m.files, skipped: m.skipped, junk: m.junk ?? 0 };
  } catch {
    return undefined;
  }
}
