/**
 * Two checks of query vectors against the course's, both silent failures
 * otherwise:
 * - checkModel: are queries embedded by the model that made vectors.csv.gz?
 *   Another 512-d CLIP (ViT-B/16 instead of ViT-B/32) searches without an error
 *   and returns nonsense. Three of the dataset's own photos are embedded with the
 *   configured model and compared with their rows by cosine: about 1 is the same
 *   model and preparation; near 0 is another model.
 * - findSamePhotos: is a query one of the dataset's photos? It then finds itself
 *   at distance 0 and inflates precision.
 *
 * @example
 * const check = await checkModel(course);   // { checked: 3, cosines: [0.9999, ...], sameModel: true, message }
 * const same = findSamePhotos(q.vectors, course.vectors);   // { ids: [undefined, 1043, ...], ... }
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { config, isLocalModel } from '../config';
import { sha256 } from '../embed/cache';
import { embedImages } from '../embed/clip';
import { type Matrix, modelKey } from '../types';
import type { CourseData } from './course';

/** Where the cosines of the model check put a model (min over the photos checked). */
export const MODEL_CHECK = {
  /** At or above: the same model and the same preparation of the photos (float rounding only). */
  same: 0.99,
  /**
   * At or above (below `same`): the same model, photos prepared a little differently (resize filter,
   * JPEG decoder, quantised weights). Published cases: anti-aliased vs plain resize gives about 0.94
   * for a CLIP ViT-H/14; another CLIP model's space is unrelated (cosine near 0).
   */
  close: 0.9,
  /** Below (mean): another model, for certain; between this and `close`: another model or another crop. */
  otherModel: 0.5,
};

export interface ModelCheck {
  /** How many of the dataset's photos were embedded and compared. */
  checked: number;
  /** Cosine between each one's new embedding and its row in the course's vectors. */
  cosines: number[];
  /** The course rows checked (ids into course.rows). */
  rows: number[];
  /**
   * true: the configured model made the course's vectors (cosines >= MODEL_CHECK.close);
   * false: it did not, or the photos were prepared very differently; undefined: no photos to check.
   */
  sameModel: boolean | undefined;
  /** What a mismatch most likely comes from ('preprocessing' also for a close match that is not exact). */
  cause?: 'model' | 'preprocessing';
  /** The model checked (config.clipModel unless given). */
  model: string;
  /** One paragraph for the notebook: the result, and for a mismatch its likely cause and the fix. */
  message: string;
}

export interface CheckModelOptions {
  /** Photos to check, spread over the dataset (default 3). */
  count?: number;
  /** The model to check (default config.clipModel) and its weights (default config.dtype). */
  model?: string;
  dtype?: string;
  /** Cache of the check's embeddings, or false (default cache/model-check/<model>...): a re-run needs no model. */
  cache?: string | false;
}

/** Up to `count` rows whose photo exists, spread evenly over the dataset (the same ones every time). */
function pickRows(course: Pick<CourseData, 'rows' | 'imagePath'>, count: number): number[] {
  const n = course.rows.length;
  const picked: number[] = [];
  const tried = new Set<number>();
  for (let i = 0; i < count && tried.size < n; i++) {
    const start = Math.floor(((i + 0.5) * n) / count);
    // Photos may be a subset (npm run data:dogs -- --breeds 10): the next row with a photo after the spot.
    for (let s = 0; s < n; s++) {
      const id = (start + s) % n;
      if (tried.has(id)) continue;
      tried.add(id);
      if (exists(course.imagePath(course.rows[id]))) {
        picked.push(id);
        break;
      }
    }
  }
  return picked;
}

