/**
 * Tiny generated models with the real models' files and shapes, so the whole lab
 * (the demo set, the tests) drives the real transformers.js loading and embedding
 * code offline:
 * - writeTinyClip: a CLIP model folder laid out like Xenova/clip-vit-base-patch32
 *   (config.json, tokenizer.json, tokenizer_config.json, preprocessor_config.json,
 *   onnx/text_model.onnx, onnx/vision_model.onnx and their *_quantized.onnx).
 *   Text tower: token embedding -> masked mean -> projection (text_embeds).
 *   Vision tower: 32x32 patch convolution -> mean -> projection (image_embeds).
 * - writeTinyMultilingual: a sentence-transformers text encoder laid out like
 *   clip-ViT-B-32-multilingual-v1 (transformer -> mean pooling -> Dense).
 * Both give 512-d vectors, as CLIP ViT-B/32 does. Seeded random weights: the
 * same folders, byte for byte, on every run. The results mean nothing.
 *
 * @example
 * config.clipModel = writeTinyClip('/tmp/tiny-clip');
 * const t = await embedTexts(['a dog']);   // (1, 512)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gaussian, rng } from '../synthetic';
import { FLOAT, type Graph, INT64, type Node, onnxModel, type Tensor } from './onnx';

export const TINY_PROJECTION_DIM = 512;
const HIDDEN = 32;

/** GPT-2's byte-to-unicode table, which byte-level BPE vocabularies use. */
function bytesToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
  for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
  for (let b = 0xae; b <= 0xff; b++) keep.push(b);
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(keep.includes(b) ? b : 256 + extra++);
  return table;
}

function tokenizer(): { json: object; vocabSize: number } {
  const chars = bytesToUnicode();
  const vocab: Record<string, number> = {};
  for (const c of chars) vocab[c] = Object.keys(vocab).length;
  for (const c of chars) vocab[`${c}</w>`] = Object.keys(vocab).length;
  // A few merges, so BPE really merges: "dog", "girl", "a".
  const merges = ['d o', 'do g</w>', 'g i', 'gi r', 'gir l</w>'];
  for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  const bos = Object.keys(vocab).length;
  const eos = bos + 1;
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(bos, '<|startoftext|>'), special(eos, '<|endoftext|>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: {
            Regex:
              "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
          },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['<|endoftext|>', eos],
      cls: ['<|startoftext|>', bos],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<|endoftext|>',
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
  return { json, vocabSize: eos + 1 };
}

function randn(n: number, scale: number, seed: number): Float32Array {
  const normal = gaussian(rng(seed));
  return Float32Array.from({ length: n }, () => normal() * scale);
}

/**
 * Weight-only 8-bit quantisation of a matrix (per tensor, asymmetric): the uint8
 * codes, scale and zero point that DequantizeLinear turns back into floats.
 */
function quantize(w: Float32Array): { q: Uint8Array; scale: number; zero: number } {
  let lo = 0;
  let hi = 0;
  for (const v of w) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const scale = (hi - lo) / 255 || 1;
  const zero = Math.round(-lo / scale);
  return { q: Uint8Array.from(w, (v) => Math.max(0, Math.min(255, Math.round(v / scale) + zero))), scale, zero };
}

/** Initializers and a node computing `name` from its quantised form (for *_quantized.onnx). */
function dequantized(name: string, dims: number[], w: Float32Array): { inits: Tensor[]; node: Node } {
  const { q, scale, zero } = quantize(w);
  return {
    inits: [
      { name: `${name}_q`, dims, data: q },
      { name: `${name}_scale`, dims: [], data: Float32Array.of(scale) },
      { name: `${name}_zero`, dims: [], data: Uint8Array.of(zero) },
    ],
    node: { op: 'DequantizeLinear', inputs: [`${name}_q`, `${name}_scale`, `${name}_zero`], outputs: [name] },
  };
}

/** The graph with `weight` stored as uint8, as transformers.js's dtype 'q8' files are. */
function withQuantized(g: Graph, weight: string): Graph {
  const t = g.initializers.find((i) => i.name === weight)!;
  const dq = dequantized(weight, t.dims, t.data as Float32Array);
  return { ...g, initializers: [...g.initializers.filter((i) => i !== t), ...dq.inits], nodes: [dq.node, ...g.nodes] };
}

