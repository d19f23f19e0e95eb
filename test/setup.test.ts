// The set-up's moving parts that a student without root relies on: finding faiss
// under a prefix or a conda env, and registering the kernel for the user.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from './support/data';
import { PYTHON } from './support/python';

const ROOT = path.join(__dirname, '..');
const { findFaiss } = require('../native/faiss/lib/faiss-config.js');

function fakePrefix(kind: 'shared' | 'static' | 'headers-only'): string {
  const prefix = tmpDir('faiss-prefix');
  fs.mkdirSync(path.join(prefix, 'include', 'faiss'), { recursive: true });
  fs.writeFileSync(
    path.join(prefix, 'include', 'faiss', 'Index.h'),
    '#define FAISS_VERSION_MAJOR 1\n#define FAISS_VERSION_MINOR 9\n#define FAISS_VERSION_PATCH 0\n',
  );
  if (kind !== 'headers-only') {
    fs.mkdirSync(path.join(prefix, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(prefix, 'lib', kind === 'shared' ? 'libfaiss.so' : 'libfaiss.a'), '');
  }
  return prefix;
}

describe('set-up: finding faiss', () => {
  it('FAISS_PREFIX with a shared library (conda-forge layout) links it with an rpath', () => {
    const prefix = fakePrefix('shared');
    const found = findFaiss({ FAISS_PREFIX: prefix });
    assert.equal(found.version, '1.9.0');
    assert.equal(found.kind, 'shared');
    assert.deepEqual(found.libraries, [`-L${prefix}/lib`, '-lfaiss', `-Wl,-rpath,${prefix}/lib`]);
  });

  it('an active conda env is used when FAISS_PREFIX is not set', () => {
    const prefix = fakePrefix('shared');
    const found = findFaiss({ CONDA_PREFIX: prefix });
    assert.equal(found.source, 'CONDA_PREFIX (conda env)');
    assert.equal(found.include, path.join(prefix, 'include'));
  });

  it('a wrong FAISS_PREFIX is an error that says what is missing, not a silent fallback', () => {
    const found = findFaiss({ FAISS_PREFIX: fakePrefix('headers-only') });
    assert.equal(found.error, 'faiss not found');
    assert.match(found.tried.join('\n'), /FAISS_PREFIX: headers found but no libfaiss.so or libfaiss.a/);
  });

  it("Debian's static libfaiss needs OpenBLAS and OpenMP at link time", () => {
    const prefix = fakePrefix('static');
    assert.deepEqual(findFaiss({ FAISS_PREFIX: prefix }).libraries, [
      path.join(prefix, 'lib', 'libfaiss.a'),
      '-lopenblas',
      '-lgomp',
    ]);
  });
});

describe('set-up: the kernel for JupyterHub (--user)', () => {
  it("registers the tslab kernel in the user's Jupyter folder, pointing at this project", function () {
    if (spawnSync(PYTHON, ['-c', 'import jupyter_client']).status !== 0) {
      if (process.env.CI) throw new Error('jupyter_client missing');
      this.skip();
    }
    const home = tmpDir('home');
    const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'kernel.sh'), '--user'], {
      encoding: 'utf8',
      env: { ...process.env, HOME: home, LAB_JUPYTER_PYTHON: PYTHON, JUPYTER_DATA_DIR: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    const spec = JSON.parse(
      fs.readFileSync(path.join(home, '.local', 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json'), 'utf8'),
    );
    assert.equal(spec.argv[0], path.join(ROOT, 'node_modules', '.bin', 'tslab'));
    assert.equal(spec.language, 'typescript');
  });
});
