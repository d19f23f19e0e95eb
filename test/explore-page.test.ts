/// <reference lib="dom" />
// The explorer's page in a real browser (Debian's chromium through playwright-core) on the generated demo set,
// offline: search by text, by an uploaded photo and "more like this"; label 10 photos by clicking; train; the
// precision figure and the next grid appear; bad input gets its message; no request leaves 127.0.0.1; no page errors.
// Then the SQL store with a box filter and "show SQL"; labels that come back after a restart of the server; the
// labels exported as CSV and imported into another session; the classifier exported as .npy.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { DemoSet, PhotoRow } from '../src/internal';
import { decodeNpy, demoEnv, makeDemoSet, readVectorsCsv } from '../src/internal';
import { CHROMIUM, hasChromium } from './support/browser';
import { tmpDir } from './support/data';
import { type Server, startServer, stopServer } from './support/explore';

describe('explorer page in chromium on the demo set', function () {
  this.timeout(10 * 60 * 1000);
  const tmp = tmpDir('explore-page');
  let set: DemoSet;
  let rows: PhotoRow[];
  let server: Server | undefined;
  let env: NodeJS.ProcessEnv;

  /** A page that records page errors and aborts (and records) any request not to the server's current origin. */
  async function open(browser: Browser): Promise<{ page: Page; pageErrors: string[]; elsewhere: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 }, acceptDownloads: true });
    const pageErrors: string[] = [];
    const elsewhere: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
    });
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${new URL(server!.url).origin}/`) || url.startsWith('blob:')) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    return { page, pageErrors, elsewhere };
  }

  // The page runs actions one at a time (body.busy while any is queued): wait for them before the next step.
  const idle = (page: Page) => page.waitForFunction(() => !document.body.classList.contains('busy'));

  const tileIds = (page: Page) =>
    page.$$eval('#grid .tile', (els) => els.map((e) => Number((e as HTMLElement).dataset.id)));

  before(async function () {
    if (!hasChromium()) {
      if (process.env.CI) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium`);
      this.skip();
    }
    set = await makeDemoSet(path.join(tmp, 'demo'), { log: false });
    rows = (await readVectorsCsv(set.vectorsCsv)).rows;
    env = { ...demoEnv(set), LAB_CACHE_DIR: path.join(tmp, 'cache'), LAB_OFFLINE: '1', LAB_CLICKHOUSE_URL: '' };
    server = await startServer(env);
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
      // A key acts on the photo whose button holds the focus, and on no photo when none does.
      await page.click(`#grid .tile[data-id="${tiles[12]}"] button.neg`);
      await page.waitForSelector(`#grid .tile.negative[data-id="${tiles[12]}"]`);
      await page.keyboard.press('p');
      await page.waitForSelector(`#grid .tile.positive[data-id="${tiles[12]}"]`);
      await page.keyboard.press('u');
      await page.waitForSelector(`#grid .tile[data-id="${tiles[12]}"]:not(.positive):not(.negative)`);
      await page.click('h1');
      await page.keyboard.press('p');
      await page.waitForTimeout(300);
      assert.equal(await page.$$eval('#grid .tile.positive, #grid .tile.negative', (els) => els.length), 10);

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
  it('searches the SQL store with a box filter and shows its SQL; labels survive a restart; CSV out and in', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      let { page, pageErrors, elsewhere } = await open(browser);
      await page.goto(server!.url, { waitUntil: 'load' });
      await page.waitForFunction(() => document.querySelectorAll('#breed option').length > 0);

      // The SQL store's index serves inner product only: the page greys out the rest.
      await page.selectOption('#backend', 'sql-hnsw');
      assert.deepEqual(await page.$$eval('#metric option', (os) => os.map((o) => (o as HTMLOptionElement).disabled)), [
        false,
        true,
        true,
      ]);
      // Brute force in SQL by L2, photos whose box is at least the median width: the grid and the statement.
      const widths = rows.map((r) => r.xmax - r.xmin).sort((a, b) => a - b);
      const minWidth = widths[widths.length >> 1];
      await page.selectOption('#backend', 'sql');
      await page.selectOption('#metric', 'l2');
      await page.fill('#box-min-width', String(minWidth));
      await page.selectOption('#breed', rows[0].class);
      await idle(page);
      await page.click('#search-breed');
      await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length > 0);
      assert.ok(await page.isHidden('#message'), (await page.textContent('#message')) ?? '');
      const ids = await tileIds(page);
      assert.ok(ids.length === 24 && ids.every((id) => rows[id].xmax - rows[id].xmin >= minWidth));
      assert.match((await page.textContent('#status')) ?? '', /SQL store explore_\w+ on chdb/);
      assert.ok(await page.isVisible('#sql'));
      await page.click('#sql summary');
      const sql = (await page.textContent('#sql-text')) ?? '';
      assert.match(sql, /SELECT id, L2Distance\(vec, \{lab_q:Array\(Float32\)\}\) AS distance/);
      assert.match(sql, /WHERE \(xmax - xmin\) >= \{min_width:Float64\}/);
      assert.ok(sql.includes(`-- {min_width:Float64} = ${minWidth}`));
      // A bound that is not a number: the page's message, no search.
      await page.fill('#box-max-height', '-5');
      await idle(page);
      await page.click('#search-breed');
      await page.waitForSelector('#message:not([hidden])');
      assert.match((await page.textContent('#message')) ?? '', /box height ≤ must be a whole number/);
      await page.fill('#box-max-height', '');
      // FAISS answers: no SQL to show.
      await page.selectOption('#backend', 'flat');
      await idle(page);
      await page.click('#search-breed');
      await page.waitForSelector('#sql', { state: 'hidden' });

      // Label 6 photos in a session of their own; no classifier yet: the export says so on the page.
      await idle(page);
      await page.fill('#session', 'restart');
      await page.dispatchEvent('#session', 'change');
      await page.waitForFunction(() => document.querySelector('#counts')?.textContent === 'no labels yet');
      await idle(page);
      await page.click('#export-weights');
      await page.waitForSelector('#message:not([hidden])');
      assert.match((await page.textContent('#message')) ?? '', /no classifier yet/);
      const labelled = (await tileIds(page)).slice(0, 6);
      for (const [i, id] of labelled.entries()) {
        await page.click(`#grid .tile[data-id="${id}"] button.${i < 4 ? 'pos' : 'neg'}`);
      }
      await page.waitForFunction(() =>
        /^6 labelled: 4 right, 2 wrong/.test(document.querySelector('#counts')!.textContent!),
      );

      // The server stops and starts again (another port): the labels are there, on the page too.
      await stopServer(server);
      server = await startServer(env);
      await page.close();
      ({ page, pageErrors, elsewhere } = await open(browser));
      await page.goto(server.url, { waitUntil: 'load' });
      await page.waitForFunction(() => document.querySelectorAll('#breed option').length > 0);
      await idle(page);
      await page.fill('#session', 'restart');
      await page.dispatchEvent('#session', 'change');
      await page.waitForFunction(() =>
        /^6 labelled: 4 right, 2 wrong/.test(document.querySelector('#counts')!.textContent!),
      );
      await page.selectOption('#breed', rows[0].class);
      await idle(page);
      await page.click('#search-breed');
      await page.waitForFunction(
        () => document.querySelectorAll('#grid .tile.positive, #grid .tile.negative').length === 6,
      );

      // Export the labels as CSV (a download), import them into a new session.
      const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
      const csvFile = path.join(tmp, 'labels-restart.csv');
      await csvDownload.saveAs(csvFile);
      const lines = fs.readFileSync(csvFile, 'utf8').trim().split('\n');
      assert.equal(lines[0], 'id,file,label,round');
      assert.deepEqual(
        lines.slice(1).map((l) => Number(l.split(',')[0])),
        [...labelled].sort((a, b) => a - b),
      );
      await idle(page);
      await page.fill('#session', 'reimported');
      await page.dispatchEvent('#session', 'change');
      await page.waitForFunction(() => document.querySelector('#counts')?.textContent === 'no labels yet');
      await idle(page);
      await page.setInputFiles('#import', csvFile);
      await page.waitForFunction(() => /imported 6 labels/.test(document.querySelector('#status')!.textContent!));
      assert.match((await page.textContent('#counts')) ?? '', /^6 labelled: 4 right, 2 wrong/);
      const wrong = path.join(tmp, 'wrong.csv');
      fs.writeFileSync(wrong, 'photo,breed\n1,pug\n');
      await idle(page);
      await page.setInputFiles('#import', wrong);
      await page.waitForSelector('#message:not([hidden])');
      assert.match((await page.textContent('#message')) ?? '', /columns are "photo,breed"/);

      // Train on the imported labels, then export the classifier: a .npy of d + 1 float32 values.
      await idle(page);
      await page.click('#train');
      await page.waitForSelector('#precision');
      await idle(page);
      const [npyDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-weights')]);
      assert.equal(npyDownload.suggestedFilename(), 'classifier-reimported.npy');
      const npyFile = path.join(tmp, 'classifier.npy');
      await npyDownload.saveAs(npyFile);
      const npy = decodeNpy(fs.readFileSync(npyFile));
      assert.deepEqual(npy.shape, [513]);
      assert.ok(npy.data instanceof Float32Array);

      assert.deepEqual(pageErrors, []);
      assert.deepEqual(elsewhere, [], 'no request leaves 127.0.0.1');
    } finally {
      await browser.close();
    }
  });
});
