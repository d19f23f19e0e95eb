// Multilingual text queries: a sentence-transformers text encoder (transformer ->
// mean pooling -> Dense into CLIP's 512-d space), checked against the same
// arithmetic done plainly here from the generated weights.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeTinyMultilingual } from '../src/data/demo/tiny-models';
import { transformers, unloadModels } from '../src/embed/model';
import { readSafetensors } from '../src/embed/sentence';
import { config, embedTexts } from '../src/internal';
import { tmpDir } from './support/data';
import { startHub } from './support/hub';

const saved = { ...config };
const dir = path.join(tmpDir('ml'), 'tiny-multilingual');
const weights = writeTinyMultilingual(dir);

async function expected(texts: string[]): Promise<Float32Array> {
  const tokenizer = await transformers().AutoTokenizer.from_pretrained(dir);
  const H = weights.hidden;
  const out = new Float32Array(texts.length * 512);
  texts.forEach((text, t) => {
    const ids = tokenizer(text).input_ids.data as BigInt64Array;
    const mean = new Float64Array(H);
    for (const id of ids) for (let k = 0; k < H; k++) mean[k] += weights.embedding[Number(id) * H + k] / ids.length;
    for (let o = 0; o < 512; o++) {
      let s = 0;
      for (let k = 0; k < H; k++) s += weights.dense[o * H + k] * mean[k];
      out[t * 512 + o] = s;
    }
  });
  return out;
}

describe('multilingual text queries (sentence-transformers layout)', () => {
  beforeEach(() => {
    unloadModels();
    Object.assign(config, saved, { modelsDir: tmpDir('models'), cacheDir: tmpDir('cache') });
  });
  after(() => {
    unloadModels();
    Object.assign(config, saved);
  });

  it('pools and projects like sentence-transformers, batch-independent', async () => {
    const texts = ['Ein Hund und ein Mädchen', 'a dog and a girl', 'un chien'];
    const got = await embedTexts(texts, { model: dir, batchSize: 2, cache: false });
    assert.deepEqual([got.n, got.d], [3, 512]);
    const want = await expected(texts);
    got.data.forEach((v, i) => {
      assert.ok(Math.abs(v - want[i]) < 1e-4 * Math.max(1, Math.abs(want[i])), `${i}: ${v} vs ${want[i]}`);
    });
    const alone = await embedTexts([texts[2]], { model: dir, cache: false });
    alone.data.forEach((v, i) => {
      assert.ok(Math.abs(v - got.data[2 * 512 + i]) < 1e-5);
    });
  });

  it('downloads modules.json, pooling and Dense weights from the hub into models/, then works offline', async () => {
    const hub = await startHub({ 'lab-test/tiny-multilingual': dir });
    try {
      Object.assign(config, { remoteHost: hub.url });
      const online = await embedTexts(['ein Hund'], { model: 'lab-test/tiny-multilingual', cache: false });
      for (const f of ['modules.json', '1_Pooling/config.json', '2_Dense/model.safetensors', 'onnx/model.onnx']) {
        assert.ok(
          fs.existsSync(path.join(config.modelsDir, 'lab-test', 'tiny-multilingual', f)),
          `${f} not in models/`,
        );
      }
      await hub.close();
      unloadModels();
      config.offline = true;
      assert.deepEqual(
        (await embedTexts(['ein Hund'], { model: 'lab-test/tiny-multilingual', cache: false })).data,
        online.data,
      );
    } finally {
      await hub.close().catch(() => undefined);
    }
  });

  it('reads float32 safetensors exactly', () => {
    const t = readSafetensors(path.join(dir, '2_Dense', 'model.safetensors')).get('linear.weight')!;
    assert.deepEqual(t.shape, [512, weights.hidden]);
    assert.deepEqual(t.data, weights.dense);
  });
});
