// Evaluation measures on small hand-checked cases.
import { strict as assert } from 'assert';
import { precisionAtK, recallAtK } from '../src';

describe('evaluation measures', () => {
  const Iref = BigInt64Array.from([0n, 1n, 2n, 10n, 11n, 12n]); // 2 queries, k=3
  it('recallAtK counts true neighbours found, in any order', () => {
    assert.equal(recallAtK(Iref, BigInt64Array.from([2n, 0n, 1n, 10n, 11n, 12n]), 2), 1);
    assert.equal(recallAtK(Iref, BigInt64Array.from([0n, 5n, -1n, 12n, 99n, 98n]), 2), 2 / 6);
    assert.equal(recallAtK(Iref, BigInt64Array.from([0n, 10n]), 2, 1), 1); // recall@1 against a k=3 truth
  });

  it('precisionAtK counts results of the query\'s class; -1 is a miss', () => {
    const classes = ['pug', 'pug', 'beagle', 'beagle', 'pug'];
    const I = BigInt64Array.from([0n, 1n, 2n, 3n, 4n, -1n]);
    assert.equal(precisionAtK(I, ['pug', 'beagle'], (l) => classes[l]), (2 + 1) / 6);
    assert.equal(precisionAtK(I, ['pug', 'beagle'], (l) => classes[l], 1), 1); // labels 0 (pug) and 3 (beagle)
  });

  it('rejects shapes that do not fit', () => {
    assert.throws(() => recallAtK(Iref, new BigInt64Array(5), 2), /need nq\*k each/);
    assert.throws(() => precisionAtK(new BigInt64Array(5), [1, 2], () => 1), /do not hold k/);
  });
});
