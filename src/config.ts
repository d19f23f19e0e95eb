/**
 * Every setting of the lab in one place: paths, model ids and download rules.
 * Each field can be overridden by the environment variable named beside it.
 *
 * @example
 * LAB_CLIP_MODEL=/path/to/clip-folder jupyter notebook   # a local model folder
 * LAB_OFFLINE=1 ...                                     # never download
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The project folder (holds package.json); the same from src/ and from dist/. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

function flag(name: string): boolean {
  return /^(1|true|yes|on)$/i.test(env(name) ?? '');
}

export interface LabConfig {
  /** CLIP model: a hub id or a local folder. LAB_CLIP_MODEL; default Xenova/clip-vit-base-patch32 (ViT-B/32, 512-d, as the course's vectors). */
  clipModel: string;
  /** Text encoder for queries in other languages, aligned to clipModel's image space. LAB_MULTILINGUAL_MODEL; default sentence-transformers/clip-ViT-B-32-multilingual-v1. */
  multilingualModel: string;
  /** Where downloaded models are kept. LAB_MODELS_DIR; default <project>/models (nothing lands in $HOME). */
  modelsDir: string;
  /** Embedding caches (.npy + manifest). LAB_CACHE_DIR; default <project>/cache. */
  cacheDir: string;
  /** Course data and Stanford Dogs. LAB_DATA_DIR; default <project>/data. */
  dataDir: string;
  /** The course's query photos (and an optional labels.csv). LAB_QUERIES_DIR; default <project>/queries. */
  queriesDir: string;
  /** Your own photos for "dogs that look like you". LAB_MY_PHOTOS_DIR; default <project>/my-photos. */
  myPhotosDir: string;
  /** Where the main job writes the submission (executed notebooks, HTML, zip). LAB_EXPORT_DIR; default <project>/export. */
  exportDir: string;
  /** Model hub to download from. LAB_HF_ENDPOINT or HF_ENDPOINT; default https://huggingface.co/. */
  remoteHost: string;
  /** Never download (use models/ and local folders only). LAB_OFFLINE=1 or HF_HUB_OFFLINE=1. */
  offline: boolean;
  /** Model weights: 'fp32' (default) or a quantised form such as 'q8'. LAB_DTYPE. */
  dtype: string;
  /**
   * Threads ONNX Runtime uses per model call. LAB_THREADS; default all cores
   * (os.availableParallelism()): left to itself, onnxruntime-node used one of two here.
   */
  threads: number;
  /** Where Stanford Dogs' images.tar and annotation.tar are. LAB_DOGS_URL; default the dataset's Stanford page. */
  dogsUrl: string;
  /** chdb's data folder (embedded ClickHouse; one per process). LAB_SQL_DIR; default <dataDir>/chdb. */
  sqlDir: string;
  /** A ClickHouse server for the SQL store instead of chdb, e.g. http://localhost:8123. LAB_CLICKHOUSE_URL; default none (chdb). */
  clickhouseUrl: string | undefined;
  /** User for clickhouseUrl. LAB_CLICKHOUSE_USER; default 'default'. */
  clickhouseUser: string;
  /** Password for clickhouseUrl. LAB_CLICKHOUSE_PASSWORD; default ''. */
  clickhousePassword: string;
}

function load(): LabConfig {
  const host = env('LAB_HF_ENDPOINT') ?? env('HF_ENDPOINT') ?? 'https://huggingface.co/';
  return {
    clipModel: env('LAB_CLIP_MODEL') ?? 'Xenova/clip-vit-base-patch32',
    multilingualModel: env('LAB_MULTILINGUAL_MODEL') ?? 'sentence-transformers/clip-ViT-B-32-multilingual-v1',
    modelsDir: path.resolve(env('LAB_MODELS_DIR') ?? path.join(PROJECT_ROOT, 'models')),
    cacheDir: path.resolve(env('LAB_CACHE_DIR') ?? path.join(PROJECT_ROOT, 'cache')),
    dataDir: path.resolve(env('LAB_DATA_DIR') ?? path.join(PROJECT_ROOT, 'data')),
    queriesDir: path.resolve(env('LAB_QUERIES_DIR') ?? path.join(PROJECT_ROOT, 'queries')),
    myPhotosDir: path.resolve(env('LAB_MY_PHOTOS_DIR') ?? path.join(PROJECT_ROOT, 'my-photos')),
    exportDir: path.resolve(env('LAB_EXPORT_DIR') ?? path.join(PROJECT_ROOT, 'export')),
    remoteHost: host.endsWith('/') ? host : `${host}/`,
    offline: flag('LAB_OFFLINE') || flag('HF_HUB_OFFLINE'),
    dtype: env('LAB_DTYPE') ?? 'fp32',
    threads: positiveInt('LAB_THREADS') ?? os.availableParallelism(),
    dogsUrl: env('LAB_DOGS_URL') ?? 'http://vision.stanford.edu/aditya86/ImageNetDogs/',
    sqlDir: path.resolve(
      env('LAB_SQL_DIR') ?? path.join(env('LAB_DATA_DIR') ?? path.join(PROJECT_ROOT, 'data'), 'chdb'),
    ),
    clickhouseUrl: env('LAB_CLICKHOUSE_URL'),
    clickhouseUser: env('LAB_CLICKHOUSE_USER') ?? 'default',
    clickhousePassword: env('LAB_CLICKHOUSE_PASSWORD') ?? '',
  };
}

function positiveInt(name: string): number | undefined {
  const v = env(name);
  if (v === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(v.trim()))
    throw new Error(`${name}=${v} is not valid: expected a whole number of threads, 1 or more`);
  return Number(v);
}

/** The live settings: change fields here (e.g. config.offline = true) or by environment. */
export const config: LabConfig = load();

/** Whether `model` names a local folder rather than a hub id. */
export function isLocalModel(model: string): boolean {
  return model.startsWith('.') || path.isAbsolute(model) || (fs.existsSync(model) && fs.statSync(model).isDirectory());
}
