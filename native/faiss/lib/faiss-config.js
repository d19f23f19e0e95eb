// Finds the faiss library to build against, in this order:
//   1. FAISS_PREFIX (a folder with include/faiss and lib/libfaiss.{so,a})      faissBuild 'prefix:<dir>'
//   2. an active conda env (CONDA_PREFIX; conda-forge's faiss-cpu ships a shared lib)  'conda:<env>'
//   3. the system: /usr (Debian's libfaiss-dev: static libfaiss.a + OpenBLAS)  'generic'
//      - unless setup built the same faiss version from Debian's source with the AVX2
//        kernels (scripts/build-faiss.sh -> native/faiss/vendor/faiss-<version>-avx2/)
//        and this CPU has AVX2: then that build                                'avx2'
//        (LAB_FAISS_BUILD=0 or generic keeps Debian's generic library)
//   4. /usr/local                                                              'prefix:/usr/local'
// Used by build.js (to report), by binding.gyp (`node lib/faiss-config.js <field>`),
// by scripts/build-faiss.sh (`own-build`: whether to build) and scripts/lab.sh (`stamp`).
const fs = require('node:fs');
const path = require('node:path');

const MULTIARCH = ['lib/x86_64-linux-gnu', 'lib/aarch64-linux-gnu', 'lib64', 'lib'];
/** Where scripts/build-faiss.sh puts its builds (ignored by git, outside node_modules). */
const VENDOR = path.join(__dirname, '..', 'vendor');
/** faiss's own flags for its faiss_avx2 target; the addon uses them too against that build. */
const AVX2_FLAGS = ['-mavx2', '-mfma', '-mf16c', '-mpopcnt'];

