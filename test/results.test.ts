// The results layer on hand-checked cases: SearchResults views, recall@k and
// precision@k (including the stride and tie cases), refused mismatches.
import { strict as assert } from 'node:assert';
import {
  BruteForceIndex,
  IndexFlat,
  IndexFlatL2,
  IndexHNSWFlat,
  knnBruteForce,
  labelRecall,
  MetricType,
  precisionAtK,
  precisionPerQuery,
  recallAtK,
  recallPerQuery,
  SearchResults,
} from '../src/internal';
import { dataset, sameResults } from './support/data';

// 2 queries, k = 3; query 1 found only 2 neighbours (faiss pads with -1 and FLT_MAX).
const FLT_MAX = 3.4028234663852886e38;
const res = new SearchResults(
  {
    labels: BigInt64Array.from([4n, 7n, 1n, 9n, 2n, -1n]),
    distances: Float32Array.from([0.5, 1, 2, 0.25, 3, FLT_MAX]),
    n: 2,
    k: 3,
  },
  MetricType.L2,
);

function result(labels: number[][], distances: number[][], metric: MetricType = MetricType.L2): SearchResults {
  const k = labels[0].length;
  return new SearchResults(
    {
      labels: BigInt64Array.from(labels.flat(), BigInt),
      distances: Float32Array.from(distances.flat()),
      n: labels.length,
      k,
    },
    metric,
  );
}

describe('SearchResults', () => {
  it('hits(q): rank, numeric id and distance, -1 padding dropped', () => {
    assert.deepEqual(res.hits(0), [
      { rank: 1, id: 4, distance: 0.5 },
      { rank: 2, id: 7, distance: 1 },
      { rank: 3, id: 1, distance: 2 },
    ]);
    assert.deepEqual(res.hits(1), [
      { rank: 1, id: 9, distance: 0.25 },
      { rank: 2, id: 2, distance: 3 },
    ]);
    assert.deepEqual(res.ids(1), [9, 2]);
    assert.equal(res.all().length, 2);
    assert.equal(res.toRows().length, 5);
  });

  it('join(rows, q) pairs each hit with its dataset row', () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ class: i % 2 ? 'beagle' : 'pug', i }));
    const j = res.join(rows, 1);
    assert.deepEqual(
      j.map((h) => [h.rank, h.id, h.row.class]),
      [
        [1, 9, 'beagle'],
        [2, 2, 'pug'],
      ],
    );
    assert.equal(res.join(rows).length, 2);
    assert.throws(() => res.join(rows.slice(0, 5), 0), /neighbour id 7, but rows holds 5 rows/);
  });

  it('top(k) keeps the first k columns', () => {
    const t = res.top(1);
    assert.deepEqual([...t.labels], [4n, 9n]);
    assert.equal(t.k, 1);
    assert.throws(() => res.top(4), /between 1 and 3/);
  });

  it('refuses a bad query number and arrays of the wrong size', () => {
    assert.throws(() => res.hits(2), /query number from 0 to 1/);
    assert.throws(
      () =>
        new SearchResults({ labels: new BigInt64Array(5), distances: new Float32Array(6), n: 2, k: 3 }, MetricType.L2),
      /n\*k = 6/,
    );
  });

  it('faiss searches return SearchResults with their metric', () => {
    const { xb, xq } = dataset(200, 8, 3);
    const index = new IndexFlat(8, MetricType.L1);
    index.add(xb);
    const r = index.search(xq, 4);
    assert.ok(r instanceof SearchResults);
    assert.equal(r.metric, MetricType.L1);
    assert.equal(r.hits(2).length, 4);
  });
});

