'use strict';
// Loads the compiled addon; a failed load says what to do instead of a bare dlopen error.
const path = require('path');

const file = path.join(__dirname, '..', 'build', 'Release', 'faiss_lab.node');
try {
  module.exports = require(file);
} catch (e) {
  const err = new Error(
    `The FAISS addon could not be loaded from ${file}: ${e.message}\n` +
      'Possible solutions:\n' +
      '  - build it: npm run build:native (needs faiss: sudo apt-get install -y libfaiss-dev libopenblas-dev,\n' +
      '    or conda install -c conda-forge faiss-cpu, or FAISS_PREFIX=<prefix>)\n' +
      '  - after changing Node versions, rebuild: npm rebuild faiss-lab-native',
  );
  err.code = 'ERR_FAISS_ADDON_LOAD';
  err.cause = e;
  throw err;
}
