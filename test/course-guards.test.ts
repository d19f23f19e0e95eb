// Guards on the course data, as the task notebooks meet them: the course's
// queries.zip (nested folder, macOS junk, and a malicious one), the model check
// (the configured CLIP model must be the one that made vectors.csv.gz), and a
// query that is one of the dataset's photos (left out of precision). Real
// embedding throughout, with the tiny generated CLIP models.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { type DemoSet, makeDemoSet, writeClipFiles } from '../src/data/demo';
import { FLOAT, onnxModel } from '../src/data/demo/onnx';
import { gaussian, rng } from '../src/data/synthetic';
import { unloadModels } from '../src/embed/model';
import {
  checkModel,
  config,
  embedImages,
  extractQueriesZip,
  findQueriesZip,
  findSamePhotos,
  judgeModelCheck,
  knnBruteForce,
  loadCourse,
  loadQueries,
  MetricType,
  MODEL_CHECK,
  precisionReport,
  safeEntryPath,
  writeVectorsCsv,
  ZIP_LIMITS,
} from '../src/internal';
import { filesUnder, tmpDir } from './support/data';

/** filesUnder, or none when the folder is not there (yet). */
const filesUnderIfAny = (dir: string) => (fs.existsSync(dir) ? filesUnder(dir) : []);

const saved = { ...config };

/** Every file under dir, relative, sorted. */
/**
 * A second tiny CLIP model: the demo model's shapes and files, other random weights
 * (as ViT-B/16 is to ViT-B/32: same 512-d output, another space).
 */
function writeOtherTinyClip(dir: string, demoModel: string): string {
  writeClipFiles(dir, { name: 'vector-search-lab/tiny-clip-other', textHidden: 32, visionHidden: 32 });
  fs.copyFileSync(path.join(demoModel, 'onnx', 'text_model.onnx'), path.join(dir, 'onnx', 'text_model.onnx'));
  const normal = gaussian(rng(2024));
  const randn = (n: number, scale: number) => Float32Array.from({ length: n }, () => normal() * scale);
  const H = 32;
  const P = 512;
  fs.writeFileSync(
    path.join(dir, 'onnx', 'vision_model.onnx'),
    onnxModel('tiny_clip_vision_other', {
      inputs: [{ name: 'pixel_values', type: FLOAT, shape: ['batch_size', 3, 224, 224] }],
      outputs: [{ name: 'image_embeds', type: FLOAT, shape: ['batch_size', P] }],
      initializers: [
        { name: 'patch_embedding', dims: [H, 3, 32, 32], data: randn(H * 3 * 32 * 32, 0.02) },
        { name: 'visual_projection', dims: [H, P], data: randn(H * P, 0.2) },
      ],
      nodes: [
        {
          op: 'Conv',
          inputs: ['pixel_values', 'patch_embedding'],
          outputs: ['hidden'],
          attrs: { kernel_shape: [32, 32], strides: [32, 32] },
        },
        { op: 'ReduceMean', inputs: ['hidden'], outputs: ['pooled'], attrs: { axes: [2, 3], keepdims: 0 } },
        { op: 'MatMul', inputs: ['pooled', 'visual_projection'], outputs: ['image_embeds'] },
      ],
    }),
  );
  return dir;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let t = 0; t < a.length; t++) {
    ab += a[t] * b[t];
    aa += a[t] * a[t];
    bb += b[t] * b[t];
  }
  return ab / Math.sqrt(aa * bb);
}