describe('recall@k', () => {
  const exact = result(
    [
      [0, 1, 2],
      [10, 11, 12],
    ],
    [
      [1, 2, 3],
      [1, 2, 3],
    ],
  );

  it('reads each result with its own k: recall@1 and @2 of a perfect k=3 result are 1 (the stride defect)', () => {
    assert.equal(recallAtK(exact, exact, 1), 1);
    assert.equal(recallAtK(exact, exact, 2), 1);
    // A k=5 result checked at k=3 against a k=3 truth.
    const wide = result(
      [
        [2, 0, 1, 50, 51],
        [12, 10, 11, 52, 53],
      ],
      [
        [3, 1, 2, 9, 9],
        [3, 1, 2, 9, 9],
      ],
    );
    assert.equal(recallAtK(exact, wide, 3), 1);
    assert.equal(recallAtK(exact, wide, 1), 0); // column 0 holds ids 2 and 12, not the nearest
  });

  it('counts true neighbours in any order, -1 as a miss', () => {
    const found = result(
      [
        [0, 5, -1],
        [12, 99, 98],
      ],
      [
        [1, 5, FLT_MAX],
        [3, 8, 9],
      ],
    );
    assert.deepEqual([...recallPerQuery(exact, found)], [1 / 3, 1 / 3]);
  });

  it('tolerates ties by distance, as ann-benchmarks does', () => {
    // Photo 7 is as far from the query as the true 3rd neighbour (a near-duplicate photo).
    const tie = result(
      [
        [0, 1, 7],
        [10, 11, 12],
      ],
      [
        [1, 2, 3],
        [1, 2, 3],
      ],
    );
    assert.equal(recallAtK(exact, tie, 3), 1);
    assert.equal(recallAtK(exact, tie, 3, { epsilon: 0 }), 1); // exactly equal distance
    const worse = result(
      [
        [0, 1, 7],
        [10, 11, 12],
      ],
      [
        [1, 2, 3.5],
        [1, 2, 3],
      ],
    );
    assert.ok(Math.abs(recallAtK(exact, worse, 3) - 5 / 6) < 1e-12);
    // Inner product: larger is closer, so a tie is a distance at least the k-th's.
    const ipExact = result([[0, 1]], [[0.9, 0.8]], MetricType.INNER_PRODUCT);
    const ipFound = result([[0, 5]], [[0.9, 0.8]], MetricType.INNER_PRODUCT);
    assert.equal(recallAtK(ipExact, ipFound), 1);
  });

  it('refuses results of other queries or too few columns', () => {
    assert.throws(() => recallAtK(exact, result([[0, 1, 2]], [[1, 2, 3]])), /2 queries .* 1: search the same queries/);
    assert.throws(() => recallAtK(exact, exact, 4), /k=4 needs at least k columns/);
  });

  it('the label-array form reads I with its own stride too', () => {
    assert.equal(labelRecall(exact.labels, exact.labels, 2, 1), 1);
    assert.equal(labelRecall(exact.labels, BigInt64Array.from([0n, 10n]), 2), 1);
  });

  it('HNSW recall against the exact search equals a count done by hand', () => {
    const { xb, xq } = dataset(3000, 16, 20, 30, 5);
    const hnsw = new IndexHNSWFlat(16, 4);
    hnsw.add(xb);
    hnsw.hnsw.efSearch = 4;
    const approx = hnsw.search(xq, 5);
    const truth = knnBruteForce(xb.data, xq.data, 16, 5, MetricType.L2);
    let hits = 0;
    for (let q = 0; q < 20; q++) {
      const want = new Set(truth.ids(q));
      hits += approx.ids(q).filter((id) => want.has(id)).length;
    }
    // Without tolerance only the true neighbours count (random real-valued data has no exact ties).
    assert.ok(Math.abs(recallAtK(truth, approx, 5, { epsilon: 0 }) - hits / 100) < 1e-12);
    assert.ok(recallAtK(truth, approx, 5) >= hits / 100);
  });
});

describe('precision@k', () => {
  const breeds = ['pug', 'pug', 'beagle', 'beagle', 'pug'];
  const classOf = (id: number) => breeds[id];
  const found = result(
    [
      [0, 1, 2],
      [3, 4, -1],
      [0, 2, 3],
    ],
    [
      [1, 2, 3],
      [1, 2, FLT_MAX],
      [1, 2, 3],
    ],
  );

  it('per query, with unknown query classes left out of the mean', () => {
    const per = precisionPerQuery(found, ['pug', 'beagle', undefined], classOf, 3);
    assert.deepEqual(per, [2 / 3, 1 / 3, undefined]);
    assert.equal(precisionAtK(found, ['pug', 'beagle', undefined], classOf, 3), 0.5);
    assert.equal(precisionAtK(found, ['pug', 'beagle', null], classOf, 1), 1);
    assert.ok(Number.isNaN(precisionAtK(found, [undefined, undefined, ''], classOf)));
  });

  it('refuses a class list of the wrong length', () => {
    assert.throws(() => precisionPerQuery(found, ['pug'], classOf), /1 query classes for a result of 3 queries/);
  });
});