function exists(file: string | undefined): file is string {
  if (!file) return false;
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Cosine of two vectors (float64 sums); 0 when either is zero. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let t = 0; t < a.length; t++) {
    ab += a[t] * b[t];
    aa += a[t] * a[t];
    bb += b[t] * b[t];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

const fmt = (x: number) => x.toFixed(4);

/**
 * The verdict on cosines between new embeddings of dataset photos and their
 * rows (see MODEL_CHECK), with the message a notebook shows.
 */
export function judgeModelCheck(
  cosines: number[],
  where: { model: string; file?: string; dims?: { model: number; course: number } },
): Pick<ModelCheck, 'sameModel' | 'cause' | 'message'> {
  const { model } = where;
  const file = where.file ? path.basename(where.file) : "the course's vectors";
  const fix =
    `Set LAB_CLIP_MODEL to the model that made ${file} (the course's: Xenova/clip-vit-base-patch32, CLIP ViT-B/32) ` +
    'and run again (then restart the kernel).';
  if (where.dims && where.dims.model !== where.dims.course) {
    return {
      sameModel: false,
      cause: 'model',
      message:
        `WARNING: ${model} gives ${where.dims.model}-d vectors, but ${file} holds ` +
        `${where.dims.course}-d ones: another model made them. ${fix}`,
    };
  }
  if (cosines.length === 0) {
    return {
      sameModel: undefined,
      message:
        `Model check skipped: none of the dataset's photos is here (npm run data:dogs fetches them), so the ` +
        `query vectors could not be compared with ${file}. Check that LAB_CLIP_MODEL (now ${model}) is the model ` +
        'that made it: another 512-d CLIP (ViT-B/16 instead of ViT-B/32) fails silently.',
    };
  }
  const min = Math.min(...cosines);
  const mean = cosines.reduce((s, c) => s + c, 0) / cosines.length;
  const shown = `cosine ${cosines.map(fmt).join(', ')}`;
  const n = cosines.length;
  if (min >= MODEL_CHECK.same) {
    return {
      sameModel: true,
      message:
        `Model check: ${n} of the dataset's photos, embedded with ${model}, get their vectors in ${file} ` +
        `back (${shown}): the queries are embedded like the dataset.`,
    };
  }
  if (min >= MODEL_CHECK.close) {
    return {
      sameModel: true,
      cause: 'preprocessing',
      message:
        `Model check: ${model} gives ${n} of the dataset's photos vectors close to ${file}'s, not equal ` +
        `(${shown}; the same model and preparation give 0.99 or more): most likely the same model with the photos ` +
        'prepared a little differently (resize filter, JPEG decoder, crop, or quantised weights with LAB_DTYPE=q8). ' +
        'Searches work; distances differ by a few per cent.',
    };
  }
  const other = mean < MODEL_CHECK.otherModel;
  return {
    sameModel: false,
    cause: other ? 'model' : 'preprocessing',
    message:
      `WARNING: the query vectors do not match ${file}: ${model} embeds ${n} of the dataset's own photos at ` +
      `${shown} from their rows (the model that made the file gives about 1). ` +
      (other
        ? 'Another CLIP model made the file (e.g. ViT-B/16 instead of ViT-B/32: also 512-d, so nothing fails, but ' +
          'every distance between queries and photos is meaningless). '
        : 'Either another CLIP model made the file, or its photos were prepared very differently (cropped to the ' +
          "dog's box, another resize). ") +
      `Searches and precision below cannot be trusted. ${fix}`,
  };
}

/**
 * Embeds `count` (3) of the dataset's photos with the configured CLIP model and
 * the course vectors' normalisation, and compares each with its row of
 * course.vectors by cosine; see ModelCheck. Without the photos it checks
 * nothing (sameModel undefined) and says so.
 */
export async function checkModel(course: CourseData, options: CheckModelOptions = {}): Promise<ModelCheck> {
  const count = options.count ?? 3;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new Error(`checkModel: count must be a whole number >= 1, got ${count}`);
  }
  const model = options.model ?? config.clipModel;
  const dtype = options.dtype ?? config.dtype;
  const normalize = course.vectors.source?.normalized ?? false;
  const rows = course.photosDir ? pickRows(course, count) : [];
  const where = { model, file: course.file };
  if (rows.length === 0) return { checked: 0, cosines: [], rows: [], model, ...judgeModelCheck([], where) };
  const files = rows.map((id) => course.imagePath(course.rows[id])!);
  // One cache per model, weights and normalisation (a cache never mixes them); the hash tells two folders apart.
  const name = modelKey(model).replace(/[^A-Za-z0-9._-]+/g, '_');
  const hash = sha256(isLocalModel(model) ? path.resolve(model) : model).slice(0, 8);
  const kind = `${name}-${hash}.${dtype}.${normalize ? 'l2' : 'raw'}`;
  const cache = options.cache ?? path.join(config.cacheDir, 'model-check', kind);
  const emb = await embedImages(files, { model, dtype, normalize, cache, progress: false });
  const { d } = course.vectors;
  if (emb.vectors.n > 0 && emb.vectors.d !== d) {
    return {
      checked: 0,
      cosines: [],
      rows: [],
      model,
      ...judgeModelCheck([], { ...where, dims: { model: emb.vectors.d, course: d } }),
    };
  }
  const byFile = new Map(emb.files.map((f, i) => [f, i]));
  const checked: number[] = [];
  const cosines: number[] = [];
  files.forEach((f, j) => {
    const i = byFile.get(f);
    if (i === undefined) return; // unreadable: embedImages named it
    const id = rows[j];
    checked.push(id);
    const mine = emb.vectors.data.subarray(i * d, (i + 1) * d);
    cosines.push(cosine(mine, course.vectors.data.subarray(id * d, (id + 1) * d)));
  });
  return { checked: checked.length, cosines, rows: checked, model, ...judgeModelCheck(cosines, where) };
}

