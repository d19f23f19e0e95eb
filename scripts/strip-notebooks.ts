/**
 * Strips outputs before committing: every code cell's outputs, execution count
 * and run timing (metadata.execution) are removed, in place. Notebooks already
 * clean are not rewritten. Written with nbformat's indent (1), keys in their order.
 *   bash scripts/lab.sh strip [--check] [notebook.ipynb | folder ...]   (default: notebooks/)
 * --check changes nothing and exits 1 when a notebook has outputs (for CI).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

interface Cell {
  cell_type: string;
  outputs?: unknown[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}
interface Notebook {
  cells: Cell[];
}

/** What a notebook carries that a committed one should not: e.g. ["cell 3: 2 outputs"]. */
export function leftovers(nb: Notebook): string[] {
  const found: string[] = [];
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== 'code') return;
    const what: string[] = [];
    if (c.outputs && c.outputs.length > 0) what.push(`${c.outputs.length} output(s)`);
    if (c.execution_count !== null && c.execution_count !== undefined)
      what.push(`execution count ${c.execution_count}`);
    if (c.metadata && 'execution' in c.metadata) what.push('run timing');
    if (what.length) found.push(`cell ${i}: ${what.join(', ')}`);
  });
  return found;
}

/** The notebook without outputs, execution counts and run timing. */
export function strip(nb: Notebook): Notebook {
  for (const c of nb.cells) {
    if (c.cell_type !== 'code') continue;
    c.outputs = [];
    c.execution_count = null;
    if (c.metadata) delete c.metadata.execution;
  }
  return nb;
}

/** JSON indented as nbformat writes it; keys keep their order, so a diff shows only what was stripped. */
export function notebookJson(nb: Notebook): string {
  return JSON.stringify(nb, null, 1) + '\n';
}

/** The notebooks named by the arguments (files or folders), default notebooks/. */
export function notebookFiles(args: string[]): string[] {
  const inputs = args.length ? args : [path.join(ROOT, 'notebooks')];
  return inputs.flatMap((p) => {
    if (!fs.existsSync(p)) throw new Error(`${p}: no such file or folder`);
    if (fs.statSync(p).isDirectory()) {
      return fs
        .readdirSync(p)
        .filter((f) => f.endsWith('.ipynb'))
        .sort()
        .map((f) => path.join(p, f));
    }
    return [p];
  });
}

function main(): number {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const files = notebookFiles(args.filter((a) => a !== '--check'));
  let dirty = 0;
  for (const file of files) {
    let nb: Notebook;
    try {
      nb = JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
      if (!Array.isArray(nb.cells)) throw new Error('no "cells" list');
    } catch (e) {
      console.error(`${file}: not a notebook (${(e as Error).message})`);
      return 2;
    }
    const found = leftovers(nb);
    const r = path.relative(process.cwd(), file);
    const rel = r && !r.startsWith('..') ? r : file;
    if (found.length === 0) continue;
    dirty++;
    if (check) {
      console.log(`${rel}: ${found.join('; ')}`);
    } else {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, notebookJson(strip(nb)));
      fs.renameSync(tmp, file);
      console.log(`stripped ${rel} (${found.length} cell(s))`);
    }
  }
  if (check) {
    console.log(
      dirty
        ? `${dirty} of ${files.length} notebook(s) have outputs: run bash scripts/lab.sh strip`
        : `${files.length} notebook(s) without outputs`,
    );
    return dirty ? 1 : 0;
  }
  if (!dirty) console.log(`${files.length} notebook(s) already without outputs`);
  return 0;
}

if (require.main === module) process.exitCode = main();
