/**
 * Stable ids for photos: a photo's id is a 52-bit hash of its path relative to
 * the dataset's root, so it stays the same whatever else is added to or removed
 * from the folder between runs, and is a safe JavaScript integer (below 2^53)
 * as well as a valid faiss id (int64, not -1).
 *
 * Two different paths with the same id (a chance of about n^2 / 2^53: 1 in 40
 * billion for 20,000 photos) are detected and refused, never silently merged.
 *
 * @example
 * photoId('Images/n02111889-Samoyed/n02111889_1363.jpg');   // 451290961174117, on every machine, every run
 * const ids = IdMap.fromFiles(course.rows.map((r) => `${r.dir}/${r.filename}`));
 * ids.fileOf(ids.idOf('Images/n02111889-Samoyed/n02111889_1363.jpg')!);
 */
import * as crypto from 'node:crypto';
import { ArgumentError, invalid } from '../util/check';

/** Bits of a photo id: ids are below 2^52, safe integers in JavaScript and in JSON. */
export const PHOTO_ID_BITS = 52;

/**
 * A path as the id is taken from: forward slashes, no leading "./", Unicode NFC
 * (macOS and Linux spell "ü" differently in file names).
 */
export function normalizePhotoPath(relativePath: string): string {
  if (typeof relativePath !== 'string' || relativePath.trim() === '') {
    throw invalid(
      'relativePath',
      "a photo's path relative to the dataset's root, e.g. 'Images/n02085620-Chihuahua/n02085620_7.jpg'",
      relativePath,
    );
  }
  const p = relativePath
    .normalize('NFC')
    .replace(/\\/g, '/')
    .replace(/\/{2,}/g, '/')
    .replace(/^(\.\/)+/, '');
  if (p.startsWith('/') || /^[A-Za-z]:\//.test(p)) {
    throw new ArgumentError(
      `photo path ${JSON.stringify(relativePath)} is absolute: give it relative to the dataset's root, so its id survives moving the folder`,
    );
  }
  if (p.split('/').includes('..'))
    throw new ArgumentError(`photo path ${JSON.stringify(relativePath)} leaves the dataset's root ("..")`);
  return p;
}

/** The stable id of a photo: the first 52 bits of the SHA-256 of its normalised relative path. */
export function photoId(relativePath: string): number {
  const hex = crypto.createHash('sha256').update(normalizePhotoPath(relativePath), 'utf8').digest('hex');
  return parseInt(hex.slice(0, PHOTO_ID_BITS / 4), 16);
}

/** Thrown when two photos' paths hash to the same id. */
export class PhotoIdCollision extends Error {
  readonly code = 'ERR_PHOTO_ID_COLLISION';
  constructor(
    readonly id: number,
    readonly files: [string, string],
  ) {
    super(
      `photo id collision: ${JSON.stringify(files[0])} and ${JSON.stringify(files[1])} both hash to id ${id} ` +
        '(a 1 in 2^52 chance): rename one of the two files',
    );
    this.name = 'PhotoIdCollision';
  }
}

/**
 * The two-way map between photo ids and files (paths relative to the dataset's
 * root). Every id is photoId(file): the map holds no state that a re-run could
 * lose, and refuses collisions and duplicates.
 */
export class IdMap {
  private readonly byId = new Map<number, string>();
  private readonly byFile = new Map<string, number>();

  /** @param hash the id of a normalised path (default photoId; tests pass a weaker one to provoke collisions). */
  constructor(private readonly hash: (file: string) => number = photoId) {}

  /** A map of these files (each once). */
  static fromFiles(files: Iterable<string>, hash?: (file: string) => number): IdMap {
    const m = new IdMap(hash);
    m.add(files);
    return m;
  }

  /** Number of photos. */
  get size(): number {
    return this.byId.size;
  }

