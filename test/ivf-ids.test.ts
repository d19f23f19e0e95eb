// IVF with stable photo ids: ids are hashes of relative paths; the index round-trips
// through add / remove / update / save / load with the same answers as a brute-force
// search over the photos it should hold; recall rises with nprobe; an index and an
// id map that are out of step are refused; ivfCells keeps faiss's k-means quiet.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusteredVectors } from '../src/data/synthetic';
import {
  IdMap,
  IndexFlatL2,
  type IndexIVFFlat,
  idMapFileOf,
  indexFactory,
  ivfCells,
  knnBruteForce,
  type Matrix,
  MetricType,
  normalizePhotoPath,
  PhotoIdCollision,
  PhotoIndex,
  photoId,
  recallAtK,
  type SearchResults,
} from '../src/internal';
import { takeRows } from '../src/util/vectors';
import { tmpDir } from './support/data';

const d = 32;
const N = 3000;
const all = clusteredVectors({ n: N + 400, d, clusters: 40, spread: 1.5, seed: 11 });
// Photo i lives in the folder of its cluster, as Stanford Dogs keeps one folder per breed.
const fileOf = (i: number) =>
  `Images/n${String(all.classes[i]).padStart(8, '0')}-breed${all.classes[i]}/photo_${i}.jpg`;
const files = Array.from({ length: N + 400 }, (_, i) => fileOf(i));
const rowsOf = (ids: number[]): Matrix => takeRows(all, ids);
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
const queries = takeRows(clusteredVectors({ n: 40, d, clusters: 40, spread: 1.5, seed: 11 }), range(0, 40));
const k = 10;
const dir = tmpDir('ivf-ids');

/** The exact answer over the photos `held` (row numbers of `all`), as files per query, nearest first. */
function exactFiles(held: number[], xq: Matrix, kk = k): string[][] {
  const ref = knnBruteForce(rowsOf(held).data, xq.data, d, kk, MetricType.L2);
  return Array.from({ length: xq.n }, (_, q) => ref.ids(q).map((r) => files[held[r]]));
}

function foundFiles(index: PhotoIndex, res: SearchResults): string[][] {
  return Array.from({ length: res.n }, (_, q) => index.hits(res, q).map((h) => h.file));
}

/** Same files per query; where the order differs, the distances must tie (float rounding). */
function sameFiles(got: string[][], want: string[][]): void {
  assert.equal(got.length, want.length);
  for (let q = 0; q < want.length; q++) assert.deepEqual([...got[q]].sort(), [...want[q]].sort(), `query ${q}`);
}

