// The tree as the linter and formatter want it (biome.json): one style for the next person to carry on.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

describe('lint and format (biome ci)', () => {
  it('reports no error, warning or unformatted file', function () {
    this.timeout(120000);
    const r = spawnSync(
      path.join(root, 'node_modules/.bin/biome'),
      ['ci', '--colors=off', '--error-on-warnings', '.'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(
      r.status,
      0,
      `biome ci found problems (fix with: npm run format && npm run lint):\n${r.stdout}${r.stderr}`,
    );
  });
});
