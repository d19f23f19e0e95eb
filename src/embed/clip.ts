/**
 * CLIP text and image embeddings, Float32 (FAISS needs float32), batched, with
 * progress, and cached per folder.
 *
 * @example
 * const q = await embedImages('queries/');          // { vectors: {data, n, d: 512}, files, failed }
 * const t = await embedTexts(['a dog and a girl']);  // { data, n: 1, d: 512 }
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { config, isLocalModel } from '../config';
import { Progress } from '../show/progress';
import { type EmbeddingSource, type Matrix, modelKey } from '../types';
import { checkInteger, invalid } from '../util/check';
import { l2normalize } from '../util/vectors';
import { type CachedFile, EmbeddingCache, sha256 } from './cache';
import { CLIP_NORM, decodeForClip, listImages, type PixelNorm, toPixelValues } from './images';
import { loadPretrained, type ModelOptions, transformers } from './model';
import { embedTextsSentence, sentenceModules } from './sentence';

export interface EmbedOptions extends ModelOptions {
  /** L2-normalise each vector (default false: raw, like the course's vectors.csv). */
  normalize?: boolean;
  /** Items per model call (default 8 images, 32 texts). */
  batchSize?: number;
  /** Show progress (default true). */
  progress?: boolean;
}

export interface EmbedImagesOptions extends EmbedOptions {
  /**
   * Cache folder, or false for none. Default for a folder input:
   * cache/<folder name>.<model>.<dtype>.<raw|l2>; none for a list of files.
   */
  cache?: string | false;
}

export interface EmbedTextsOptions extends EmbedOptions {
  /**
   * Cache folder, or false for none (default cache/texts.<model>.<dtype>.<raw|l2>):
   * every text embedded once is kept, so re-running a notebook needs no model.
   */
  cache?: string | false;
}

export interface EmbeddedImages {
  /** One row per embedded file, in the order of `files`. */
  vectors: Matrix;
  /** The embedded files, relative to the folder when a folder was given. */
  files: string[];
  /** Files that could not be read as images, with the reason; they are skipped. */
  failed: Array<{ file: string; error: string }>;
  /** Files in the folder that are not images (by extension). */
  skipped: string[];
  /** Rows taken from the cache without running the model. */
  fromCache: number;
  model: string;
  normalized: boolean;
}

interface VisionTower {
  size: number;
  norm: PixelNorm;
  run(pixels: Float32Array, n: number): Promise<Float32Array>;
}

async function visionTower(options: ModelOptions): Promise<VisionTower> {
  const t = transformers();
  const [processor, model] = await Promise.all([
    loadPretrained('processor', (id, o) => t.AutoProcessor.from_pretrained(id, o), options),
    loadPretrained('vision', (id, o) => t.CLIPVisionModelWithProjection.from_pretrained(id, o), options),
  ]);
  const ip = (processor as unknown as { image_processor: Record<string, unknown> }).image_processor;
  const crop = ip.crop_size as { height?: number } | number | undefined;
  const size = typeof crop === 'number' ? crop : (crop?.height ?? 224);
  const norm = {
    mean: (ip.image_mean as number[]) ?? CLIP_NORM.mean,
    std: (ip.image_std as number[]) ?? CLIP_NORM.std,
    rescale: (ip.rescale_factor as number) ?? CLIP_NORM.rescale,
  };
  return {
    size,
    norm,
    async run(pixels, n) {
      const out = await model({ pixel_values: new t.Tensor('float32', pixels, [n, 3, size, size]) });
      return Float32Array.from(out.image_embeds.data as Float32Array);
    },
  };
}

/**
 * Embeds texts with CLIP's text tower, or with a sentence-transformers text
 * encoder aligned to it (options.model = config.multilingualModel for queries
 * in 50+ languages). Returns an (n, d) float32 matrix.
 */
