/**
 * Loading CLIP towers with @huggingface/transformers: from a local folder, from
 * models/ (downloaded before), or from the model hub (downloaded once into
 * models/). Offline, a missing model gives one error saying where it looked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { config, isLocalModel } from '../config';

// Loaded on first use: importing the library for FAISS alone stays fast.
// (The package is ESM with a CommonJS build; we require the CommonJS one.)
type Transformers = typeof import('@huggingface/transformers', { with: { 'resolution-mode': 'import' }});
let lib: Transformers | undefined;
/** @internal */
export function transformers(): Transformers {
  lib ??= require('@huggingface/transformers') as Transformers;
  return lib;
}

export interface ModelOptions {
  /** Hub id or local folder; default config.clipModel. */
  model?: string;
  /** 'fp32' (default), or a quantised form such as 'q8' (onnx/*_quantized.onnx). */
  dtype?: string;
}

/** Files a CLIP model folder needs, for error messages. */
export const CLIP_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'preprocessor_config.json',
  'onnx/text_model.onnx',
  'onnx/vision_model.onnx',
];

/** Points transformers.js at the right places for `model`; returns the id to load. */
function prepare(model: string): { id: string; where: string[]; remote: boolean } {
  const env = transformers().env;
  env.allowLocalModels = true;
  env.useFSCache = true;
  env.cacheDir = config.modelsDir;
  env.remoteHost = config.remoteHost;
  if (isLocalModel(model)) {
    const abs = path.resolve(model);
    if (!fs.existsSync(abs))
      throw new Error(`model folder ${abs} does not exist (it should hold ${CLIP_FILES.join(', ')})`);
    env.localModelPath = path.dirname(abs) + path.sep;
    env.allowRemoteModels = false;
    return { id: path.basename(abs), where: [abs], remote: false };
  }
  env.localModelPath = config.modelsDir + path.sep;
  env.allowRemoteModels = !config.offline;
  const where = [path.join(config.modelsDir, model)];
  if (!config.offline) where.push(`${config.remoteHost}${model}`);
  return { id: model, where, remote: !config.offline };
}

function explain(model: string, where: string[], remote: boolean, cause: unknown): Error {
  const why = cause instanceof Error ? cause.message : String(cause);
  const err = new Error(
    `cannot load the CLIP model "${model}": ${why}\n` +
      `  looked in: ${where.join(', ')}${remote ? '' : ' (downloads are off)'}\n` +
      '  to fix: connect to the internet once (the model is then kept in models/), or point LAB_CLIP_MODEL\n' +
      `  at a folder holding ${CLIP_FILES.join(', ')}`,
  );
  (err as Error & { cause?: unknown }).cause = cause;
  return err;
}

/** What we pass to from_pretrained: transformers.js's own option type. */
type PretrainedOptions = NonNullable<Parameters<Transformers['CLIPVisionModelWithProjection']['from_pretrained']>[1]>;

const loaded = new Map<string, Promise<unknown>>();

/**
 * Loads (once per process) a transformers.js object: a tokenizer, processor or model.
 * Download progress goes to stderr, a line per file.
 */
export function loadPretrained<T>(
  kind: string,
  loader: (id: string, options: PretrainedOptions) => Promise<T>,
  options: ModelOptions = {},
): Promise<T> {
  const model = options.model ?? config.clipModel;
  const dtype = options.dtype ?? config.dtype;
  const threads = config.threads;
  const key = `${kind}|${model}|${dtype}|${threads}|${config.modelsDir}|${config.offline}`;
  let p = loaded.get(key) as Promise<T> | undefined;
  if (!p) {
    const { id, where, remote } = prepare(model);
    const seen = new Set<string>();
    const progress_callback = (e: { status: string; file?: string; total?: number }) => {
      // transformers.js says 'download' for local files too: report real downloads only.
      if (
        e.status === 'download' &&
        remote &&
        e.file &&
        !seen.has(e.file) &&
        !fs.existsSync(path.join(config.modelsDir, model, e.file))
      ) {
        seen.add(e.file);
        process.stderr.write(`downloading ${model}/${e.file} into ${config.modelsDir}\n`);
      }
    };
    const session_options = { intraOpNumThreads: threads };
    p = loader(id, { dtype: dtype as PretrainedOptions['dtype'], progress_callback, session_options }).catch(
      (e: unknown) => {
        loaded.delete(key);
        throw explain(model, where, remote, e);
      },
    );
    loaded.set(key, p);
  }
  return p;
}

/** Forgets loaded models (tests switch folders and settings). */
export function unloadModels(): void {
  loaded.clear();
}
