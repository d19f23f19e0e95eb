// Evaluation measures on small hand-checked cases: recall@k and precision@k over search results, and recall by ids.
import { strict as assert } from 'node:assert';
import { labelRecall, precisionAtK, recallAtK } from '../src/internal';

/** A search result from rows of labels and distances. */
const result = (labels: number[][], distances: number[][]) => ({
  labels: BigInt64Array.from(labels.flat().map(BigInt)),
  distances: Float32Array.from(distances.flat()),
  n: labels.length,
  k: labels[0].length,
});

describe('evaluation measures', () => {
  const exact = result(
    [
      [0, 1, 2],
      [10, 11, 12],
    ],
    [
      [0, 1, 2],
      [0, 1, 2],
    ],
  );

  it('recallAtK counts true neighbours found, in any order, and a tie at the k-th distance', () => {
    assert.equal(
      recallAtK(
        exact,
        result(
          [
            [2, 0, 1],
            [10, 11, 12],
          ],
          [
            [2, 0, 1],
            [0, 1, 2],
          ],
        ),
      ),
      1,
    );
    // Query 0 finds 0 only; query 1 finds 12 only: 2 of 6.
    assert.equal(
      recallAtK(
        exact,
        result(
          [
            [0, 5, -1],
            [12, 99, 98],
          ],
          [
            [0, 7, 9],
            [2, 8, 9],
          ],
        ),
      ),
      2 / 6,
    );
    // Id 7 at distance 2.0 ties the 3rd true neighbour (id 2 at 2.0): counted, as ann-benchmarks does.
    assert.equal(
      recallAtK(
        exact,
        result(
          [
            [0, 1, 7],
            [10, 11, 12],
          ],
          [
            [0, 1, 2],
            [0, 1, 2],
          ],
        ),
      ),
      1,
    );
    assert.equal(recallAtK(exact, result([[0], [10]], [[0], [0]]), 1), 1); // recall@1 against a k=3 truth
  });

  it('labelRecall counts ids only: no tie can count', () => {
    const Iref = BigInt64Array.from([0n, 1n, 2n, 10n, 11n, 12n]);
    assert.equal(labelRecall(Iref, BigInt64Array.from([2n, 0n, 1n, 10n, 11n, 12n]), 2), 1);
    assert.ok(Math.abs(labelRecall(Iref, BigInt64Array.from([0n, 1n, 7n, 10n, 11n, 12n]), 2) - 5 / 6) < 1e-12);
    assert.equal(labelRecall(Iref, BigInt64Array.from([0n, 10n]), 2, 1), 1);
  });

  it("precisionAtK counts results of the query's class; -1 is a miss; unknown classes are left out", () => {
    const classes = ['pug', 'pug', 'beagle', 'beagle', 'pug'];
    const found = result(
      [
        [0, 1, 2],
        [3, 4, -1],
      ],
      [
        [0, 1, 2],
        [0, 1, 3.4e38],
      ],
    );
    assert.equal(
      precisionAtK(found, ['pug', 'beagle'], (l) => classes[l]),
      (2 + 1) / 6,
    );
    assert.equal(
      precisionAtK(found, ['pug', 'beagle'], (l) => classes[l], 1),
      1,
    ); // labels 0 (pug) and 3 (beagle)
    assert.equal(
      precisionAtK(found, ['pug', undefined], (l) => classes[l]),
      2 / 3,
    );
    assert.ok(Number.isNaN(precisionAtK(found, [undefined, undefined], (l) => classes[l])));
  });

  it('rejects shapes and arguments that do not fit', () => {
    assert.throws(() => labelRecall(new BigInt64Array(6), new BigInt64Array(5), 2), /need nq\*k each/);
    assert.throws(() => recallAtK(new BigInt64Array(6) as never, exact), /takes two search results/);
    assert.throws(() => precisionAtK(new BigInt64Array(6) as never, ['a'], () => 'a'), /takes a search result/);
  });
});
