/**
 * Built indexes kept on disk, so that re-running a notebook does not build its
 * graphs again: `cachedBuild(name, data, build)` runs `build()` (create the
 * index, set its knobs, add the vectors: the calls a student writes), times it,
 * and writes the index in faiss's format; the next call with the same name,
 * the same data and the same build code reads it back instead.
 *
 * The key is the data's hash (values and shape), the name and a hash of the
 * build function's source: change a knob in the name or in the code and the
 * index is built again. Values the function reads from outside (a loop
 * variable) are not in its source: put them in the name.
 *
 * @example
 * const built = await cachedBuild(`HNSW M=${M} efC=${efC} L2`, xb, async () => {
 *   const index = new IndexHNSWFlat(xb.d, M);   // faiss.IndexHNSWFlat(d, M)
 *   index.hnsw.efConstruction = efC;            // index.hnsw.efConstruction = efC
 *   await index.addAsync(xb);                   // index.add(xb)
 *   return index;
 * });
 * built.index; built.buildSeconds; built.cached;
 *
 * // Later, without the build code: the graph that loop built, found by what it is.
 * const again = readCachedBuild<IndexHNSWFlat>(xb, { kind: 'IndexHNSWFlat', M: M, efConstruction: efC, metric: 'L2' });
 * // Or, when the loop may not have used cachedBuild: built (and cached) here if none is found.
 * const hnsw8 = { kind: 'IndexHNSWFlat', M: 8, efConstruction: 40, metric: 'L2' };
 * const g = await readCachedBuild<IndexHNSWFlat>(xb, hnsw8, { orBuild: true });
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { config } from '../config';
import { writeFileAtomic } from '../io/files';
import type { Matrix } from '../types';
import { ArgumentError, invalid } from '../util/check';
import { MetricType, metricName } from './results';

/** A short hash of a matrix's values and shape: the cache key of the data. */
export function matrixHash(m: Matrix): string {
  const h = crypto.createHash('sha256');
  h.update(`${m.n}x${m.d}:`);
  h.update(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
  return h.digest('hex').slice(0, 16);
}

/** What cachedBuild needs of an index: what was filled, and how to write and read it. */
export interface Storable {
  readonly ntotal: number;
  readonly d: number;
  dispose(): void;
}

export interface CachedBuild<I> {
  index: I;
  /** Seconds build() took; when read from the cache, the seconds of the run that built it. */
  buildSeconds: number;
  /** Whether the index was read from the cache. */
  cached: boolean;
  /** The index file, when cached on disk. */
  file?: string;
}

export interface CachedBuildOptions<I> {
  /** Folder of the cache (default cache/indexes), or false to always build. */
  cache?: string | false;
  /** Writes the index (default: faiss's writeIndex). */
  save?: (index: I, file: string) => void;
  /** Reads it back (default: faiss's readIndex). */
  load?: (file: string) => I;
}

interface CacheRecord {
  name: string;
  buildSeconds: number;
  ntotal: number;
  d: number;
  /** What the index is (faiss's class, metric, graph knobs): how readCachedBuild finds it without its name. */
  kind?: string;
  metric?: string;
  M?: number;
  efConstruction?: number;
}

/** What an index is, as a cache record keeps it; graph knobs only where the index has a graph. */
function describe(index: Storable): Pick<CacheRecord, 'kind' | 'metric' | 'M' | 'efConstruction'> {
  const i = index as Storable & {
    className?: string;
    metricType?: number;
    hnsw?: { M: number; efConstruction: number };
  };
  if (typeof i.className !== 'string') return {};
  return {
    kind: i.className,
    metric: typeof i.metricType === 'number' ? metricName(i.metricType as MetricType) : undefined,
    ...(i.hnsw ? { M: i.hnsw.M, efConstruction: i.hnsw.efConstruction } : {}),
  };
}

/** The file name of a cached index: readable, and unique to the name and build code. */
function fileNameOf(name: string, code: string): string {
  const readable = name.replace(/[^A-Za-z0-9.=_-]+/g, '_').slice(0, 80);
  const hash = crypto.createHash('sha256').update(name).update('\0').update(code).digest('hex').slice(0, 10);
  return `${readable}.${hash}.faissindex`;
}

/** Builds an index with `build`, or reads the one built before; see the module's description. */
export async function cachedBuild<I extends Storable>(
  name: string,
  data: Matrix,
  build: () => I | Promise<I>,
  options: CachedBuildOptions<I> = {},
): Promise<CachedBuild<I>> {
  if (typeof name !== 'string' || !name.trim()) throw invalid('name', 'a non-empty name saying every knob', name);
  if (typeof build !== 'function') throw invalid('build', 'a function that creates and fills the index', build);
  if (!data || !(data.data instanceof Float32Array)) throw invalid('data', 'the matrix the index is built from', data);
  // Loaded lazily: the FAISS addon is optional for the rest of the library.
  const faiss = require('../faiss') as typeof import('../faiss');
  const save =
    options.save ?? ((index: I, file: string) => faiss.writeIndex(index as unknown as import('../faiss').Index, file));
  const load = options.load ?? ((file: string) => faiss.readIndex(file) as unknown as I);
  const dir =
    options.cache === false
      ? undefined
      : path.join(options.cache ?? path.join(config.cacheDir, 'indexes'), matrixHash(data));
  const file = dir ? path.join(dir, fileNameOf(name, build.toString())) : undefined;
  if (file && fs.existsSync(file) && fs.existsSync(`${file}.json`)) {
    try {
      const rec = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as CacheRecord;
      const index = load(file);
      if (index.ntotal === data.n && index.d === data.d) {
        // Records written before indexes were described get their description now, for readCachedBuild.
        if (rec.kind === undefined) writeFileAtomic(`${file}.json`, JSON.stringify({ ...rec, ...describe(index) }));
        return { index, buildSeconds: rec.buildSeconds, cached: true, file };
      }
      index.dispose();
    } catch {
      // A damaged or foreign file: build again and overwrite it.
    }
  }
  const t0 = performance.now();
  const index = await build();
  const buildSeconds = (performance.now() - t0) / 1000;
  if (!index || typeof index.ntotal !== 'number')
    throw new ArgumentError(`build() of "${name}" returned no index: return it`);
  if (index.ntotal !== data.n) {
    throw new ArgumentError(
      `build() of "${name}" returned an index holding ${index.ntotal} vectors, but the data has ${data.n}: add all of them`,
    );
  }
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    save(index, file);
    const rec: CacheRecord = { name, buildSeconds, ntotal: index.ntotal, d: index.d, ...describe(index) };
    writeFileAtomic(`${file}.json`, JSON.stringify(rec));
  }
  return { index, buildSeconds, cached: false, file };
}

