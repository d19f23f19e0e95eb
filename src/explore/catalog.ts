/**
 * What the explorer searches: the course's photos (or the generated demo set),
 * their L2-normalised vectors in FAISS (IndexFlatIP built at once; IndexFlatL2,
 * an L1 IndexFlat and IndexHNSWFlat graphs built on first use) and in the SQL
 * store (SqlVectorStore: chdb in <state dir>/chdb, or the ClickHouse server in
 * LAB_CLICKHOUSE_URL; loaded on first use, its HNSW index built when first
 * asked for); query vectors from text (CLIP's text tower, or the multilingual
 * encoder for other languages), from an uploaded photo (CLIP's image tower), from
 * a breed (the mean of its photos' vectors) or from a photo of the set ("more
 * like this"); filters as an IDSelectorBatch in FAISS's SearchParameters or as the
 * store's WHERE; thumbnails resized once with sharp and kept on disk.
 *
 * @example
 * const cat = await Catalog.open({ stateDir: 'cache/explore' });
 * const q = await cat.textVector('a dog in snow', 'en');
 * const { hits } = await cat.search(q, { k: 24, backend: 'flat', metric: 'ip', efSearch: 64 });
 * const { hits: same, statement } = await cat.search(q, { k: 24, backend: 'sql', metric: 'ip', efSearch: 64 });
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { config } from '../config';
import { type CourseData, loadCourse } from '../data/course';
import { makeDemoSet, useDemoSet } from '../data/demo';
import { embedImages, embedTexts } from '../embed/clip';
import {
  IDSelectorBatch,
  type Index,
  IndexFlat,
  IndexFlatIP,
  IndexFlatL2,
  IndexHNSWFlat,
  METRIC_INNER_PRODUCT,
  METRIC_L1,
  METRIC_L2,
  SearchParametersHNSW,
} from '../faiss';
import { writeFileAtomic } from '../io/files';
import { searchFiltered } from '../search/filtered';
import type { Hit } from '../search/results';
import { chdbBackend, type SqlBackend, serverBackend } from '../sql/backend';
import type { SqlFilter } from '../sql/filter';
import type { SqlStatement } from '../sql/statements';
import { type SqlMetric, SqlVectorStore, vectorParam } from '../sql/store';
import type { Matrix } from '../types';
import { normalizeRows } from '../util/vectors';
import { badRequest, HttpError } from './errors';

export type Backend = 'flat' | 'hnsw' | 'sql' | 'sql-hnsw';
export type Metric = 'ip' | 'l2' | 'l1';

/** What each backend is, and the metrics it serves here (the page offers these; others are refused). */
export const BACKENDS: Record<Backend, { label: string; metrics: Metric[] }> = {
  flat: { label: 'FAISS exact (IndexFlatIP / IndexFlatL2 / IndexFlat L1)', metrics: ['ip', 'l2', 'l1'] },
  hnsw: { label: 'FAISS HNSW (IndexHNSWFlat, M=32)', metrics: ['ip', 'l2'] },
  sql: { label: 'SQL store, brute force (every distance in SQL)', metrics: ['ip', 'l2', 'l1'] },
  'sql-hnsw': { label: "SQL store, ClickHouse's HNSW index (cosine, f32)", metrics: ['ip'] },
};
export const METRICS: Record<Metric, string> = {
  ip: 'inner product (cosine on these normalised vectors; higher is nearer)',
  l2: 'squared L2 distance (lower is nearer)',
  l1: 'L1 distance (lower is nearer)',
};
const SQL_METRIC: Record<Metric, SqlMetric> = { ip: 'IP', l2: 'L2', l1: 'L1' };
const FAISS_METRIC = { ip: METRIC_INNER_PRODUCT, l2: METRIC_L2, l1: METRIC_L1 } as const;
/** The HNSW index the explorer builds on the SQL table (cosine: inner product on normalised vectors). */
export const SQL_INDEX = { quantization: 'f32', M: 16, efConstruction: 128 } as const;
const HNSW_M = 32;

