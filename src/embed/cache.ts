/**
 * Embedding cache of one folder (or of the texts embedded so far) for one model:
 * vectors in a .npy file (np.load reads it) and a JSON manifest naming the model,
 * the normalisation and each row's file (or text) with its size, modification
 * time and content hash.
 *
 * Layout: <dir>/manifest.json and <dir>/vectors.<generation>.npy. A save writes
 * the new .npy first, then switches the manifest to it (both atomic renames), so
 * a process killed at any moment leaves the previous cache whole.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/files';
import { readNpy, writeNpy } from '../io/npy';
import type { Matrix } from '../types';

export interface CacheKey {
  model: string;
  dtype: string;
  normalize: boolean;
}

export interface CachedFile {
  /** Path relative to the embedded folder (or as given). */
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

interface Manifest extends CacheKey {
  format: 'vector-search-lab embedding cache';
  version: 1;
  d: number;
  vectors: string;
  files: CachedFile[];
}

export function sha256File(file: string): string {
  return sha256(fs.readFileSync(file));
}

export function sha256(data: string | Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export class EmbeddingCache {
  /** Cached rows by path. */
  private readonly rows = new Map<string, { entry: CachedFile; vector: Float32Array }>();
  /** Why an existing cache was not used, if it was not. */
  readonly problem: string | undefined;
  d: number | undefined;

  private constructor(
    readonly dir: string,
    readonly key: CacheKey,
    problem?: string,
  ) {
    this.problem = problem;
  }

  /**
   * Opens the cache in `dir` for `key`. A damaged cache is reported in
   * `problem` and treated as empty (it is rebuilt on save). A cache of another
   * model or normalisation is refused (it is never mixed), or with mismatch
   * 'rebuild' (the lab's default folders) treated as empty like a damaged one.
   * `sameModel` says whether the recorded model is key.model (default: the same string).
   */
  static open(
    dir: string,
    key: CacheKey,
    mismatch: 'throw' | 'rebuild' = 'throw',
    sameModel: (recorded: string) => boolean = (recorded) => recorded === key.model,
  ): EmbeddingCache {
    const manifestFile = path.join(dir, 'manifest.json');
    if (!fs.existsSync(manifestFile)) return new EmbeddingCache(dir, key);
    let m: Manifest;
    try {
      m = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    } catch (e) {
      return new EmbeddingCache(dir, key, `manifest unreadable (${(e as Error).message})`);
    }
    if (!sameModel(m.model) || m.dtype !== key.dtype || m.normalize !== key.normalize) {
      // The lab's own cache folder: vectors of another model are stale, replaced on save.
      if (mismatch === 'rebuild')
        return new EmbeddingCache(dir, key, `it holds vectors of ${m.model}, not ${key.model}`);
      throw new Error(
        `the embedding cache ${dir} holds ${m.model} (${m.dtype}, ${m.normalize ? 'L2-normalised' : 'raw'}) vectors, ` +
          `not ${key.model} (${key.dtype}, ${key.normalize ? 'L2-normalised' : 'raw'}): ` +
          'use another cache folder (option cache) or delete this one',
      );
    }
    const cache = new EmbeddingCache(dir, key);
    try {
      const npy = readNpy(path.join(dir, m.vectors));
      const [n, d] = npy.shape;
      if (npy.dtype !== '<f4' || npy.shape.length !== 2 || n !== m.files.length || d !== m.d) {
        throw new Error(
          `vectors ${npy.dtype} (${npy.shape}) do not match the manifest's ${m.files.length} x ${m.d} float32`,
        );
      }
      const data = npy.data as Float32Array;
      m.files.forEach((entry, i) => {
        cache.rows.set(entry.path, { entry, vector: data.subarray(i * d, (i + 1) * d) });
      });
      cache.d = d;
    } catch (e) {
      return new EmbeddingCache(dir, key, (e as Error).message);
    }
    removeLeftovers(dir, m.vectors);
    return cache;
  }

  get size(): number {
    return this.rows.size;
  }

  /** Every cached row: its entry and vector. */
  all(): Array<{ entry: CachedFile; vector: Float32Array }> {
    return [...this.rows.values()];
  }

  /** The cached row stored under `key` whose content hash is `sha256`, if any. */
  find(key: string, sha256: string): Float32Array | undefined {
    const hit = this.rows.get(key);
    return hit && hit.entry.sha256 === sha256 ? hit.vector : undefined;
  }

  /**
   * The cached vector of `file` (read at `abs`) if the file is unchanged: same
   * size and mtime, or else the same content hash. Returns the entry to keep.
   */
  lookup(rel: string, abs: string, stat: fs.Stats): { entry: CachedFile; vector?: Float32Array } {
    const hit = this.rows.get(rel);
    if (hit && hit.entry.size === stat.size && hit.entry.mtimeMs === stat.mtimeMs) return hit;
    const sha256 = sha256File(abs);
    const entry = { path: rel, size: stat.size, mtimeMs: stat.mtimeMs, sha256 };
    if (hit && hit.entry.sha256 === sha256) return { entry, vector: hit.vector };
    return { entry };
  }

  /** Replaces the cache with exactly these rows (atomic; see the file comment). */
  save(entries: CachedFile[], vectors: Matrix): void {
    if (entries.length !== vectors.n) throw new Error(`cache save: ${entries.length} files for ${vectors.n} vectors`);
    fs.mkdirSync(this.dir, { recursive: true });
    const manifestFile = path.join(this.dir, 'manifest.json');
    const generation = `${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;
    const name = `vectors.${generation}.npy`;
    writeNpy(path.join(this.dir, name), vectors.data, [vectors.n, vectors.d]);
    const manifest: Manifest = {
      format: 'vector-search-lab embedding cache',
      version: 1,
      ...this.key,
      d: vectors.d,
      vectors: name,
      files: entries,
    };
    writeFileAtomic(manifestFile, JSON.stringify(manifest, null, 1));
    removeLeftovers(this.dir, name);
  }
}

/** Removes older generations and the leftovers of writes whose process is gone. */
function removeLeftovers(dir: string, current: string): void {
  for (const f of fs.readdirSync(dir)) {
    const stale =
      (f.startsWith('vectors.') && f.endsWith('.npy') && f !== current) || (f.endsWith('.tmp') && !writerAlive(f));
    if (stale) fs.rmSync(path.join(dir, f), { force: true });
  }
}

/** Whether the process that is writing `<name>.<pid>.tmp` still runs (another notebook may be saving). */
function writerAlive(tmpName: string): boolean {
  const pid = Number(/\.(\d+)\.tmp$/.exec(tmpName)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
