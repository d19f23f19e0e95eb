// `npm install` / `npm rebuild` entry: find faiss, say which one, run node-gyp.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { findFaiss, stamp, HOW_TO_INSTALL } = require('./faiss-config');

const root = path.join(__dirname, '..');
const found = findFaiss();
if (found.error) {
  console.error(
    `faiss-lab-native: cannot build, ${found.error}. Looked at:\n  ${found.tried.join('\n  ')}\n${HOW_TO_INSTALL}`,
  );
  process.exit(1);
}
console.log(
  `faiss-lab-native: building against faiss ${found.version}, build ${found.build} (${found.kind} library in ${found.libDir}, found via ${found.source})`,
);
// What this build links; scripts/lab.sh rebuilds the addon when `faiss-config.js stamp` differs.
const stampFile = path.join(root, 'build', 'faiss-stamp.json');
fs.rmSync(stampFile, { force: true });

// npm passes its bundled node-gyp in npm_config_node_gyp; outside npm use the one on PATH.
const gyp = process.env.npm_config_node_gyp;
const [cmd, pre] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
const args = [...pre, 'rebuild'];
// Distribution Node (Debian's nodejs) ships its headers in /usr/include/node: use them
// instead of downloading, which fails offline.
if (
  !process.env.npm_config_nodedir &&
  fs.existsSync('/usr/include/node/node_api.h') &&
  process.execPath.startsWith('/usr/bin/')
) {
  args.push('--nodedir=/usr');
}
const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
if (r.error) {
  console.error(
    `faiss-lab-native: could not run node-gyp (${r.error.message}). Run this through npm (npm run build:native), which bundles node-gyp.`,
  );
  process.exit(1);
}
if (r.status === 0) fs.writeFileSync(stampFile, stamp(found) + '\n');
process.exit(r.status ?? 1);
