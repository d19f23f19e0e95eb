// The course's vectors.csv(.gz): read what Python writes (lists or numpy arrays,
// with or without the index column), round-trip our own, and name bad lines.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as zlib from 'node:zlib';
import { type PhotoRow, readNpy, readVectorsCsv, writeNpy, writeVectorsCsv } from '../src/internal';
import { dataset, tmpDir } from './support/data';
import { reference, requirePythonFaiss } from './support/python';

const dir = tmpDir('csv');

function photoRows(n: number): PhotoRow[] {
  return Array.from({ length: n }, (_, i) => ({
    filename: `n02085620_${i}.jpg`,
    dir: 'Images/n02085620-Chihuahua',
    class: i % 2 ? 'n02085620-Chihuahua' : 'n02099601-golden_retriever',
    pose: i % 5 === 0 ? 'Frontal, "sitting"' : 'Unspecified',
    xmin: i,
    ymin: 2 * i,
    xmax: 300 + i,
    ymax: 400.5,
  }));
}

describe('vectors.csv: the course format', () => {
  const { xb } = dataset(300, 512, 0);
  const rows = photoRows(xb.n);

  for (const [name, index] of [
    ['vectors.csv.gz', true],
    ['plain.csv', false],
  ] as const) {
    it(`round-trips ${name} (index column: ${index}) bit for bit`, async () => {
      const file = path.join(dir, name);
      await writeVectorsCsv(file, rows, xb, { index });
      const got = await readVectorsCsv(file);
      // Raw (not unit-length) vectors, and the file names no model: the source says only that.
      assert.deepEqual(got.vectors, { data: xb.data, n: xb.n, d: 512, source: { normalized: false } });
      assert.deepEqual(got.rows, rows);
    });
  }

  for (const style of ['list', 'array'] as const) {
    it(`reads what Python writes (embeddings as ${style === 'list' ? 'lists' : 'numpy arrays'}), equal to numpy's float32`, async function () {
      requirePythonFaiss(this);
      const npy = path.join(dir, `xb-${style}.npy`);
      writeNpy(npy, xb.data, [xb.n, 512]);
      const file = path.join(dir, `py-${style}.csv.gz`);
      reference('vectorscsv', style, npy, file);
      const got = await readVectorsCsv(file);
      // Exactly numpy's float32(float(text)) of every value; lists also give back xb itself.
      assert.deepEqual(got.vectors.data, readNpy(`${file}.expected.npy`).data);
      if (style === 'list') assert.deepEqual(got.vectors.data, xb.data);
      assert.equal(got.rows[3].pose, 'Frontal, left');
      assert.deepEqual(
        { ...got.rows[4] },
        {
          filename: 'n02000004-breed_4_4.jpg',
          dir: 'Images/n02000004-breed_4',
          class: 'n02000004-breed_4',
          pose: 'Unspecified',
          xmin: 4,
          ymin: 5,
          xmax: 104,
          ymax: 204,
        },
      );
    });
  }

  it('loads a generated 20,580 x 512 file correctly', async function () {
    this.timeout(300000);
    const big = dataset(20580, 512, 0).xb;
    const file = path.join(dir, 'big.csv.gz');
    await writeVectorsCsv(file, photoRows(big.n), big);
    const t0 = performance.now();
    const got = await readVectorsCsv(file);
    const ms = performance.now() - t0;
    console.log(
      `      read 20,580 x 512 (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB gzip) in ${ms.toFixed(0)} ms`,
    );
    assert.equal(got.vectors.n, 20580);
    assert.ok(got.vectors.data.every((v, i) => v === big.data[i]));
    fs.rmSync(file);
  });
});

describe('vectors.csv: bad files name the line and what was expected', () => {
  const header = ',filename,dir,class,pose,xmin,ymin,xmax,ymax,embedding\n';
  const good = (i: number) => `${i},a${i}.jpg,Images/x,x,Frontal,1,2,3,4,"[0.5, -1.25, 3e-2]"\n`;
  async function fails(body: string, message: RegExp, gz = false): Promise<void> {
    const file = path.join(dir, `bad${gz ? '.csv.gz' : '.csv'}`);
    fs.writeFileSync(file, gz ? zlib.gzipSync(body) : body);
    await assert.rejects(readVectorsCsv(file), (e: Error) => {
      assert.match(e.message, message);
      return true;
    });
  }

  it('reads the small good file', async () => {
    const file = path.join(dir, 'ok.csv');
    fs.writeFileSync(file, header + good(0) + good(1));
    const got = await readVectorsCsv(file);
    assert.deepEqual(got.vectors.data, Float32Array.from([0.5, -1.25, 0.03, 0.5, -1.25, 0.03]));
  });

  it('an embedding of the wrong length', () =>
    fails(
      header + good(0) + good(1) + '2,b.jpg,Images/x,x,Frontal,1,2,3,4,"[0.5, 1]"\n' + good(3),
      /bad\.csv, line 4: embedding has 2 values, expected 3/,
    ));

  it('a value that is not a number', () =>
    fails(
      header + good(0) + '1,b.jpg,Images/x,x,Frontal,1,2,3,4,"[0.5, abc, 1]"\n',
      /line 3: embedding value 2 is "abc", expected a number/,
    ));

  it('missing columns in the header', () =>
    fails(
      ',filename,dir,class,xmin,ymin,xmax,ymax\n' + good(0),
      /line 1: the header lacks pose, embedding; expected the columns filename, dir, class, pose/,
    ));

  it('a row with too few fields, an unterminated quote, a bad bounding box', async () => {
    await fails(header + good(0) + '1,b.jpg,x,Frontal,1,2,3,4,"[1, 2, 3]"\n', /line 3: expected 10 fields, found 9/);
    await fails(
      header + good(0) + '1,b.jpg,Images/x,x,Frontal,1,2,3,4,"[1, 2, 3]\n',
      /line 3: unterminated quoted field/,
    );
    await fails(
      header + '0,b.jpg,Images/x,x,Frontal,1,two,3,4,"[1, 2, 3]"\n',
      /line 2: ymin is "two", expected a number/,
    );
  });

  it('no brackets, empty file, no rows, NaN values, not gzip inside', async () => {
    await fails(
      header + '0,b.jpg,Images/x,x,Frontal,1,2,3,4,"1, 2, 3"\n',
      /line 2: embedding must be a bracketed list/,
    );
    await fails('', /empty file: expected a header with the columns/);
    await fails(header, /line 2: no rows after the header/);
    await fails(
      header + '0,b.jpg,Images/x,x,Frontal,1,2,3,4,"[1, nan, 3]"\n',
      /embedding value 2 is "nan", expected a number/,
    );
    await fails(header + '0,b.jpg,Images/x,x,Frontal,1,2,3,4,"[]"\n', /line 2: embedding is an empty list/, true);
    const file = path.join(dir, 'broken.csv.gz');
    fs.writeFileSync(file, zlib.gzipSync(header + good(0) + good(1)).subarray(0, 40));
    await assert.rejects(
      readVectorsCsv(file),
      /broken\.csv\.gz, line \d+: cannot decompress or read: unexpected end of file/,
    );
    await assert.rejects(readVectorsCsv(path.join(dir, 'none.csv')), /cannot read .*none\.csv: no such file/);
  });
});