/** Checks a backend and metric pair; a 400 names what the backend serves. */
export function checkBackendMetric(backend: unknown, metric: unknown): { backend: Backend; metric: Metric } {
  const b = backend === undefined || backend === '' ? 'flat' : backend;
  if (typeof b !== 'string' || !(b in BACKENDS)) {
    throw badRequest(
      `backend must be one of ${Object.keys(BACKENDS)
        .map((x) => `'${x}'`)
        .join(', ')} (got ${JSON.stringify(backend)})`,
    );
  }
  const m = metric === undefined || metric === '' ? 'ip' : metric;
  if (typeof m !== 'string' || !(m in METRICS))
    throw badRequest(`metric must be 'ip', 'l2' or 'l1' (got ${JSON.stringify(metric)})`);
  const served = BACKENDS[b as Backend].metrics;
  if (!served.includes(m as Metric)) {
    const why =
      b === 'sql-hnsw'
        ? ": the SQL store's HNSW index is built for cosine (inner product on these normalised vectors); " +
          "the brute-force SQL backend ('sql') serves L2 and L1"
        : ': faiss builds a graph per metric and the explorer keeps the inner-product and L2 ones; ' +
          "the exact backend ('flat') serves L1";
    throw badRequest(`backend '${b}' serves metric ${served.map((x) => `'${x}'`).join(', ')}, not '${m}'${why}`);
  }
  return { backend: b as Backend, metric: m as Metric };
}

/** Thumbnail edge in pixels (the grid shows them at 160 CSS pixels). */
export const THUMB_SIZE = 240;
/** Image formats an upload may be (sharp's names): no SVG, whose files can point at other files. */
const UPLOAD_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

export interface CatalogOptions {
  /** The explorer's own files: thumbnails, sessions (default <cacheDir>/explore, chosen after loading). */
  stateDir?: string;
  /** Use the generated demo set even when the course's files are there. */
  demo?: boolean;
}

export interface SearchOptions {
  k: number;
  backend: Backend;
  metric: Metric;
  efSearch: number;
  /** Only these ids may be returned; undefined: all (FAISS). */
  allowed?: number[];
  /** The same filters as the SQL store's WHERE (the SQL backends). */
  where?: SqlFilter;
}

export interface SearchAnswer {
  hits: Hit[];
  /** The statement the SQL store ran for this query (the SQL backends only). */
  statement?: SqlStatement;
  /** What answered, e.g. 'FAISS IndexFlatL2 (exact)'. */
  answeredBy: string;
}

/** See the module's description. */
export class Catalog {
  readonly flat: IndexFlatIP;
  private readonly faiss = new Map<string, Promise<Index>>();
  private sqlOpen?: Promise<SqlVectorStore>;
  private sqlIndexed?: Promise<SqlVectorStore>;
  private sqlBackend?: SqlBackend;
  private readonly sqlByMetric = new Map<SqlMetric, SqlVectorStore>();
  private readonly thumbsInFlight = new Map<number, Promise<string>>();
  private readonly photosReal?: string;
  readonly poses: string[];
  readonly files: string[];

  private constructor(
    readonly course: CourseData,
    readonly unit: Matrix,
    readonly stateDir: string,
  ) {
    this.flat = new IndexFlatIP(unit.d);
    this.flat.add(unit);
    this.faiss.set('flat:ip', Promise.resolve(this.flat));
    this.poses = [...new Set(course.rows.map((r) => r.pose))].sort();
    this.files = course.rows.map((r) => path.posix.join(r.dir.replace(/\\/g, '/'), r.filename));
    this.photosReal = course.photosDir ? fs.realpathSync(course.photosDir) : undefined;
  }

  /** Loads the course's data, or the demo set when it is missing (or asked for). */
  static async open(options: CatalogOptions = {}): Promise<Catalog> {
    if (options.demo) useDemoSet(await makeDemoSet(path.join(config.dataDir, 'demo'), { log: false }));
    const course = await loadCourse({ fallback: 'demo' });
    return Catalog.fromCourse(course, options.stateDir);
  }

  /** A catalog over data already loaded (e.g. a generated set of the course's size, for the bench). */
  static fromCourse(course: CourseData, stateDir?: string): Catalog {
    const dir = path.resolve(stateDir ?? path.join(config.cacheDir, 'explore'));
    return new Catalog(course, normalizeRows(course.vectors), dir);
  }

  get n(): number {
    return this.unit.n;
  }

  /** The HNSW graph by inner product, built once (in the background: searches wait for it). */
  hnsw(): Promise<IndexHNSWFlat> {
    return this.faissIndex('hnsw', 'ip') as Promise<IndexHNSWFlat>;
  }

