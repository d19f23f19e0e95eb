/**
 * The course's material, as the task notebooks use it: the photos' vectors
 * (data/vectors.csv.gz), the photos themselves (data/stanford-dogs, for the
 * grids) and the query photos (queries/ or the course's queries.zip), with each
 * query's breed, checked against the vectors (model-check.ts).
 *
 * The CSV is parsed once (about 2 s for 20,580 x 512); later loads read a binary
 * copy in cache/ (checked against the file's size and modification time).
 *
 * @example
 * const course = await loadCourse();           // rows, vectors, imagePath(row)
 * const q = await loadQueries(course);         // queries/ (or queries.zip) embedded, or 10 photos held out
 * const index = new IndexFlatL2(course.vectors.d);
 * index.add(q.database.vectors);
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { config, PROJECT_ROOT } from '../config';
import { embedImages } from '../embed/clip';
import { listImages } from '../embed/images';
import { writeFileAtomic } from '../io/files';
import { readNpy, writeNpy } from '../io/npy';
import { type PhotoRow, readVectorsCsv } from '../io/vectors-csv';
import { type Matrix, rowsAreNormalized } from '../types';
import { takeRows } from '../util/vectors';
import { DEMO_MARKER, makeDemoSet, useDemoSet } from './demo';
import { checkModel, cosine, findSamePhotos, MODEL_CHECK, type ModelCheck } from './model-check';
import { extractQueriesZip, findQueriesZip, type ZipExtraction } from './queries-zip';
import { rng } from './synthetic';

export { DEMO_MARKER }; // where scripts and the facade have always found it

export interface CourseData {
  /** One row per photo: filename, dir, class (breed), pose, bounding box. */
  rows: PhotoRow[];
  /** The photos' embeddings, row i for rows[i]. */
  vectors: Matrix;
  /** The CSV they came from. */
  file: string;
  /** The Stanford Dogs folder holding Images/, when the photos are there. */
  photosDir: string | undefined;
  /** Whether this is the generated demo set (results mean nothing). */
  demo: boolean;
  /** The breeds, sorted. */
  breeds: string[];
  /** The photo file of a row, or undefined when the photos are not there. */
  imagePath(row: PhotoRow): string | undefined;
  /** The breed of a database id. */
  classOf(id: number): string;
  /** One line: what was loaded, from where. */
  summary: string;
}

export interface LoadCourseOptions {
  /** The course CSV (default: data/vectors.csv.gz, or data/vectors.csv). */
  file?: string;
  /** The Stanford Dogs folder with Images/ (default: data/stanford-dogs). */
  photos?: string;
  /** Keep a binary copy in cache/ for fast re-loads (default true). */
  cache?: boolean;
  /**
   * Without the course's CSV: 'error' (default) throws, saying what to supply;
   * 'demo' generates the demo set in data/demo (drawn photos, tiny models), points
   * config at it with useDemoSet (its data, queries and models, a cache of its own;
   * for the rest of the process, so embedTexts then uses the tiny model) and loads
   * it, flagged as DEMO DATA; the summary says where config now points.
   */
  fallback?: 'error' | 'demo';
}

/** Where the course CSV is, or undefined. */
export function findCourseCsv(dataDir = config.dataDir): string | undefined {
  return ['vectors.csv.gz', 'vectors.csv'].map((f) => path.join(dataDir, f)).find((f) => fs.existsSync(f));
}

/** A folder's Stanford Dogs root: the folder itself or one that holds Images/. */
function photosRoot(dir: string): string | undefined {
  return fs.existsSync(path.join(dir, 'Images')) ? dir : undefined;
}

function missingCourseMessage(dataDir: string): string {
  return (
    `no course vectors in ${dataDir}: put the course's vectors.csv.gz there ` +
    '(or build it from the photos: npm run data:dogs, then npm run data:embed)'
  );
}

interface BinaryCopy {
  source: string;
  size: number;
  mtimeMs: number;
  n: number;
  d: number;
  /** The rows by column: parsing 8 arrays is several times faster than 20,580 objects. */
  columns: { [K in keyof PhotoRow]: Array<PhotoRow[K]> };
}

const ROW_FIELDS = ['filename', 'dir', 'class', 'pose', 'xmin', 'ymin', 'xmax', 'ymax'] as const;