function textModel(vocabSize: number): Graph {
  const P = TINY_PROJECTION_DIM;
  return {
    inputs: [
      { name: 'input_ids', type: INT64, shape: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', type: INT64, shape: ['batch_size', 'sequence_length'] },
    ],
    outputs: [
      { name: 'text_embeds', type: FLOAT, shape: ['batch_size', P] },
      { name: 'last_hidden_state', type: FLOAT, shape: ['batch_size', 'sequence_length', HIDDEN] },
    ],
    initializers: [
      { name: 'token_embedding', dims: [vocabSize, HIDDEN], data: randn(vocabSize * HIDDEN, 1, 11) },
      { name: 'text_projection', dims: [HIDDEN, P], data: randn(HIDDEN * P, 0.2, 12) },
      { name: 'axis1', dims: [1], data: BigInt64Array.from([1n]) },
      { name: 'axis2', dims: [1], data: BigInt64Array.from([2n]) },
    ],
    // Mean over real tokens only, so padding in a batch never changes a text's embedding.
    nodes: [
      { op: 'Gather', inputs: ['token_embedding', 'input_ids'], outputs: ['last_hidden_state'], attrs: { axis: 0 } },
      { op: 'Cast', inputs: ['attention_mask'], outputs: ['maskf'], attrs: { to: FLOAT } },
      { op: 'Unsqueeze', inputs: ['maskf', 'axis2'], outputs: ['mask3'] },
      { op: 'Mul', inputs: ['last_hidden_state', 'mask3'], outputs: ['masked'] },
      { op: 'ReduceSum', inputs: ['masked', 'axis1'], outputs: ['summed'], attrs: { keepdims: 0 } },
      { op: 'ReduceSum', inputs: ['maskf', 'axis1'], outputs: ['count'], attrs: { keepdims: 1 } },
      { op: 'Div', inputs: ['summed', 'count'], outputs: ['pooled'] },
      { op: 'MatMul', inputs: ['pooled', 'text_projection'], outputs: ['text_embeds'] },
    ],
  };
}

function visionModel(): Graph {
  const P = TINY_PROJECTION_DIM;
  return {
    inputs: [{ name: 'pixel_values', type: FLOAT, shape: ['batch_size', 3, 224, 224] }],
    outputs: [
      { name: 'image_embeds', type: FLOAT, shape: ['batch_size', P] },
      { name: 'last_hidden_state', type: FLOAT, shape: ['batch_size', HIDDEN, 7, 7] },
    ],
    initializers: [
      { name: 'patch_embedding', dims: [HIDDEN, 3, 32, 32], data: randn(HIDDEN * 3 * 32 * 32, 0.02, 21) },
      { name: 'visual_projection', dims: [HIDDEN, P], data: randn(HIDDEN * P, 0.2, 22) },
    ],
    nodes: [
      {
        op: 'Conv',
        inputs: ['pixel_values', 'patch_embedding'],
        outputs: ['last_hidden_state'],
        attrs: { kernel_shape: [32, 32], strides: [32, 32] },
      },
      { op: 'ReduceMean', inputs: ['last_hidden_state'], outputs: ['pooled'], attrs: { axes: [2, 3], keepdims: 0 } },
      { op: 'MatMul', inputs: ['pooled', 'visual_projection'], outputs: ['image_embeds'] },
    ],
  };
}

/** Sizes written to config.json (the ONNX files decide the real ones). */
export interface ClipShape {
  name: string;
  textHidden: number;
  visionHidden: number;
}

/**
 * Writes everything of a CLIP model folder but the ONNX files: config, our small
 * byte-level BPE tokenizer, and CLIP's preprocessor settings. Returns the vocabulary size.
 */
export function writeClipFiles(dir: string, shape: ClipShape): number {
  const { json, vocabSize } = tokenizer();
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  const write = (name: string, data: string) => fs.writeFileSync(path.join(dir, name), data);
  write(
    'config.json',
    JSON.stringify(
      {
        _name_or_path: shape.name,
        architectures: ['CLIPModel'],
        model_type: 'clip',
        projection_dim: TINY_PROJECTION_DIM,
        text_config: {
          model_type: 'clip_text_model',
          hidden_size: shape.textHidden,
          vocab_size: vocabSize,
          max_position_embeddings: 77,
          projection_dim: TINY_PROJECTION_DIM,
        },
        vision_config: {
          model_type: 'clip_vision_model',
          hidden_size: shape.visionHidden,
          image_size: 224,
          patch_size: 32,
          projection_dim: TINY_PROJECTION_DIM,
        },
      },
      null,
      1,
    ),
  );
  write('tokenizer.json', JSON.stringify(json));
  write(
    'tokenizer_config.json',
    JSON.stringify(
      {
        tokenizer_class: 'CLIPTokenizer',
        model_max_length: 77,
        do_lower_case: true,
        bos_token: '<|startoftext|>',
        eos_token: '<|endoftext|>',
        pad_token: '<|endoftext|>',
        unk_token: '<|endoftext|>',
      },
      null,
      1,
    ),
  );
  write(
    'preprocessor_config.json',
    JSON.stringify(
      {
        image_processor_type: 'CLIPImageProcessor',
        feature_extractor_type: 'CLIPFeatureExtractor',
        do_resize: true,
        size: { shortest_edge: 224 },
        resample: 3,
        do_center_crop: true,
        crop_size: { height: 224, width: 224 },
        do_rescale: true,
        rescale_factor: 1 / 255,
        do_normalize: true,
        do_convert_rgb: true,
        image_mean: [0.48145466, 0.4578275, 0.40821073],
        image_std: [0.26862954, 0.26130258, 0.27577711],
      },
      null,
      1,
    ),
  );
  return vocabSize;
}

/** Writes the tiny model into `dir` (created if needed) and returns dir. */
export function writeTinyClip(dir: string): string {
  const vocabSize = writeClipFiles(dir, {
    name: 'vector-search-lab/tiny-clip',
    textHidden: HIDDEN,
    visionHidden: HIDDEN,
  });
  const write = (name: string, data: Buffer) => fs.writeFileSync(path.join(dir, name), data);
  const text = textModel(vocabSize);
  const vision = visionModel();
  write(path.join('onnx', 'text_model.onnx'), onnxModel('tiny_clip_text', text));
  write(path.join('onnx', 'vision_model.onnx'), onnxModel('tiny_clip_vision', vision));
  // dtype 'q8' loads these: the projections stored as 8-bit codes.
  write(
    path.join('onnx', 'text_model_quantized.onnx'),
    onnxModel('tiny_clip_text_q8', withQuantized(text, 'text_projection')),
  );
  write(
    path.join('onnx', 'vision_model_quantized.onnx'),
    onnxModel('tiny_clip_vision_q8', withQuantized(vision, 'visual_projection')),
  );
  return dir;
}

/** A float32 .safetensors file. */
export function safetensors(tensors: Record<string, { shape: number[]; data: Float32Array }>): Buffer {
  let offset = 0;
  const header: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([
    len,
    Buffer.from(json),
    ...Object.values(tensors).map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
  ]);
}

/**
 * A tiny text encoder in sentence-transformers' layout (like
 * clip-ViT-B-32-multilingual-v1): token embeddings -> mean pooling -> Dense to 512.
 * Returns the weights, so tests can compute the expected vectors themselves.
 */
export function writeTinyMultilingual(dir: string): { embedding: Float32Array; dense: Float32Array; hidden: number } {
  const H = 24;
  const P = TINY_PROJECTION_DIM;
  const { json, vocabSize } = tokenizer();
  const embedding = randn(vocabSize * H, 1, 31);
  const dense = randn(P * H, 0.3, 32);
  for (const sub of ['onnx', '1_Pooling', '2_Dense']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const write = (name: string, data: string | Buffer) => fs.writeFileSync(path.join(dir, name), data);
  write(
    'config.json',
    JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], hidden_size: H, vocab_size: vocabSize }),
  );
  write('tokenizer.json', JSON.stringify(json));
  write(
    'tokenizer_config.json',
    JSON.stringify({ tokenizer_class: 'CLIPTokenizer', model_max_length: 128, pad_token: '<|endoftext|>' }),
  );
  write(
    'modules.json',
    JSON.stringify([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' },
    ]),
  );
  write(
    '1_Pooling/config.json',
    JSON.stringify({
      word_embedding_dimension: H,
      pooling_mode_cls_token: false,
      pooling_mode_mean_tokens: true,
      pooling_mode_max_tokens: false,
    }),
  );
  write(
    '2_Dense/config.json',
    JSON.stringify({
      in_features: H,
      out_features: P,
      bias: false,
      activation_function: 'torch.nn.modules.linear.Identity',
    }),
  );
  write('2_Dense/model.safetensors', safetensors({ 'linear.weight': { shape: [P, H], data: dense } }));
  write(
    'onnx/model.onnx',
    onnxModel('tiny_multilingual', {
      inputs: [{ name: 'input_ids', type: INT64, shape: ['batch_size', 'sequence_length'] }],
      outputs: [{ name: 'last_hidden_state', type: FLOAT, shape: ['batch_size', 'sequence_length', H] }],
      initializers: [{ name: 'word_embeddings', dims: [vocabSize, H], data: embedding }],
      nodes: [
        { op: 'Gather', inputs: ['word_embeddings', 'input_ids'], outputs: ['last_hidden_state'], attrs: { axis: 0 } },
      ],
    }),
  );
  return { embedding, dense, hidden: H };
}
