// npm run data:embed on a Stanford Dogs folder with the awkward cases of the real
// download: a photo without an annotation file, and a stray non-photo file in Images/.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { writeTinyClip } from '../src/data/demo/tiny-models';
import { readVectorsCsv } from '../src/internal';
import { tmpDir } from './support/data';

describe('data:embed (scripts/embed-dogs.ts)', function () {
  this.timeout(120000);
  it('embeds exactly the listed photos, one row each; a photo without annotation gets its breed from the folder', async () => {
    const root = path.join(tmpDir('dogs-embed'), 'stanford-dogs');
    const model = writeTinyClip(path.join(tmpDir('dogs-model'), 'tiny-clip'));
    for (const [breed, files] of [
      ['n02085620-Chihuahua', ['n02085620_1', 'n02085620_2']],
      ['n02088364-beagle', ['n02088364_1']],
    ] as const) {
      fs.mkdirSync(path.join(root, 'Images', breed), { recursive: true });
      fs.mkdirSync(path.join(root, 'Annotation', breed), { recursive: true });
      for (const [i, f] of files.entries()) {
        await sharp({ create: { width: 80 + i, height: 60, channels: 3, background: { r: 40 * i, g: 100, b: 7 } } })
          .jpeg()
          .toFile(path.join(root, 'Images', breed, `${f}.jpg`));
        if (f === 'n02085620_2') continue; // no annotation for this one
        fs.writeFileSync(
          path.join(root, 'Annotation', breed, f),
          `<annotation><object><name>${breed.split('-')[1]}</name><pose>Unspecified</pose><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>50</xmax><ymax>40</ymax></bndbox></object></annotation>`,
        );
      }
    }
    fs.writeFileSync(path.join(root, 'Images', 'README.txt'), 'not a photo');
    await sharp({ create: { width: 10, height: 10, channels: 3, background: '#fff' } })
      .png()
      .toFile(path.join(root, 'Images', 'n02088364-beagle', 'stray.png'));
    const out = path.join(path.dirname(root), 'vectors.csv.gz');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/embed-dogs.ts', '--root', root, '--out', out], {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
      env: { ...process.env, LAB_CLIP_MODEL: model, LAB_CACHE_DIR: tmpDir('dogs-cache'), LAB_OFFLINE: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /3 photos x 512 .* 1 without annotation/);
    const csv = await readVectorsCsv(out);
    assert.deepEqual(
      csv.rows.map((row) => [row.filename, row.class, row.xmax]),
      [
        ['n02085620_1.jpg', 'Chihuahua', 50],
        ['n02085620_2.jpg', 'Chihuahua', 0],
        ['n02088364_1.jpg', 'beagle', 50],
      ],
    );
    assert.equal(csv.vectors.n, 3);
  });
});
