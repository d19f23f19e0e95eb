/**
 * An IVF index of photos with stable ids, and the id -> file map kept beside it.
 *
 * Built as a student would in Python: `index_factory(d, "IVF{cells},Flat")`,
 * cells = ivfCells(n) = min(round(sqrt(n)), floor(n / 39)), trained on the
 * vectors and filled with add_with_ids. Each photo's id is photoId(path): a hash
 * of its path relative to the dataset's root, so ids survive photos being added
 * and removed between runs, and update() changes only what changed (removeIds
 * for photos gone, addWithIds for new ones; the IVF stores ids itself, no
 * IndexIDMap needed).
 *
 * On disk: `<name>.faiss` (faiss's own format: Python's faiss.read_index reads
 * it) and `<name>.ids.json` (the id -> file map with a fingerprint of the index
 * file: its size, SHA-256 and ntotal). load() refuses a pair that is out of
 * step, naming both files and what differs. Each file is written atomically,
 * the index first: a crash between the two leaves a pair that load() refuses,
 * never one that silently names the wrong photos.
 *
 * @example
 * const files = course.rows.map((r) => `${r.dir}/${r.filename}`);
 * const photos = await PhotoIndex.build(files, vectors, { metric: MetricType.INNER_PRODUCT });
 * photos.nprobe = 8;
 * const res = photos.search(textQuery, 5);        // labels are photo ids
 * photos.hits(res, 0);                             // [{ rank, id, distance, file }, ...]
 * photos.save('cache/ivf/dogs.faiss');             // + cache/ivf/dogs.ids.json
 * const again = PhotoIndex.load('cache/ivf/dogs.faiss');
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deserializeIndex, type Index, IndexIVF, indexFactory, serializeIndex } from '../faiss';
import { writeFileAtomic } from '../io/files';
import { type Hit, isMetric, MetricType, metricName, SearchResults } from '../search/results';
import type { Matrix } from '../types';
import { ArgumentError, checkInteger, invalid } from '../util/check';
import { checkMatrix, takeRows } from '../util/vectors';
import { IdMap, ivfCells, MIN_POINTS_PER_CENTROID, normalizePhotoPath, PHOTO_ID_BITS } from './photo-ids';

const FORMAT = 'lab-photo-ids';
const VERSION = 1;

export interface PhotoIndexOptions {
  /** L2 (default) or INNER_PRODUCT (cosine on L2-normalised vectors). */
  metric?: MetricType;
  /** Inverted lists (default ivfCells(n)). More than n / 39 makes faiss warn. */
  cells?: number;
  /** Lists searched per query (default 1, faiss's default). */
  nprobe?: number;
}

/** What update() changed. */
export interface PhotoIndexUpdate {
  /** Files added (new in the listing, or changed). */
  added: string[];
  /** Files removed (gone from the listing, or changed). */
  removed: string[];
  /** Photos left as they were. */
  kept: number;
}

/** A hit with its photo's file (relative to the dataset's root). */
export interface PhotoHit extends Hit {
  file: string;
}

/** The map file's contents. */
interface MapFile {
  format: typeof FORMAT;
  version: number;
  /** How ids are made, for a reader in another language. */
  ids: string;
  index: { file: string; bytes: number; sha256: string; ntotal: number; d: number; metric: string; nlist: number };
  /** [id, file] pairs, sorted by file. */
  photos: Array<[number, string]>;
}

/**
 * The nprobe values worth measuring for an IVF of `nlist` cells: every value up
 * to 16 cells, else the powers of two below nlist, and nlist itself (exact).
 *
 * @example
 * nprobeSteps(7);     // [1, 2, 3, 4, 5, 6, 7]
 * nprobeSteps(143);   // [1, 2, 4, 8, 16, 32, 64, 128, 143]
 */
export function nprobeSteps(nlist: number): number[] {
  checkInteger(nlist, 'nlist', 1);
  if (nlist <= 16) return Array.from({ length: nlist }, (_, i) => i + 1);
  const out: number[] = [];
  for (let p = 1; p < nlist; p *= 2) out.push(p);
  return [...out, nlist];
}

