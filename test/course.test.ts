// The course's material as the notebooks load it: query breeds from labels.csv
// or file names, the hold-out fallback when queries/ is empty, and the binary
// copy of the CSV (used on a second load, refreshed when the CSV changes).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type DemoSet, makeDemoSet } from '../src/data/demo';
import { unloadModels } from '../src/embed/model';
import {
  breedFromFileName,
  config,
  loadCourse,
  loadQueries,
  type PhotoRow,
  readQueryLabels,
  readVectorsCsv,
  writeVectorsCsv,
} from '../src/internal';
import { tmpDir } from './support/data';

const saved = { ...config };

function row(filename: string, dir: string, cls: string): PhotoRow {
  return { filename, dir, class: cls, pose: 'Unspecified', xmin: 0, ymin: 0, xmax: 1, ymax: 1 };
}

describe('query breeds from file names and labels.csv', () => {
  const rows = [
    row('n02088364_1234.jpg', 'Images/n02088364-beagle', 'beagle'),
    row('n02100735_8.jpg', 'Images/n02100735-English_setter', 'English_setter'),
    row('n02093428_11.jpg', 'Images/n02093428-American_Staffordshire_terrier', 'American_Staffordshire_terrier'),
    row('x_1.jpg', 'Images/n09999998-setter', 'setter'),
  ];
  const course = { rows, breeds: [...new Set(rows.map((r) => r.class))].sort() };

  it('tells the breed from the names students use', () => {
    const cases: Array<[string, string | undefined]> = [
      ['beagle.jpg', 'beagle'],
      ['Beagle_2.jpg', 'beagle'],
      ['beagle (3).png', 'beagle'],
      ['n02088364_1234.jpg', 'beagle'], // the row's own file
      ['n02088364_777.jpg', 'beagle'], // any photo of that WordNet id: the row's dir Images/n02088364-beagle
      ['english_setter-3.png', 'English_setter'], // the longest breed first, not "setter"
      ['English Setter.jpeg', 'English_setter'],
      ['setter_1.jpg', 'setter'],
      ['american_staffordshire_terrier-3.png', 'American_Staffordshire_terrier'],
      ['queries/beagle_q1.jpg', 'beagle'],
      ['cat.jpg', undefined],
      ['IMG_0001.jpg', undefined],
      ['n09999999_1.jpg', undefined], // a WordNet id no row has
      ['beagles.jpg', undefined],
    ];
    for (const [file, want] of cases) assert.equal(breedFromFileName(file, course), want, file);
  });

  it('labels.csv: header optional, quotes, ; or tab, breed names matched loosely, empty breed = unknown', () => {
    const dir = tmpDir('labels');
    const file = path.join(dir, 'labels.csv');
    fs.writeFileSync(
      file,
      'file,breed\n"a.jpg","Beagle"\nb.jpg;english setter\nc.jpg\tsetter\nd.jpg,\ne.jpg,Dingo\n\n',
    );
    const labels = readQueryLabels(file, course);
    assert.deepEqual(
      [...labels.entries()],
      [
        ['a.jpg', 'beagle'],
        ['b.jpg', 'English_setter'],
        ['c.jpg', 'setter'],
        ['d.jpg', undefined],
        ['e.jpg', 'Dingo'],
      ],
    );
    fs.writeFileSync(file, 'a.jpg,beagle\njust one field\n');
    assert.throws(() => readQueryLabels(file, course), /labels\.csv, line 2: expected "file,breed"/);
  });
});

