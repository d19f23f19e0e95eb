// Which faiss the addon links (faissBuild), and how native/faiss/lib/faiss-config.js
// chooses it: setup's AVX2 build of Debian's faiss source where the CPU has AVX2,
// Debian's generic libfaiss otherwise, a user's FAISS_PREFIX or conda env first.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { faissBuild, faissVersion } from '../src/internal';
import { tmpDir } from './support/data';

const NATIVE = path.join(__dirname, '..', 'native', 'faiss');
const config = require(path.join(NATIVE, 'lib', 'faiss-config.js'));
const addon = require('faiss-lab-native');

/** The flags faiss's AVX2 build compiles for. */
const AVX2 = 'avx avx2 fma f16c popcnt';

function cpuinfo(flags: string): string {
  const file = path.join(tmpDir('cpuinfo'), 'cpuinfo');
  fs.writeFileSync(file, `processor\t: 0\nflags\t\t: fpu sse2 ${flags}\n`);
  return file;
}

/** A folder laid out like scripts/build-faiss.sh's result, for `version`. */
function fakeOwnBuild(version: string, complete = true): string {
  const vendor = tmpDir('vendor');
  const dir = path.join(vendor, `faiss-${version}-avx2`);
  const [major, minor, patch] = version.split('.');
  fs.mkdirSync(path.join(dir, 'include', 'faiss'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'lib'));
  fs.writeFileSync(
    path.join(dir, 'include', 'faiss', 'Index.h'),
    `#define FAISS_VERSION_MAJOR ${major}\n#define FAISS_VERSION_MINOR ${minor}\n#define FAISS_VERSION_PATCH ${patch}\n`,
  );
  fs.writeFileSync(path.join(dir, 'lib', 'libfaiss.a'), '');
  if (complete) fs.writeFileSync(path.join(dir, 'build.json'), '{}');
  return vendor;
}

function fakePrefix(): string {
  const prefix = tmpDir('faiss-prefix');
  fs.mkdirSync(path.join(prefix, 'include', 'faiss'), { recursive: true });
  fs.mkdirSync(path.join(prefix, 'lib'));
  fs.writeFileSync(
    path.join(prefix, 'include', 'faiss', 'Index.h'),
    '#define FAISS_VERSION_MAJOR 1\n#define FAISS_VERSION_MINOR 9\n#define FAISS_VERSION_PATCH 0\n',
  );
  fs.writeFileSync(path.join(prefix, 'lib', 'libfaiss.so'), '');
  return prefix;
}

describe('faiss build: which faiss the addon links', () => {
  it('faissBuild is reported by the addon and re-exported next to faissVersion', () => {
    assert.match(faissBuild, /^(avx2|generic|prefix:.+|conda:.+)$/);
    assert.equal(faissBuild, addon.faissBuild);
    assert.match(faissVersion, /^\d+\.\d+\.\d+$/);
  });

  it('the addon links what its build recorded (scripts/lab.sh rebuilds it when that changes)', () => {
    const stamp = JSON.parse(fs.readFileSync(path.join(NATIVE, 'build', 'faiss-stamp.json'), 'utf8'));
    assert.equal(stamp.build, addon.faissBuild);
    assert.equal(stamp.version, addon.faissVersion);
  });

  it('is the AVX2 build after setup on a CPU with AVX2 (CI)', function () {
    const env = process.env;
    const chosenElsewhere =
      env.FAISS_PREFIX || env.CONDA_PREFIX || /^(0|off|no|false|generic)$/i.test(env.LAB_FAISS_BUILD ?? '');
    if (!config.cpuHasAvx2() || chosenElsewhere || !env.CI) this.skip();
    assert.equal(
      faissBuild,
      'avx2',
      `setup did not link faiss with AVX2: see native/faiss/vendor/faiss-${faissVersion}-avx2.log or .../build.log`,
    );
  });
});