export async function embedTexts(texts: string[], options: EmbedTextsOptions = {}): Promise<Matrix> {
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((s) => typeof s === 'string')) {
    throw invalid('texts', 'a non-empty array of strings', texts);
  }
  const batch = checkInteger(options.batchSize ?? 32, 'batchSize', 1, 4096);
  const model = options.model ?? config.clipModel;
  const dtype = options.dtype ?? config.dtype;
  const normalize = options.normalize ?? false;
  const cacheDir =
    options.cache === false ? undefined : (options.cache ?? defaultCacheDir('texts', model, dtype, normalize));
  const cache = cacheDir ? openCache(cacheDir, model, dtype, normalize, options.cache !== undefined) : undefined;
  const hashes = texts.map((t) => sha256(t));
  const found = texts.map((t, i) => cache?.find(t, hashes[i]));
  const todo = [...new Set(texts.filter((_, i) => !found[i]))];
  const fresh = new Map<string, Float32Array>();
  if (todo.length > 0) {
    const m = await embedTextsUncached(todo, { ...options, model, dtype, batchSize: batch });
    if (normalize) l2normalize(m.data, m.d);
    todo.forEach((t, i) => {
      fresh.set(t, m.data.subarray(i * m.d, (i + 1) * m.d));
    });
  }
  const d = (found.find(Boolean) ?? fresh.values().next().value)!.length;
  const data = new Float32Array(texts.length * d);
  texts.forEach((t, i) => {
    data.set(found[i] ?? fresh.get(t)!, i * d);
  });
  if (cache && fresh.size > 0) {
    const rows = [...cache.all().filter((r) => r.vector.length === d && !fresh.has(r.entry.path))];
    for (const [t, v] of fresh)
      rows.push({ entry: { path: t, size: Buffer.byteLength(t), mtimeMs: 0, sha256: sha256(t) }, vector: v });
    const all = new Float32Array(rows.length * d);
    rows.forEach((r, i) => {
      all.set(r.vector, i * d);
    });
    cache.save(
      rows.map((r) => r.entry),
      { data: all, n: rows.length, d },
    );
  }
  // The multilingual encoder was trained into CLIP's image space (no model I/O: cached texts need no model).
  const aligned =
    modelKey(model) === modelKey(config.multilingualModel) && modelKey(model) !== modelKey(config.clipModel);
  return { data, n: texts.length, d, source: sourceOf(model, normalize, aligned) };
}

/** The text tower itself: CLIP's, or a sentence-transformers encoder aligned to it. */
async function embedTextsUncached(texts: string[], options: ModelOptions & { batchSize: number }): Promise<Matrix> {
  const modules = await sentenceModules(options.model ?? config.clipModel);
  if (modules) return embedTextsSentence(texts, modules, options);
  const t = transformers();
  const [tokenizer, model] = await Promise.all([
    loadPretrained('tokenizer', (id, o) => t.AutoTokenizer.from_pretrained(id, o), options),
    loadPretrained('text', (id, o) => t.CLIPTextModelWithProjection.from_pretrained(id, o), options),
  ]);
  const parts: Float32Array[] = [];
  let d = 0;
  for (let i = 0; i < texts.length; i += options.batchSize) {
    const inputs = tokenizer(texts.slice(i, i + options.batchSize), { padding: true, truncation: true });
    const out = await model(inputs);
    d = out.text_embeds.dims[1];
    parts.push(Float32Array.from(out.text_embeds.data as Float32Array));
  }
  const data = new Float32Array(texts.length * d);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { data, n: texts.length, d };
}

/**
 * The model as a cache records it: a hub id as it is; a local folder by its name and a fingerprint of its files
 * (config.json, the ONNX files' sizes), not its path, so that a project moved or copied keeps its caches. A folder
 * that is gone cannot be fingerprinted: a cache of a model of that name still answers what it holds.
 */
function cacheModel(model: string): { id: string; same: (recorded: string) => boolean } {
  if (!isLocalModel(model)) return { id: model, same: (r) => r === model };
  const abs = path.resolve(model);
  const name = `${path.basename(abs)} (local, `;
  if (!fs.existsSync(path.join(abs, 'config.json'))) return { id: `${name}missing)`, same: (r) => r.startsWith(name) };
  const parts: string[] = [];
  const add = (rel: string) => {
    const f = path.join(abs, rel);
    parts.push(rel, rel.endsWith('.json') ? fs.readFileSync(f, 'utf8') : String(fs.statSync(f).size));
  };
  add('config.json');
  const onnx = path.join(abs, 'onnx');
  if (fs.existsSync(onnx)) for (const f of fs.readdirSync(onnx).sort()) add(path.join('onnx', f));
  const id = `${name}${sha256(parts.join('\n')).slice(0, 12)})`;
  return { id, same: (r) => r === id };
}

/**
 * The embedding cache in `dir` for `model`: a folder the caller named refuses another model's vectors; the lab's
 * default folder (named by model, dtype and normalisation) rebuilds them.
 */
function openCache(dir: string, model: string, dtype: string, normalize: boolean, named: boolean): EmbeddingCache {
  const { id, same } = cacheModel(model);
  return EmbeddingCache.open(dir, { model: id, dtype, normalize }, named ? 'throw' : 'rebuild', same);
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');
}

/** cache/<name>.<model>.<dtype>.<raw|l2>: one folder per input and embedding kind, so they never mix. */
function defaultCacheDir(name: string, model: string, dtype: string, normalize: boolean): string {
  const modelName = slug(path.basename(path.resolve(model)));
  return path.join(config.cacheDir, `${slug(name)}.${modelName}.${dtype}.${normalize ? 'l2' : 'raw'}`);
}

/** A folder's cache name: its name and a hash of its full path, so two folders called Images never share a cache. */
function folderCacheName(root: string): string {
  const abs = path.resolve(root);
  return `${path.basename(abs)}-${sha256(abs).slice(0, 8)}`;
}