export interface SamePhotos {
  /** Per query: the database id of the photo it is, or undefined. */
  ids: Array<number | undefined>;
  /** Per query: that photo's squared L2 distance relative to the query's squared norm (undefined when none). */
  relative: Array<number | undefined>;
  /** The relative tolerance used. */
  rtol: number;
}

/**
 * Queries that are dataset photos: a database vector within squared L2 distance
 * rtol * ||q||^2 (default 1e-6: the same vector up to float rounding) is the
 * same photo. Plain brute force that gives up on a row as soon as it is too far
 * (a few dimensions for almost every row): 20,580 x 512 for ten queries in a few ms.
 */
export function findSamePhotos(queries: Matrix, database: Matrix, rtol = 1e-6): SamePhotos {
  if (queries.d !== database.d) {
    throw new Error(
      `findSamePhotos: the queries are ${queries.d}-d and the database ${database.d}-d: give vectors of one model`,
    );
  }
  if (!(rtol >= 0 && rtol < 1)) throw new Error(`findSamePhotos: rtol must be in [0, 1), got ${rtol}`);
  const { d } = queries;
  const xb = database.data;
  const ids: Array<number | undefined> = [];
  const relative: Array<number | undefined> = [];
  for (let q = 0; q < queries.n; q++) {
    const xq = queries.data.subarray(q * d, (q + 1) * d);
    let qq = 0;
    for (let t = 0; t < d; t++) qq += xq[t] * xq[t];
    let limit = rtol * qq;
    let best: number | undefined;
    let bestDist = Infinity;
    for (let i = 0, o = 0; i < database.n; i++, o += d) {
      let s = 0;
      let t = 0;
      for (; t < d && s <= limit; t++) {
        const diff = xq[t] - xb[o + t];
        s += diff * diff;
      }
      if (t === d && s <= limit && s < bestDist) {
        best = i;
        bestDist = s;
        limit = s; // a closer one still wins (a dataset may hold the photo twice)
      }
    }
    ids.push(best);
    relative.push(best === undefined ? undefined : qq > 0 ? bestDist / qq : 0);
  }
  return { ids, relative, rtol };
}
