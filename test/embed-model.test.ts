// CLIP loading and text embeddings through the real transformers.js code, on a
// tiny CLIP-shaped model the tests generate: from a folder, and downloaded from a
// loopback model hub into models/, then offline.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TINY_PROJECTION_DIM, writeTinyClip } from '../src/data/demo/tiny-models';
import { unloadModels } from '../src/embed/model';
import { config, embedTexts } from '../src/internal';
import { tmpDir } from './support/data';
import { startHub } from './support/hub';

const saved = { ...config };
const tiny = writeTinyClip(path.join(tmpDir('model'), 'tiny-clip'));

describe('CLIP model loading and text embeddings', () => {
  beforeEach(() => {
    unloadModels();
    Object.assign(config, saved, { clipModel: tiny, modelsDir: tmpDir('models'), cacheDir: tmpDir('cache') });
  });
  after(() => {
    unloadModels();
    Object.assign(config, saved);
  });

  it('loads a model folder and embeds texts: float32, (n, 512), deterministic', async () => {
    const a = await embedTexts(['a dog and a girl', 'a dog'], { cache: false });
    assert.ok(a.data instanceof Float32Array);
    assert.deepEqual([a.n, a.d, a.data.length], [2, TINY_PROJECTION_DIM, 2 * TINY_PROJECTION_DIM]);
    unloadModels();
    const b = await embedTexts(['a dog and a girl', 'a dog'], { cache: false });
    assert.deepEqual(b.data, a.data);
    assert.notDeepEqual(a.data.subarray(0, a.d), a.data.subarray(a.d));
  });

  it("a text's vector does not depend on its batch (padding) or on case and spacing", async () => {
    const alone = await embedTexts(['a dog'], { cache: false });
    const batched = await embedTexts(['a dog', 'a much longer sentence about a girl and her dog'], {
      batchSize: 2,
      cache: false,
    });
    const variant = await embedTexts(['A   Dog'], { cache: false });
    assert.deepEqual(batched.data.subarray(0, alone.d), alone.data);
    assert.deepEqual(variant.data, alone.data);
  });

  it('normalize: true gives unit vectors in the same direction', async () => {
    const raw = await embedTexts(['a dog and a girl']);
    const unit = await embedTexts(['a dog and a girl'], { normalize: true });
    const norm = Math.hypot(...raw.data);
    assert.ok(Math.abs(Math.hypot(...unit.data) - 1) < 1e-5);
    unit.data.forEach((v, i) => {
      assert.ok(Math.abs(v - raw.data[i] / norm) < 1e-6);
    });
  });

  it('dtype q8 loads the quantised files: close to fp32, not equal', async () => {
    const texts = ['a dog and a girl', 'a dog'];
    const fp32 = await embedTexts(texts);
    const q8 = await embedTexts(texts, { dtype: 'q8' });
    assert.notDeepEqual(q8.data, fp32.data);
    for (let r = 0; r < 2; r++) {
      const a = fp32.data.subarray(r * 512, (r + 1) * 512);
      const b = q8.data.subarray(r * 512, (r + 1) * 512);
      let ab = 0;
      for (let i = 0; i < 512; i++) ab += a[i] * b[i];
      const cos = ab / (Math.hypot(...a) * Math.hypot(...b));
      assert.ok(cos > 0.999, `cosine ${cos}`); // today: > 0.9999 (8-bit projection weights)
    }
  });

  it('downloads a hub model once into models/, then works offline', async () => {
    const hub = await startHub({ 'lab-test/tiny-clip': tiny });
    try {
      Object.assign(config, { clipModel: 'lab-test/tiny-clip', remoteHost: hub.url });
      const online = await embedTexts(['a dog'], { cache: false });
      assert.ok(
        hub.requests.some((r) => r.endsWith('/lab-test/tiny-clip/resolve/main/onnx/text_model.onnx')),
        hub.requests.join('\n'),
      );
      assert.ok(fs.existsSync(path.join(config.modelsDir, 'lab-test', 'tiny-clip', 'onnx', 'text_model.onnx')));
      await hub.close();
      unloadModels();
      config.offline = true;
      const offline = await embedTexts(['a dog'], { cache: false });
      assert.deepEqual(offline.data, online.data);
      unloadModels();
      config.clipModel = tiny;
      assert.deepEqual(
        (await embedTexts(['a dog'], { cache: false })).data,
        online.data,
        "the downloaded model is the folder's",
      );
    } finally {
      await hub.close().catch(() => undefined);
    }
  });

  it('caches texts: a second run needs no model, new texts are added, models never mix', async () => {
    const first = await embedTexts(['a dog', 'a girl']);
    // Without any model reachable, cached texts still embed; order and duplicates follow the input.
    Object.assign(config, { clipModel: tiny, offline: true });
    unloadModels();
    const moved = `${tiny}-moved`;
    fs.renameSync(tiny, moved);
    try {
      const again = await embedTexts(['a girl', 'a dog', 'a girl']);
      assert.deepEqual(again.data.subarray(0, 512), first.data.subarray(512));
      assert.deepEqual(again.data.subarray(512, 1024), first.data.subarray(0, 512));
      assert.deepEqual(again.data.subarray(1024), first.data.subarray(512));
      await assert.rejects(embedTexts(['a new text']), /model folder .* does not exist/);
    } finally {
      fs.renameSync(moved, tiny);
    }
    const more = await embedTexts(['a new text', 'a dog']);
    assert.deepEqual(more.data.subarray(512), first.data.subarray(0, 512));
    const cacheDir = fs.readdirSync(config.cacheDir).find((f) => f.startsWith('texts.tiny-clip.fp32.raw'))!;
    const manifest = JSON.parse(fs.readFileSync(path.join(config.cacheDir, cacheDir, 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.files.map((f: { path: string }) => f.path).sort(), ['a dog', 'a girl', 'a new text']);
    await assert.rejects(
      embedTexts(['a dog'], { cache: path.join(config.cacheDir, cacheDir), normalize: true }),
      /not .*L2-normalised/,
    );
  });

  it('offline without the model: one error saying where it looked and how to supply a folder', async () => {
    Object.assign(config, { clipModel: 'lab-test/not-here', offline: true });
    await assert.rejects(embedTexts(['a dog']), (e: Error) => {
      assert.match(e.message, /cannot load the CLIP model "lab-test\/not-here"/);
      assert.match(
        e.message,
        new RegExp(`looked in: ${config.modelsDir.replace(/[/.]/g, '\\$&')}/lab-test/not-here \\(downloads are off\\)`),
      );
      assert.match(e.message, /point LAB_CLIP_MODEL\s+at a folder holding config.json, tokenizer.json/);
      return true;
    });
  });

  it('a missing local folder and bad texts are clear errors', async () => {
    config.clipModel = path.join(tmpDir('empty'), 'nope');
    await assert.rejects(embedTexts(['x']), /model folder .*nope does not exist \(it should hold config.json/);
    await assert.rejects(embedTexts([]), /Expected a non-empty array of strings for texts but received Array\(0\)/);
    await assert.rejects(embedTexts(['ok', 3 as unknown as string]), /Expected a non-empty array of strings for texts/);
  });

  it("LAB_THREADS sets ONNX Runtime's threads (default: all cores); a bad value is a clear error", () => {
    const threads = (value?: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', '-e', 'console.log(require("./src/config").config.threads)'], {
        cwd: path.join(__dirname, '..'),
        encoding: 'utf8',
        env: { ...process.env, LAB_THREADS: value },
      });
    assert.equal(threads(undefined).stdout.trim(), String(os.availableParallelism()));
    assert.equal(threads('1').stdout.trim(), '1');
    const bad = threads('two');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /LAB_THREADS=two is not valid: expected a whole number of threads, 1 or more/);
  });
});