  /** The FAISS index of a backend and metric, built on first use. */
  faissIndex(backend: 'flat' | 'hnsw', metric: Metric): Promise<Index> {
    const key = `${backend}:${metric}`;
    let had = this.faiss.get(key);
    if (!had) {
      had = (async () => {
        if (backend === 'flat') {
          const index = metric === 'l2' ? new IndexFlatL2(this.unit.d) : new IndexFlat(this.unit.d, METRIC_L1);
          index.add(this.unit);
          return index;
        }
        const index = new IndexHNSWFlat(this.unit.d, HNSW_M, FAISS_METRIC[metric]);
        index.hnsw.efConstruction = 64;
        await index.addAsync(this.unit);
        return index;
      })();
      had.catch(() => this.faiss.delete(key));
      this.faiss.set(key, had);
    }
    return had;
  }

  /** The inner-product index of a FAISS backend: what the few-shot loop mines with. */
  index(backend: 'flat' | 'hnsw'): Promise<Index> {
    return this.faissIndex(backend, 'ip');
  }

  /** Where the SQL store runs: 'chdb <folder>' or 'server <url>'. */
  get sqlWhere(): string {
    return config.clickhouseUrl ? `server ${config.clickhouseUrl}` : `chdb ${path.join(this.stateDir, 'chdb')}`;
  }

  /**
   * The SQL store holding this data set (metric cosine, the index's): a table named by a hash of the vectors
   * and rows, so a restart (or another explorer on the same server) reuses it; loaded on first use.
   */
  sqlStore(): Promise<SqlVectorStore> {
    this.sqlOpen ??= this.openSql().catch((e) => {
      this.sqlOpen = undefined;
      throw e;
    });
    return this.sqlOpen;
  }

  private async openSql(): Promise<SqlVectorStore> {
    this.sqlBackend ??= config.clickhouseUrl ? serverBackend() : chdbBackend(path.join(this.stateDir, 'chdb'));
    const table = `explore_${this.fingerprint()}`;
    const columns = {
      pose: 'LowCardinality(String)',
      xmin: 'Float64',
      ymin: 'Float64',
      xmax: 'Float64',
      ymax: 'Float64',
    } as const;
    const o = { table, d: this.unit.d, metric: 'cosine' as const, columns, backend: this.sqlBackend };
    let store = await SqlVectorStore.open(o);
    if (store.ntotal !== this.n) {
      store = await SqlVectorStore.open({ ...o, mode: 'replace' });
      const rows = this.course.rows.map((r, id) => ({
        path: this.files[id],
        label: r.class,
        pose: r.pose,
        xmin: Number(r.xmin) || 0,
        ymin: Number(r.ymin) || 0,
        xmax: Number(r.xmax) || 0,
        ymax: Number(r.ymax) || 0,
      }));
      await store.addAsync(this.unit, { rows, progress: false });
      await store.optimize(); // one part: one HNSW graph when the index is built
    }
    return store;
  }

  /** The SQL store with ClickHouse's HNSW index on it (cosine, f32), built on first use or reused. */
  sqlIndexedStore(): Promise<SqlVectorStore> {
    this.sqlIndexed ??= (async () => {
      const store = await this.sqlStore();
      const info = await store.indexInfo();
      const want = [`'cosineDistance'`, `'${SQL_INDEX.quantization}'`, `, ${SQL_INDEX.M}, `];
      if (!info || !want.every((w) => info.type.includes(w))) await store.createIndex({ ...SQL_INDEX });
      return store;
    })().catch((e) => {
      this.sqlIndexed = undefined;
      throw e;
    });
    return this.sqlIndexed;
  }

  /** The store searched by a metric (brute force): copies sharing the connection and the statement log. */
  private async sqlFor(metric: SqlMetric): Promise<SqlVectorStore> {
    const base = await this.sqlStore();
    let s = this.sqlByMetric.get(metric);
    if (!s) {
      s = base.withMetric(metric);
      this.sqlByMetric.set(metric, s);
    }
    return s;
  }

  /** The store by inner product, for the few-shot loop's candidates (brute force: sqlCandidates). */
  sqlForMining(): Promise<SqlVectorStore> {
    return this.sqlFor('IP');
  }

  /** A hash of the vectors and rows: the SQL table's name, so a changed data set gets a new table. */
  private fingerprint(): string {
    const h = crypto.createHash('sha256');
    h.update(`${this.unit.n}x${this.unit.d}\n`);
    h.update(Buffer.from(this.unit.data.buffer, this.unit.data.byteOffset, this.unit.data.byteLength));
    for (const [i, r] of this.course.rows.entries()) {
      h.update(`${this.files[i]}\t${r.class}\t${r.pose}\t${r.xmin},${r.ymin},${r.xmax},${r.ymax}\n`);
    }
    return h.digest('hex').slice(0, 16);
  }