function toColumns(rows: PhotoRow[]): BinaryCopy['columns'] {
  return Object.fromEntries(ROW_FIELDS.map((f) => [f, rows.map((r) => r[f])])) as BinaryCopy['columns'];
}

function fromColumns(c: BinaryCopy['columns'], n: number): PhotoRow[] | undefined {
  if (!ROW_FIELDS.every((f) => Array.isArray(c?.[f]) && c[f].length === n)) return undefined;
  const rows = new Array<PhotoRow>(n);
  for (let i = 0; i < n; i++) {
    rows[i] = {
      filename: c.filename[i],
      dir: c.dir[i],
      class: c.class[i],
      pose: c.pose[i],
      xmin: c.xmin[i],
      ymin: c.ymin[i],
      xmax: c.xmax[i],
      ymax: c.ymax[i],
    };
  }
  return rows;
}

/** A path as notes show it: relative inside the project, else in full (a demo set in /tmp: not ../../tmp/...). */
function shownPath(p: string): string {
  const r = path.relative(PROJECT_ROOT, p);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
}

/** Loads the course's vectors and rows; see the module's description. */
export async function loadCourse(options: LoadCourseOptions = {}): Promise<CourseData> {
  let fellBack = '';
  if (!options.file && !findCourseCsv() && options.fallback === 'demo') {
    const missing = config.dataDir;
    const set = await makeDemoSet(path.join(config.dataDir, 'demo'), { log: false });
    const now = useDemoSet(set);
    fellBack =
      `\nThere is no vectors.csv.gz in ${missing}, so the generated demo set is used (drawn photos, tiny models with ` +
      "random weights): every step runs, but no result means anything. Put the course's vectors.csv.gz into data/ " +
      '(and the photos into data/stanford-dogs/, the query photos into queries/) for the real run.' +
      `\nconfig now points at the demo set (useDemoSet): data ${shownPath(now.dataDir)}, queries ` +
      `${shownPath(now.queriesDir)}, CLIP model ${shownPath(now.clipModel)}, multilingual model ` +
      `${shownPath(now.multilingualModel)}, cache ${shownPath(now.cacheDir)}.`;
  }
  const file = path.resolve(options.file ?? findCourseCsv() ?? path.join(config.dataDir, 'vectors.csv.gz'));
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new Error(
      options.file ? `cannot load the course data: ${file} does not exist` : missingCourseMessage(path.dirname(file)),
    );
  }
  const key = crypto.createHash('sha256').update(file).digest('hex').slice(0, 12);
  const copyDir = path.join(config.cacheDir, 'course');
  const meta = path.join(copyDir, `${key}.json`);
  const npy = path.join(copyDir, `${key}.npy`);
  let rows: PhotoRow[] | undefined;
  let vectors: Matrix | undefined;
  let fromCopy = false;
  if (options.cache !== false && fs.existsSync(meta) && fs.existsSync(npy)) {
    try {
      const m = JSON.parse(fs.readFileSync(meta, 'utf8')) as BinaryCopy;
      if (m.source === file && m.size === stat.size && m.mtimeMs === stat.mtimeMs) {
        const arr = readNpy(npy);
        const copied = fromColumns(m.columns, m.n);
        if (copied && arr.data instanceof Float32Array && arr.shape[0] === m.n && arr.shape[1] === m.d) {
          rows = copied;
          vectors = { data: arr.data, n: m.n, d: m.d, source: { normalized: rowsAreNormalized(arr.data, m.d) } };
          fromCopy = true;
        }
      }
    } catch {
      // A damaged copy: parse the CSV again and rewrite it.
    }
  }
  if (!rows || !vectors) {
    const csv = await readVectorsCsv(file);
    rows = csv.rows;
    vectors = csv.vectors;
    if (options.cache !== false) {
      fs.mkdirSync(copyDir, { recursive: true });
      writeNpy(npy, vectors.data, [vectors.n, vectors.d]);
      writeFileAtomic(
        meta,
        JSON.stringify({
          source: file,
          size: stat.size,
          mtimeMs: stat.mtimeMs,
          n: vectors.n,
          d: vectors.d,
          columns: toColumns(rows),
        } satisfies BinaryCopy),
      );
    }
  }
  const dataDir = path.dirname(file);
  const photosDir = photosRoot(path.resolve(options.photos ?? path.join(dataDir, 'stanford-dogs')));
  const demo = fs.existsSync(path.join(dataDir, DEMO_MARKER));
  const breeds = [...new Set(rows.map((r) => r.class))].sort();
  const finalRows = rows;
  const imagePath = (row: PhotoRow): string | undefined => {
    if (!photosDir) return undefined;
    const dir = row.dir.startsWith('Images') ? row.dir : path.join('Images', row.dir);
    return path.isAbsolute(row.dir) ? path.join(row.dir, row.filename) : path.join(photosDir, dir, row.filename);
  };
  const rel = shownPath;
  const summary =
    `${demo ? 'DEMO DATA (generated: results mean nothing) — ' : ''}` +
    `${vectors.n.toLocaleString('en-US')} photos x ${vectors.d} from ${rel(file)}${fromCopy ? ' (binary copy in cache/)' : ''}, ` +
    `${breeds.length} breeds; photos ${photosDir ? `in ${rel(photosDir)}` : 'not found (grids show placeholders; npm run data:dogs downloads them)'}` +
    fellBack;
  return {
    rows: finalRows,
    vectors,
    file,
    photosDir,
    demo,
    breeds,
    imagePath,
    summary,
    classOf: (id: number) => finalRows[id]?.class,
  };
}