  /**
   * Adds files and returns their ids, in order. A file already in the map, or
   * listed twice, is refused (remove it first); so is a collision.
   */
  add(files: Iterable<string>): number[] {
    const list = [...files].map(normalizePhotoPath);
    const ids = list.map((f) => this.hash(f));
    // Check everything before changing anything.
    const fresh = new Map<number, string>();
    list.forEach((f, i) => {
      const id = ids[i];
      const had = this.byId.get(id) ?? fresh.get(id);
      if (had === f)
        throw new ArgumentError(
          `photo ${JSON.stringify(f)} is already in the id map (id ${id}): remove it first, or leave it`,
        );
      if (had !== undefined) throw new PhotoIdCollision(id, [had, f]);
      fresh.set(id, f);
    });
    for (const [id, f] of fresh) {
      this.byId.set(id, f);
      this.byFile.set(f, id);
    }
    return ids;
  }

  /** Removes files (ones not in the map are ignored); returns the ids removed. */
  remove(files: Iterable<string>): number[] {
    const out: number[] = [];
    for (const raw of files) {
      const f = normalizePhotoPath(raw);
      const id = this.byFile.get(f);
      if (id === undefined) continue;
      this.byFile.delete(f);
      this.byId.delete(id);
      out.push(id);
    }
    return out;
  }

  /** The id of a file, or undefined when it is not in the map. */
  idOf(file: string): number | undefined {
    return this.byFile.get(normalizePhotoPath(file));
  }

  /** The file of an id, or undefined. */
  fileOf(id: number | bigint): string | undefined {
    return this.byId.get(Number(id));
  }

  has(file: string): boolean {
    return this.idOf(file) !== undefined;
  }

  /** The ids of files as faiss labels, for addWithIds; a file not in the map is refused. */
  labelsOf(files: readonly string[]): BigInt64Array {
    return BigInt64Array.from(files, (f) => {
      const id = this.idOf(f);
      if (id === undefined) throw new ArgumentError(`${JSON.stringify(f)} has no id in the map: add it first`);
      return BigInt(id);
    });
  }

  /** Every file, sorted. */
  files(): string[] {
    return [...this.byFile.keys()].sort();
  }

  /** [id, file] pairs sorted by file: what the map file stores. */
  entries(): Array<[number, string]> {
    return this.files().map((f) => [this.byFile.get(f)!, f]);
  }

  /**
   * Rebuilds a map from stored pairs, checking each id is its file's hash
   * (a hand-edited or foreign map is refused, naming the first bad entry).
   */
  static fromEntries(entries: Array<[number, string]>, where = 'the id map'): IdMap {
    if (!Array.isArray(entries)) throw new Error(`${where}: expected a list of [id, file] pairs`);
    const m = new IdMap();
    entries.forEach((e, i) => {
      if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'number' || typeof e[1] !== 'string') {
        throw new Error(`${where}: entry ${i} is ${JSON.stringify(e)?.slice(0, 80)}, not an [id, file] pair`);
      }
      const [id, f] = e;
      if (photoId(f) !== id)
        throw new Error(`${where}: entry ${i} gives ${JSON.stringify(f)} id ${id}, but its id is ${photoId(f)}`);
      m.add([f]);
    });
    return m;
  }
}

/** faiss's k-means warns below this many training points per centroid (min_points_per_centroid). */
export const MIN_POINTS_PER_CENTROID = 39;

/**
 * The number of IVF cells (inverted lists) for n vectors:
 * min(round(sqrt(n)), floor(n / 39)), at least 1. sqrt(n) is the usual rule of
 * thumb (as many lists as vectors per list); faiss's k-means warns when it
 * gets fewer than 39 training points per centroid (min_points_per_centroid),
 * so the second term keeps every centroid above that.
 *
 * @example
 * ivfCells(20580);   // 143 (sqrt rules)
 * ivfCells(300);     // 7   (300 / 39 rules: sqrt would give 17 centroids of ~18 points)
 */
export function ivfCells(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw invalid('n', 'the number of vectors (a whole number, 1 or more)', n);
  return Math.max(1, Math.min(Math.round(Math.sqrt(n)), Math.floor(n / MIN_POINTS_PER_CENTROID)));
}