describe('refused mismatches', () => {
  it('a Matrix whose n*d differs from its data', () => {
    const index = new IndexFlatL2(4);
    const data = new Float32Array(100 * 4);
    assert.throws(
      () => index.add({ data, n: 10, d: 4 }),
      /says n=10 vectors of d=4 \(40 values\), but its data holds 400/,
    );
    assert.equal(index.ntotal, 0);
  });

  it('raw vectors searched with L2-normalised queries (and the other way round)', () => {
    const { xb, xq } = dataset(100, 8, 2);
    const index = new IndexFlatL2(8);
    index.add({ ...xb, source: { model: 'Xenova/clip-vit-base-patch32', normalized: false } });
    assert.throws(
      () => index.search({ ...xq, source: { model: 'Xenova/clip-vit-base-patch32', normalized: true } }, 3),
      /raw \(not normalised\) vectors .* L2-normalised .* normalize: false/,
    );
    // The same model as a local folder is the same model.
    assert.equal(
      index.search({ ...xq, source: { model: '/models/Xenova/clip-vit-base-patch32/', normalized: false } }, 3).k,
      3,
    );
  });

  it('vectors of another model, and a multilingual encoder in the image space accepted', () => {
    const { xb, xq } = dataset(100, 8, 2);
    const index = new IndexFlatL2(8);
    index.add({ ...xb, source: { model: 'Xenova/clip-vit-base-patch32', normalized: true } });
    assert.throws(
      () => index.search({ ...xq, source: { model: 'Xenova/clip-vit-large-patch14', normalized: true } }, 3),
      /clip-vit-large-patch14.*embed the queries with the index's model/,
    );
    const ml = {
      model: 'sentence-transformers/clip-ViT-B-32-multilingual-v1',
      space: 'clip-vit-base-patch32',
      normalized: true,
    };
    assert.equal(index.search({ ...xq, source: ml }, 3).n, 2);
    assert.throws(() => index.add({ ...xb, source: { model: 'other', normalized: true } }), /cannot add/);
  });

  it('vectors of another dimension', () => {
    const index = new IndexFlatL2(8);
    assert.throws(() => index.add({ data: new Float32Array(16), n: 1, d: 16 }), /d=16, but the index has d=8/);
  });
});

describe('BruteForceIndex (the plain-TypeScript reference behind the index interface)', () => {
  it("answers as faiss's exact index does", () => {
    const { xb, xq } = dataset(500, 16, 7);
    for (const metric of [MetricType.L2, MetricType.L1, MetricType.INNER_PRODUCT]) {
      const bf = new BruteForceIndex(16, metric);
      bf.add({ data: xb.data.subarray(0, 250 * 16), n: 250, d: 16 });
      bf.add({ data: xb.data.subarray(250 * 16), n: 250, d: 16 });
      const f = new IndexFlat(16, metric);
      f.add(xb);
      sameResults(bf.search(xq, 5), f.search(xq, 5));
      assert.throws(() => bf.setQueryArguments({ efSearch: 3 }), /no query arguments/);
    }
  });
});

describe('query arguments (set_query_arguments)', () => {
  it('HNSW takes efSearch, IVF nprobe, flat none', () => {
    const h = new IndexHNSWFlat(8, 8);
    h.setQueryArguments({ efSearch: 77 });
    assert.equal(h.hnsw.efSearch, 77);
    assert.deepEqual(h.queryArguments, { efSearch: 77 });
    assert.throws(() => h.setQueryArguments({ nprobe: 3 }), /no query argument "nprobe" \(it has: efSearch\)/);
    assert.throws(() => new IndexFlatL2(8).setQueryArguments({ efSearch: 3 }), /has none/);
  });
});
