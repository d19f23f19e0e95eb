// Image embeddings of every kind of photo a student may have, and the folder
// cache: incremental, never mixing models, surviving damage and a kill mid-write.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { writeTinyClip } from '../src/data/demo/tiny-models';
import { decodeForClip, toPixelValues } from '../src/embed/images';
import { unloadModels } from '../src/embed/model';
import { config, embedImages, readNpy } from '../src/internal';
import { tmpDir } from './support/data';

const saved = { ...config };
const tiny = writeTinyClip(path.join(tmpDir('model'), 'tiny-clip'));

/** A colourful test picture: gradients, so crops and rotations change the pixels. */
function picture(width: number, height: number, channels: 3 | 4 = 3): sharp.Sharp {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      data[o] = (x * 255) / width;
      data[o + 1] = (y * 255) / height;
      data[o + 2] = ((x + y) * 97) % 256;
      if (channels === 4) data[o + 3] = x < width / 2 ? 255 : 0;
    }
  }
  return sharp(data, { raw: { width, height, channels } });
}

describe('image embeddings', function () {
  this.timeout(300000);
  const dir = tmpDir('photos');
  const row = (r: { vectors: { data: Float32Array; d: number }; files: string[] }, name: string) => {
    const i = r.files.indexOf(name);
    assert.ok(i >= 0, `${name} not embedded (got ${r.files.join(', ')})`);
    return r.vectors.data.subarray(i * r.vectors.d, (i + 1) * r.vectors.d);
  };

  before(async () => {
    Object.assign(config, saved, { clipModel: tiny, modelsDir: tmpDir('models'), cacheDir: tmpDir('cache') });
    unloadModels();
    const base = picture(400, 300);
    await base.clone().jpeg().toFile(path.join(dir, 'plain.jpg'));
    await base.clone().jpeg({ progressive: true }).toFile(path.join(dir, 'progressive.jpg'));
    await base.clone().toColourspace('cmyk').jpeg().toFile(path.join(dir, 'cmyk.jpg'));
    // Stored sideways with EXIF orientation 6 (rotate 90 degrees clockwise to view).
    await base.clone().rotate(-90).withMetadata({ orientation: 6 }).jpeg().toFile(path.join(dir, 'exif-rotated.jpg'));
    await picture(400, 300, 4).png().toFile(path.join(dir, 'alpha.png'));
    await base.clone().webp().toFile(path.join(dir, 'photo.webp'));
    await base.clone().gif().toFile(path.join(dir, 'anim.gif'));
    await base.clone().grayscale().jpeg().toFile(path.join(dir, 'gray.jpg'));
    await picture(1, 1).png().toFile(path.join(dir, 'tiny.png'));
    await sharp({ create: { width: 12000, height: 12000, channels: 3, background: { r: 200, g: 120, b: 40 } } })
      .jpeg({ quality: 50 })
      .toFile(path.join(dir, 'huge.jpg'));
    fs.mkdirSync(path.join(dir, 'sub'));
    await base
      .clone()
      .resize(200, 150)
      .jpeg()
      .toFile(path.join(dir, 'sub', 'nested.jpg'));
    const plain = fs.readFileSync(path.join(dir, 'plain.jpg'));
    fs.writeFileSync(path.join(dir, 'truncated.jpg'), plain.subarray(0, plain.length / 3));
    fs.writeFileSync(path.join(dir, 'empty.png'), '');
    fs.writeFileSync(path.join(dir, 'text.jpg'), 'this is not a photo');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'a note');
  });
  after(() => {
    unloadModels();
    Object.assign(config, saved);
  });

  it('embeds every readable kind of photo; reports bad files by name and skips them', async () => {
    const r = await embedImages(dir, { cache: false, progress: false });
    assert.deepEqual(r.files, [
      'alpha.png',
      'anim.gif',
      'cmyk.jpg',
      'exif-rotated.jpg',
      'gray.jpg',
      'huge.jpg',
      'photo.webp',
      'plain.jpg',
      'progressive.jpg',
      'sub/nested.jpg',
      'tiny.png',
    ]);
    assert.deepEqual(r.failed.map((f) => f.file).sort(), ['empty.png', 'text.jpg', 'truncated.jpg']);
    assert.ok(
      r.failed.every((f) => /^not a readable image: /.test(f.error)),
      JSON.stringify(r.failed),
    );
    assert.deepEqual(r.skipped, ['notes.txt']);
    assert.equal(r.vectors.d, 512);
    assert.equal(r.vectors.data.length, r.files.length * 512);
    assert.ok(r.vectors.data.every(Number.isFinite));
  });

  it('decodes other encodings of the same picture to (nearly) the same pixels; EXIF rotation is applied', async () => {
    const px = (name: string) => decodeForClip(path.isAbsolute(name) ? name : path.join(dir, name), 224);
    const plain = await px('plain.jpg');
    const mad = async (name: string) => {
      const other = await px(name);
      let s = 0;
      for (let i = 0; i < plain.length; i++) s += Math.abs(plain[i] - other[i]);
      return s / plain.length;
    };
    // Mean absolute difference per channel value (0-255). Today: 0, 1.4, 5.0, 18.5
    // (CMYK loses the test picture's most saturated colours; a naive decode is ~128).
    assert.ok((await mad('progressive.jpg')) < 1);
    assert.ok((await mad('exif-rotated.jpg')) < 3);
    assert.ok((await mad('photo.webp')) < 8);
    assert.ok((await mad('cmyk.jpg')) < 25);
    const sideways = path.join(tmpDir('side'), 'sideways.jpg');
    await picture(400, 300).rotate(-90).jpeg().toFile(sideways);
    assert.ok((await mad(sideways)) > 30, 'without its EXIF tag the sideways picture differs');
    // Transparent pixels are flattened on white; grayscale becomes three equal channels.
    const alpha = await px('alpha.png');
    assert.deepEqual([...alpha.subarray((112 * 224 + 220) * 3, (112 * 224 + 220) * 3 + 3)], [255, 255, 255]);
    const gray = await px('gray.jpg');
    assert.ok(gray[300] === gray[301] && gray[301] === gray[302]);
  });

  it('a list of files works like a folder, and vectors are deterministic', async () => {
    const files = ['plain.jpg', 'gray.jpg', 'photo.webp'].map((f) => path.join(dir, f));
    const a = await embedImages(files, { progress: false });
    // Batches of 2: the last one is short and reuses the first one's pixel buffer.
    const b = await embedImages(files, { progress: false, batchSize: 2 });
    const c = await embedImages(files, { progress: false, batchSize: 1 });
    assert.deepEqual(a.files, files);
    assert.deepEqual(b.vectors.data, a.vectors.data);
    assert.deepEqual(c.vectors.data, a.vectors.data);
  });

  it("pixel values are CLIP's (x / 255 - mean) / std, channel-first, whatever buffer they are packed into", () => {
    const norm = {
      mean: [0.48145466, 0.4578275, 0.40821073],
      std: [0.26862954, 0.26130258, 0.27577711],
      rescale: 1 / 255,
    };
    const size = 5;
    const images = [0, 1].map((k) =>
      Buffer.from(Array.from({ length: size * size * 3 }, (_, i) => (i * 37 + k * 101) % 256)),
    );
    const expected = new Float32Array(2 * 3 * size * size);
    images.forEach((rgb, b) => {
      for (let c = 0; c < 3; c++)
        for (let p = 0; p < size * size; p++) {
          expected[(b * 3 + c) * size * size + p] = (rgb[p * 3 + c] / 255 - norm.mean[c]) / norm.std[c];
        }
    });
    const fresh = toPixelValues(images, size, norm);
    const reused = toPixelValues(images, size, norm, new Float32Array(4 * 3 * size * size).fill(7));
    for (const got of [fresh, reused]) {
      assert.equal(got.length, expected.length);
      got.forEach((v, i) => {
        assert.ok(Math.abs(v - expected[i]) < 1e-6, `${i}: ${v} vs ${expected[i]}`);
      });
    }
  });

  it('dtype q8 (quantised weights) gives nearly the fp32 vectors', async () => {
    const files = ['plain.jpg', 'gray.jpg'].map((f) => path.join(dir, f));
    const fp32 = await embedImages(files, { progress: false });
    const q8 = await embedImages(files, { progress: false, dtype: 'q8' });
    assert.notDeepEqual(q8.vectors.data, fp32.vectors.data);
    q8.vectors.data.forEach((v, i) => {
      assert.ok(
        Math.abs(v - fp32.vectors.data[i]) < 0.02 * Math.max(1, Math.abs(v)),
        `${i}: ${v} vs ${fp32.vectors.data[i]}`,
      );
    });
  });

  describe('folder cache', () => {
    const photos = tmpDir('cached');
    const cache = path.join(tmpDir('cachedir'), 'photos');
    const load = () => {
      const manifest = JSON.parse(fs.readFileSync(path.join(cache, 'manifest.json'), 'utf8'));
      return { manifest, npy: readNpy(path.join(cache, manifest.vectors)) };
    };

    before(async () => {
      for (let i = 0; i < 6; i++)
        await picture(100 + 20 * i, 90)
          .jpeg()
          .toFile(path.join(photos, `p${i}.jpg`));
    });

    it('stores .npy + manifest; a second run embeds nothing and gives the same vectors', async () => {
      const first = await embedImages(photos, { cache, progress: false });
      assert.equal(first.fromCache, 0);
      const { manifest, npy } = load();
      // The model by its folder's name and a fingerprint of its files, not its path (a moved project keeps it).
      assert.match(manifest.model, /^tiny-clip \(local, [0-9a-f]{12}\)$/);
      assert.equal(manifest.normalize, false);
      assert.deepEqual(
        manifest.files.map((f: { path: string }) => f.path),
        first.files,
      );
      assert.match(manifest.files[0].sha256, /^[0-9a-f]{64}$/);
      assert.deepEqual(npy.shape, [6, 512]);
      assert.deepEqual(npy.data, first.vectors.data);
      const second = await embedImages(photos, { cache, progress: false });
      assert.equal(second.fromCache, 6);
      assert.deepEqual(second.vectors.data, first.vectors.data);
    });

    it('embeds only new or changed files; deleted files drop out', async () => {
      const before = await embedImages(photos, { cache, progress: false });
      await picture(333, 222).jpeg().toFile(path.join(photos, 'p9.jpg'));
      await picture(50, 50).png().toFile(path.join(photos, 'p1.jpg'));
      fs.rmSync(path.join(photos, 'p2.jpg'));
      const after = await embedImages(photos, { cache, progress: false });
      assert.deepEqual(after.files, ['p0.jpg', 'p1.jpg', 'p3.jpg', 'p4.jpg', 'p5.jpg', 'p9.jpg']);
      assert.equal(after.fromCache, 4);
      assert.deepEqual(row(after, 'p0.jpg'), row(before, 'p0.jpg'));
      assert.notDeepEqual(row(after, 'p1.jpg'), row(before, 'p1.jpg'));
      const fresh = await embedImages(photos, { cache: false, progress: false });
      assert.deepEqual(after.vectors.data, fresh.vectors.data);
      assert.deepEqual(load().npy.shape, [6, 512]);
    });

    it('a touched but unchanged file is recognised by its hash', async () => {
      const t = new Date(Date.now() + 5000);
      fs.utimesSync(path.join(photos, 'p0.jpg'), t, t);
      const r = await embedImages(photos, { cache, progress: false });
      assert.equal(r.fromCache, 6);
    });

    it('keeps its cache when the model folder moves; a changed model is another model', async () => {
      const moved = path.join(tmpDir('model-moved'), 'tiny-clip');
      fs.cpSync(tiny, moved, { recursive: true });
      const r = await embedImages(photos, { cache, model: moved, progress: false });
      assert.equal(r.fromCache, 6, 'the same model in another folder: every vector from the cache');
      const config = path.join(moved, 'config.json');
      fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace(/\}\s*$/, ', "edited": true }'));
      await assert.rejects(
        embedImages(photos, { cache, model: moved, progress: false }),
        /holds tiny-clip \(local, \w+\) .*vectors, not tiny-clip \(local, \w+\) .*use another cache folder/,
      );
      unloadModels();
    });

    it('refuses to mix another model or normalisation into the cache', async () => {
      await assert.rejects(
        embedImages(photos, { cache, normalize: true, progress: false }),
        /holds tiny-clip \(local, \w+\) \(fp32, raw\) vectors, not tiny-clip \(local, \w+\) \(fp32, L2-normalised\): use another cache folder/,
      );
      // The default cache folder differs per model and normalisation, so defaults never collide.
      const unit = await embedImages(photos, { normalize: true, progress: false });
      assert.equal(unit.fromCache, 0);
      assert.ok(Math.abs(Math.hypot(...row(unit, 'p0.jpg')) - 1) < 1e-5);
    });

    it('a damaged .npy or manifest is detected and rebuilt', async () => {
      const good = await embedImages(photos, { cache, progress: false });
      const { manifest } = load();
      fs.writeFileSync(path.join(cache, manifest.vectors), Buffer.from('\x93NUMPY garbage'));
      const rebuilt = await embedImages(photos, { cache, progress: false });
      assert.equal(rebuilt.fromCache, 0);
      assert.deepEqual(rebuilt.vectors.data, good.vectors.data);
      fs.writeFileSync(path.join(cache, 'manifest.json'), '{"truncated');
      const again = await embedImages(photos, { cache, progress: false });
      assert.equal(again.fromCache, 0);
      assert.equal((await embedImages(photos, { cache, progress: false })).fromCache, 6);
    });

    it('two folders with the same name keep separate default caches', async () => {
      const a = path.join(tmpDir('same-a'), 'Images');
      const b = path.join(tmpDir('same-b'), 'Images');
      for (const [dirName, w] of [
        [a, 60],
        [b, 90],
      ] as const) {
        fs.mkdirSync(dirName);
        await picture(w, 40).jpeg().toFile(path.join(dirName, 'x.jpg'));
      }
      const ra = await embedImages(a, { progress: false });
      const rb = await embedImages(b, { progress: false });
      assert.notDeepEqual(ra.vectors.data, rb.vectors.data);
      assert.equal((await embedImages(a, { progress: false })).fromCache, 1);
      assert.deepEqual((await embedImages(a, { progress: false })).vectors.data, ra.vectors.data);
    });

    it("keeps another live process's write in progress; the vectors say where they came from", async () => {
      const live = path.join(cache, `manifest.json.${process.ppid}.tmp`);
      fs.writeFileSync(live, 'being written');
      await picture(61, 61).jpeg().toFile(path.join(photos, 'live.jpg'));
      const r = await embedImages(photos, { cache, progress: false });
      fs.rmSync(path.join(photos, 'live.jpg'));
      assert.ok(fs.existsSync(live), 'a write in progress of a running process was deleted');
      fs.rmSync(live);
      assert.deepEqual(r.vectors.source, { model: tiny, normalized: false });
    });

    for (const moment of ['while writing the vectors', 'between the vectors and the manifest']) {
      it(`a process killed ${moment} leaves the previous cache usable`, async () => {
        const good = await embedImages(photos, { cache, progress: false });
        await picture(77, 77).jpeg().toFile(path.join(photos, 'new.jpg'));
        // The child embeds the new photo and is SIGKILLed at the chosen moment of its save.
        const script = `
          const fs = require('fs');
          const lab = require(${JSON.stringify(path.join(__dirname, '..', 'src'))});
          Object.assign(lab.config, ${JSON.stringify({ clipModel: tiny, modelsDir: config.modelsDir })});
          const kill = () => process.kill(process.pid, 'SIGKILL');
          if (${JSON.stringify(moment)}.startsWith('while')) {
            const write = fs.writeFileSync;
            fs.writeFileSync = (f, data, ...rest) => {
              if (String(f).includes('vectors.')) { write(f, data.subarray(0, data.length >> 1)); kill(); }
              return write(f, data, ...rest);
            };
          } else {
            const rename = fs.renameSync;
            fs.renameSync = (a, b) => { if (String(b).endsWith('manifest.json')) kill(); return rename(a, b); };
          }
          lab.embedImages(${JSON.stringify(photos)}, { cache: ${JSON.stringify(cache)}, progress: false });
        `;
        const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
          encoding: 'utf8',
          cwd: path.join(__dirname, '..'),
        });
        assert.equal(r.signal, 'SIGKILL', `the child was not killed: ${r.stderr}`);
        fs.rmSync(path.join(photos, 'new.jpg'));
        const after = await embedImages(photos, { cache, progress: false });
        assert.equal(after.fromCache, 6, 'the previous cache was lost');
        assert.deepEqual(after.vectors.data, good.vectors.data);
        assert.ok(!fs.readdirSync(cache).some((f) => f.endsWith('.tmp')), 'leftovers of the killed write remain');
      });
    }
  });
});