describe('photo ids', () => {
  it('are 52-bit hashes of the normalised relative path: stable, safe integers', () => {
    // Today's value: the same on every machine and every run (sha256 of the path).
    assert.equal(photoId('Images/n02111889-Samoyed/n02111889_1363.jpg'), 451290961174117);
    for (const f of files.slice(0, 500)) {
      const id = photoId(f);
      assert.ok(Number.isSafeInteger(id) && id >= 0 && id < 2 ** 52, f);
    }
    assert.equal(normalizePhotoPath('./Images\\a\\b.jpg'), 'Images/a/b.jpg');
    assert.equal(photoId('./Images\\a//b.jpg'), photoId('Images/a/b.jpg'));
    assert.equal(photoId('Mu\u0308nchen.jpg'), photoId('M\u00fcnchen.jpg')); // NFD (macOS) and NFC agree
    assert.throws(() => photoId('/abs/a.jpg'), /absolute/);
    assert.throws(() => photoId('../a.jpg'), /leaves the dataset/);
  });

  it('the id map refuses duplicates, collisions and entries whose id is not their hash', () => {
    const m = IdMap.fromFiles(['a.jpg', 'b.jpg']);
    assert.throws(() => m.add(['a.jpg']), /already in the id map/);
    assert.throws(() => IdMap.fromFiles(['x.jpg', './x.jpg']), /already in the id map/);
    // A 2-bit hash makes collisions certain among 10 files.
    assert.throws(
      () =>
        IdMap.fromFiles(
          range(0, 10).map((i) => `p${i}.jpg`),
          (f) => photoId(f) % 4,
        ),
      (e: unknown) => {
        assert.ok(e instanceof PhotoIdCollision);
        assert.match(e.message, /both hash to id \d \(a 1 in 2\^52 chance\): rename one of the two files/);
        return true;
      },
    );
    assert.equal(m.size, 2, 'a refused add changes nothing');
    assert.throws(
      () => IdMap.fromEntries([[photoId('a.jpg') + 1, 'a.jpg']], 'm.json'),
      /m\.json: entry 0 gives "a.jpg" id \d+, but its id is/,
    );
  });

  it('ivfCells: min(round(sqrt(n)), floor(n / 39)), at least 1', () => {
    assert.equal(ivfCells(20580), 143); // the course: sqrt rules
    assert.equal(ivfCells(300), 7); // the demo set: 300 / 39 rules (sqrt would be 17)
    assert.equal(ivfCells(230), 5);
    assert.equal(ivfCells(100000), 316);
    assert.equal(ivfCells(20), 1);
    assert.throws(() => ivfCells(0), /1 or more/);
  });

  it('ivfCells keeps faiss quiet: sqrt(n) cells on 300 vectors makes k-means warn on stderr, ivfCells does not', () => {
    const script = (cells: string) => `
      const { PhotoIndex, clusteredVectors } = require('./src');
      const x = clusteredVectors({ n: 300, d: 16, clusters: 10 });
      const files = Array.from({ length: 300 }, (_, i) => 'p' + i + '.jpg');
      PhotoIndex.build(files, x, ${cells}).then((p) => { p.dispose(); return PhotoIndex.build(files.slice(0, 20), { data: x.data.slice(0, 320), n: 20, d: 16 }); })
        .then((p) => { process.stdout.write('built ' + p.nlist); p.dispose(); });`;
    const run = (src: string) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', src], {
        encoding: 'utf8',
        cwd: path.join(__dirname, '..'),
      });
      assert.equal(r.status, 0, r.stderr);
      return r;
    };
    const quiet = run(script('{}'));
    assert.equal(quiet.stdout, 'built 1'); // 20 photos: one cell, trained without a warning too
    assert.equal(quiet.stderr, '');
    const loud = run(script('{ cells: 17 }'));
    assert.match(
      loud.stderr,
      /WARNING clustering 300 points to 17 centroids: please provide at least 663 training points/,
    );
  });
});