/** A breed name reduced for comparison: 'Japanese_spaniel', 'japanese spaniel', 'Japanese-Spaniel' agree. */
export function breedKey(s: string): string {
  return s
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '_');
}

/**
 * The breed a query photo's file name tells, as the course names it, or
 * undefined: 'beagle.jpg', 'Beagle_2.jpg', 'n02088364_1234.jpg' (the WordNet id
 * of the breed's folder) and 'american_staffordshire_terrier-3.png' all work.
 */
export function breedFromFileName(file: string, course: Pick<CourseData, 'rows' | 'breeds'>): string | undefined {
  const stem = path.basename(file).replace(/\.[^.]+$/, '');
  const byKey = new Map(course.breeds.map((b) => [breedKey(b), b]));
  const wnid = /^(n\d{8})_\d+/.exec(stem)?.[1];
  if (wnid) {
    const row = course.rows.find(
      (r) => path.basename(r.dir).startsWith(`${wnid}-`) || r.filename.startsWith(`${wnid}_`),
    );
    if (row) return row.class;
  }
  // Longest match first: 'english_setter' before 'setter'.
  const name = breedKey(stem).replace(/_?\(?\d+\)?$/, '');
  if (byKey.has(name)) return byKey.get(name);
  const prefix = [...byKey.keys()].sort((a, b) => b.length - a.length).find((k) => name.startsWith(`${k}_`));
  return prefix ? byKey.get(prefix) : undefined;
}

/** queries/labels.csv: "file,breed" lines (a header line is fine). */
export function readQueryLabels(file: string, course: Pick<CourseData, 'breeds'>): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const byKey = new Map(course.breeds.map((b) => [breedKey(b), b]));
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  lines.forEach((line, i) => {
    const m = /^\s*"?([^",]+)"?\s*[,;\t]\s*"?([^"]*)"?\s*$/.exec(line);
    if (!m) {
      if (line.trim())
        throw new Error(`${file}, line ${i + 1}: expected "file,breed", got ${JSON.stringify(line.slice(0, 60))}`);
      return;
    }
    const [, name, breed] = m;
    if (i === 0 && /^(file|filename|image)$/i.test(name.trim())) return;
    out.set(name.trim(), byKey.get(breedKey(breed)) ?? (breed.trim() || undefined));
  });
  return out;
}