/** What readCachedBuild looks for: faiss's class name and, where given, the metric and the graph's knobs. */
export interface CachedIndexQuery {
  kind: string;
  /** As metricName prints it: 'L2', 'L1', 'INNER_PRODUCT', 'Linf'. */
  metric?: string;
  M?: number;
  efConstruction?: number;
}

export interface ReadCachedBuildOptions<I> extends Pick<CachedBuildOptions<I>, 'cache' | 'load'> {
  /**
   * When no cached index matches, build it (through cachedBuild, so it is cached for the next call) instead of
   * throwing; readCachedBuild then returns a Promise. Only an IndexHNSWFlat with M, efConstruction and metric
   * given can be built so; any other query still throws when nothing matches.
   */
  orBuild?: boolean;
}

/**
 * Reads back an index that cachedBuild built over `data`, found by what it is rather than by its name or build
 * code: a later cell can look at the graphs a loop built without building them again (and without showing the
 * loop's code). The newest match wins; none is an error that says which cell builds it, or, with
 * `{ orBuild: true }`, an IndexHNSWFlat built here and cached under `IndexHNSWFlat(M=8, efConstruction=40) L2`
 * (then the result is a Promise, whether read or built).
 */
export function readCachedBuild<I extends Storable>(
  data: Matrix,
  query: CachedIndexQuery,
  options: ReadCachedBuildOptions<I> & { orBuild: true },
): Promise<CachedBuild<I>>;
export function readCachedBuild<I extends Storable>(
  data: Matrix,
  query: CachedIndexQuery,
  options?: ReadCachedBuildOptions<I> & { orBuild?: false },
): CachedBuild<I>;
export function readCachedBuild<I extends Storable>(
  data: Matrix,
  query: CachedIndexQuery,
  options?: ReadCachedBuildOptions<I>,
): CachedBuild<I> | Promise<CachedBuild<I>>;
export function readCachedBuild<I extends Storable>(
  data: Matrix,
  query: CachedIndexQuery,
  options: ReadCachedBuildOptions<I> = {},
): CachedBuild<I> | Promise<CachedBuild<I>> {
  if (options.orBuild) return readOrBuild(data, query, options);
  const found = lookUp(data, query, options);
  if ('missing' in found) {
    throw new Error(
      `${found.missing}: build it with cachedBuild first (run the cell that builds it), then run this cell again; ` +
        'or pass { orBuild: true } to build an IndexHNSWFlat here when none is cached',
    );
  }
  return found;
}