  /** Closes the indexes and the SQL connection. */
  async dispose(): Promise<void> {
    const open = this.sqlOpen;
    this.sqlOpen = undefined;
    const store = await open?.catch(() => undefined);
    store?.dispose();
    this.sqlBackend?.close();
    this.sqlBackend = undefined;
    for (const index of await Promise.allSettled(this.faiss.values())) {
      if (index.status === 'fulfilled') index.value.dispose();
    }
    this.faiss.clear();
  }

  /** Row `id` of the normalised vectors (a copy). */
  vectorOf(id: number): Float32Array {
    return this.unit.data.slice(id * this.unit.d, (id + 1) * this.unit.d);
  }

  /** The mean of a breed's normalised vectors, normalised: the breed's typical photo. */
  breedVector(breed: string): Float32Array {
    const d = this.unit.d;
    const v = new Float32Array(d);
    this.course.rows.forEach((r, id) => {
      if (r.class !== breed) return;
      for (let t = 0; t < d; t++) v[t] += this.unit.data[id * d + t];
    });
    return unitVector(v, `breed ${breed}`);
  }

  /** A text query's vector: CLIP's text tower ('en') or the multilingual encoder (any other language). */
  async textVector(text: string, lang: 'en' | 'other'): Promise<Float32Array> {
    const model = lang === 'en' ? config.clipModel : config.multilingualModel;
    const m = await embedTexts([text], { normalize: true, model, progress: false });
    if (m.d !== this.unit.d) {
      throw new HttpError(500, `the text encoder ${model} gives ${m.d}-d vectors, the photos are ${this.unit.d}-d`);
    }
    return unitVector(m.data.slice(0, m.d), 'the text embedding');
  }

