// The shared matrix helpers: takeRows picks rows in the given order and keeps the
// vectors' source; bad shapes and row numbers are refused with what was expected.
import { strict as assert } from 'node:assert';
import type { Matrix } from '../src/types';
import { checkMatrix, takeRows, valuesOf } from '../src/util/vectors';

const m: Matrix = {
  data: Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]),
  n: 4,
  d: 2,
  source: { model: 'clip-vit-base-patch32', normalized: false },
};

describe('matrix helpers', () => {
  it('takeRows: the rows asked for, in that order, with the source kept', () => {
    const t = takeRows(m, [3, 0, 3]);
    assert.deepEqual([...t.data], [30, 31, 0, 1, 30, 31]);
    assert.equal(t.n, 3);
    assert.equal(t.d, 2);
    assert.deepEqual(t.source, m.source);
    assert.equal(takeRows({ data: m.data, n: 4, d: 2 }, [1]).source, undefined);
    assert.equal(takeRows(m, []).n, 0);
  });

  it('takeRows refuses rows outside the matrix and a malformed matrix', () => {
    assert.throws(() => takeRows(m, [4]), /a row number from 0 to 3 for rows\[0\] but received 4/);
    assert.throws(() => takeRows(m, [0, 1.5]), /rows\[1\]/);
    assert.throws(() => takeRows({ data: m.data, n: 3, d: 2 }, [0]), /m says n=3, d=2, but holds 8 values/);
    const notMatrix = [1, 2] as unknown as Matrix;
    assert.throws(() => checkMatrix(notMatrix, 'vectors'), /a Matrix .* for vectors but received Array/);
  });

  it("valuesOf: a Float32Array or a Matrix of the owner's dimension", () => {
    assert.equal(valuesOf(m, 2, 'X', 'the classifier'), m.data);
    assert.equal(valuesOf(m.data, 4, 'X', 'the classifier'), m.data);
    assert.throws(() => valuesOf(m, 4, 'X', 'the classifier'), /X has vectors of d=2, but the classifier has d=4/);
    assert.throws(
      () => valuesOf(m.data, 3, 'X', 'the classifier'),
      /holds 8 values, not a whole number of vectors of d=3/,
    );
  });
});