describe('course guards', () => {
  let set: DemoSet;
  const queryFiles = ['Chihuahua_q1.jpg', 'Maltese_dog_q1.jpg', 'beagle_q1.jpg', 'golden_retriever_q1.jpg'];
  const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(set.queriesDir, f)));

  before(async () => {
    const options = { breeds: 12, perBreed: 4, queries: 10, log: false as const };
    set = await makeDemoSet(path.join(tmpDir('guards-demo'), 'demo'), options);
  });
  beforeEach(() => {
    unloadModels();
    Object.assign(config, saved, {
      dataDir: set.dataDir,
      clipModel: set.clipModel,
      cacheDir: tmpDir('guards-cache'),
      offline: true,
      queriesDir: path.join(tmpDir('guards-project'), 'queries'),
    });
  });
  after(() => {
    unloadModels();
    Object.assign(config, saved);
  });

  describe('model check', () => {
    it('is quiet on the model that made the vectors: three photos spread over the data, cosine about 1', async () => {
      const course = await loadCourse();
      const check = await checkModel(course);
      assert.equal(check.checked, 3);
      assert.equal(check.sameModel, true);
      assert.equal(check.cause, undefined);
      assert.doesNotMatch(check.message, /WARNING/);
      assert.match(
        check.message,
        /Model check: 3 of the dataset's photos, embedded with .*, get their vectors in vectors\.csv\.gz back/,
      );
      // Spread: one from each third of the dataset, the same ones every time.
      const n = course.rows.length;
      check.rows.forEach((id, i) => {
        assert.ok(id >= (i * n) / 3 && id < ((i + 1) * n) / 3, `row ${id} in third ${i}`);
      });
      assert.deepEqual((await checkModel(course)).rows, check.rows);
      // The cosines against a reference: the photos embedded here by hand, compared with their rows.
      const d = course.vectors.d;
      const photos = check.rows.map((id) => course.imagePath(course.rows[id])!);
      const emb = await embedImages(photos, { cache: false, progress: false });
      check.rows.forEach((id, i) => {
        const mine = emb.vectors.data.subarray(i * d, (i + 1) * d);
        const want = cosine(mine, course.vectors.data.subarray(id * d, (id + 1) * d));
        assert.ok(Math.abs(check.cosines[i] - want) < 1e-9, `${check.cosines[i]} vs ${want}`);
        assert.ok(check.cosines[i] > 0.9999, `cosine ${check.cosines[i]}`);
      });
    });

    it('warns when another model (a second tiny CLIP, other weights) made vectors.csv.gz', async () => {
      const other = writeOtherTinyClip(path.join(tmpDir('guards-models'), 'tiny-clip-other'), set.clipModel);
      // The course file as another model would have made it: the same photos and rows, its vectors.
      const course = await loadCourse();
      const files = course.rows.map((r) => course.imagePath(r)!);
      const emb = await embedImages(files, { model: other, cache: false, progress: false });
      assert.equal(emb.vectors.n, course.rows.length);
      const dataDir = tmpDir('guards-other-data');
      const file = path.join(dataDir, 'vectors.csv.gz');
      await writeVectorsCsv(file, course.rows, emb.vectors);
      const foreign = await loadCourse({ file, photos: set.photosDir });

      const check = await checkModel(foreign);
      assert.equal(check.checked, 3);
      assert.equal(check.sameModel, false);
      assert.ok(Math.max(...check.cosines) < MODEL_CHECK.close, `cosines ${check.cosines}`);
      const shown = check.cosines.map((c) => c.toFixed(3)).join(', ');
      console.log(`      cosines against another tiny model's vectors: ${shown}`);
      assert.match(check.message, /^WARNING: the query vectors do not match vectors\.csv\.gz/);
      assert.match(check.message, /Set LAB_CLIP_MODEL to the model that made vectors\.csv\.gz/);
      assert.match(check.message, /ViT-B\/16|another CLIP model/);

      // loadQueries says it in its note and keeps the check.
      const q = await loadQueries(foreign, { dir: set.queriesDir });
      assert.equal(q.modelCheck?.sameModel, false);
      assert.match(q.note, /WARNING: the query vectors do not match/);
      // And the right model, pointed at that file, is quiet.
      config.clipModel = other;
      unloadModels();
      const right = await checkModel(foreign);
      assert.equal(right.sameModel, true);
      assert.ok(
        right.cosines.every((c) => c > 0.9999),
        `${right.cosines}`,
      );
    });

    it('without the photos it checks nothing and says so; the bands of the verdict', async () => {
      const course = await loadCourse({ photos: tmpDir('guards-no-photos') });
      assert.equal(course.photosDir, undefined);
      const check = await checkModel(course);
      assert.deepEqual([check.checked, check.sameModel, check.cosines], [0, undefined, []]);
      assert.match(check.message, /Model check skipped: none of the dataset's photos is here/);

      const m = { model: 'M', file: 'data/vectors.csv.gz' };
      assert.deepEqual(pick(judgeModelCheck([1, 0.9999, 0.995], m)), [true, undefined]);
      assert.deepEqual(pick(judgeModelCheck([0.95, 0.97, 0.99], m)), [true, 'preprocessing']);
      const close = judgeModelCheck([0.95, 0.97, 0.99], m).message;
      assert.match(close, /close to vectors\.csv\.gz's, not equal .*resize filter/);
      assert.deepEqual(pick(judgeModelCheck([0.7, 0.8, 0.6], m)), [false, 'preprocessing']);
      const far = judgeModelCheck([0.7, 0.8, 0.6], m).message;
      assert.match(far, /^WARNING: .*another CLIP model .*cropped to the dog's box/);
      assert.deepEqual(pick(judgeModelCheck([0.1, 0.02, -0.05], m)), [false, 'model']);
      const wider = { ...m, dims: { model: 768, course: 512 } };
      assert.deepEqual(pick(judgeModelCheck([0.9, 0.9, 0.9], wider)), [false, 'model']);
      assert.deepEqual(pick(judgeModelCheck([], m)), [undefined, undefined]);
    });
  });

  describe('queries.zip', () => {
    function courseZip(): Uint8Array {
      const files: Record<string, Uint8Array> = { 'queries/': new Uint8Array(0) };
      for (const f of queryFiles) {
        files[`queries/${f}`] = read(f);
        files[`__MACOSX/queries/._${f}`] = new Uint8Array(Buffer.from('AppleDouble resource fork'));
      }
      files['queries/.DS_Store'] = new Uint8Array(64);
      files['__MACOSX/'] = new Uint8Array(0);
      return zipSync(files, { level: 6 });
    }

    it('finds queries.zip beside queries/ (the project folder), inside it, or in the data folder', () => {
      const root = tmpDir('guards-find');
      const queries = path.join(root, 'queries');
      const data = path.join(root, 'data');
      fs.mkdirSync(queries);
      fs.mkdirSync(data);
      assert.equal(findQueriesZip(queries, data), undefined);
      fs.writeFileSync(path.join(data, 'queries.zip'), 'x');
      assert.equal(findQueriesZip(queries, data), path.join(data, 'queries.zip'));
      fs.writeFileSync(path.join(queries, 'queries.zip'), 'x');
      assert.equal(findQueriesZip(queries, data), path.join(queries, 'queries.zip'));
      fs.writeFileSync(path.join(root, 'queries.zip'), 'x');
      assert.equal(findQueriesZip(queries, data), path.join(root, 'queries.zip'));
    });

    it('loads the same queries as the folder: nested folder dropped, macOS junk ignored, unpacked once', async () => {
      const course = await loadCourse();
      const folder = tmpDir('guards-folder');
      for (const f of queryFiles) fs.copyFileSync(path.join(set.queriesDir, f), path.join(folder, f));
      const want = await loadQueries(course, { dir: folder });

      const project = path.dirname(config.queriesDir);
      fs.writeFileSync(path.join(project, 'queries.zip'), courseZip());
      const q = await loadQueries(course); // no queries/ folder at all: the zip beside where it would be
      assert.ok(q.zip, 'read from the zip');
      assert.equal(q.zip.fromCache, false);
      assert.ok(q.zip.dir.startsWith(path.join(config.cacheDir, 'queries-zip') + path.sep));
      assert.deepEqual(q.zip.files, queryFiles.slice().sort());
      assert.deepEqual(q.zip.skipped, []);
      assert.equal(q.zip.junk, 2 + 4 + 1, 'two folders, four AppleDouble files, .DS_Store');
      assert.deepEqual(q.names, want.names);
      assert.deepEqual(q.classes, want.classes);
      assert.deepEqual(q.vectors.data, want.vectors.data);
      assert.deepEqual(
        q.images,
        q.names.map((f) => path.join(q.zip!.dir, f)),
      );
      assert.equal(q.database.vectors.n, course.vectors.n);
      assert.match(
        q.note,
        new RegExp(
          '^4 query photos from .*queries\\.zip \\(unpacked into .*queries-zip/[0-9a-f]{16}/; ' +
            '7 folder and macOS entries ignored\\), breeds from the file names\\.',
        ),
      );
      assert.equal(q.modelCheck?.sameModel, true);
      // The second load uses the unpacked copy.
      const again = await loadQueries(course);
      assert.equal(again.zip?.fromCache, true);
      assert.deepEqual(again.vectors.data, q.vectors.data);
      // Photos in queries/ win over the zip.
      fs.mkdirSync(config.queriesDir);
      fs.copyFileSync(path.join(set.queriesDir, queryFiles[0]), path.join(config.queriesDir, queryFiles[0]));
      const folderFirst = await loadQueries(course);
      assert.equal(folderFirst.zip, undefined);
      assert.deepEqual(folderFirst.names, [queryFiles[0]]);
    });

    it('labels.csv inside the zip names the breeds', async () => {
      const course = await loadCourse();
      const zip = path.join(path.dirname(config.queriesDir), 'queries.zip');
      fs.writeFileSync(
        zip,
        zipSync({
          'Q/photo1.jpg': read('beagle_q1.jpg'),
          'Q/photo2.jpg': read('Chihuahua_q1.jpg'),
          'Q/labels.csv': new Uint8Array(Buffer.from('file,breed\nphoto1.jpg,beagle\nphoto2.jpg,Chihuahua\n')),
        }),
      );
      const q = await loadQueries(course);
      assert.deepEqual(q.names, ['photo1.jpg', 'photo2.jpg']);
      assert.deepEqual(q.classes, ['beagle', 'Chihuahua']);
      assert.match(q.note, /breeds from labels\.csv in queries\.zip/);
    });

    it('a malicious zip: ../, absolute paths, a huge entry skipped; nothing is written outside the cache', async () => {
      const course = await loadCourse();
      const base = tmpDir('guards-evil');
      const project = path.join(base, 'a', 'b', 'project');
      fs.mkdirSync(project, { recursive: true });
      Object.assign(config, { queriesDir: path.join(project, 'queries'), cacheDir: path.join(project, 'cache') });
      const huge = new Uint8Array(ZIP_LIMITS.maxEntryBytes + 1); // zeros: deflates to a few dozen KB
      const evil = {
        'queries/beagle_q1.jpg': read('beagle_q1.jpg'),
        '../x.jpg': read('Chihuahua_q1.jpg'),
        'queries/../../../../escape.jpg': read('Chihuahua_q1.jpg'),
        [`${base}/absolute.jpg`]: read('Chihuahua_q1.jpg'),
        'C:\\windows.jpg': read('Chihuahua_q1.jpg'),
        'queries\\..\\..\\backslash.jpg': read('Chihuahua_q1.jpg'),
        'queries/huge.jpg': huge,
        'queries/notes.txt': new Uint8Array(Buffer.from('not a photo')),
      };
      fs.writeFileSync(path.join(project, 'queries.zip'), zipSync(evil, { level: 1 }));
      const before = filesUnderIfAny(base);

      const q = await loadQueries(course);
      assert.deepEqual(q.names, ['beagle_q1.jpg']);
      assert.deepEqual(q.classes, ['beagle']);
      const reasons = Object.fromEntries(q.zip!.skipped.map((s) => [s.entry, s.reason]));
      const bad = Object.keys(evil).filter((k) => k !== 'queries/beagle_q1.jpg');
      assert.deepEqual(Object.keys(reasons).sort(), bad.sort());
      assert.match(reasons['../x.jpg'], /^unsafe: a path that leads out of the folder/);
      assert.match(reasons['queries/../../../../escape.jpg'], /^unsafe: a path that leads out/);
      assert.match(reasons[`${base}/absolute.jpg`], /^unsafe: an absolute path/);
      assert.match(reasons['C:\\windows.jpg'], /^unsafe: an absolute path/);
      assert.match(reasons['queries\\..\\..\\backslash.jpg'], /^unsafe: a path that leads out/);
      assert.match(reasons['queries/huge.jpg'], /^too big: 64 MiB unpacked \(at most 64 MiB per photo\)/);
      assert.match(reasons['queries/notes.txt'], /^not a photo/);
      assert.match(q.note, /Not unpacked from queries\.zip: .*\.\.\/x\.jpg \(unsafe: a path that leads out/);

      // Outside the cache nothing changed; inside it, the zip's folder holds the one good photo.
      const after = filesUnderIfAny(base);
      const cache = path.relative(base, config.cacheDir) + path.sep;
      assert.deepEqual(
        after.filter((f) => !f.startsWith(cache)),
        before,
      );
      const unpacked = filesUnderIfAny(path.join(config.cacheDir, 'queries-zip'));
      const sha = path.basename(q.zip!.dir);
      assert.deepEqual(unpacked, [path.join(sha, '.queries-zip.json'), path.join(sha, 'beagle_q1.jpg')]);
      for (const f of after) {
        assert.doesNotMatch(path.basename(f), /^(x|escape|absolute|windows|backslash|huge)\.jpg$/, f);
      }
      assert.ok(!fs.existsSync(path.join(base, 'absolute.jpg')));
    });

    it('caps the whole zip, refuses a file that is not a zip, and checks entry names', () => {
      const dir = tmpDir('guards-caps');
      const zip = path.join(dir, 'queries.zip');
      const photo = read('beagle_q1.jpg');
      fs.writeFileSync(zip, zipSync({ 'a.jpg': photo, 'b.jpg': photo, 'c.jpg': photo }, { level: 0 }));
      const x = extractQueriesZip(zip, { cacheDir: path.join(dir, 'cache'), maxBytes: 2 * photo.length + 10 });
      assert.deepEqual(x.files, ['a.jpg', 'b.jpg']);
      assert.deepEqual(
        x.skipped.map((s) => s.entry),
        ['c.jpg'],
      );
      assert.match(x.skipped[0].reason, /over the limit for the whole zip/);
      // Headers that lie about the unpacked size: never more is inflated than they say.
      const lying = Buffer.from(zipSync({ 'small.jpg': photo, 'big.jpg': photo }, { level: 6 }));
      const setSize = (name: string, size: number) => {
        const sig = Buffer.from('PK\x01\x02', 'latin1');
        for (let o = lying.indexOf(sig); o >= 0; o = lying.indexOf(sig, o + 4)) {
          const len = lying.readUInt16LE(o + 28);
          if (lying.subarray(o + 46, o + 46 + len).toString() === name) lying.writeUInt32LE(size, o + 24);
        }
      };
      setSize('small.jpg', 100); // says 100 bytes, holds the whole photo
      setSize('big.jpg', photo.length * 3); // says more than it holds
      fs.writeFileSync(zip, lying);
      const l = extractQueriesZip(zip, { cacheDir: path.join(dir, 'cache') });
      assert.deepEqual(l.files, ['small.jpg']);
      assert.equal(fs.statSync(path.join(l.dir, 'small.jpg')).size, 100, 'cut at the declared size');
      assert.deepEqual(
        l.skipped.map((s) => s.entry),
        ['big.jpg'],
      );
      assert.match(l.skipped[0].reason, /^damaged: /);

      fs.writeFileSync(zip, 'this is not a zip file at all, just text');
      assert.throws(
        () => extractQueriesZip(zip, { cacheDir: path.join(dir, 'cache') }),
        /cannot unpack .*queries\.zip: .*is it a zip file\?/,
      );
      assert.throws(() => extractQueriesZip(path.join(dir, 'none.zip')), /cannot read .*none\.zip: no such file/);
      assert.deepEqual(safeEntryPath('./q/./a.jpg'), { path: 'q/a.jpg' });
      assert.deepEqual(safeEntryPath('q\\a.jpg'), { path: 'q/a.jpg' });
      assert.ok('refused' in safeEntryPath('\\\\server\\share\\a.jpg'));
      assert.ok('refused' in safeEntryPath('q/..'));
    });
  });

  describe('a query that is a dataset photo', () => {
    it('is flagged with its row, named, left out of precision; the mean is the hand-computed one', async () => {
      const course = await loadCourse();
      const dir = tmpDir('guards-same');
      for (const f of queryFiles) fs.copyFileSync(path.join(set.queriesDir, f), path.join(dir, f));
      const dup = course.rows.findIndex((r) => r.class === 'beagle');
      fs.copyFileSync(course.imagePath(course.rows[dup])!, path.join(dir, 'beagle_from_dataset.jpg'));
      const q = await loadQueries(course, { dir });
      const i = q.names.indexOf('beagle_from_dataset.jpg');
      assert.ok(i >= 0);

      // Reference: plain brute force, squared L2 to every row.
      const d = course.vectors.d;
      const nearest = q.names.map((_, k) => {
        const xq = q.vectors.data.subarray(k * d, (k + 1) * d);
        let qq = 0;
        for (let t = 0; t < d; t++) qq += xq[t] * xq[t];
        let best = -1;
        let bestDist = Infinity;
        for (let r = 0; r < course.vectors.n; r++) {
          let s = 0;
          for (let t = 0; t < d; t++) s += (xq[t] - course.vectors.data[r * d + t]) ** 2;
          if (s < bestDist) {
            bestDist = s;
            best = r;
          }
        }
        return { best, rel: bestDist / qq };
      });
      assert.equal(nearest[i].best, dup);
      assert.ok(nearest[i].rel < 1e-6, `relative distance ${nearest[i].rel}`);
      q.names.forEach((name, k) => {
        assert.equal(q.sameAs[k], nearest[k].rel < 1e-6 ? nearest[k].best : undefined, name);
      });
      assert.deepEqual(
        q.sameAs.filter((x) => x !== undefined),
        [dup],
      );
      assert.deepEqual(
        q.scoredClasses,
        q.classes.map((c, k) => (k === i ? undefined : c)),
      );
      assert.equal(q.classes[i], 'beagle');
      const file = path.posix.join(course.rows[dup].dir, course.rows[dup].filename);
      const said = `beagle_from_dataset.jpg is the dataset's photo #${dup} (${file}): it finds itself`;
      assert.ok(q.note.includes(said), q.note);

      // precision@3 without it: by hand from the labels.
      const k = 3;
      const res = knnBruteForce(q.database.vectors.data, q.vectors.data, d, k, MetricType.L2);
      assert.equal(Number(res.labels[i * k]), dup, 'it finds itself first');
      const per = q.names.map((_, j) => {
        let hits = 0;
        for (let r = 0; r < k; r++) hits += course.rows[Number(res.labels[j * k + r])].class === q.classes[j] ? 1 : 0;
        return hits / k;
      });
      const counted = per.filter((_, j) => j !== i);
      const report = precisionReport(q, res, k);
      assert.ok(Math.abs(report.mean - counted.reduce((s, v) => s + v, 0) / counted.length) < 1e-12);
      assert.deepEqual(report.samePhoto, ['beagle_from_dataset.jpg']);
      assert.deepEqual(report.unknown, []);
      const why = `the dataset's photo #${dup} (${course.rows[dup].filename}): finds itself`;
      assert.equal(report.rows[i]['left out'], why);
      assert.equal(report.rows[i]['precision@3'], per[i]);
      report.rows.forEach((r, j) => {
        if (j !== i) assert.equal(r['left out'], '');
      });
      // Without sameAs (an older caller), every known query counts, as before.
      const plain = precisionReport({ names: q.names, classes: q.classes, database: q.database }, res, k);
      assert.ok(Math.abs(plain.mean - per.reduce((s, v) => s + v, 0) / per.length) < 1e-12);
      assert.equal('left out' in plain.rows[0], false);
    });

    it('a re-encoded dataset photo is caught by its dataset name; under another name it is not', async () => {
      const course = await loadCourse();
      const dir = tmpDir('guards-reencoded');
      const row = course.rows.findIndex((r) => r.class === 'Maltese_dog');
      const src = course.imagePath(course.rows[row])!;
      await sharp(src).jpeg({ quality: 70 }).toFile(path.join(dir, course.rows[row].filename));
      await sharp(src).jpeg({ quality: 70 }).toFile(path.join(dir, 'Maltese_dog_mine.jpg'));
      const q = await loadQueries(course, { dir });
      const byName = Object.fromEntries(q.names.map((n, j) => [n, q.sameAs[j]]));
      assert.equal(byName[course.rows[row].filename], row);
      assert.equal(byName['Maltese_dog_mine.jpg'], undefined);
    });

    it('findSamePhotos: relative tolerance, the closest of two copies, refuses other dimensions', () => {
      const d = 8;
      const db = new Float32Array(5 * d).map((_, j) => Math.sin(j + 1) * 10);
      const q = new Float32Array(3 * d);
      q.set(db.subarray(2 * d, 3 * d), 0); // row 2 exactly
      q.set(db.subarray(4 * d, 5 * d), d); // row 4, one value nudged by 3%: relative distance about 2e-4
      q[d] *= 1 + 3e-2;
      q.set(
        db.subarray(0, d).map((v) => v + 3),
        2 * d,
      ); // nowhere near
      db.set(
        db.subarray(2 * d, 3 * d).map((v) => v * (1 + 1e-5)),
        3 * d,
      ); // a near copy of row 2
      const same = findSamePhotos({ data: q, n: 3, d }, { data: db, n: 5, d });
      assert.deepEqual(same.ids, [2, undefined, undefined]);
      assert.equal(same.relative[0], 0);
      assert.deepEqual(findSamePhotos({ data: q, n: 3, d }, { data: db, n: 5, d }, 0.01).ids, [2, 4, undefined]);
      const other = { data: db, n: 10, d: 4 };
      assert.throws(() => findSamePhotos({ data: q, n: 3, d }, other), /queries are 8-d and the database 4-d/);
    });
  });
});

function pick(v: { sameModel: boolean | undefined; cause?: string }): Array<boolean | string | undefined> {
  return [v.sameModel, v.cause];
}