export interface Queries {
  /** The query photos (files), one per query. */
  images: string[];
  /** Short names for captions and tables. */
  names: string[];
  /** Each query's breed as the course names it, or undefined when it cannot be told. */
  classes: Array<string | undefined>;
  /** Their embeddings (same model and normalisation as the course's vectors). */
  vectors: Matrix;
  /** What to index: the course, or the course without the held-out photos. */
  database: { rows: PhotoRow[]; vectors: Matrix; classOf: (id: number) => string };
  /** Held-out course rows (when queries/ was empty), else empty. */
  heldOut: number[];
  /**
   * Per query: the database id of the dataset photo it is, else undefined. Such a query finds
   * itself at distance 0 (a free hit), so precision leaves it out; see findSamePhotos.
   */
  sameAs: Array<number | undefined>;
  /**
   * `classes` with the queries that are dataset photos (sameAs) set to undefined: what precision is
   * computed on. Give it to grids: runGrid({ ..., classes: { queries: q.scoredClasses, of: q.database.classOf } }).
   */
  scoredClasses: Array<string | undefined>;
  /** The model check, run when query photos were embedded (see checkModel); undefined for held-out queries. */
  modelCheck?: ModelCheck;
  /** The queries.zip the photos were unpacked from, when they came from one. */
  zip?: ZipExtraction;
  /**
   * The folder the query photos were embedded from (queries/, or where queries.zip was unpacked);
   * undefined for held-out queries, whose vectors come from the course file.
   */
  dir?: string;
  /** Where the queries came from and how their breeds were told, for the notebook to say. */
  note: string;
}

export interface LoadQueriesOptions {
  /** The folder of query photos (default: queries/ in the project). */
  dir?: string;
  /**
   * The course's queries.zip, read when the folder has no photos: default the first of queries.zip beside
   * the folder (the project root), inside it, or in the data folder (findQueriesZip); false: never.
   */
  zip?: string | false;
  /** How many photos to hold out when there are no query photos (default 10, of different breeds). */
  holdOut?: number;
  /** Seed of the hold-out draw (default 7). */
  seed?: number;
  /** Check that the configured model made the course's vectors, when query photos are embedded (default true). */
  checkModel?: boolean;
  /**
   * A query is a dataset photo when a database vector lies within squared L2 distance
   * sameTolerance * ||q||^2. Default 1e-6 (the same vector up to rounding), widened to what the model
   * check measured when the dataset's vectors were made by another program (at most 0.02: cosine 0.99).
   */
  sameTolerance?: number;
}

/** The relative squared distance at which a query counts as a dataset photo; see LoadQueriesOptions.sameTolerance. */
function sameTolerance(check: ModelCheck | undefined, given: number | undefined): number {
  if (given !== undefined) return given;
  // The same photo embedded here and by the program that made the file differs by what the check measured.
  const agreement = check?.sameModel && check.cosines.length ? Math.min(...check.cosines) : 1;
  return Math.max(1e-6, Math.min(0.02, 4 * (1 - agreement)));
}

/** What the note says of queries that are dataset photos, or ''. */
function sameNote(names: string[], sameAs: Array<number | undefined>, rows: PhotoRow[]): string {
  const found = names.map((n, i) => ({ n, id: sameAs[i] })).filter((x) => x.id !== undefined);
  if (found.length === 0) return '';
  const list = found.map(({ n, id }) => {
    const r = rows[id!];
    return `${n} is the dataset's photo #${id} (${path.posix.join(r.dir, r.filename)})`;
  });
  const one = found.length === 1;
  return (
    ` ${list.join('; ')}: ${one ? 'it finds itself' : 'they find themselves'} (distance about 0), so ` +
    `${one ? 'it is' : 'they are'} left out of precision (q.scoredClasses; precisionReport says so).`
  );
}

/**
 * The course's query photos, embedded (cached: a re-run embeds nothing), with
 * each one's breed from labels.csv or from its file name. The photos come from
 * queries/, else from the course's queries.zip (unpacked safely into the cache),
 * else ten photos of ten different breeds are held out of the course data (and
 * removed from what is indexed) so every task still runs.
 *
 * Two checks guard the results: the configured CLIP model re-embeds three of
 * the dataset's photos and must give their rows' vectors back (q.modelCheck; a
 * warning in the note when not), and a query that is one of the dataset's
 * photos is named (q.sameAs) and left out of precision (q.scoredClasses).
 */
