// File formats, embeddings and display import and work where the FAISS addon
// cannot be loaded (a failed build): only FAISS calls fail, with the addon's own advice.
import { strict as assert } from 'node:assert';
import { runInChild } from './support/child';

describe('the library without the FAISS addon', () => {
  it('reads .npy and vectors.csv, checks vectors, builds tables; a FAISS call says how to fix the addon', () => {
    const out = runInChild(`
      const Module = require('module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === 'faiss-lab-native' || /faiss_lab\\.node$/.test(request)) {
          const e = new Error('The FAISS addon could not be loaded (simulated): build it: npm run build:native');
          e.code = 'ERR_FAISS_ADDON_LOAD';
          throw e;
        }
        return resolve.call(this, request, ...rest);
      };
      const fs = require('fs'), os = require('os'), path = require('path');
      const lab = require('./src/internal');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-nofaiss-'));
      lab.writeNpy(path.join(dir, 'x.npy'), new Float32Array([1, 2, 3, 4]), [2, 2]);
      const npy = lab.readNpy(path.join(dir, 'x.npy'));
      const { checkVectors } = require('./src/util/check');
      let refusedNaN = false;
      try { checkVectors(new Float32Array([1, NaN]), 2); } catch (e) { refusedNaN = /NaN/.test(e.message); }
      const html = lab.tableHtml([{ a: 1 }]);
      let faissError = '';
      try { new lab.IndexFlatL2(4); } catch (e) { faissError = e.message; }
      console.log(JSON.stringify({ shape: npy.shape, refusedNaN, table: html.includes('<table'), version: lab.faissVersion,
        embeds: typeof lab.embedImages, csv: typeof lab.readVectorsCsv, faissError }));
    `);
    const r = JSON.parse(out.trim().split('\n').pop()!);
    assert.deepEqual(r.shape, [2, 2]);
    assert.equal(r.refusedNaN, true);
    assert.equal(r.table, true);
    assert.equal(r.version, 'unavailable');
    assert.equal(r.embeds, 'function');
    assert.equal(r.csv, 'function');
    assert.match(r.faissError, /could not be loaded .*npm run build:native/);
  });
});