  /** An uploaded photo's vector (CLIP's image tower); 400 when the bytes are not an image. */
  async imageVector(bytes: Buffer): Promise<Float32Array> {
    const sharp = (await import('sharp')).default;
    let png: Buffer;
    try {
      const img = sharp(bytes, { limitInputPixels: 2 ** 28, failOn: 'error' });
      const meta = await img.metadata();
      if (!meta.format || !UPLOAD_FORMATS.has(meta.format)) {
        throw new Error(`${meta.format ?? 'unknown'} files are not taken`);
      }
      // One decoded copy as PNG: the embedder reads a file, and odd formats or orientations end here.
      png = await img
        .rotate()
        .resize({ width: 1024, height: 1024, fit: 'inside', withoutEnlargement: true })
        .png()
        .toBuffer();
    } catch (e) {
      throw new HttpError(
        400,
        `the upload is not an image the explorer can read (JPEG, PNG, WebP, GIF, TIFF, AVIF): ` +
          `${(e as Error).message.split('\n')[0].slice(0, 120)}`,
      );
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-explore-upload-'));
    try {
      const file = path.join(dir, 'upload.png');
      fs.writeFileSync(file, png);
      const out = await embedImages([file], { normalize: true, cache: false, progress: false });
      if (out.vectors.n !== 1)
        throw new HttpError(400, `the upload could not be embedded: ${out.failed[0]?.error ?? 'unknown'}`);
      if (out.vectors.d !== this.unit.d) {
        throw new HttpError(500, `the image model gives ${out.vectors.d}-d vectors, the photos are ${this.unit.d}-d`);
      }
      return unitVector(out.vectors.data.slice(0, out.vectors.d), 'the photo embedding');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The k best photos for a normalised query vector by a backend and metric, among the filtered ones. */
  async search(query: Float32Array, o: SearchOptions): Promise<SearchAnswer> {
    if (o.backend === 'sql' || o.backend === 'sql-hnsw') return this.searchSql(query, o);
    const index = await this.faissIndex(o.backend, o.metric);
    const answeredBy = `FAISS ${index.className}${o.backend === 'hnsw' ? ` (efSearch ${o.efSearch})` : ' (exact)'}`;
    if (o.allowed && o.allowed.length === 0) return { hits: [], answeredBy };
    const k = Math.min(o.k, o.allowed?.length ?? this.n);
    const ef = { efSearch: Math.max(o.efSearch, k) };
    if (!o.allowed || o.allowed.length >= this.n) {
      const params = o.backend === 'hnsw' ? new SearchParametersHNSW(ef) : undefined;
      return { hits: (await index.searchAsync(query, k, params)).hits(0), answeredBy };
    }
    // Filtered: faiss's selector in the search (HNSW widened until k pass), or an over-fetch where it takes none.
    const allowed = new Set(o.allowed);
    const filter = { sel: new IDSelectorBatch(allowed), admits: (id: number) => allowed.has(id), count: allowed.size };
    const found = await searchFiltered(index, query, k, filter, ef);
    const how =
      found.how === 'selector, widened'
        ? `, filtered: widened to k ${found.asked}, efSearch ${found.efSearch}`
        : found.how === 'over-fetched'
          ? ', over-fetched'
          : '';
    return { hits: found.hits, answeredBy: answeredBy + how };
  }

  private async searchSql(query: Float32Array, o: SearchOptions): Promise<SearchAnswer> {
    const indexed = o.backend === 'sql-hnsw';
    const store = indexed ? await this.sqlIndexedStore() : await this.sqlFor(SQL_METRIC[o.metric]);
    const k = Math.min(o.k, this.n);
    // A WHERE with the index: filter first (ClickHouse's post-filtering of the index's k would return fewer).
    const res = await store.search(query, k, {
      where: o.where,
      exact: !indexed,
      prefilter: indexed && o.where !== undefined,
      params: indexed ? new SearchParametersHNSW({ efSearch: Math.max(o.efSearch, k) }) : undefined,
    });
    const how = indexed
      ? `HNSW index, efSearch ${Math.max(o.efSearch, k)}${o.where ? ', filter first' : ''}`
      : 'brute force';
    return {
      hits: res.hits(0),
      statement: searchStatement(store, query, k),
      answeredBy: `SQL store ${store.table} on ${store.backendName} (${how})`,
    };
  }

  /** The photo file of an id, checked to be inside the photo folder; undefined without photos. */
  photoFile(id: number): string | undefined {
    const p = this.course.imagePath(this.course.rows[id]);
    if (!p || !this.photosReal) return undefined;
    let real: string;
    try {
      real = fs.realpathSync(p);
    } catch {
      return undefined;
    }
    const rel = path.relative(this.photosReal, real);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new HttpError(403, `photo ${id} is outside the photo folder: only the data folder's photos are served`);
    }
    return real;
  }

  /** The thumbnail file of a photo: made once with sharp, then read from <state dir>/thumbs. */
  thumbnail(id: number): Promise<string> {
    const had = this.thumbsInFlight.get(id);
    if (had) return had;
    const job = this.makeThumbnail(id).finally(() => this.thumbsInFlight.delete(id));
    this.thumbsInFlight.set(id, job);
    return job;
  }

  private async makeThumbnail(id: number): Promise<string> {
    const file = this.photoFile(id);
    if (!file) throw new HttpError(404, `photo ${id} (${this.files[id]}) is not on this machine`);
    const st = await fs.promises.stat(file);
    const key = crypto.createHash('sha256').update(`${file}\n${st.size}\n${st.mtimeMs}\n${THUMB_SIZE}`).digest('hex');
    const out = path.join(this.stateDir, 'thumbs', key.slice(0, 2), `${key.slice(2, 24)}.jpg`);
    if (fs.existsSync(out)) return out;
    const sharp = (await import('sharp')).default;
    try {
      const buf = await sharp(file, { failOn: 'none', limitInputPixels: 2 ** 28 })
        .rotate()
        .resize({ width: THUMB_SIZE, height: THUMB_SIZE, fit: 'cover', position: 'attention' })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 75, mozjpeg: true })
        .toBuffer();
      writeFileAtomic(out, buf);
    } catch (e) {
      throw new HttpError(422, `photo ${id} (${this.files[id]}) is unreadable: ${(e as Error).message.split('\n')[0]}`);
    }
    return out;
  }
}

/**
 * The statement the store ran for this query vector and k: the newest search with these parameters (several
 * requests may search at once, so not simply the last statement).
 */
export function searchStatement(store: SqlVectorStore, query: Float32Array, k: number): SqlStatement | undefined {
  const q = vectorParam(query);
  const all = store.statements;
  for (let i = all.length - 1; i >= 0; i--) {
    const s = all[i];
    if (s.what === 'searching' && s.params.lab_q === q && s.params.lab_k === k) return s;
  }
  return undefined;
}

function unitVector(v: Float32Array, what: string): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (!(s > 0) || !Number.isFinite(s)) throw new HttpError(500, `${what} has no direction (zero or not finite)`);
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}
