/**
 * What the explorer searches: the course's photos (or the generated demo set),
 * their L2-normalised vectors in a FAISS IndexFlatIP (exact) and, built on first
 * use, an IndexHNSWFlat; query vectors from text (CLIP's text tower, or the
 * multilingual encoder for other languages), from an uploaded photo (CLIP's
 * image tower), from a breed (the mean of its photos' vectors) or from a photo of
 * the set ("more like this"); filters as an IDSelectorBatch in the search's
 * SearchParameters; thumbnails resized once with sharp and kept on disk.
 *
 * @example
 * const cat = await Catalog.open({ stateDir: 'cache/explore' });
 * const q = await cat.textVector('a dog in snow', 'en');
 * const hits = await cat.search(q, { k: 24, backend: 'flat', efSearch: 64, allowed: undefined });
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
  IndexFlatIP,
  IndexHNSWFlat,
  METRIC_INNER_PRODUCT,
  SearchParameters,
  SearchParametersHNSW,
} from '../faiss';
import { writeFileAtomic } from '../io/files';
import type { Hit } from '../search/results';
import type { Matrix } from '../types';
import { normalizeRows } from '../util/vectors';
import { HttpError } from './errors';

export type Backend = 'flat' | 'hnsw';
export const BACKENDS: Record<Backend, string> = {
  flat: 'FAISS IndexFlatIP (exact, normalised vectors)',
  hnsw: 'FAISS IndexHNSWFlat (M=32, inner product)',
};
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
  efSearch: number;
  /** Only these ids may be returned; undefined: all. */
  allowed?: number[];
}

/** See the module's description. */
export class Catalog {
  readonly flat: IndexFlatIP;
  private hnswBuild?: Promise<IndexHNSWFlat>;
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
    this.poses = [...new Set(course.rows.map((r) => r.pose))].sort();
    this.files = course.rows.map((r) => path.posix.join(r.dir.replace(/\\/g, '/'), r.filename));
    this.photosReal = course.photosDir ? fs.realpathSync(course.photosDir) : undefined;
  }

  /** Loads the course's data, or the demo set when it is missing (or asked for). */
  static async open(options: CatalogOptions = {}): Promise<Catalog> {
    if (options.demo) useDemoSet(await makeDemoSet(path.join(config.dataDir, 'demo'), { log: false }));
    const course = await loadCourse({ fallback: 'demo' });
    const stateDir = path.resolve(options.stateDir ?? path.join(config.cacheDir, 'explore'));
    return new Catalog(course, normalizeRows(course.vectors), stateDir);
  }

  get n(): number {
    return this.unit.n;
  }

  /** The HNSW index, built once (in the background: searches wait for it). */
  hnsw(): Promise<IndexHNSWFlat> {
    this.hnswBuild ??= (async () => {
      const index = new IndexHNSWFlat(this.unit.d, 32, METRIC_INNER_PRODUCT);
      index.hnsw.efConstruction = 64;
      await index.addAsync(this.unit);
      return index;
    })();
    return this.hnswBuild;
  }

  index(backend: Backend): Promise<Index> {
    return backend === 'hnsw' ? this.hnsw() : Promise.resolve(this.flat);
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

  /** The k best photos for a normalised query vector, by inner product, among `allowed` when given. */
  async search(query: Float32Array, o: SearchOptions): Promise<Hit[]> {
    if (o.allowed && o.allowed.length === 0) return [];
    const index = await this.index(o.backend);
    const sel = o.allowed && o.allowed.length < this.n ? new IDSelectorBatch(o.allowed) : undefined;
    const k = Math.min(o.k, o.allowed?.length ?? this.n);
    const params =
      o.backend === 'hnsw'
        ? new SearchParametersHNSW({ sel, efSearch: Math.max(o.efSearch, k) })
        : sel
          ? new SearchParameters({ sel })
          : undefined;
    const res = await index.searchAsync(query, k, params);
    return res.hits(0);
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

function unitVector(v: Float32Array, what: string): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (!(s > 0) || !Number.isFinite(s)) throw new HttpError(500, `${what} has no direction (zero or not finite)`);
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}