export async function loadQueries(course: CourseData, options: LoadQueriesOptions = {}): Promise<Queries> {
  const dir = path.resolve(options.dir ?? config.queriesDir);
  const images = fs.existsSync(dir) ? listImages(dir).files : [];
  let from = dir;
  let zip: ZipExtraction | undefined;
  let zipNote = '';
  if (images.length === 0 && options.zip !== false) {
    const zipFile = options.zip ?? findQueriesZip(dir, config.dataDir);
    if (zipFile) {
      zip = extractQueriesZip(zipFile);
      if (zip.skipped.length > 0) {
        const list = zip.skipped.map((s) => `${s.entry} (${s.reason})`).join('; ');
        zipNote = ` Not unpacked from ${path.basename(zip.zip)}: ${list}.`;
      }
      if (listImages(zip.dir).files.length > 0) from = zip.dir;
      else zipNote = ` ${shownPath(zip.zip)} holds no photos.${zipNote}`;
    }
  }
  if (from === dir && images.length === 0) {
    const q = holdOut(course, options, zip !== undefined);
    return zipNote ? { ...q, note: `${q.note}${zipNote}` } : q;
  }

  const emb = await embedImages(from, { normalize: course.vectors.source?.normalized ?? false });
  const files = emb.files.map((f) => path.join(from, f));
  const labelsFile = path.join(from, 'labels.csv');
  const labels = fs.existsSync(labelsFile) ? readQueryLabels(labelsFile, course) : undefined;
  const classes = emb.files.map((f) => (labels?.has(f) ? labels.get(f) : breedFromFileName(f, course)));
  const unknown = emb.files.filter((_, i) => classes[i] === undefined);
  const how = labels ? (zip ? `labels.csv in ${path.basename(zip.zip)}` : 'queries/labels.csv') : 'the file names';
  const failed = emb.failed.length
    ? ` ${emb.failed.length} unreadable file(s) skipped: ${emb.failed.map((f) => f.file).join(', ')}.`
    : '';
  const origin = zip
    ? `${shownPath(zip.zip)} (unpacked into ${shownPath(zip.dir)}/` +
      `${zip.junk ? `; ${zip.junk} folder and macOS entries ignored` : ''})`
    : `${shownPath(dir)}/`;

  let modelCheck: ModelCheck | undefined;
  if (options.checkModel !== false) {
    try {
      modelCheck = await checkModel(course);
    } catch (e) {
      modelCheck = {
        checked: 0,
        cosines: [],
        rows: [],
        sameModel: undefined,
        model: config.clipModel,
        message:
          `Model check failed (${(e as Error).message}): make sure LAB_CLIP_MODEL is the model that made ` +
          "the course's vectors.",
      };
    }
  }
  const sameAs = samePhotos(emb.vectors, emb.files, course, sameTolerance(modelCheck, options.sameTolerance));
  const note =
    `${files.length} query photos from ${origin}, breeds from ${how}.` +
    (unknown.length ? ` Breed unknown for ${unknown.join(', ')}: searched and shown, left out of precision.` : '') +
    failed +
    zipNote +
    sameNote(emb.files, sameAs, course.rows) +
    (modelCheck ? ` ${modelCheck.message}` : '');
  return {
    images: files,
    names: emb.files,
    classes,
    vectors: emb.vectors,
    database: { rows: course.rows, vectors: course.vectors, classOf: course.classOf },
    heldOut: [],
    sameAs,
    scoredClasses: classes.map((c, i) => (sameAs[i] === undefined ? c : undefined)),
    modelCheck,
    zip,
    dir: from,
    note,
  };
}

/**
 * Queries that are dataset photos: the same vector (findSamePhotos), or a query
 * file named like a dataset photo (n02088364_1234.jpg) whose vector is close to
 * that photo's (the course's vectors may have been made by another program).
 */
function samePhotos(vectors: Matrix, names: string[], course: CourseData, rtol: number): Array<number | undefined> {
  const same = findSamePhotos(vectors, course.vectors, rtol).ids;
  const byName = new Map<string, number>();
  course.rows.forEach((r, i) => {
    byName.set(r.filename.toLowerCase(), i);
  });
  const { d } = vectors;
  return same.map((id, q) => {
    if (id !== undefined) return id;
    const row = byName.get(path.basename(names[q]).toLowerCase());
    if (row === undefined) return undefined;
    const c = cosine(vectors.data.subarray(q * d, (q + 1) * d), course.vectors.data.subarray(row * d, (row + 1) * d));
    return c >= MODEL_CHECK.close ? row : undefined;
  });
}

