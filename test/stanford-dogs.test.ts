// Stanford Dogs download (progress, resume, size/checksum checks) against a
// loopback server with small archives built here, and reading the official layout.
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tar from 'tar';
import { downloadFile, downloadStanfordDogs, readStanfordDogs } from '../src/internal';
import { tmpDir } from './support/data';

const BREEDS = ['n02085620-Chihuahua', 'n02088364-beagle', 'n02099601-golden_retriever'];

async function buildArchives(): Promise<{ site: string; src: string }> {
  const src = tmpDir('dogs-src');
  for (const [b, breed] of BREEDS.entries()) {
    const synset = breed.split('-')[0];
    fs.mkdirSync(path.join(src, 'Images', breed), { recursive: true });
    fs.mkdirSync(path.join(src, 'Annotation', breed), { recursive: true });
    for (let i = 1; i <= 4; i++) {
      const name = `${synset}_${100 + i}`;
      await sharp({ create: { width: 60 + i, height: 40, channels: 3, background: { r: 50 * b, g: 30 * i, b: 90 } } })
        .jpeg()
        .toFile(path.join(src, 'Images', breed, `${name}.jpg`));
      fs.writeFileSync(
        path.join(src, 'Annotation', breed, name),
        `<annotation><folder>${synset}</folder><filename>${name}</filename><size><width>${60 + i}</width><height>40</height></size>` +
          `<object><name>${breed.split('-')[1]}</name><pose>${i % 2 ? 'Frontal' : 'Unspecified'}</pose><truncated>0</truncated>` +
          `<bndbox><xmin>${i}</xmin><ymin>${i + 1}</ymin><xmax>${50 + i}</xmax><ymax>${30 + i}</ymax></bndbox></object></annotation>\n`,
      );
    }
  }
  const site = tmpDir('dogs-site');
  await tar.c({ file: path.join(site, 'images.tar'), cwd: src }, ['Images']);
  await tar.c({ file: path.join(site, 'annotation.tar'), cwd: src }, ['Annotation']);
  return { site, src };
}

/** Serves a folder with HTTP Range support; can drop the first response halfway. */
async function serve(dir: string, dropFirst = new Set<string>()) {
  const log: string[] = [];
  const server = http.createServer((req, res) => {
    const file = path.join(dir, decodeURIComponent((req.url ?? '/').slice(1)));
    log.push(`${req.url} ${req.headers.range ?? ''}`.trim());
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile())
      return void res.writeHead(404).end('not found');
    const body = fs.readFileSync(file);
    const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= body.length) return void res.writeHead(416).end();
    res.writeHead(range ? 206 : 200, {
      'content-length': body.length - start,
      ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (dropFirst.delete(path.basename(file))) {
      res.write(body.subarray(start, start + (body.length >> 1)), () => res.destroy());
    } else {
      res.end(body.subarray(start));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, log, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('Stanford Dogs', function () {
  this.timeout(60000);
  let site: string;
  let src: string;
  before(async () => {
    ({ site, src } = await buildArchives());
  });

  it('downloads with resume after a dropped connection, unpacks, and reads the layout', async () => {
    const server = await serve(site, new Set(['images.tar']));
    try {
      const dest = path.join(tmpDir('dogs'), 'stanford-dogs');
      const root = await downloadStanfordDogs({ dest, baseUrl: server.url, progress: false });
      assert.ok(
        server.log.some((l) => /^\/images.tar bytes=\d+-$/.test(l)),
        `no resumed request: ${server.log}`,
      );
      const { files, rows, missingAnnotations } = readStanfordDogs(root);
      assert.equal(files.length, 12);
      assert.deepEqual(missingAnnotations, []);
      assert.deepEqual(rows[5], {
        filename: 'n02088364_102.jpg',
        dir: path.join('Images', 'n02088364-beagle'),
        class: 'beagle',
        pose: 'Unspecified',
        xmin: 2,
        ymin: 3,
        xmax: 52,
        ymax: 32,
      });
      assert.deepEqual(
        fs.readFileSync(files[0]),
        fs.readFileSync(path.join(src, 'Images', BREEDS[0], 'n02085620_101.jpg')),
      );
      // A second run with the same subset does nothing.
      const before = server.log.length;
      await downloadStanfordDogs({ dest, baseUrl: server.url, progress: false });
      assert.equal(server.log.length, before);
    } finally {
      await server.close();
    }
  });

  it('unpacks a subset: the first breeds and photos per breed', async () => {
    const server = await serve(site);
    try {
      const root = await downloadStanfordDogs({
        dest: path.join(tmpDir('dogs'), 'sub'),
        baseUrl: server.url,
        breeds: 2,
        perBreed: 3,
        progress: false,
      });
      const { files, rows } = readStanfordDogs(root);
      assert.equal(files.length, 6);
      assert.equal(new Set(rows.map((r) => r.class)).size, 2);
      assert.equal(fs.readdirSync(path.join(root, 'Images')).length, 2, 'no empty folders for breeds not taken');
      const annotations = fs
        .readdirSync(path.join(root, 'Annotation'))
        .flatMap((b) => fs.readdirSync(path.join(root, 'Annotation', b)));
      assert.equal(annotations.length, 6, 'annotations are unpacked only for the photos taken');
    } finally {
      await server.close();
    }
  });

  it('checks size and checksum; a wrong file is removed with a clear error; 404 is named', async () => {
    const server = await serve(site);
    try {
      const dir = tmpDir('dl');
      const tarFile = path.join(site, 'annotation.tar');
      const sha = crypto.createHash('sha256').update(fs.readFileSync(tarFile)).digest('hex');
      const ok = await downloadFile(`${server.url}annotation.tar`, path.join(dir, 'a.tar'), {
        sha256: sha,
        progress: false,
      });
      assert.deepEqual(fs.readFileSync(ok), fs.readFileSync(tarFile));
      await assert.rejects(
        downloadFile(`${server.url}annotation.tar`, path.join(dir, 'b.tar'), {
          sha256: '0'.repeat(64),
          progress: false,
        }),
        /download of .*annotation.tar has SHA-256 [0-9a-f]{64}, expected 0{64}: removed it, run again/,
      );
      await assert.rejects(
        downloadFile(`${server.url}annotation.tar`, path.join(dir, 'c.tar'), { size: 12, progress: false }),
        /has \d+ bytes, expected 12: removed it/,
      );
      assert.deepEqual(fs.readdirSync(dir), ['a.tar']);
      await assert.rejects(
        downloadFile(`${server.url}missing.tar`, path.join(dir, 'm.tar'), { progress: false }),
        /missing.tar answered HTTP 404/,
      );
      await assert.rejects(
        downloadStanfordDogs({ dest: tmpDir('x'), baseUrl: `${server.url}nothing/`, progress: false }),
        /answered HTTP 404/,
      );
    } finally {
      await server.close();
    }
  });

  it('a folder without Images/ is named as not Stanford Dogs', () => {
    assert.throws(
      () => readStanfordDogs(tmpDir('empty')),
      /is not a Stanford Dogs folder: it has no Images\/ \(download it with: npm run data:dogs\)/,
    );
  });
});
