/**
 * Text encoders in sentence-transformers' layout, such as
 * sentence-transformers/clip-ViT-B-32-multilingual-v1: a multilingual transformer
 * (onnx/model.onnx) whose pooled output a Dense layer projects into CLIP
 * ViT-B/32's image space, so "Ein Hund und ein Mädchen" finds the photos that
 * "a dog and a girl" finds. modules.json names the steps:
 *   Transformer -> Pooling (1_Pooling/config.json) -> Dense (2_Dense/) [-> Normalize]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { config, isLocalModel } from '../config';
import { writeFileAtomic } from '../io/files';
import type { Matrix } from '../types';
import { l2normalize } from '../util/vectors';
import { loadPretrained, type ModelOptions, transformers } from './model';

interface Module {
  path: string;
  type: string;
}

/** A model file: from a local folder, from models/, or downloaded into models/. Undefined if absent. */
export async function modelFile(model: string, file: string): Promise<string | undefined> {
  if (isLocalModel(model)) {
    const p = path.join(path.resolve(model), file);
    return fs.existsSync(p) ? p : undefined;
  }
  const local = path.join(config.modelsDir, model, file);
  if (fs.existsSync(local)) return local;
  if (config.offline) return undefined;
  const url = `${config.remoteHost}${model}/resolve/main/${file}`;
  const res = await fetch(url);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`cannot download ${url}: HTTP ${res.status}`);
  process.stderr.write(`downloading ${model}/${file} into ${config.modelsDir}\n`);
  writeFileAtomic(local, Buffer.from(await res.arrayBuffer()));
  return local;
}

const layouts = new Map<string, Promise<Module[] | undefined>>();

/** The modules of a sentence-transformers model, or undefined for other models. */
export function sentenceModules(model: string): Promise<Module[] | undefined> {
  const key = `${model}|${config.modelsDir}|${config.offline}`;
  let p = layouts.get(key);
  if (!p) {
    p = modelFile(model, 'modules.json')
      .then((f) => (f ? (JSON.parse(fs.readFileSync(f, 'utf8')) as Module[]) : undefined))
      .catch(() => undefined);
    layouts.set(key, p);
  }
  return p;
}

/** Reads the float tensors of a .safetensors file. */
export function readSafetensors(file: string): Map<string, { shape: number[]; data: Float32Array }> {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.toString('utf8', 8, 8 + n)) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const bytes = buf.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]);
    let data: Float32Array;
    if (t.dtype === 'F32') {
      data = new Float32Array(bytes.length / 4);
      Buffer.from(data.buffer).set(bytes);
    } else if (t.dtype === 'F16') {
      data = Float32Array.from({ length: bytes.length / 2 }, (_, i) => halfToFloat(bytes.readUInt16LE(2 * i)));
    } else {
      throw new Error(`${file}: tensor ${name} has dtype ${t.dtype}; only F32 and F16 are supported`);
    }
    out.set(name, { shape: t.shape, data });
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

interface Dense {
  W: Float32Array;
  b?: Float32Array;
  inF: number;
  outF: number;
}

async function loadDense(model: string, dir: string): Promise<Dense> {
  const cfgFile = await modelFile(model, `${dir}/config.json`);
  const weights = await modelFile(model, `${dir}/model.safetensors`);
  if (!cfgFile || !weights) {
    throw new Error(
      `${model}: the Dense layer ${dir}/ needs config.json and model.safetensors (pytorch_model.bin is not read here)`,
    );
  }
  const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as {
    in_features: number;
    out_features: number;
    activation_function?: string;
  };
  if (cfg.activation_function && !/Identity$/.test(cfg.activation_function)) {
    throw new Error(`${model}: Dense activation ${cfg.activation_function} is not supported (only Identity)`);
  }
  const t = readSafetensors(weights);
  const W = t.get('linear.weight');
  if (!W || W.shape[0] !== cfg.out_features || W.shape[1] !== cfg.in_features) {
    throw new Error(
      `${model}: ${dir}/model.safetensors lacks linear.weight of shape [${cfg.out_features}, ${cfg.in_features}]`,
    );
  }
  return { W: W.data, b: t.get('linear.bias')?.data, inF: cfg.in_features, outF: cfg.out_features };
}

/** Embeds texts with a sentence-transformers model (see the file comment). */
export async function embedTextsSentence(
  texts: string[],
  modules: Module[],
  options: ModelOptions & { batchSize: number },
): Promise<Matrix> {
  const model = options.model ?? config.clipModel;
  const t = transformers();
  const [tokenizer, encoder] = await Promise.all([
    loadPretrained('tokenizer', (id, o) => t.AutoTokenizer.from_pretrained(id, o), options),
    loadPretrained('encoder', (id, o) => t.AutoModel.from_pretrained(id, o), options),
  ]);
  const poolingDir = modules.find((m) => m.type.endsWith('Pooling'))?.path;
  const pooling = poolingDir
    ? JSON.parse(fs.readFileSync((await modelFile(model, `${poolingDir}/config.json`))!, 'utf8'))
    : {};
  const denseDirs = modules.filter((m) => m.type.endsWith('Dense')).map((m) => m.path);
  const dense = await Promise.all(denseDirs.map((dir) => loadDense(model, dir)));
  const normalize = modules.some((m) => m.type.endsWith('Normalize'));

  const rows: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += options.batchSize) {
    const inputs = tokenizer(texts.slice(i, i + options.batchSize), { padding: true, truncation: true });
    const out = await encoder(inputs);
    const hidden = (out.last_hidden_state ?? out.token_embeddings) as { dims: number[]; data: Float32Array };
    const [B, S, H] = hidden.dims;
    const mask = inputs.attention_mask.data as BigInt64Array;
    for (let b = 0; b < B; b++) {
      let v = pool(hidden.data, mask, b, S, H, pooling);
      for (const layer of dense) v = applyDense(layer, v);
      if (normalize) l2normalize(v, v.length);
      rows.push(v);
    }
  }
  const d = rows[0].length;
  const data = new Float32Array(rows.length * d);
  rows.forEach((r, i) => {
    data.set(r, i * d);
  });
  return { data, n: rows.length, d };
}

function pool(
  h: Float32Array,
  mask: BigInt64Array,
  b: number,
  S: number,
  H: number,
  cfg: Record<string, boolean>,
): Float32Array {
  const v = new Float32Array(H);
  if (cfg.pooling_mode_cls_token) {
    v.set(h.subarray(b * S * H, b * S * H + H));
    return v;
  }
  const acc = new Float64Array(H).fill(cfg.pooling_mode_max_tokens ? -Infinity : 0);
  let count = 0;
  for (let s = 0; s < S; s++) {
    if (mask[b * S + s] === 0n) continue;
    count++;
    const o = (b * S + s) * H;
    for (let k = 0; k < H; k++) acc[k] = cfg.pooling_mode_max_tokens ? Math.max(acc[k], h[o + k]) : acc[k] + h[o + k];
  }
  for (let k = 0; k < H; k++) v[k] = cfg.pooling_mode_max_tokens ? acc[k] : acc[k] / Math.max(count, 1);
  return v;
}

function applyDense({ W, b, inF, outF }: Dense, x: Float32Array): Float32Array {
  if (x.length !== inF) throw new Error(`Dense layer expects ${inF} inputs, got ${x.length}`);
  const y = new Float32Array(outF);
  for (let o = 0; o < outF; o++) {
    let s = b ? b[o] : 0;
    for (let i = 0; i < inF; i++) s += W[o * inF + i] * x[i];
    y[o] = s;
  }
  return y;
}