describe('loadQueries and loadCourse on a small generated set', () => {
  let set: DemoSet;

  before(async () => {
    // 12 breeds x 3 photos: enough for ten held-out breeds.
    set = await makeDemoSet(path.join(tmpDir('course-demo'), 'demo'), {
      breeds: 12,
      perBreed: 3,
      queries: 4,
      log: false,
    });
  });
  beforeEach(() => {
    unloadModels();
    Object.assign(config, saved, {
      dataDir: set.dataDir,
      clipModel: set.clipModel,
      cacheDir: tmpDir('course-cache'),
      offline: true,
    });
  });
  after(() => {
    unloadModels();
    Object.assign(config, saved);
  });

  it('labels.csv wins over file names; files it does not list fall back to their names; unknown breeds are said', async () => {
    const course = await loadCourse();
    const dir = tmpDir('queries');
    for (const f of ['Chihuahua_q1.jpg', 'Maltese_dog_q1.jpg', 'beagle_q1.jpg'])
      fs.copyFileSync(path.join(set.queriesDir, f), path.join(dir, f));
    fs.copyFileSync(path.join(set.queriesDir, 'golden_retriever_q1.jpg'), path.join(dir, 'mystery.jpg'));
    // Without labels.csv: the names.
    let q = await loadQueries(course, { dir });
    assert.deepEqual(q.names, ['Chihuahua_q1.jpg', 'Maltese_dog_q1.jpg', 'beagle_q1.jpg', 'mystery.jpg']);
    assert.deepEqual(q.classes, ['Chihuahua', 'Maltese_dog', 'beagle', undefined]);
    assert.match(q.note, /breeds from the file names/);
    assert.match(q.note, /Breed unknown for mystery\.jpg: searched and shown, left out of precision/);
    assert.equal(q.vectors.n, 4);
    assert.equal(q.database.vectors.n, course.vectors.n, 'nothing held out');
    // labels.csv names the breed of the mystery photo and overrides a file name.
    fs.writeFileSync(path.join(dir, 'labels.csv'), 'file,breed\nmystery.jpg,golden retriever\nbeagle_q1.jpg,pug\n');
    q = await loadQueries(course, { dir });
    assert.deepEqual(q.classes, ['Chihuahua', 'Maltese_dog', 'pug', 'golden_retriever']);
    assert.match(q.note, /breeds from queries\/labels\.csv|breeds from .*labels\.csv/);
    assert.doesNotMatch(q.note, /Breed unknown/);
  });

  it('with no photos in queries/: ten photos of ten different breeds held out and removed from the database', async () => {
    const course = await loadCourse();
    const empty = tmpDir('no-queries');
    fs.writeFileSync(path.join(empty, 'README.md'), 'put the query photos here');
    const q = await loadQueries(course, { dir: empty });
    assert.equal(q.vectors.n, 10);
    assert.equal(new Set(q.classes).size, 10, 'ten different breeds');
    assert.equal(q.heldOut.length, 10);
    assert.equal(q.database.vectors.n, course.vectors.n - 10);
    assert.equal(q.database.rows.length, course.rows.length - 10);
    const d = course.vectors.d;
    q.heldOut.forEach((id, i) => {
      const r = course.rows[id];
      assert.equal(q.classes[i], r.class);
      assert.equal(q.names[i], r.filename);
      assert.ok(fs.existsSync(q.images[i]), 'the held-out photo is shown from the photos folder');
      assert.ok(!q.database.rows.includes(r), `${r.filename} is still in the database`);
      assert.deepEqual(q.vectors.data.subarray(i * d, (i + 1) * d), course.vectors.data.subarray(id * d, (id + 1) * d));
    });
    // The database's vector i belongs to its row i.
    const kept = course.rows.map((_, i) => i).filter((i) => !q.heldOut.includes(i));
    kept.forEach((id, i) => {
      assert.equal(q.database.rows[i], course.rows[id]);
      assert.equal(q.database.classOf(i), course.rows[id].class);
      assert.equal(q.database.vectors.data[i * d], course.vectors.data[id * d]);
    });
    assert.match(q.note, /held out/);
    // The same draw every time (seeded), another with another seed.
    assert.deepEqual((await loadQueries(course, { dir: empty })).heldOut, q.heldOut);
    assert.notDeepEqual((await loadQueries(course, { dir: empty, seed: 8 })).heldOut, q.heldOut);
  });

  it('keeps a binary copy of the CSV: used on the next load, refreshed when the CSV changes (mtime or size)', async () => {
    const dir = tmpDir('course-csv');
    const file = path.join(dir, 'vectors.csv.gz');
    const csv = await readVectorsCsv(set.vectorsCsv);
    await writeVectorsCsv(file, csv.rows, csv.vectors);

    const first = await loadCourse({ file });
    assert.doesNotMatch(first.summary, /binary copy/);
    assert.equal(fs.readdirSync(path.join(config.cacheDir, 'course')).filter((f) => f.endsWith('.npy')).length, 1);
    const second = await loadCourse({ file });
    assert.match(second.summary, /binary copy in cache/);
    assert.deepEqual(second.rows, first.rows);
    assert.deepEqual(second.vectors.data, first.vectors.data);
    assert.equal(second.vectors.source?.normalized, first.vectors.source?.normalized);

    // Same size, new modification time: parsed again.
    const later = new Date(fs.statSync(file).mtimeMs + 5000);
    fs.utimesSync(file, later, later);
    assert.doesNotMatch((await loadCourse({ file })).summary, /binary copy/);
    assert.match((await loadCourse({ file })).summary, /binary copy/);

    // Other contents (one row fewer), with the old modification time put back: the size tells.
    const mtime = fs.statSync(file).mtime;
    const n = csv.vectors.n - 1;
    await writeVectorsCsv(file, csv.rows.slice(0, n), {
      data: csv.vectors.data.slice(0, n * csv.vectors.d),
      n,
      d: csv.vectors.d,
    });
    fs.utimesSync(file, mtime, mtime);
    const changed = await loadCourse({ file });
    assert.doesNotMatch(changed.summary, /binary copy/);
    assert.equal(changed.vectors.n, n);
    assert.equal((await loadCourse({ file })).vectors.n, n);

    // A damaged copy is not trusted: the CSV is parsed again.
    const npy = fs.readdirSync(path.join(config.cacheDir, 'course')).find((f) => f.endsWith('.npy'))!;
    fs.writeFileSync(path.join(config.cacheDir, 'course', npy), 'garbage');
    const repaired = await loadCourse({ file });
    assert.doesNotMatch(repaired.summary, /binary copy/);
    assert.equal(repaired.vectors.n, n);
    // cache: false never writes one.
    const other = tmpDir('course-nocache');
    config.cacheDir = other;
    await loadCourse({ file, cache: false });
    assert.ok(!fs.existsSync(path.join(other, 'course')));
  });

  it('a missing CSV gets an error that says what to put where', async () => {
    config.dataDir = tmpDir('no-data');
    await assert.rejects(
      loadCourse(),
      /no course vectors in .*: put the course's vectors\.csv\.gz there .*npm run data:dogs, then npm run data:embed/,
    );
    await assert.rejects(loadCourse({ file: path.join(config.dataDir, 'mine.csv') }), /mine\.csv does not exist/);
  });
});