/** Where embeddings of `model` live: its own space, or CLIP's for an encoder trained into it (multilingual). */
function sourceOf(model: string, normalized: boolean, aligned: boolean): EmbeddingSource {
  return aligned ? { model, space: modelKey(config.clipModel), normalized } : { model, normalized };
}

/**
 * Embeds the photos in a folder (recursively) or a list of image files with
 * CLIP's image tower. With a cache, a second run embeds only new or changed
 * files; deleted files drop out. Unreadable files are reported and skipped.
 */
export async function embedImages(input: string | string[], options: EmbedImagesOptions = {}): Promise<EmbeddedImages> {
  if (!(typeof input === 'string' || (Array.isArray(input) && input.every((f) => typeof f === 'string')))) {
    throw invalid('input', 'a folder or an array of image file paths', input);
  }
  const model = options.model ?? config.clipModel;
  const dtype = options.dtype ?? config.dtype;
  const normalize = options.normalize ?? false;
  const batch = checkInteger(options.batchSize ?? 8, 'batchSize', 1, 1024);
  const { files: found, skipped, root } = listImages(input);
  const rel = (f: string) => (root ? path.relative(root, f) : f);
  const cacheDir =
    options.cache === false
      ? undefined
      : (options.cache ?? (root ? defaultCacheDir(folderCacheName(root), model, dtype, normalize) : undefined));
  const cache = cacheDir ? openCache(cacheDir, model, dtype, normalize, options.cache !== undefined) : undefined;
  if (cache?.problem) process.stderr.write(`embedding cache ${cacheDir}: ${cache.problem}; rebuilding it\n`);

  // What the cache already has, and what needs the model.
  const failed: EmbeddedImages['failed'] = [];
  const entries = new Map<string, CachedFile>();
  const vectors = new Map<string, Float32Array>();
  const todo: string[] = [];
  for (const f of found) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(f);
    } catch (e) {
      failed.push({ file: rel(f), error: (e as Error).message });
      continue;
    }
    if (!cache) {
      todo.push(f);
      continue;
    }
    const hit = cache.lookup(rel(f), f, stat);
    entries.set(f, hit.entry);
    if (hit.vector) vectors.set(f, hit.vector);
    else todo.push(f);
  }
  const fromCache = vectors.size;

  if (todo.length > 0) {
    const tower = await visionTower({ model, dtype });
    const bar = new Progress('embedding images', todo.length, 'images', { enabled: options.progress ?? true });
    // Decoding the next batch (sharp, thread pool) overlaps the model on this one.
    const decode = (files: string[]) =>
      Promise.all(
        files.map((f) =>
          decodeForClip(f, tower.size).then(
            (px) => ({ f, px }),
            (e: Error) => ({ f, error: e.message }),
          ),
        ),
      );
    let next = decode(todo.slice(0, batch));
    const pixels = new Float32Array(Math.min(batch, todo.length) * 3 * tower.size * tower.size);
    for (let i = 0; i < todo.length; i += batch) {
      const decoded = await next;
      if (i + batch < todo.length) next = decode(todo.slice(i + batch, i + 2 * batch));
      const ok = decoded.filter((x): x is { f: string; px: Buffer } => 'px' in x);
      for (const x of decoded)
        if ('error' in x) failed.push({ file: rel(x.f), error: `not a readable image: ${x.error}` });
      if (ok.length > 0) {
        const out = await tower.run(
          toPixelValues(
            ok.map((x) => x.px),
            tower.size,
            tower.norm,
            pixels,
          ),
          ok.length,
        );
        const d = out.length / ok.length;
        if (normalize) l2normalize(out, d);
        ok.forEach((x, j) => {
          vectors.set(x.f, out.subarray(j * d, (j + 1) * d));
        });
      }
      bar.tick(decoded.length);
    }
    bar.done(fromCache ? `, ${fromCache} more from the cache` : '');
  }
  for (const x of failed) process.stderr.write(`skipped ${x.file}: ${x.error}\n`);

  const files = found.filter((f) => vectors.has(f));
  const d = files.length ? vectors.get(files[0])!.length : (cache?.d ?? 0);
  const data = new Float32Array(files.length * d);
  files.forEach((f, i) => {
    data.set(vectors.get(f)!, i * d);
  });
  const result: EmbeddedImages = {
    vectors: { data, n: files.length, d, source: sourceOf(model, normalize, false) },
    files: files.map(rel),
    failed,
    skipped: skipped.map(rel),
    fromCache,
    model,
    normalized: normalize,
  };
  if (cache && (todo.length > 0 || cache.size !== files.length || cache.problem)) {
    cache.save(
      files.map((f) => entries.get(f)!),
      result.vectors,
    );
  }
  return result;
}