describe('PhotoIndex (IVF with ids)', () => {
  const held = range(0, N);
  let index: PhotoIndex;

  before(async () => {
    index = await PhotoIndex.build(
      held.map((i) => files[i]),
      rowsOf(held),
    );
  });
  after(() => index?.dispose());

  it('is index_factory("IVF{cells},Flat") trained on the vectors, with cells = ivfCells(n)', () => {
    assert.equal(index.index.className, 'IndexIVFFlat');
    assert.equal(index.nlist, ivfCells(N)); // 55
    assert.equal(index.ntotal, N);
    assert.equal(index.ids.size, N);
  });

  it('built by hand (indexFactory, train, addWithIds with ids.labelsOf) and taken over: the same files', () => {
    const ids = IdMap.fromFiles(held.map((i) => files[i]));
    assert.throws(() => ids.labelsOf(['not/in/the/map.jpg']), /has no id in the map/);
    const ivf = indexFactory(d, `IVF${ivfCells(N)},Flat`) as IndexIVFFlat;
    ivf.train(rowsOf(held));
    ivf.addWithIds(rowsOf(held), ids.labelsOf(held.map((i) => files[i])));
    assert.throws(() => PhotoIndex.fromIndex(new IndexFlatL2(d), ids), /an IVF index/);
    const byHand = PhotoIndex.fromIndex(ivf, ids);
    byHand.nprobe = byHand.nlist;
    sameFiles(foundFiles(byHand, byHand.search(queries, k)), exactFiles(held, queries));
    assert.throws(
      () => PhotoIndex.fromIndex(ivf, IdMap.fromFiles(['a.jpg'])),
      /holds \d+ vectors but the id map 1 photos/,
    );
    byHand.dispose();
  });

  it('with nprobe = nlist it finds exactly what brute force finds, by file', () => {
    index.nprobe = index.nlist;
    sameFiles(foundFiles(index, index.search(queries, k)), exactFiles(held, queries));
    const res = index.search(queries, k);
    const h = index.hits(res, 0)[0];
    assert.equal(h.id, photoId(h.file));
  });

  it('recall@10 against exact rises with nprobe and reaches 1 at nprobe = nlist', () => {
    const ref = knnBruteForce(rowsOf(held).data, queries.data, d, k, MetricType.L2); // labels: rows of `all`
    const rowOf = new Map(held.map((i) => [files[i], i]));
    const recalls: number[] = [];
    const probes = [1, 2, 4, 8, 16, 32, index.nlist];
    for (const nprobe of probes) {
      index.nprobe = nprobe;
      const got = index.relabel(index.search(queries, k), (f) => rowOf.get(f));
      recalls.push(recallAtK(ref, got, k));
    }
    // Today: 0.5025, 0.64, 0.75, 0.83, 0.9275, 0.99, 1 at nprobe 1, 2, 4, 8, 16, 32, 55 (40 queries, 55 cells).
    for (let i = 1; i < recalls.length; i++)
      assert.ok(
        recalls[i] >= recalls[i - 1],
        `recall fell from nprobe ${probes[i - 1]} to ${probes[i]}: ${recalls.join(', ')}`,
      );
    assert.ok(recalls[0] < 0.8, `nprobe 1 should miss neighbours: ${recalls[0]}`);
    assert.equal(recalls[recalls.length - 1], 1);
  });

  it('ids survive removing and re-adding photos; save and load give the same answers', async () => {
    index.nprobe = index.nlist;
    const before = new Map(held.map((i) => [files[i], index.ids.idOf(files[i])]));
    const gone = range(0, 300).map((i) => i * 7);
    assert.equal(index.remove(gone.map((i) => files[i])), 300);
    const now = held.filter((i) => !gone.includes(i));
    sameFiles(foundFiles(index, index.search(queries, k)), exactFiles(now, queries));
    // New photos and the removed ones back: every photo keeps the id it had.
    const fresh = range(N, N + 400);
    await index.add(
      fresh.map((i) => files[i]),
      rowsOf(fresh),
    );
    await index.add(
      gone.map((i) => files[i]),
      rowsOf(gone),
    );
    for (const [f, id] of before) assert.equal(index.ids.idOf(f), id, f);
    const everything = [...held, ...fresh];
    sameFiles(foundFiles(index, index.search(queries, k)), exactFiles(everything, queries));
    await assert.rejects(index.add([files[5]], rowsOf([5])), /already in the index/);

    const file = path.join(dir, 'dogs.faiss');
    const saved = index.save(file);
    assert.equal(saved.map, path.join(dir, 'dogs.ids.json'));
    const loaded = PhotoIndex.load(file);
    try {
      assert.equal(loaded.ntotal, N + 400);
      assert.equal(loaded.nlist, index.nlist);
      assert.deepEqual(loaded.ids.entries(), index.ids.entries());
      loaded.nprobe = loaded.nlist;
      const a = index.search(queries, k);
      const b = loaded.search(queries, k);
      assert.deepEqual([...b.labels], [...a.labels]);
      assert.deepEqual([...b.distances], [...a.distances]);
      // A loaded index goes on changing like a built one.
      assert.equal(loaded.remove(fresh.map((i) => files[i])), 400);
      sameFiles(foundFiles(loaded, loaded.search(queries, k)), exactFiles(held, queries));
    } finally {
      loaded.dispose();
    }
  });

  it('update() removes photos gone from the folder, adds new ones and replaces changed ones', async () => {
    const p = await PhotoIndex.build(
      held.map((i) => files[i]),
      rowsOf(held),
    );
    try {
      p.nprobe = p.nlist;
      // The folder now: photos 0..99 deleted, 3000..3199 new.
      const listing = [...range(100, N), ...range(N, N + 200)];
      const r1 = await p.update(
        listing.map((i) => files[i]),
        rowsOf(listing),
      );
      assert.equal(r1.removed.length, 100);
      assert.deepEqual(
        r1.added,
        range(N, N + 200).map((i) => files[i]),
      );
      assert.equal(r1.kept, N - 100);
      assert.equal(p.ntotal, listing.length);
      sameFiles(foundFiles(p, p.search(queries, k)), exactFiles(listing, queries));
      // Nothing changed: nothing to do.
      const r2 = await p.update(
        listing.map((i) => files[i]),
        rowsOf(listing),
      );
      assert.deepEqual([r2.added.length, r2.removed.length, r2.kept], [0, 0, listing.length]);
      // Photo 500's file now holds photo 3300's picture: same path, same id, new vector.
      const changed = listing.map((i) => (i === 500 ? 3300 : i));
      const r3 = await p.update(
        listing.map((i) => files[i]),
        rowsOf(changed),
        { changed: [files[500]] },
      );
      assert.deepEqual([r3.added, r3.removed], [[files[500]], [files[500]]]);
      const q = rowsOf([3300]);
      const top = p.hits(p.search(q, 1), 0)[0];
      assert.equal(top.file, files[500]);
      assert.equal(top.distance, 0);
    } finally {
      p.dispose();
    }
  });

  describe('an index and an id map out of step are refused', () => {
    let a: string;
    let b: string;
    before(async () => {
      a = path.join(dir, 'a.faiss');
      b = path.join(dir, 'b.faiss');
      const pa = await PhotoIndex.build(
        range(0, 1000).map((i) => files[i]),
        rowsOf(range(0, 1000)),
      );
      const pb = await PhotoIndex.build(
        range(0, 999).map((i) => files[i]),
        rowsOf(range(0, 999)),
      );
      pa.save(a);
      pb.save(b);
      pa.dispose();
      pb.dispose();
      for (const f of [a, idMapFileOf(a)]) fs.copyFileSync(f, `${f}.bak`);
    });
    const restore = () => {
      for (const f of [a, idMapFileOf(a)]) if (fs.existsSync(`${f}.bak`)) fs.copyFileSync(`${f}.bak`, f);
    };
    afterEach(restore);

    it("another index under the map's name: both files named, with what differs", () => {
      fs.copyFileSync(b, a);
      assert.throws(
        () => PhotoIndex.load(a),
        (e: Error) => {
          assert.ok(e.message.includes(a) && e.message.includes(idMapFileOf(a)), e.message);
          assert.match(
            e.message,
            /are out of step: .*bytes, the map was written for \d+; its SHA-256 is [0-9a-f]{12}…, the map's/,
          );
          return true;
        },
      );
    });

    it('the same size but other bytes (a changed vector) is caught by the SHA-256', () => {
      const bytes = fs.readFileSync(a);
      bytes[bytes.length - 5] ^= 0xff;
      fs.writeFileSync(a, bytes);
      assert.throws(() => PhotoIndex.load(a), /out of step: its SHA-256 is/);
    });

    it('a map missing, edited, or naming other photos', () => {
      fs.rmSync(idMapFileOf(a));
      assert.throws(() => PhotoIndex.load(a), /a\.ids\.json does not exist/);
      restore();
      const rec = JSON.parse(fs.readFileSync(idMapFileOf(a), 'utf8'));
      rec.photos.pop(); // one photo fewer, fingerprint untouched
      fs.writeFileSync(idMapFileOf(a), JSON.stringify(rec));
      assert.throws(() => PhotoIndex.load(a), /out of step: .*holds 1000 vectors, .*names 999 photos/);
      rec.photos.push([photoId('x.jpg') + 1, 'x.jpg']);
      fs.writeFileSync(idMapFileOf(a), JSON.stringify(rec));
      assert.throws(() => PhotoIndex.load(a), /gives "x\.jpg" id \d+, but its id is/);
      fs.writeFileSync(idMapFileOf(a), '{"format":"something else"}');
      assert.throws(() => PhotoIndex.load(a), /is not a photo id map/);
    });

    it('the untouched pair loads', () => {
      const p = PhotoIndex.load(a);
      assert.equal(p.ntotal, 1000);
      p.dispose();
    });
  });

  it('inner product on normalised vectors, and bad arguments refused', async () => {
    await assert.rejects(PhotoIndex.build(['a.jpg'], rowsOf([0, 1])), /one file per vector \(2\)/);
    await assert.rejects(PhotoIndex.build(['a.jpg', 'a.jpg'], rowsOf([0, 1])), /already in the id map/);
    await assert.rejects(
      PhotoIndex.build(['a.jpg', 'b.jpg'], rowsOf([0, 1]), { metric: MetricType.L1 }),
      /L2 and INNER_PRODUCT only/,
    );
    const p = await PhotoIndex.build(['a.jpg', 'b.jpg', 'c.jpg'], rowsOf([0, 1, 2]), {
      metric: MetricType.INNER_PRODUCT,
    });
    assert.equal(p.metricType, MetricType.INNER_PRODUCT);
    assert.throws(() => {
      p.nprobe = 2;
    }, /nprobe/);
    p.dispose();
  });
});