/** `<dir>/<name>.ids.json` beside `<dir>/<name>.faiss` (or `<file>.ids.json` for any other name). */
export function idMapFileOf(indexFile: string): string {
  return indexFile.endsWith('.faiss') ? `${indexFile.slice(0, -'.faiss'.length)}.ids.json` : `${indexFile}.ids.json`;
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** The photos' vectors in an IVF index under their stable ids; see the module's description. */
export class PhotoIndex {
  private constructor(
    /** The faiss index (an IndexIVFFlat; its labels are photo ids). */
    readonly index: IndexIVF,
    /** Photo ids <-> files. */
    readonly ids: IdMap,
  ) {}

  /**
   * Builds the index: indexFactory(d, "IVF{cells},Flat", metric), trained on
   * the vectors, filled with addWithIds. `files[i]` is the path (relative to
   * the dataset's root) of the photo whose vector is row i.
   */
  static async build(files: string[], vectors: Matrix, options: PhotoIndexOptions = {}): Promise<PhotoIndex> {
    const x = checkMatrix(vectors, 'vectors');
    if (!Array.isArray(files) || files.length !== x.n) throw invalid('files', `one file per vector (${x.n})`, files);
    if (x.n === 0)
      throw new ArgumentError('cannot build a PhotoIndex of no photos: an IVF index is trained on its vectors');
    const metric = options.metric ?? MetricType.L2;
    if (!isMetric(metric)) throw invalid('metric', 'MetricType.L2 or MetricType.INNER_PRODUCT', metric);
    const cells = options.cells ?? ivfCells(x.n);
    checkInteger(cells, 'cells', 1, x.n);
    const ids = IdMap.fromFiles(files); // refuses duplicates and collisions before any training
    const index = indexFactory(x.d, `IVF${cells},Flat`, metric);
    if (!(index instanceof IndexIVF)) {
      index.dispose();
      throw new Error(`indexFactory(${x.d}, "IVF${cells},Flat") made an ${index.className}, not an IVF index`);
    }
    try {
      await index.trainAsync(trainingSet(x, cells));
      await index.addWithIdsAsync(
        x,
        BigInt64Array.from(files, (f) => BigInt(ids.idOf(f)!)),
      );
    } catch (e) {
      index.dispose();
      throw e;
    }
    const out = new PhotoIndex(index, ids);
    if (options.nprobe !== undefined) out.nprobe = options.nprobe;
    return out;
  }

  /**
   * An IVF index built by hand (indexFactory, train, addWithIds with
   * `ids.labelsOf(files)`) taken over with its id map (the counts must
   * agree). The PhotoIndex
   * owns the index from now on (dispose frees it).
   */
  static fromIndex(index: Index, ids: IdMap): PhotoIndex {
    if (!(index instanceof IndexIVF))
      throw invalid('index', 'an IVF index (e.g. indexFactory(d, "IVF100,Flat"))', index);
    if (!(ids instanceof IdMap)) throw invalid('ids', 'the IdMap whose ids were given to addWithIds', ids);
    if (index.ntotal !== ids.size) {
      throw new ArgumentError(
        `the index holds ${index.ntotal} vectors but the id map ${ids.size} photos: add each photo once`,
      );
    }
    return new PhotoIndex(index, ids);
  }

  /** Dimension of the vectors. */
  get d(): number {
    return this.index.d;
  }

  /** Number of photos in the index. */
  get ntotal(): number {
    return this.index.ntotal;
  }

  get metricType(): MetricType {
    return this.index.metricType;
  }

  /** Number of inverted lists (cells). */
  get nlist(): number {
    return this.index.nlist;
  }

  /** Lists searched per query: 1 (fast, approximate) .. nlist (exact). */
  get nprobe(): number {
    return this.index.nprobe;
  }
  set nprobe(v: number) {
    this.index.nprobe = checkInteger(v, 'nprobe', 1, this.nlist);
  }

  /**
   * Adds photos under their ids (files[i] is vector row i). A photo already in
   * the index is refused: remove it first (or use update with `changed`).
   */
  async add(files: string[], vectors: Matrix): Promise<number[]> {
    const x = checkMatrix(vectors, 'vectors');
    if (!Array.isArray(files) || files.length !== x.n) throw invalid('files', `one file per vector (${x.n})`, files);
    if (x.n === 0) return [];
    const probe = IdMap.fromFiles(files); // duplicates within the list, collisions among them
    for (const f of files) {
      const id = probe.idOf(f)!;
      const had = this.ids.fileOf(id);
      if (had !== undefined) {
        throw new ArgumentError(
          had === probe.fileOf(id)
            ? `photo ${JSON.stringify(had)} is already in the index (id ${id}): remove it first`
            : `photo id collision: ${JSON.stringify(had)} and ${JSON.stringify(probe.fileOf(id))} both hash to id ${id}: rename one`,
        );
      }
    }
    const ids = files.map((f) => probe.idOf(f)!);
    await this.index.addWithIdsAsync(
      x,
      BigInt64Array.from(ids, (id) => BigInt(id)),
    );
    this.ids.add(files);
    return ids;
  }

  /** Removes photos by file (ones not in the index are ignored); returns how many were removed. */
  remove(files: Iterable<string>): number {
    const list = [...files].filter((f) => this.ids.has(f));
    if (list.length === 0) return 0;
    const ids = list.map((f) => this.ids.idOf(f)!);
    const removed = this.index.removeIds(BigInt64Array.from(ids, (id) => BigInt(id)));
    this.ids.remove(list);
    if (removed !== ids.length) {
      throw new Error(
        `removeIds removed ${removed} of ${ids.length} photos: the index and its id map were out of step`,
      );
    }
    return removed;
  }

  /**
   * Brings the index in line with the folder as it is now: `files` (row i of
   * `vectors`) is every photo there. Photos no longer listed are removed
   * (removeIds), new ones added (addWithIds); photos in `changed` (same path,
   * new content) are replaced. The centroids stay those of the first build:
   * rebuild when most of the data has changed.
   */
  async update(
    files: string[],
    vectors: Matrix,
    options: { changed?: Iterable<string> } = {},
  ): Promise<PhotoIndexUpdate> {
    const x = checkMatrix(vectors, 'vectors');
    if (!Array.isArray(files) || files.length !== x.n) throw invalid('files', `one file per vector (${x.n})`, files);
    IdMap.fromFiles(files); // duplicates and collisions in the listing: refused before anything changes
    const listed = new Set(files.map(normalizePhotoPath));
    const changed = new Set([...(options.changed ?? [])].map(normalizePhotoPath));
    const before = this.ntotal;
    const gone = this.ids.files().filter((f) => !listed.has(f) || changed.has(f));
    const fresh = files
      .map((_, i) => i)
      .filter((i) => {
        const f = normalizePhotoPath(files[i]);
        return !this.ids.has(f) || changed.has(f);
      });
    this.remove(gone);
    const added = fresh.map((i) => files[i]);
    await this.add(added, takeRows(x, fresh));
    return { added, removed: gone, kept: before - gone.length };
  }

  /** The k nearest photos of each query; labels are photo ids (-1 padding, as faiss). */
  search(xq: Float32Array | Matrix, k: number): SearchResults {
    return this.index.search(xq, k);
  }

  /** Query q's hits with each photo's file. */
  hits(res: SearchResults, q: number): PhotoHit[] {
    return res.hits(q).map((h) => {
      const file = this.ids.fileOf(h.id);
      if (file === undefined)
        throw new Error(`hit id ${h.id} is not in this index's id map: was the result from another index?`);
      return { ...h, file };
    });
  }

  /**
   * The result with each photo id replaced by rowOf(file) (e.g. the dataset's
   * row number), so it joins with the dataset's rows and shows as a grid;
   * photos rowOf does not know become -1 (dropped by hits and join).
   */
  relabel(res: SearchResults, rowOf: (file: string) => number | undefined): SearchResults {
    const labels = new BigInt64Array(res.labels.length);
    for (let i = 0; i < labels.length; i++) {
      const id = res.labels[i];
      const file = id < 0n ? undefined : this.ids.fileOf(id);
      const row = file === undefined ? undefined : rowOf(file);
      labels[i] = row === undefined || row < 0 ? -1n : BigInt(row);
    }
    return new SearchResults({ distances: res.distances, labels, n: res.n, k: res.k }, res.metric);
  }

  /**
   * Writes `<name>.faiss` and `<name>.ids.json` (the map, with the index
   * file's size, SHA-256 and ntotal); each atomically, the index first.
   */
  save(file: string): { index: string; map: string } {
    if (typeof file !== 'string' || file === '')
      throw invalid('file', "the index file's path, e.g. 'cache/ivf/dogs.faiss'", file);
    const mapFile = idMapFileOf(file);
    if (this.ids.size !== this.ntotal) {
      throw new Error(
        `not saving ${file}: the index holds ${this.ntotal} vectors but its id map ${this.ids.size} photos`,
      );
    }
    const bytes = serializeIndex(this.index);
    const record: MapFile = {
      format: FORMAT,
      version: VERSION,
      ids: `first ${PHOTO_ID_BITS} bits of sha256(path relative to the dataset root, "/" separators, NFC)`,
      index: {
        file: path.basename(file),
        bytes: bytes.length,
        sha256: sha256(bytes),
        ntotal: this.ntotal,
        d: this.d,
        metric: metricName(this.metricType),
        nlist: this.nlist,
      },
      photos: this.ids.entries(),
    };
    writeFileAtomic(file, bytes);
    writeFileAtomic(
      mapFile,
      `${JSON.stringify(record, null, 1).replace(/\[\n\s+(-?\d+),\n\s+("(?:[^"\\]|\\.)*")\n\s+\]/g, '[$1, $2]')}\n`,
    );
    return { index: file, map: mapFile };
  }

  /**
   * Reads `<name>.faiss` and `<name>.ids.json` and checks they belong together:
   * the index file's size and SHA-256 as the map recorded them, the same number
   * of photos, and every id its file's hash. Refuses otherwise, naming both files.
   */
  static load(file: string): PhotoIndex {
    if (typeof file !== 'string' || file === '')
      throw invalid('file', "the index file's path, e.g. 'cache/ivf/dogs.faiss'", file);
    const mapFile = idMapFileOf(file);
    const pair = `${file} and its id map ${mapFile}`;
    if (!fs.existsSync(file)) throw new Error(`cannot load ${pair}: ${file} does not exist`);
    if (!fs.existsSync(mapFile)) {
      throw new Error(
        `cannot load ${pair}: ${mapFile} does not exist (an index without its map cannot name its photos: rebuild it, or restore both files together)`,
      );
    }
    let record: MapFile;
    try {
      record = JSON.parse(fs.readFileSync(mapFile, 'utf8')) as MapFile;
    } catch (e) {
      throw new Error(`cannot load ${pair}: ${mapFile} is not valid JSON (${(e as Error).message})`);
    }
    if (record?.format !== FORMAT || !record.index || !Array.isArray(record.photos)) {
      throw new Error(`cannot load ${pair}: ${mapFile} is not a photo id map (format "${FORMAT}")`);
    }
    if (record.version !== VERSION)
      throw new Error(
        `cannot load ${pair}: ${mapFile} is version ${record.version}; this lab reads version ${VERSION}`,
      );
    const bytes = fs.readFileSync(file);
    const digest = sha256(bytes);
    const differs: string[] = [];
    if (bytes.length !== record.index.bytes)
      differs.push(`${file} is ${bytes.length} bytes, the map was written for ${record.index.bytes}`);
    if (digest !== record.index.sha256)
      differs.push(`its SHA-256 is ${digest.slice(0, 12)}…, the map's ${String(record.index.sha256).slice(0, 12)}…`);
    if (differs.length) {
      throw new Error(
        `${file} and ${mapFile} are out of step: ${differs.join('; ')} (the index was rewritten without its map, or the map ` +
          'belongs to another index). Restore both files from the same save, or rebuild with PhotoIndex.build and save again',
      );
    }
    const ids = IdMap.fromEntries(record.photos, mapFile);
    const index = deserializeIndex(bytes);
    try {
      if (!(index instanceof IndexIVF)) throw new Error(`${file} holds an ${index.className}, not an IVF index`);
      const problems: string[] = [];
      if (index.ntotal !== ids.size)
        problems.push(`${file} holds ${index.ntotal} vectors, ${mapFile} names ${ids.size} photos`);
      if (index.ntotal !== record.index.ntotal)
        problems.push(`${file} holds ${index.ntotal} vectors, the map recorded ntotal=${record.index.ntotal}`);
      if (problems.length) throw new Error(`${file} and ${mapFile} are out of step: ${problems.join('; ')}`);
    } catch (e) {
      index.dispose();
      throw e;
    }
    return new PhotoIndex(index as IndexIVF, ids);
  }

  /** Frees the faiss index; later calls throw. */
  dispose(): void {
    this.index.dispose();
  }

  toString(): string {
    return `PhotoIndex(${this.index.className}, d=${this.d}, nlist=${this.nlist}, nprobe=${this.nprobe}, ${metricName(this.metricType)}, ${this.ntotal} photos)`;
  }
}

/**
 * What k-means trains on: the vectors. With fewer than 39 photos (one cell,
 * still short of points) they are repeated up to 39: the same centroid (a
 * repeated point moves no mean), without faiss's warning on stderr. More cells
 * than n / 39 (options.cells) are left to faiss, which then warns.
 */
function trainingSet(x: Matrix, cells: number): Matrix {
  if (cells !== 1 || x.n >= MIN_POINTS_PER_CENTROID) return x;
  const times = Math.ceil(MIN_POINTS_PER_CENTROID / x.n);
  const data = new Float32Array(times * x.data.length);
  for (let t = 0; t < times; t++) data.set(x.data, t * x.data.length);
  return { data, n: x.n * times, d: x.d, source: x.source };
}
