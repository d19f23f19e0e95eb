// The public surface: what notebooks import from '../dist' (src/index.ts) is a short list, one way per concept,
// documented in the README's "The library at a glance"; internals stay in src/internal.ts.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pub from '../src';
import * as internal from '../src/internal';

const ROOT = path.join(__dirname, '..');
const names = Object.keys(pub).sort();

describe('the public surface', () => {
  it('has well under 100 names, all of them also in src/internal.ts', () => {
    assert.ok(names.length < 100, `${names.length} public names: move internals to src/internal.ts`);
    for (const n of names) assert.ok(n in internal, `${n} is public but not in src/internal.ts`);
  });

  it('leaves internals out', () => {
    const inside = [
      'encodeNativeBlock',
      'writeNativeFile',
      'SESSION_SETTINGS',
      'compileFilter',
      'matrixHash',
      'PROJECT_ROOT',
      'MetricType',
      'fastest',
      'mostPrecise',
      'checkModel',
      'valueLimit',
    ];
    for (const n of inside) assert.ok(!(n in pub), `${n} is internal, yet public`);
  });

  it('has every name a notebook imports from ../dist', () => {
    const types = new Set([
      'GridRow',
      'Matrix',
      'MetricType',
      'PhotoRow',
      'CourseData',
      'Queries',
      'MyPhotos',
      'EmbeddedImages',
      'VectorIndex',
      'IndexBuilder',
      'Timing',
      'RangeSearchResults',
    ]);
    for (const file of fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb'))) {
      const nb = JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', file), 'utf8')) as {
        cells: Array<{ cell_type: string; source: string[] }>;
      };
      const code = nb.cells
        .filter((c) => c.cell_type === 'code')
        .map((c) => c.source.join(''))
        .join('\n');
      for (const m of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*'\.\.\/dist'/g)) {
        for (const raw of m[1].split(',')) {
          const n = raw.trim().replace(/^type\s+/, '');
          if (n) assert.ok(n in pub || types.has(n), `${file} imports ${n}, which src/index.ts does not export`);
        }
      }
    }
  });

  it('is the list in the README, name for name', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The library at a glance'), readme.indexOf('## Layout'));
    const table = section.slice(section.indexOf('| layer |'), section.indexOf('\nTypes:'));
    const listed = [...table.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1]);
    const builders = Object.keys((pub as { builders: object }).builders);
    assert.deepEqual([...new Set(listed.filter((n) => !builders.includes(n)))].sort(), names);
    assert.match(section, new RegExp(`gives these ${names.length} names`));
  });
});
