'use strict';
// Finds the faiss library to build against, in this order:
//   1. FAISS_PREFIX (a folder with include/faiss and lib/libfaiss.{so,a})
//   2. an active conda env (CONDA_PREFIX; conda-forge's faiss-cpu ships a shared lib)
//   3. the system: /usr (Debian's libfaiss-dev: static libfaiss.a + OpenBLAS), /usr/local
// Used by build.js (to report) and by binding.gyp (`node lib/faiss-config.js <field>`).
const fs = require('fs');
const path = require('path');

const MULTIARCH = ['lib/x86_64-linux-gnu', 'lib/aarch64-linux-gnu', 'lib64', 'lib'];

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
      return { prefix, source, version, include, libDir: dir, kind: 'shared',
        libraries: [`-L${dir}`, '-lfaiss', `-Wl,-rpath,${dir}`] };
    }
    if (fs.existsSync(staticLib)) {
      // Debian's static build needs its BLAS and OpenMP runtime at link time.
      return { prefix, source, version, include, libDir: dir, kind: 'static',
        libraries: [staticLib, '-lopenblas', '-lgomp'] };
    }
  }
  return { prefix, source, error: `headers found but no libfaiss.so or libfaiss.a under ${prefix}/{${MULTIARCH.join(',')}}` };
}

function candidates(env = process.env) {
  const list = [];
  if (env.FAISS_PREFIX) list.push([env.FAISS_PREFIX, 'FAISS_PREFIX']);
  if (env.CONDA_PREFIX) list.push([env.CONDA_PREFIX, 'CONDA_PREFIX (conda env)']);
  list.push(['/usr', 'system (/usr)'], ['/usr/local', 'system (/usr/local)']);
  return list;
}

/** The first usable faiss, or { error, tried } listing every place looked at. */
function findFaiss(env = process.env) {
  const tried = [];
  for (const [prefix, source] of candidates(env)) {
    const found = probe(prefix, source);
    if (!found.error) return found;
    tried.push(`${source}: ${found.error}`);
    // An explicit FAISS_PREFIX that is wrong must not silently fall back to another faiss.
    if (source === 'FAISS_PREFIX') break;
  }
  return { error: 'faiss not found', tried };
}

const HOW_TO_INSTALL = [
  'Install faiss in one of these ways, then run `npm run build:native`:',
  '  Debian/Ubuntu (root):  sudo apt-get install -y libfaiss-dev libopenblas-dev',
  '  conda (no root):       conda install -c conda-forge faiss-cpu   (with the env active)',
  '  any other prefix:      FAISS_PREFIX=/path/with/include-and-lib npm run build:native',
].join('\n');

module.exports = { findFaiss, HOW_TO_INSTALL };

if (require.main === module) {
  const found = findFaiss();
  const field = process.argv[2];
  if (found.error) {
    process.stderr.write(`faiss-config: ${found.error}\n  ${found.tried.join('\n  ')}\n${HOW_TO_INSTALL}\n`);
    process.exit(1);
  }
  if (field === 'include') process.stdout.write(found.include);
  else if (field === 'libraries') process.stdout.write(found.libraries.join(' '));
  else if (field === 'version') process.stdout.write(found.version);
  else process.stdout.write(JSON.stringify(found, null, 2) + '\n');
}
