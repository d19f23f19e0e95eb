// The library's layers (DESIGN.md, "Layers" and "Data flow"): metrics, runners
// and indexes know no display, no module imports itself through others, and
// progress travels as a report that show draws.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusteredVectors } from '../src/data/synthetic';
import { unloadModels } from '../src/embed/model';
import { runGrid } from '../src/eval/grid';
import {
  config,
  embedTexts,
  flat,
  hnswFlat,
  loadCourse,
  MetricType,
  makeDemoSet,
  type ProgressDetail,
  progressCallback,
  runGrid as runGridWithBar,
  useDemoSet,
} from '../src/internal';
import { tmpDir } from './support/data';

const SRC = path.join(__dirname, '..', 'src');

/** Every .ts file under src/, with the src/ files it imports at run time (type-only imports left out). */
function importGraph(): Map<string, string[]> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) files.push(p);
    }
  };
  walk(SRC);
  const graph = new Map<string, string[]>();
  const spec = /^\s*(?:import|export)\s+(?!type\b)(?:[^;'"]*?\bfrom\s+)?'(\.[^']+)'|require\('(\.[^']+)'\)/gm;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const deps: string[] = [];
    for (const m of text.matchAll(spec)) {
      const target = path.resolve(path.dirname(file), m[1] ?? m[2]);
      const found = [`${target}.ts`, path.join(target, 'index.ts')].find((f) => fs.existsSync(f));
      if (found) deps.push(found);
    }
    graph.set(file, deps);
  }
  return graph;
}

const rel = (f: string) => path.relative(SRC, f);

describe('layers', () => {
  const graph = importGraph();

  it('eval, search, photos, classify and io import nothing from show', () => {
    const leaks = [...graph].flatMap(([file, deps]) =>
      /^(eval|search|photos|classify|io|util)\//.test(rel(file))
        ? deps.filter((d) => rel(d).startsWith('show/')).map((d) => `${rel(file)} -> ${rel(d)}`)
        : [],
    );
    assert.deepEqual(leaks, []);
  });

  it('no import circle between modules', () => {
    assert.ok(graph.get(path.join(SRC, 'index.ts'))!.includes(path.join(SRC, 'eval', 'grid.ts'))); // the graph is read
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        circles.push([...trail.slice(trail.indexOf(f)), f].map(rel).join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const d of graph.get(f) ?? []) visit(d, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    assert.deepEqual(circles, []);
  });
});

describe('progress as a report', () => {
  const d = 8;
  const all = clusteredVectors({ n: 220, d, clusters: 4, spread: 2, seed: 5 });
  const xb = { data: all.data.subarray(0, 200 * d), n: 200, d };
  const xq = { data: all.data.slice(200 * d), n: 20, d };

  it('runGrid reports (0, total) first, each build with its work, the last with a note on reuse', async () => {
    const cache = tmpDir('layers-grid');
    const build = { M: [4, 8], efConstruction: [8, 32] };
    const reports: Array<[number, number, ProgressDetail | undefined]> = [];
    const options = { builder: hnswFlat, data: xb, queries: xq, k: 3, metrics: [MetricType.L2], build, cache };
    await runGrid({ ...options, progress: (done, total, detail) => reports.push([done, total, detail]) });
    assert.deepEqual(
      reports.map(([done, total]) => [done, total]),
      [
        [0, 4],
        [1, 4],
        [2, 4],
        [3, 4],
        [4, 4],
      ],
    );
    const costs = cartesianCosts(build);
    const totalWork = costs.reduce((a, b) => a + b, 0);
    let work = 0;
    reports.forEach(([, , detail], i) => {
      if (i > 0) work += costs[i - 1];
      assert.equal(detail?.work, work);
      assert.equal(detail?.totalWork, totalWork);
    });
    assert.equal(reports[4][2]?.note, '');

    const again: Array<ProgressDetail | undefined> = [];
    await runGrid({ ...options, progress: (_done, _total, detail) => again.push(detail) });
    assert.equal(again[again.length - 1]?.note, ' (indexes reused from the cache)');

    await assert.rejects(
      runGrid({ builder: flat, data: xb, queries: xq, k: 3, cache: false, progress: 'yes' as unknown as boolean }),
      /a report \(done, total\) => void.* for progress but received "yes"/,
    );
  });

  it("the facade's runGrid draws a bar by default, and none with progress: false", async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => written.push(String(s)) > 0) as typeof process.stderr.write;
    try {
      await runGridWithBar({ builder: flat, data: xb, queries: xq, k: 3, cache: false, progress: false });
      assert.deepEqual(written, []);
      await runGridWithBar({ builder: flat, data: xb, queries: xq, k: 3, cache: false });
    } finally {
      process.stderr.write = write;
    }
    assert.match(written.join(''), /building Flat indexes: 1\/1 indexes in /);
  });

  it('progressCallback draws the reports: work for the ETA, the note after the summary', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const report = progressCallback('building things', 'indexes', { stream });
    report(0, 2, { work: 0, totalWork: 10 });
    assert.deepEqual(lines, []); // nothing done yet: no line
    report(1, 2, { work: 1, totalWork: 10 });
    report(2, 2, { work: 10, totalWork: 10, note: ' (reused)' });
    assert.match(lines[0], /^building things: 1\/2 indexes \(50%\)/);
    assert.match(lines[lines.length - 1], /^building things: 2\/2 indexes in .* indexes\/s\) \(reused\)\n$/);
  });
});

describe('the demo fallback points config at the demo set, explicitly', () => {
  const saved = { ...config };
  after(() => {
    Object.assign(config, saved);
    unloadModels();
  });

  it("loadCourse({ fallback: 'demo' }) calls useDemoSet, says where config points; embedTexts follows", async () => {
    const data = tmpDir('layers-demo');
    const cache = tmpDir('layers-demo-cache');
    Object.assign(config, { dataDir: data, cacheDir: cache, offline: true });
    unloadModels();
    const course = await loadCourse({ fallback: 'demo' });
    const demo = path.join(data, 'demo');
    assert.equal(course.demo, true);
    assert.equal(config.dataDir, demo);
    assert.equal(config.queriesDir, path.join(demo, 'queries'));
    assert.equal(config.clipModel, path.join(demo, 'models', 'tiny-clip'));
    assert.equal(config.multilingualModel, path.join(demo, 'models', 'tiny-multilingual'));
    assert.equal(config.cacheDir, path.join(cache, 'demo'));
    const said = course.summary.split('\n').find((l) => l.startsWith('config now points at the demo set (useDemoSet)'));
    assert.ok(said, course.summary);
    for (const p of [config.dataDir, config.clipModel, config.cacheDir]) assert.ok(said.includes(p), `${p} in ${said}`);
    // Notebooks embed their text queries right after loadCourse: the demo's tiny model is the one used.
    const t = await embedTexts(['a dog in the snow'], { cache: false, progress: false });
    assert.equal(t.source?.model, config.clipModel);
    // A second call (a second notebook in the same kernel) keeps the one demo cache.
    useDemoSet(await makeDemoSet(demo, { log: false }));
    assert.equal(config.cacheDir, path.join(cache, 'demo'));
  });
});

/** Each HNSW build's cost, in the grid's order (M outer, efConstruction inner). */
function cartesianCosts(build: { M: number[]; efConstruction: number[] }): number[] {
  const cost = (M: number, efConstruction: number) => hnswFlat.cost?.({ M, efConstruction }) ?? 1;
  return build.M.flatMap((M) => build.efConstruction.map((efConstruction) => cost(M, efConstruction)));
}