describe('faiss build: the choice (faiss-config.js)', () => {
  // The AVX2 build stands in for the system's faiss: it needs one in /usr.
  const system = config.findFaiss({}, { vendor: tmpDir('no-vendor'), cpuinfo: cpuinfo('') });
  before(function () {
    if (system.error || system.source !== 'system (/usr)') this.skip();
  });

  it("without an AVX2 build, Debian's generic libfaiss", () => {
    assert.equal(system.build, 'generic');
    assert.deepEqual(system.cflags, []);
  });

  it("a complete AVX2 build of the installed version, on a CPU with AVX2: linked with faiss's AVX2 flags", () => {
    const vendor = fakeOwnBuild(system.version);
    const found = config.findFaiss({}, { vendor, cpuinfo: cpuinfo(AVX2) });
    assert.equal(found.build, 'avx2');
    assert.equal(found.include, path.join(vendor, `faiss-${system.version}-avx2`, 'include'));
    assert.deepEqual(found.libraries, [
      path.join(vendor, `faiss-${system.version}-avx2`, 'lib', 'libfaiss.a'),
      '-lopenblas',
      '-lgomp',
    ]);
    assert.deepEqual(found.cflags, ['-mavx2', '-mfma', '-mf16c', '-mpopcnt']);
  });

  it('falls back to the generic library: CPU without AVX2, LAB_FAISS_BUILD=0, an unfinished or other-version build', () => {
    const vendor = fakeOwnBuild(system.version);
    const avx2 = cpuinfo(AVX2);
    assert.equal(config.findFaiss({}, { vendor, cpuinfo: cpuinfo('avx sse4_2 popcnt') }).build, 'generic');
    assert.equal(config.findFaiss({}, { vendor, cpuinfo: cpuinfo('avx avx2 popcnt') }).build, 'generic'); // FMA/F16C hidden (a VM)
    for (const v of ['0', 'generic', 'off'])
      assert.equal(config.findFaiss({ LAB_FAISS_BUILD: v }, { vendor, cpuinfo: avx2 }).build, 'generic');
    assert.equal(config.findFaiss({ LAB_FAISS_BUILD: 'avx2' }, { vendor, cpuinfo: avx2 }).build, 'avx2');
    assert.equal(config.findFaiss({}, { vendor: fakeOwnBuild(system.version, false), cpuinfo: avx2 }).build, 'generic');
    assert.equal(config.findFaiss({}, { vendor: fakeOwnBuild('0.0.1'), cpuinfo: avx2 }).build, 'generic');
  });

  it('FAISS_PREFIX and a conda env come first, named with their folder', () => {
    const vendor = fakeOwnBuild(system.version);
    const avx2 = cpuinfo(AVX2);
    const prefix = fakePrefix();
    assert.equal(config.findFaiss({ FAISS_PREFIX: prefix }, { vendor, cpuinfo: avx2 }).build, `prefix:${prefix}`);
    assert.equal(config.findFaiss({ CONDA_PREFIX: prefix }, { vendor, cpuinfo: avx2 }).build, `conda:${prefix}`);
    // A conda env without faiss does not count.
    assert.equal(config.findFaiss({ CONDA_PREFIX: tmpDir('empty-env') }, { vendor, cpuinfo: avx2 }).build, 'avx2');
  });

  it('setup builds only where it will be used, and says why not', () => {
    const vendor = tmpDir('vendor');
    const avx2 = cpuinfo(AVX2);
    const plan = config.ownBuildPlan({}, { vendor, cpuinfo: avx2 });
    assert.deepEqual(plan, {
      build: true,
      version: system.version,
      dir: path.join(vendor, `faiss-${system.version}-avx2`),
    });
    assert.match(config.ownBuildPlan({}, { vendor, cpuinfo: cpuinfo('sse4_2') }).reason, /no AVX2/);
    assert.match(config.ownBuildPlan({ LAB_FAISS_BUILD: '0' }, { vendor, cpuinfo: avx2 }).reason, /LAB_FAISS_BUILD=0/);
    assert.match(config.ownBuildPlan({ FAISS_PREFIX: fakePrefix() }, { vendor, cpuinfo: avx2 }).reason, /FAISS_PREFIX/);
  });
});