function versionOf(includeDir) {
  try {
    const h = fs.readFileSync(path.join(includeDir, 'faiss', 'Index.h'), 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((p) => (h.match(new RegExp(`FAISS_VERSION_${p}\\s+(\\d+)`)) || [])[1]);
    return v.every(Boolean) ? v.join('.') : 'unknown';
  } catch {
    return undefined;
  }
}

function probe(prefix, source) {
  const include = path.join(prefix, 'include');
  const version = versionOf(include);
  if (!version) return { prefix, source, error: `no ${path.join(include, 'faiss', 'Index.h')}` };
  for (const sub of MULTIARCH) {
    const dir = path.join(prefix, sub);
    const shared = path.join(dir, 'libfaiss.so');
    const staticLib = path.join(dir, 'libfaiss.a');
    if (fs.existsSync(shared)) {
      return {
        prefix,
        source,
        version,
        include,
        libDir: dir,
        kind: 'shared',
        libraries: [`-L${dir}`, '-lfaiss', `-Wl,-rpath,${dir}`],
        cflags: [],
      };
    }
    if (fs.existsSync(staticLib)) {
      // Debian's static build needs its BLAS and OpenMP runtime at link time.
      return {
        prefix,
        source,
        version,
        include,
        libDir: dir,
        kind: 'static',
        libraries: [staticLib, '-lopenblas', '-lgomp'],
        cflags: [],
      };
    }
  }
  return {
    prefix,
    source,
    error: `headers found but no libfaiss.so or libfaiss.a under ${prefix}/{${MULTIARCH.join(',')}}`,
  };
}

/**
 * Whether the CPU running this has what faiss's AVX2 build uses (Linux: /proc/cpuinfo):
 * AVX2 with FMA, F16C and POPCNT (every AVX2 CPU has them, a VM may hide one).
 */
function cpuHasAvx2(cpuinfo = '/proc/cpuinfo') {
  try {
    const flags = new Set(
      ((fs.readFileSync(cpuinfo, 'utf8').match(/^flags\s*:(.*)$/m) || [])[1] || '').trim().split(/\s+/),
    );
    return ['avx2', 'fma', 'f16c', 'popcnt'].every((f) => flags.has(f));
  } catch {
    return false;
  }
}

/** LAB_FAISS_BUILD: unset/avx2/auto = build and use the AVX2 faiss; 0/off/no/false/generic = Debian's generic one. */
function ownBuildDisabled(env = process.env) {
  const v = String(env.LAB_FAISS_BUILD ?? '')
    .trim()
    .toLowerCase();
  return ['0', 'off', 'no', 'false', 'generic'].includes(v) ? v : undefined;
}

/** The folder of the AVX2 build of faiss `version` (it may not exist). */
function ownBuildDir(version, vendor = VENDOR) {
  return path.join(vendor, `faiss-${version}-avx2`);
}

/** The AVX2 build of `version` if it is complete (build.json is written last), else undefined. */
function ownBuild(version, vendor = VENDOR) {
  const dir = ownBuildDir(version, vendor);
  if (!fs.existsSync(path.join(dir, 'build.json'))) return undefined;
  const found = probe(dir, `AVX2 build of Debian's faiss source (${dir})`);
  if (found.error || found.version !== version) return undefined;
  return { ...found, build: 'avx2', cflags: AVX2_FLAGS };
}

function candidates(env = process.env) {
  const list = [];
  if (env.FAISS_PREFIX) list.push([env.FAISS_PREFIX, 'FAISS_PREFIX', (p) => `prefix:${p}`]);
  if (env.CONDA_PREFIX) list.push([env.CONDA_PREFIX, 'CONDA_PREFIX (conda env)', (p) => `conda:${p}`]);
  list.push(['/usr', 'system (/usr)', () => 'generic'], ['/usr/local', 'system (/usr/local)', (p) => `prefix:${p}`]);
  return list;
}

/**
 * The first usable faiss, or { error, tried } listing every place looked at.
 * `opts` (for tests): { vendor, cpuinfo } instead of native/faiss/vendor and /proc/cpuinfo.
 */
function findFaiss(env = process.env, opts = {}) {
  const tried = [];
  for (const [prefix, source, build] of candidates(env)) {
    const found = probe(prefix, source);
    if (!found.error) {
      if (source === 'system (/usr)' && !ownBuildDisabled(env) && cpuHasAvx2(opts.cpuinfo)) {
        const fast = ownBuild(found.version, opts.vendor);
        if (fast) return fast;
      }
      return { ...found, build: build(prefix) };
    }
    tried.push(`${source}: ${found.error}`);
    // An explicit FAISS_PREFIX that is wrong must not silently fall back to another faiss.
    if (source === 'FAISS_PREFIX') break;
  }
  return { error: 'faiss not found', tried };
}

/**
 * Whether setup should build faiss from Debian's source: { build: true, version, dir }
 * or { build: false, reason } (the reason is printed as is).
 */
function ownBuildPlan(env = process.env, opts = {}) {
  const off = ownBuildDisabled(env);
  if (off)
    return { build: false, reason: `LAB_FAISS_BUILD=${env.LAB_FAISS_BUILD}: the addon uses Debian's generic libfaiss` };
  const found = findFaiss(env, opts);
  if (found.error)
    return { build: false, reason: 'no faiss installed to build a faster copy of (Debian: libfaiss-dev)' };
  if (found.source === 'FAISS_PREFIX' || found.source.startsWith('CONDA_PREFIX')) {
    return { build: false, reason: `the addon uses the faiss in ${found.prefix} (${found.source})` };
  }
  if (!cpuHasAvx2(opts.cpuinfo))
    return { build: false, reason: "this CPU has no AVX2: the addon uses Debian's generic libfaiss" };
  const system = probe('/usr', 'system (/usr)');
  if (system.error) return { build: false, reason: `no Debian libfaiss-dev in /usr (${system.error})` };
  return { build: true, version: system.version, dir: ownBuildDir(system.version, opts.vendor) };
}

/** What the addon was (or would now be) built against; the addon build records it, lab.sh compares. */
function stamp(found) {
  let lib = '';
  const file = found.libraries.find((l) => l.endsWith('.a'));
  if (file) {
    try {
      const s = fs.statSync(file);
      lib = `${s.size}@${s.mtimeMs}`;
    } catch {
      /* missing: the stamp differs anyway */
    }
  }
  return JSON.stringify({
    build: found.build,
    version: found.version,
    include: found.include,
    libraries: found.libraries,
    cflags: found.cflags,
    lib,
  });
}

const HOW_TO_INSTALL = [
  'Install faiss in one of these ways, then run `npm run build:native`:',
  '  Debian/Ubuntu (root):  sudo apt-get install -y libfaiss-dev libopenblas-dev',
  '  conda (no root):       conda install -c conda-forge faiss-cpu   (with the env active)',
  '  any other prefix:      FAISS_PREFIX=/path/with/include-and-lib npm run build:native',
].join('\n');

module.exports = { findFaiss, ownBuildPlan, ownBuildDir, cpuHasAvx2, stamp, HOW_TO_INSTALL, VENDOR, AVX2_FLAGS };

if (require.main === module) {
  const field = process.argv[2];
  if (field === 'own-build') {
    // For scripts/build-faiss.sh: "build <version> <dir>" or "skip <reason>".
    const plan = ownBuildPlan();
    process.stdout.write(plan.build ? `build ${plan.version} ${plan.dir}\n` : `skip ${plan.reason}\n`);
    process.exit(0);
  }
  const found = findFaiss();
  if (found.error) {
    process.stderr.write(`faiss-config: ${found.error}\n  ${found.tried.join('\n  ')}\n${HOW_TO_INSTALL}\n`);
    process.exit(1);
  }
  if (field === 'include') process.stdout.write(found.include);
  else if (field === 'libraries') process.stdout.write(found.libraries.join(' '));
  else if (field === 'cflags') process.stdout.write(found.cflags.join(' '));
  else if (field === 'version') process.stdout.write(found.version);
  else if (field === 'build') process.stdout.write(found.build);
  else if (field === 'stamp') process.stdout.write(stamp(found) + '\n');
  else process.stdout.write(JSON.stringify(found, null, 2) + '\n');
}