/** Ten photos of ten different breeds, taken out of the database so they are not their own neighbours. */
function holdOut(course: CourseData, options: LoadQueriesOptions, zipSeen = false): Queries {
  const count = Math.min(options.holdOut ?? 10, course.breeds.length);
  const random = rng(options.seed ?? 7);
  const breeds = [...course.breeds];
  for (let i = breeds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [breeds[i], breeds[j]] = [breeds[j], breeds[i]];
  }
  const byBreed = new Map<string, number[]>();
  course.rows.forEach((r, i) => {
    byBreed.set(r.class, [...(byBreed.get(r.class) ?? []), i]);
  });
  const picked = breeds
    .slice(0, count)
    .map((b) => {
      const ids = byBreed.get(b)!;
      return ids[Math.floor(random() * ids.length)];
    })
    .sort((a, b) => a - b);
  const taken = new Set(picked);
  const keep = course.rows.map((_, i) => i).filter((i) => !taken.has(i));
  const rows = keep.map((i) => course.rows[i]);
  const vectors = takeRows(course.vectors, picked);
  const database = { rows, vectors: takeRows(course.vectors, keep), classOf: (id: number) => rows[id]?.class };
  const names = picked.map((id) => course.rows[id].filename);
  const classes = picked.map((id) => course.rows[id].class);
  // A photo the dataset holds twice would still find its copy.
  const sameAs = findSamePhotos(vectors, database.vectors, options.sameTolerance ?? 1e-6).ids;
  return {
    images: picked.map((id) => course.imagePath(course.rows[id]) ?? course.rows[id].filename),
    names,
    classes,
    vectors,
    database,
    heldOut: picked,
    sameAs,
    scoredClasses: classes.map((c, i) => (sameAs[i] === undefined ? c : undefined)),
    note:
      `queries/ has no photos${zipSeen ? '' : ' (and there is no queries.zip)'}, so ${picked.length} photos of ` +
      `${picked.length} different breeds were held out of the course data as queries (and removed from what is ` +
      "indexed, so they cannot find themselves). Put the course's query photos in queries/ (or its queries.zip in " +
      'the project folder) to use them instead.' +
      sameNote(names, sameAs, rows),
  };
}

export interface MyPhotos {
  /** The folder looked in. */
  dir: string;
  /** Your photos (files) that could be embedded, and short names for captions. */
  images: string[];
  names: string[];
  /** Their embeddings (same model and normalisation as the course's vectors); n = 0 when there are none. */
  vectors: Matrix;
  /** What was found, or what to put there. */
  note: string;
}

/**
 * Your own photos for "dogs that look like you" (my-photos/ by default),
 * embedded like the course's photos. An empty or missing folder is not an
 * error: the note says what to put there.
 */
export async function loadMyPhotos(course: CourseData, options: { dir?: string } = {}): Promise<MyPhotos> {
  const dir = path.resolve(options.dir ?? config.myPhotosDir);
  const shown = path.relative(PROJECT_ROOT, dir) || dir;
  const images = fs.existsSync(dir) ? listImages(dir).files : [];
  const empty = { data: new Float32Array(0), n: 0, d: course.vectors.d, source: course.vectors.source };
  if (images.length === 0) {
    return {
      dir,
      images: [],
      names: [],
      vectors: empty,
      note:
        `${shown}/ has no photos yet. Put a few photos of yourself (JPEG, PNG or WebP; a face or upper body works best) ` +
        `into ${shown}/ and run this notebook again. No photos of yourself to share? The sheet allows five photos of ` +
        'people from the internet instead. The photos stay on your machine; the main job zips them for the submission.',
    };
  }
  const emb = await embedImages(dir, { normalize: course.vectors.source?.normalized ?? false });
  const failed = emb.failed.length
    ? ` Skipped (not readable as images): ${emb.failed.map((f) => f.file).join(', ')}.`
    : '';
  return {
    dir,
    images: emb.files.map((f) => path.join(dir, f)),
    names: emb.files,
    vectors: emb.vectors,
    note: `${emb.files.length} photo(s) from ${shown}/ embedded (${emb.fromCache} from the cache).${failed}`,
  };
}