/** readCachedBuild with orBuild: every error, a bad argument too, is a rejection. */
async function readOrBuild<I extends Storable>(
  data: Matrix,
  query: CachedIndexQuery,
  options: ReadCachedBuildOptions<I>,
): Promise<CachedBuild<I>> {
  const found = lookUp(data, query, options);
  if (!('missing' in found)) return found;
  const build = hnswBuild(data, query);
  if (!build) {
    throw new Error(
      `${found.missing}, and { orBuild: true } builds only { kind: 'IndexHNSWFlat', M, efConstruction, metric } ` +
        `with all three given, metric one of ${Object.keys(MetricType).join(', ')}: build it with cachedBuild ` +
        '(run the cell that builds it), then run this cell again',
    );
  }
  return cachedBuild(build.name, data, build.build as unknown as () => Promise<I>, {
    cache: options.cache,
    load: options.load,
  });
}

/** The newest cached index over `data` that fits `query`, or what is missing (for the error). */
function lookUp<I extends Storable>(
  data: Matrix,
  query: CachedIndexQuery,
  options: ReadCachedBuildOptions<I>,
): CachedBuild<I> | { missing: string } {
  if (!data || !(data.data instanceof Float32Array)) throw invalid('data', 'the matrix the index was built from', data);
  if (!query || typeof query.kind !== 'string') {
    throw invalid('query', "what the index is, e.g. { kind: 'IndexHNSWFlat', M: 16 }", query);
  }
  const faiss = require('../faiss') as typeof import('../faiss');
  const load = options.load ?? ((file: string) => faiss.readIndex(file) as unknown as I);
  const root = options.cache === false ? undefined : (options.cache ?? path.join(config.cacheDir, 'indexes'));
  const dir = root ? path.join(root, matrixHash(data)) : undefined;
  const wanted = Object.entries(query).filter(([, v]) => v !== undefined);
  const matches = (dir && fs.existsSync(dir) ? fs.readdirSync(dir) : [])
    .filter((f) => f.endsWith('.faissindex.json'))
    .flatMap((f) => {
      try {
        const rec = JSON.parse(fs.readFileSync(path.join(dir!, f), 'utf8')) as CacheRecord;
        const file = path.join(dir!, f.slice(0, -'.json'.length));
        const fits = wanted.every(([key, v]) => rec[key as keyof CacheRecord] === v) && fs.existsSync(file);
        return fits ? [{ rec, file, mtime: fs.statSync(file).mtimeMs }] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => b.mtime - a.mtime);
  const what = `${query.kind}(${wanted
    .filter(([key]) => key !== 'kind')
    .map(([key, v]) => `${key}=${v}`)
    .join(', ')})`;
  // Nothing cached is the cache's state, not a bad argument: the callers throw a plain Error, not an ArgumentError.
  if (matches.length === 0) {
    return {
      missing: `no ${what} over these ${data.n} x ${data.d} vectors in ${root ?? 'the cache (the cache is off)'}`,
    };
  }
  const { rec, file } = matches[0];
  const index = load(file);
  if (index.ntotal !== data.n || index.d !== data.d) {
    index.dispose();
    throw new Error(`${file} holds ${index.ntotal} x ${index.d} vectors, not ${data.n} x ${data.d}: build it again`);
  }
  return { index, buildSeconds: rec.buildSeconds, cached: true, file };
}

/**
 * How orBuild builds what readCachedBuild did not find: faiss.IndexHNSWFlat(d, M, metric), efConstruction set,
 * then add (as builders.hnswFlat and the notebooks' task-4 loop do), named by every knob so that the cache key,
 * which holds the name and this function's source but not the values it reads, tells the graphs apart.
 * Undefined when the query is not such a graph with all its knobs.
 */
function hnswBuild(
  data: Matrix,
  query: CachedIndexQuery,
): { name: string; build: () => Promise<import('../faiss').IndexHNSWFlat> } | undefined {
  const { kind, M, efConstruction, metric } = query;
  if (kind !== 'IndexHNSWFlat' || M === undefined || efConstruction === undefined) return undefined;
  if (typeof metric !== 'string' || !Object.hasOwn(MetricType, metric)) return undefined;
  const metricType = MetricType[metric as keyof typeof MetricType];
  const faiss = require('../faiss') as typeof import('../faiss');
  return {
    name: `IndexHNSWFlat(M=${M}, efConstruction=${efConstruction}) ${metricName(metricType)}`,
    build: async () => {
      const index = new faiss.IndexHNSWFlat(data.d, M, metricType);
      try {
        index.hnsw.efConstruction = efConstruction;
        await index.addAsync(data);
      } catch (e) {
        index.dispose();
        throw e;
      }
      return index;
    },
  };
}
