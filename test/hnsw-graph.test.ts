// The index made visible: an HNSW graph and an IVF's lists read through the addon
// equal Python faiss's on the same index file; the plain-TypeScript replays return
// faiss's own answers; the drawings draw, or say why they cannot.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  clusteredVectors,
  hnswWalk,
  hnswWalkSource,
  IndexFlatIP,
  IndexFlatL2,
  IndexHNSWFlat,
  IndexHNSWPQ,
  IndexHNSWSQ,
  IndexIVFFlat,
  ivfLists,
  ivfProbe,
  METRIC_INNER_PRODUCT,
  METRIC_L1,
  METRIC_L2,
  type MetricType,
  metricName,
  readIndex,
  readNpy,
  ScalarQuantizer,
  showHnswWalk,
  showIvfCells,
  writeIndex,
} from '../src/internal';
import { tmpDir } from './support/data';
import { PYTHON, requirePythonFaiss } from './support/python';

const dir = tmpDir('hnsw-graph');
const SCRIPT = path.join(__dirname, 'python', 'index_structure.py');
const d = 24;

function structure(cmd: 'hnsw' | 'ivf', file: string): string {
  const out = path.join(dir, `${path.basename(file)}.${cmd}`);
  const r = spawnSync(PYTHON, [SCRIPT, cmd, file, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`index_structure.py ${cmd} failed:\n${r.stderr}`);
  return out;
}

const npy = (file: string) => Array.from(readNpy(file).data as ArrayLike<number | bigint>, Number);

function data(n: number, seed: number): Float32Array {
  return clusteredVectors({ n, d, clusters: 20, seed, spread: 0.5 }).data;
}

const xb = data(3000, 11);
// Queries from the same clusters (near the data, as a photo is near its breed), none of them stored.
const xq = clusteredVectors({ n: 300, d, clusters: 20, seed: 11, spread: 0.6 }).data.subarray(0, 150 * d);

describe('the HNSW graph, read from faiss', () => {
  for (const metric of [METRIC_L2, METRIC_L1]) {
    for (const M of [8, 16, 32]) {
      it(`equals Python faiss's index.hnsw arrays (${metricName(metric)}, M=${M})`, function () {
        requirePythonFaiss(this);
        const index = new IndexHNSWFlat(d, M, metric);
        index.hnsw.efConstruction = 60;
        index.hnsw.efSearch = 24;
        index.add(xb);
        const file = path.join(dir, `hnsw-${metricName(metric)}-${M}.faiss`);
        writeIndex(index, file);
        const g = index.hnsw.graph();
        const out = structure('hnsw', file);
        assert.deepEqual(Array.from(g.levels), npy(`${out}.levels.npy`));
        assert.deepEqual(Array.from(g.offsets), npy(`${out}.offsets.npy`));
        assert.deepEqual(Array.from(g.neighbors), npy(`${out}.neighbors.npy`));
        assert.deepEqual(Array.from(g.cumNneighborPerLevel), npy(`${out}.cum.npy`));
        const s = JSON.parse(fs.readFileSync(`${out}.json`, 'utf8'));
        assert.deepEqual(
          [g.entryPoint, g.maxLevel, g.efConstruction, g.efSearch, g.upperBeam],
          [s.entry_point, s.max_level, s.efConstruction, s.efSearch, s.upper_beam],
        );
        // The graph read back from the file is the same graph.
        const back = readIndex(file) as IndexHNSWFlat;
        assert.deepEqual(back.hnsw.graph().neighbors, g.neighbors);
        // faiss's layout: 2*M slots on level 0, M above; every link points at a node on that level.
        assert.equal(g.nbNeighbors(0), 2 * M);
        assert.equal(g.nbNeighbors(1), M);
        const degrees = g.degrees();
        assert.equal(degrees.length, g.maxLevel + 1);
        assert.equal(degrees[0].nodes, xb.length / d);
        assert.deepEqual(
          degrees.map((x) => x.nodes),
          g.levelSizes(),
        );
        // (A level holding one node, the top one often, has no one to link to.)
        for (const lv of degrees)
          assert.ok(lv.maxDegree <= lv.slots && lv.minDegree >= (lv.nodes > 1 ? 1 : 0), JSON.stringify(lv));
        for (let i = 0; i < g.ntotal; i += 97) {
          for (let l = 0; l < g.levels[i]; l++) for (const j of g.neighborsOf(i, l)) assert.ok(g.levels[j] > l);
        }
      });
    }
  }

  it('is a copy: adding vectors later leaves it as it was', () => {
    const index = new IndexHNSWFlat(d, 8);
    index.add(xb.subarray(0, 100 * d));
    const g = index.hnsw.graph();
    const before = g.neighbors.slice();
    index.add(xb.subarray(100 * d, 600 * d));
    assert.deepEqual(g.neighbors, before);
    assert.equal(g.ntotal, 100);
    assert.equal(index.hnsw.graph().ntotal, 600);
  });

  it('refuses what is not an HNSW graph, naming it', () => {
    const flat = new IndexFlatL2(d);
    assert.throws(() => hnswWalkSource(flat), /Expected an HNSW index .* but received IndexFlatL2/);
    const g = new IndexHNSWFlat(d, 8).hnsw.graph();
    assert.equal(g.entryPoint, -1);
    assert.equal(g.maxLevel, -1);
    assert.throws(() => g.nbNeighbors(99), /level/);
  });
});

describe('the replayed HNSW search', () => {
  // Today: 100% of 150 queries give faiss's exact top-10 (labels in order) in all 12 cases.
  for (const metric of [METRIC_L2, METRIC_L1]) {
    for (const M of [8, 16, 32]) {
      it(`returns faiss's top-k at efSearch 16 and 64 (${metricName(metric)}, M=${M})`, () => {
        const index = new IndexHNSWFlat(d, M, metric);
        index.add(xb);
        const src = hnswWalkSource(index);
        const k = 10;
        const nq = xq.length / d;
        for (const efSearch of [16, 64]) {
          index.hnsw.efSearch = efSearch;
          const res = index.search(xq, k);
          let same = 0;
          let ndis = 0;
          for (let i = 0; i < nq; i++) {
            const w = hnswWalk(src, xq.subarray(i * d, (i + 1) * d), { k, efSearch, exact: false });
            const labels = Array.from(res.labels.subarray(i * k, (i + 1) * k), Number);
            if (labels.join() === w.labels.join()) same++;
            for (let r = 0; r < k; r++) {
              const want = res.distances[i * k + r];
              assert.ok(Math.abs(w.distances[r] - want) <= 1e-4 * Math.max(1, Math.abs(want)), `query ${i} rank ${r}`);
            }
            ndis += w.ndis;
            assert.equal(
              w.ndis,
              w.levels.reduce((s, l) => s + l.computed.length, 0),
              'every distance is recorded',
            );
          }
          const rate = same / nq;
          console.log(
            `      ${metricName(metric)} M=${M} efSearch=${efSearch}: ${(rate * 100).toFixed(1)}% identical top-${k}, ` +
              `${(ndis / nq).toFixed(0)} distances per query (flat: ${index.ntotal})`,
          );
          // Ties within a float32 rounding may swap two neighbours; none did on this data.
          assert.ok(rate >= 0.99, `${same} of ${nq} identical`);
          assert.ok(ndis / nq < index.ntotal / 2);
        }
      });
    }
  }

  it('records the walk: greedy hops above, efSearch expansions on level 0, the exact answer beside', () => {
    const index = new IndexHNSWFlat(d, 16);
    index.add(xb);
    const q = xq.subarray(0, d);
    const w16 = hnswWalk(index, q, { k: 5, efSearch: 16 });
    const w64 = hnswWalk(index, q, { k: 5, efSearch: 64 });
    assert.equal(w16.levels.length, w16.maxLevel + 1);
    assert.deepEqual(
      w16.levels.map((l) => l.level),
      Array.from({ length: w16.maxLevel + 1 }, (_, i) => w16.maxLevel - i),
    );
    assert.equal(w16.levels[0].start, w16.entryPoint);
    for (let i = 1; i < w16.levels.length; i++) assert.equal(w16.levels[i].start, w16.levels[i - 1].end);
    // Each greedy hop lowers the distance.
    for (const l of w16.levels.slice(0, -1)) {
      for (let i = 1; i < l.hops.length; i++) assert.ok(l.hops[i].distance < l.hops[i - 1].distance);
    }
    // faiss 1.7.3's stop test never fires when the beam holds just efSearch: it expands until none is left.
    assert.equal(w64.levels[w64.levels.length - 1].hops.length, 64);
    assert.ok(w64.ndis > w16.ndis);
    assert.ok(w64.recall >= w16.recall);
    assert.equal(w16.exact!.labels.length, 5);
    const brute = new IndexFlatL2(d);
    brute.add(xb);
    assert.deepEqual(w16.exact!.labels, Array.from(brute.search(q, 5).labels, Number));
    assert.deepEqual(
      w16.missed,
      w16.exact!.labels.filter((j) => !w16.labels.includes(j)),
    );
  });

  it('inner product: faiss negates inside HNSW and the walk reports similarities', () => {
    const index = new IndexHNSWFlat(d, 16, METRIC_INNER_PRODUCT as MetricType);
    index.add(xb);
    index.hnsw.efSearch = 32;
    const res = index.search(xq.subarray(0, 20 * d), 5);
    const src = hnswWalkSource(index);
    for (let i = 0; i < 20; i++) {
      const w = hnswWalk(src, xq.subarray(i * d, (i + 1) * d), { k: 5, efSearch: 32, exact: false });
      assert.deepEqual(w.labels, Array.from(res.labels.subarray(i * 5, i * 5 + 5), Number));
      assert.ok(w.distances[0] >= w.distances[4]);
    }
  });

  // SQ and PQ storage: the walk reads the decoded vectors; faiss computes the same distances from the codes (SIMD
  // sums for SQ, lookup tables for PQ), so a last-bit difference may swap a near tie. Today: 100% for both.
  for (const [name, make] of [
    ['IndexHNSWSQ (SQ8)', () => new IndexHNSWSQ(d, ScalarQuantizer.QT_8bit, 16)],
    ['IndexHNSWPQ (PQ 8x8)', () => new IndexHNSWPQ(d, 8, 16)],
  ] as const) {
    it(`returns faiss's top-k on quantized storage, near ties aside (${name})`, () => {
      const index = make();
      index.train(data(10_000, 12)); // PQ's 256 centroids per sub-quantizer want 39 points each
      index.add(xb);
      const src = hnswWalkSource(index);
      const k = 10;
      const nq = xq.length / d;
      index.hnsw.efSearch = 32;
      const res = index.search(xq, k);
      let same = 0;
      for (let i = 0; i < nq; i++) {
        const w = hnswWalk(src, xq.subarray(i * d, (i + 1) * d), { k, efSearch: 32, exact: false });
        if (Array.from(res.labels.subarray(i * k, (i + 1) * k), Number).join() === w.labels.join()) same++;
        for (let r = 0; r < k; r++) {
          const want = res.distances[i * k + r];
          assert.ok(Math.abs(w.distances[r] - want) <= 1e-3 * Math.max(1, Math.abs(want)), `query ${i} rank ${r}`);
        }
      }
      console.log(`      ${name}: ${((same / nq) * 100).toFixed(1)}% identical top-${k} (efSearch 32)`);
      assert.ok(same / nq >= 0.95, `${same} of ${nq} identical`);
    });
  }

  it('an empty and a one-vector index: the walk answers as faiss, the drawing is a note', () => {
    const empty = new IndexHNSWFlat(d, 8);
    const q = xq.subarray(0, d);
    const w0 = hnswWalk(empty, q, { k: 3 });
    assert.deepEqual(w0.labels, [-1, -1, -1]); // what faiss answers (the lab's search refuses an empty index)
    assert.equal(w0.ndis, 0);
    assert.match(showHnswWalk(empty, w0)!, /class="lab-note[^"]*".*Nothing to draw: the index holds no vectors/);
    const one = new IndexHNSWFlat(d, 8);
    one.add(xb.subarray(0, d));
    const w1 = hnswWalk(one, q, { k: 3 });
    assert.deepEqual(w1.labels, Array.from(one.search(q, 3).labels, Number));
    assert.deepEqual(w1.labels, [0, -1, -1]);
    assert.equal(w1.ndis, 1);
    assert.match(showHnswWalk(one, w1)!, /Nothing to draw: the index holds one vector/);
    // A walk of another graph is not drawn over this one.
    one.add(xb.subarray(d, 50 * d));
    assert.match(showHnswWalk(one, w1)!, /This walk ran on another graph \(1 nodes, d=24; the index now holds 50/);
  });

  it('draws a walk: one chart per walk, what it drew in the caption', () => {
    const index = new IndexHNSWFlat(d, 16);
    index.add(xb);
    const q = xq.subarray(0, d);
    const walks = [16, 64].map((efSearch) => hnswWalk(index, q, { k: 3, efSearch }));
    const html = showHnswWalk(index, walks)!;
    assert.equal((html.match(/class="lab-chart"/g) ?? []).length, 2);
    for (const w of walks) {
      assert.match(html, new RegExp(`efSearch ${w.efSearch}: ${w.ndis.toLocaleString('en-US')} distances of 3,000`));
    }
    assert.match(html, /drawn: \d+ points/);
    assert.throws(() => showHnswWalk(index, [] as never), /Expected hnswWalk\(\.\.\.\) results/);
  });

  it('refuses a query of the wrong size, naming the fix', () => {
    const index = new IndexHNSWFlat(d, 8);
    index.add(xb.subarray(0, 50 * d));
    assert.throws(() => hnswWalk(index, xq.subarray(0, 2 * d)), /a walk follows one query of d=24 values/);
    assert.throws(() => hnswWalk(index, new Float32Array(d).fill(Number.NaN)), /finite/);
  });
});

describe('IVF lists and the replayed probe', () => {
  it("lists and centroids equal Python faiss's (read from the same file)", function () {
    requirePythonFaiss(this);
    const index = new IndexIVFFlat(new IndexFlatL2(d), d, 30);
    index.train(xb);
    index.add(xb);
    const file = path.join(dir, 'ivf.faiss');
    writeIndex(index, file);
    const lists = ivfLists(index, { vectors: true });
    const out = structure('ivf', file);
    assert.deepEqual(Array.from(lists.sizes), npy(`${out}.sizes.npy`));
    assert.deepEqual(Array.from(lists.ids, Number), npy(`${out}.ids.npy`));
    assert.deepEqual(lists.centroids, readNpy(`${out}.centroids.npy`).data);
    // An IVFFlat's codes are its vectors.
    for (let j = 0; j < lists.ids.length; j += 101) {
      const id = Number(lists.ids[j]);
      assert.deepEqual(lists.vectors!.subarray(j * d, (j + 1) * d), xb.subarray(id * d, (id + 1) * d));
    }
  });

  for (const [name, metric] of [
    ['L2', METRIC_L2],
    ['inner product', METRIC_INNER_PRODUCT],
  ] as const) {
    it(`visits the cells faiss's quantizer picks and returns faiss's top-k (${name})`, () => {
      const q = metric === METRIC_L2 ? new IndexFlatL2(d) : new IndexFlatIP(d);
      const index = new IndexIVFFlat(q, d, 40, metric as MetricType);
      index.train(xb);
      // Ids of our own, as notebook 07's photo ids.
      index.addWithIds(
        xb,
        BigInt64Array.from({ length: xb.length / d }, (_, i) => BigInt(i * 7 + 1_000_000)),
      );
      const lists = ivfLists(index, { vectors: true });
      const nq = xq.length / d;
      const k = 10;
      for (const nprobe of [1, 8]) {
        index.nprobe = nprobe;
        const res = index.search(xq, k);
        const cells = index.quantizer.search(xq, nprobe);
        let same = 0;
        for (let i = 0; i < nq; i++) {
          const p = ivfProbe(lists, xq.subarray(i * d, (i + 1) * d), { nprobe, k });
          assert.deepEqual(p.cells, Array.from(cells.labels.subarray(i * nprobe, (i + 1) * nprobe), Number));
          if (Array.from(res.labels.subarray(i * k, (i + 1) * k), Number).join() === p.labels!.join()) same++;
          assert.equal(
            p.scanned,
            p.cells.reduce((s, c) => s + lists.sizes[c], 0),
          );
          assert.equal(p.ndis, 40 + p.scanned);
          for (const [r, cell] of p.exact!.cells.entries()) {
            assert.equal(p.missed!.includes(p.exact!.labels[r]), !p.cells.includes(cell), 'missed = outside the cells');
          }
        }
        console.log(`      ${name} nprobe=${nprobe}: ${((100 * same) / nq).toFixed(1)}% identical top-${k}`);
        assert.ok(same / nq >= 0.99, `${same} of ${nq}`); // today: 100%
      }
    });
  }

  it("with an HNSW quantizer, visits the cells faiss's HNSW picks, counting the walk's distances", () => {
    const nlist = 100;
    const index = new IndexIVFFlat(new IndexHNSWFlat(d, 8), d, nlist);
    index.train(data(10_000, 12));
    index.add(xb);
    const hnsw = index.quantizer as IndexHNSWFlat;
    const nq = xq.length / d;
    const k = 10;
    let missedCell = 0;
    for (const [nprobe, efSearch] of [
      [1, 1],
      [8, 8],
      [8, 32],
    ]) {
      hnsw.hnsw.efSearch = efSearch; // small: the walk misses near cells, which a replay must miss too
      index.nprobe = nprobe;
      const res = index.search(xq, k);
      const cells = hnsw.search(xq, nprobe);
      const exact = new IndexFlatL2(d);
      exact.add(ivfLists(index).centroids);
      const truth = exact.search(xq, nprobe);
      const lists = ivfLists(index, { vectors: true });
      const quantizer = hnswWalkSource(hnsw);
      let same = 0;
      for (let i = 0; i < nq; i++) {
        const qi = xq.subarray(i * d, (i + 1) * d);
        const p = i % 2 ? ivfProbe(index, qi, { k }) : ivfProbe(lists, qi, { nprobe, k, quantizer });
        assert.equal(p.coarse, 'hnsw');
        assert.deepEqual(p.cells, Array.from(cells.labels.subarray(i * nprobe, (i + 1) * nprobe), Number));
        // Upper levels recompute a few: over 100 centroids a walk is no cheaper than ranking them all.
        assert.ok(p.coarseNdis > 0 && p.coarseNdis <= 3 * nlist, `${p.coarseNdis} centroid distances`);
        assert.equal(p.ndis, p.coarseNdis + p.scanned);
        // A cell of fewer than k vectors: faiss pads with -1, the probe lists what it found.
        const want = Array.from(res.labels.subarray(i * k, (i + 1) * k), Number).filter((id) => id >= 0);
        if (want.join() === p.labels!.join()) same++;
        if (truth.labels.subarray(i * nprobe, (i + 1) * nprobe).some((c) => !p.cells.includes(Number(c)))) missedCell++;
      }
      assert.ok(same / nq >= 0.99, `nprobe ${nprobe}, efSearch ${efSearch}: ${same} of ${nq}`);
    }
    assert.ok(missedCell > 0, 'a small efSearch misses some nearest cells (else the case tests nothing)');
    assert.throws(
      () => ivfProbe(ivfLists(index), xq.subarray(0, d), { quantizer: hnswWalkSource(new IndexHNSWFlat(d, 8)) }),
      /hnswWalkSource\(index.quantizer\) of 100 centroids of d=24/,
    );
  });

  it('draws the cells and the list sizes; an untrained or empty index draws a note', () => {
    const index = new IndexIVFFlat(new IndexFlatL2(d), d, 20);
    const q = xq.subarray(0, d);
    assert.throws(() => ivfProbe(index, q), /no centroids yet .* train it first/);
    const fake = { query: q, cells: [], nlist: 20, ntotal: 0 } as never;
    assert.match(showIvfCells(index, fake)!, /Nothing to draw: the IVF index is not trained yet/);
    index.train(xb);
    const p0 = ivfProbe(index, q, { nprobe: 2 });
    assert.equal(p0.scanned, 0);
    assert.match(showIvfCells(index, p0)!, /Nothing to draw: the index&#39;s 20 cells are empty/);
    index.add(xb);
    const probes = [1, 8].map((nprobe) => ivfProbe(index, q, { nprobe }));
    const html = showIvfCells(index, probes)!;
    assert.equal((html.match(/class="lab-chart"/g) ?? []).length, 3, 'two probes and the histogram');
    assert.match(html, /nprobe 8: [\d,]+ of 3,000 vectors scanned in 8 of 20 cells/);
    assert.match(html, /list sizes: 20 cells, 3,000 vectors/);
  });
});
