// Display helpers: outside a kernel they return HTML (checked here as text and
// by decoding the inlined thumbnails with sharp); inside one, a notebook that
// uses every helper runs headless and its HTML export is opened in chromium.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { describeFailure, runNotebook } from '../scripts/jupyter';
import {
  chartHtml,
  formatNumber,
  type GridRow,
  MetricType,
  paretoFigure,
  photoGridHtml,
  SearchResults,
  showChart,
  showNeighbours,
  showParetoChart,
  showTable,
  tableHtml,
} from '../src/internal';
import { hasChromium, isTemplateRequest, openInBrowser } from './support/browser';
import { tmpDir } from './support/data';
import { PYTHON } from './support/python';

const ROOT = path.join(__dirname, '..');
const dir = tmpDir('show');

async function photo(
  name: string,
  color: { r: number; g: number; b: number },
  width = 500,
  height = 375,
): Promise<string> {
  const file = path.join(dir, name);
  await sharp({ create: { width, height, channels: 3, background: color } })
    .jpeg()
    .toFile(file);
  return file;
}

function dataUris(html: string): Buffer[] {
  return [...html.matchAll(/src="data:image\/jpeg;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1], 'base64'));
}

describe('display helpers outside a kernel', () => {
  it('tables: escaped, numbers right-aligned with sensible precision, rows highlighted', () => {
    const rows = [
      { name: '<script>alert(1)</script>', latencyMs: 0.123456, qps: 81234.5, M: 16 },
      { name: 'b & c', latencyMs: 12.5, qps: 80, M: 32 },
    ];
    const html = showTable(rows, {
      highlight: [{ row: rows[1], label: 'fastest' }],
      headers: { latencyMs: 'latency (ms)' },
    })!;
    assert.equal(typeof html, 'string');
    assert.doesNotMatch(html, /<script>/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /b &amp; c/);
    assert.match(html, /text-align:right[^>]*>0\.123</);
    assert.match(html, />81,235</);
    assert.match(html, /latency \(ms\)/);
    assert.match(html, /<td style="padding:2px 8px">fastest<\/td>/);
    assert.equal(formatNumber(1234567), '1,234,567');
    assert.equal(formatNumber(0.00001234), '1.2e-5');
    assert.equal(formatNumber(NaN), '—');
    assert.match(tableHtml([]), /no rows/);
  });

  it('photo grids: JPEG thumbnails inlined, placeholders naming missing and unreadable files', async () => {
    const a = await photo('beagle_1.jpg', { r: 200, g: 120, b: 40 });
    const b = await photo('pug_1.jpg', { r: 40, g: 40, b: 40 }, 300, 600);
    const broken = path.join(dir, 'broken.jpg');
    fs.writeFileSync(broken, 'not a jpeg at all');
    const html = await photoGridHtml(
      [
        {
          title: 'query <1>',
          tiles: [
            { image: a, caption: ['beagle_1.jpg', 'query'], mark: 'query' },
            { image: b, caption: '#1 pug', mark: 'miss' },
          ],
        },
        {
          tiles: [
            { image: path.join(dir, 'gone.jpg'), caption: '#2' },
            { image: broken, caption: '#3', crop: { xmin: 1, ymin: 1, xmax: 50, ymax: 50 } },
          ],
        },
      ],
      { size: 100 },
    );
    const uris = dataUris(html);
    assert.equal(uris.length, 2);
    for (const u of uris) {
      const meta = await sharp(u).metadata();
      assert.equal(meta.format, 'jpeg');
      assert.equal(meta.width, 150); // 1.5x the CSS size, for sharp screens
    }
    assert.match(html, /gone\.jpg<\/div><div[^>]*>file not found/);
    assert.match(html, /broken\.jpg<\/div><div[^>]*>unreadable/);
    assert.match(html, /query &lt;1&gt;/);
    assert.equal((html.match(/lab-placeholder/g) ?? []).length, 2);
  });

  it('crops to a bounding box', async () => {
    // Left half red, right half blue: a crop of the right half is blue.
    const file = path.join(dir, 'halves.png');
    const raw = Buffer.alloc(100 * 50 * 3);
    for (let y = 0; y < 50; y++)
      for (let x = 0; x < 100; x++) raw.set(x < 50 ? [255, 0, 0] : [0, 0, 255], (y * 100 + x) * 3);
    await sharp(raw, { raw: { width: 100, height: 50, channels: 3 } })
      .png()
      .toFile(file);
    const html = await photoGridHtml([{ tiles: [{ image: file, crop: { xmin: 55, ymin: 0, xmax: 100, ymax: 50 } }] }], {
      size: 20,
    });
    const { data } = await sharp(dataUris(html)[0]).raw().toBuffer({ resolveWithObject: true });
    assert.ok(data[2] > 200 && data[0] < 60, `expected blue, got rgb(${data[0]}, ${data[1]}, ${data[2]})`);
  });

  it("the neighbours grid frames hits of the query's class and captions rank, class and distance", async () => {
    const a = await photo('q.jpg', { r: 10, g: 200, b: 10 });
    const rows = [
      { class: 'pug', filename: 'p.jpg' },
      { class: 'beagle', filename: 'b.jpg' },
    ];
    const res = new SearchResults(
      { labels: BigInt64Array.from([1n, 0n]), distances: Float32Array.from([12.25, 40]), n: 1, k: 2 },
      MetricType.L2,
    );
    const html = (await showNeighbours({
      queries: { images: [a], classes: ['beagle'] },
      results: res,
      rows,
      imageOf: (r) => path.join(dir, r.filename),
    }))!;
    assert.match(html, /#1 beagle/);
    assert.match(html, /d = 12\.25/);
    assert.match(html, /#2 pug/);
    assert.match(html, /border:3px solid #2e8b57/); // the beagle: a hit
    assert.match(html, /border:3px solid #c0392b/); // the pug: a miss
  });

  it('charts: the figure as JSON that cannot close its script, plotly.js when asked', () => {
    const fig = { data: [{ x: [1], y: [2], text: ['</script><b>'], type: 'scatter' }] };
    const without = chartHtml(fig, { includePlotly: false });
    assert.doesNotMatch(without.replace(/<\/script>$/, ''), /<\/script><b>/);
    assert.match(without, /\\u003c\/script>/);
    assert.ok(without.length < 5000);
    const withLib = showChart(fig)!; // outside a kernel the library always comes along
    assert.ok(withLib.length > 1_000_000);
    const rows = [
      { label: 'a', metric: 'L2', latencyMs: 1, recall: 0.5, precision: 0.4 },
      { label: 'b', metric: 'L1', latencyMs: 2, recall: 0.9, precision: 0.8 },
    ] as GridRow[];
    const f = paretoFigure(rows);
    assert.equal(f.data.length, 3); // L2, L1, the front
    assert.deepEqual(f.data[2].x, [1, 2]);
    assert.match(showParetoChart(rows, { includePlotly: false })!, /Pareto front/);
  });
});

function requireNotebookTools(ctx: Mocha.Context): void {
  const kernel = fs.existsSync(path.join(ROOT, '.jupyter', 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json'));
  const nbclient = spawnSync(PYTHON, ['-c', 'import nbclient, nbconvert'], { encoding: 'utf8' }).status === 0;
  if (kernel && nbclient && hasChromium() && fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) return;
  const why = 'Jupyter, the tslab kernel, dist/ or chromium is missing: run bash scripts/lab.sh setup';
  if (process.env.CI) throw new Error(why);
  ctx.skip();
}

function notebook(cells: string[]): object {
  return {
    cells: cells.map((source, i) => ({
      cell_type: 'code',
      execution_count: null,
      id: `c${i}`,
      metadata: {},
      outputs: [],
      source,
    })),
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

describe('display helpers in a notebook, exported to HTML, in a real browser', function () {
  this.timeout(300000);
  it('a 10 x 4 photo grid, a table and a Pareto chart all show in the exported HTML', async function () {
    requireNotebookTools(this);
    const nbDir = tmpDir('show-nb');
    const photos: string[] = [];
    for (let i = 0; i < 40; i++) {
      const file = path.join(nbDir, `dog_${i}.jpg`);
      // Textured photos (noise), so thumbnail sizes are realistic rather than flat colour.
      const noise = Buffer.alloc(500 * 375 * 3);
      for (let j = 0; j < noise.length; j++) noise[j] = (j * 7919 + i * 104729) % 251;
      await sharp(noise, { raw: { width: 500, height: 375, channels: 3 } })
        .jpeg({ quality: 90 })
        .toFile(file);
      photos.push(file);
    }
    const dist = JSON.stringify(path.join(ROOT, 'dist'));
    const nb = notebook([
      `import * as lab from ${dist};\nconst photos: string[] = ${JSON.stringify(photos)};`,
      `const rows = photos.map((f, i) => ({ class: i % 3 ? 'pug' : 'beagle', filename: f }));\n` +
        `const labels = new BigInt64Array(10 * 3); const distances = new Float32Array(10 * 3);\n` +
        `for (let q = 0; q < 10; q++) for (let r = 0; r < 3; r++) { labels[q * 3 + r] = BigInt(q * 3 + r + 10 >= 39 ? -1 : q * 3 + r + 10); distances[q * 3 + r] = r + 1; }\n` +
        `const res = new lab.SearchResults({ labels: labels, distances: distances, n: 10, k: 3 }, lab.METRIC_L2);\n` +
        `await lab.showNeighbours({ queries: { images: photos.slice(0, 10), classes: photos.slice(0, 10).map((_, i) => i % 2 ? 'pug' : undefined) }, results: res, rows: rows, imageOf: (r) => r.filename });`,
      `const grid = [1, 2, 4, 8].map((ef, i) => ({ label: 'HNSW ef=' + ef, index: 'HNSWFlat', metric: i % 2 ? 'L1' : 'L2', efSearch: ef, buildSeconds: 1, cached: false, latencyMs: ef / 10, qps: 100, recall: 0.5 + i / 10, precision: 0.4 + i / 10 }));\n` +
        `void lab.showTable(grid, { columns: ['metric', 'efSearch', 'latencyMs', 'recall', 'precision'], highlight: [{ row: lab.fastestSettings(grid).fastest, label: 'fastest' }] });`,
      `void lab.showParetoChart(grid);\nvoid lab.showParetoChart(grid, { quality: 'recall' });\nvoid lab.showNote('a note with <b>markup</b> and \`code\`', 'answer');`,
      `const bar = new lab.Progress('work', 5, 'steps');\nfor (let i = 0; i < 5; i++) { bar.tick(); await new Promise((r) => setTimeout(r, 50)); }\nvoid bar.done();`,
    ]);
    const src = path.join(nbDir, 'display.ipynb');
    fs.writeFileSync(src, JSON.stringify(nb));
    const out = path.join(nbDir, 'out');
    const run = await runNotebook(src, out, {
      html: true,
      trust: true,
      timeout: 120,
      env: { JUPYTER_DATA_DIR: path.join(nbDir, 'jupyter-data') },
    });
    assert.ok(run.ok, describeFailure(run));
    const executed = JSON.parse(fs.readFileSync(run.notebook, 'utf8')) as {
      cells: Array<{ outputs: Array<Record<string, unknown>> }>;
    };
    const outputs = executed.cells.flatMap((c) => c.outputs);
    assert.ok(
      !outputs.some((o) => o.name === 'stderr'),
      `stderr output:\n${JSON.stringify(outputs.filter((o) => o.name === 'stderr'))}`,
    );
    assert.match(JSON.stringify(outputs), /work: 5\/5 steps in/); // the progress display, updated in place to its final state
    const html = run.html!;
    const bytes = fs.statSync(html).size;
    const report = await openInBrowser(html, path.join(nbDir, 'display.png'));
    assert.deepEqual(report.pageErrors, []);
    assert.deepEqual(
      report.externalRequests.filter((u) => !isTemplateRequest(u)),
      [],
    );
    assert.equal(report.images, 10 + 29, 'query photos plus neighbours (one padded)');
    assert.equal(report.decoded, report.images);
    assert.equal(report.charts, 2);
    assert.equal(report.drawnCharts, 2);
    assert.match(report.text, /fastest/);
    assert.equal(report.notes, 1);
    assert.equal(report.styledNotes, 1, 'the note lost its inline style (a quote inside a style attribute?)');
    assert.match(report.text, /a note with <b>markup<\/b> and code/);
    // The template (~0.6 MB) + plotly.js once (1.1 MB) + 39 thumbnails: well under 3 MB.
    assert.ok(bytes < 3 * 2 ** 20, `export is ${bytes} bytes`);
    assert.equal(
      (fs.readFileSync(html, 'utf8').match(/plotly\.js-basic \(MIT\)/g) ?? []).length,
      1,
      'plotly.js embedded once',
    );
    console.log(`      export: ${(bytes / 2 ** 20).toFixed(2)} MiB with a 10 x 4 grid and 2 charts (${html})`);
  });
});
