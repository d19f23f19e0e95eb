// .npy files: numpy reads ours and we read numpy's (independent reference: np.load / np.save).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeNpy, encodeNpy, readNpy, writeNpy } from '../src/internal';
import { tmpDir } from './support/data';
import { reference, requirePythonFaiss } from './support/python';

const dir = tmpDir('npy');

describe('.npy files', () => {
  it('round-trips float32, int64, int32, float64 and uint8 with shapes', () => {
    const cases = [
      [Float32Array.from([1.5, -2, 3e-8, 4]), [2, 2]],
      [BigInt64Array.from([-1n, 2n ** 40n, 3n]), [3]],
      [Int32Array.from([7, -8]), [1, 2]],
      [Float64Array.from([Math.PI]), [1, 1, 1]],
      [Uint8Array.from([0, 255]), [2]],
    ] as const;
    for (const [data, shape] of cases) {
      const back = decodeNpy(encodeNpy(data, [...shape]));
      assert.deepEqual(back.data, data);
      assert.deepEqual(back.shape, shape);
    }
  });

  it('numpy loads what we write', function () {
    requirePythonFaiss(this);
    const f = path.join(dir, 'ours-f4.npy');
    writeNpy(
      f,
      Float32Array.from({ length: 12 }, (_, i) => i / 4 - 1),
      [3, 4],
    );
    assert.deepEqual(JSON.parse(reference('npyinfo', f)), {
      dtype: '<f4',
      shape: [3, 4],
      sum: 4.5,
      first: [-1, -0.75, -0.5, -0.25],
    });
    const g = path.join(dir, 'ours-i8.npy');
    writeNpy(g, BigInt64Array.from([-1n, 2n ** 40n]), [2]);
    assert.deepEqual(JSON.parse(reference('npyinfo', g)), {
      dtype: '<i8',
      shape: [2],
      sum: 2 ** 40 - 1,
      first: [-1, 2 ** 40],
    });
  });

  it('we read what numpy writes', function () {
    requirePythonFaiss(this);
    const f = path.join(dir, 'np-f4.npy');
    reference('npysave', 'f4', f);
    const a = readNpy(f);
    assert.equal(a.dtype, '<f4');
    assert.deepEqual(a.shape, [3, 4]);
    assert.deepEqual(
      a.data,
      Float32Array.from({ length: 12 }, (_, i) => i / 4 - 1),
    );
    const g = path.join(dir, 'np-i8.npy');
    reference('npysave', 'i8', g);
    assert.deepEqual(readNpy(g).data, BigInt64Array.from([-1n, 2n ** 40n, 3n, -(2n ** 50n)]));
  });

  it('a truncated or foreign file gets a clear error naming it', () => {
    const good = encodeNpy(new Float32Array(10), [10]);
    const cut = path.join(dir, 'cut.npy');
    fs.writeFileSync(cut, good.subarray(0, good.length - 4));
    assert.throws(
      () => readNpy(cut),
      /cut\.npy is not a valid \.npy file: expected 168 bytes .* found 164 \(truncated or damaged\)/,
    );
    const foreign = path.join(dir, 'notes.npy');
    fs.writeFileSync(foreign, 'hello');
    assert.throws(() => readNpy(foreign), /notes\.npy is not a valid \.npy file: missing the \\x93NUMPY magic/);
    assert.throws(() => readNpy(path.join(dir, 'none.npy')), /cannot read .*none\.npy: no such file/);
  });
});
