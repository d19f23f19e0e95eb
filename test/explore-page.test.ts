/// <reference lib="dom" />
// The explorer's page in a real browser (Debian's chromium through playwright-core) on the generated demo set,
// offline: search by text, by an uploaded photo and "more like this"; label 10 photos by clicking; train; the
// precision figure and the next grid appear; bad input gets its message; no request leaves 127.0.0.1; no page errors.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DemoSet, PhotoRow } from '../src/internal';
import { demoEnv, makeDemoSet, readVectorsCsv } from '../src/internal';
import { CHROMIUM, hasChromium } from './support/browser';
import { tmpDir } from './support/data';
import { type Server, startServer, stopServer } from './support/explore';

describe('explorer page in chromium on the demo set', function () {
  this.timeout(10 * 60 * 1000);
  const tmp = tmpDir('explore-page');
  let set: DemoSet;
  let rows: PhotoRow[];
  let server: Server | undefined;

  before(async function () {
    if (!hasChromium()) {
      if (process.env.CI) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium`);
      this.skip();
    }
    set = await makeDemoSet(path.join(tmp, 'demo'), { log: false });
    rows = (await readVectorsCsv(set.vectorsCsv)).rows;
    server = await startServer({ ...demoEnv(set), LAB_CACHE_DIR: path.join(tmp, 'cache'), LAB_OFFLINE: '1' });
  });

  after(async () => {
    await stopServer(server);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('searches, labels 10 photos by clicking, trains, and shows precision and the next candidates', async () => {
    const base = server!.url;
    const origin = new URL(base).origin;
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      const pageErrors: string[] = [];
      const elsewhere: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
      });
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(`${origin}/`)) return route.continue();
        elsewhere.push(url);
        return route.abort();
      });
      await page.goto(base, { waitUntil: 'load' });
      await page.waitForFunction(() => document.querySelectorAll('#breed option').length > 0);
      assert.ok(await page.isVisible('#demo-banner'), 'the DEMO DATA banner');

      // An empty query: a message, no request.
      await page.fill('#text', '   ');
      await page.click('#search-text');
      await page.waitForSelector('#message:not([hidden])');
      assert.match((await page.textContent('#message')) ?? '', /empty/);

      // Text search: the grid fills with thumbnails that decode.
      await page.fill('#text', 'a dog playing in snow');
      await page.click('#search-text');
      await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 24);
      assert.ok(await page.isHidden('#message'));
      assert.match((await page.textContent('#status')) ?? '', /search .* ms/);
      await page.waitForFunction(() =>
        Array.from(document.querySelectorAll<HTMLImageElement>('#grid img'))
          .slice(0, 10)
          .every((i) => i.complete && i.naturalWidth > 0),
      );

      // Label 10 by clicking: right when of the first photo's breed, wrong otherwise.
      const tiles = await page.$$eval('#grid .tile', (els) => els.map((e) => Number((e as HTMLElement).dataset.id)));
      const target = rows[tiles[0]].class;
      await page.selectOption('#target-breed', target);
      const labelled = tiles.slice(0, 10);
      for (const id of labelled) {
        await page.click(`#grid .tile[data-id="${id}"] button.${rows[id].class === target ? 'pos' : 'neg'}`);
      }
      await page.waitForFunction(
        () => document.querySelectorAll('#grid .tile.positive, #grid .tile.negative').length === 10,
      );
      assert.match((await page.textContent('#counts')) ?? '', /10 labelled/);
      // A click on the photo itself and the keyboard label too (then put back).
      await page.click(`#grid .tile[data-id="${tiles[11]}"] img`);
      await page.waitForSelector(`#grid .tile.positive[data-id="${tiles[11]}"]`);
      await page.focus(`#grid .tile[data-id="${tiles[11]}"]`);
      await page.keyboard.press('u');
      await page.waitForSelector(`#grid .tile[data-id="${tiles[11]}"]:not(.positive):not(.negative)`);

      // Train and mine: precision against the breed, the loss, the next candidates (none labelled), a round row.
      await page.click('#train');
      await page.waitForSelector('#precision');
      assert.match(
        (await page.textContent('#precision')) ?? '',
        new RegExp(`precision@12 \\d\\.\\d\\d \\(${target}\\)`),
      );
      assert.match((await page.textContent('#loss')) ?? '', /loss \d\.\d{3} → \d\.\d{3}/);
      const next = await page.$$eval('#grid .tile', (els) => els.map((e) => Number((e as HTMLElement).dataset.id)));
      assert.equal(next.length, 12);
      assert.ok(
        next.every((id) => !labelled.includes(id)),
        'the next grid holds only photos not yet labelled',
      );
      assert.equal(await page.locator('#rounds tbody tr').count(), 1);

      // The server has the 10 labels.
      const session = await page.evaluate(async () => (await fetch('api/session?session=default')).json());
      assert.equal(session.counts.labelled, 10);

      // More like this, and a photo upload; a file that is not an image gets its message.
      await page.click(`#grid .tile[data-id="${next[0]}"] button.like`);
      await page.waitForFunction(
        (id) => (document.querySelector('#grid .tile') as HTMLElement)?.dataset.id === String(id),
        next[0],
      );
      const photo = path.join(set.photosDir, rows[7].dir, rows[7].filename);
      await page.setInputFiles('#photo', photo);
      await page.click('#search-photo');
      await page.waitForFunction(() => (document.querySelector('#grid .tile') as HTMLElement)?.dataset.id === '7');
      const notImage = path.join(tmp, 'notes.png');
      fs.writeFileSync(notImage, 'not a photo');
      await page.setInputFiles('#photo', notImage);
      await page.click('#search-photo');
      await page.waitForSelector('#message:not([hidden])');
      assert.match((await page.textContent('#message')) ?? '', /not an image/);

      assert.deepEqual(pageErrors, []);
      assert.deepEqual(elsewhere, [], 'no request leaves 127.0.0.1');
    } finally {
      await browser.close();
    }
  });
});
