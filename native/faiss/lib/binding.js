// Loads the compiled addon; a failed load says what to do instead of a bare dlopen error.
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'build', 'Release', 'faiss_lab.node');

function loadError(message, cause) {
  const err = new Error(
    `The FAISS addon could not be loaded from ${file}: ${message}\n` +
      'Possible solutions:\n' +
      '  - build it: npm run build:native (needs faiss: sudo apt-get install -y libfaiss-dev libopenblas-dev,\n' +
      '    or conda install -c conda-forge faiss-cpu, or FAISS_PREFIX=<prefix>)\n' +
      '  - after changing Node versions or machines, rebuild: npm rebuild faiss-lab-native',
  );
  err.code = 'ERR_FAISS_ADDON_LOAD';
  if (cause) err.cause = cause;
  return err;
}

// An addon linked against the AVX2 faiss build would die with SIGILL on a CPU without
// AVX2 (a project folder shared between machines): refuse it with a way out instead.
let linked;
try {
  linked = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'build', 'faiss-stamp.json'), 'utf8')).build;
} catch {
  /* built before the stamp existed: nothing to check */
}
if (linked === 'avx2' && !require('./faiss-config').cpuHasAvx2()) {
  throw loadError('it was built for CPUs with AVX2 and this CPU has none');
}

try {
  module.exports = require(file);
} catch (e) {
  throw loadError(e.message, e);
}
