// The task notebooks quote the exercise sheet word for word: every line of a blockquote and every „...“ quotation in
// a notebook's prose is found in the sheet's text (course/exercise-sheet.md), and our translation is marked as ours.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const SHEET = path.join(ROOT, 'course', 'exercise-sheet.md');
const NOTEBOOKS = path.join(ROOT, 'notebooks');

interface Cell {
  cell_type: string;
  source: string[] | string;
}
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join('') : c.source);

/** A line as compared: no quote marker, list marker or surrounding space; runs of spaces as one. */
function normalizeLine(line: string): string {
  return line
    .replace(/^\s*>/, '')
    .replace(/^\s*(?:[-*]|\d+\.)\s+/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const sheetLines = fs
  .readFileSync(SHEET, 'utf8')
  .split('\n')
  .map(normalizeLine)
  .filter((l) => l);
const inSheet = (quote: string) => sheetLines.some((l) => l.includes(quote));

const notebooks = fs
  .readdirSync(NOTEBOOKS)
  .filter((f) => f.endsWith('.ipynb'))
  .sort();
const markdownOf = (file: string) =>
  (JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, file), 'utf8')) as { cells: Cell[] }).cells
    .filter((c) => c.cell_type === 'markdown')
    .map(text);

describe('the notebooks quote the exercise sheet word for word', () => {
  it("the sheet in course/ is the course's own text", function () {
    const shared = path.join(ROOT, '..', 'shared', 'course', 'exercise-sheet.md');
    if (!fs.existsSync(shared)) this.skip();
    assert.equal(
      fs.readFileSync(SHEET, 'utf8'),
      fs.readFileSync(shared, 'utf8'),
      'course/exercise-sheet.md has drifted',
    );
  });

  it('the check itself finds a misquote', () => {
    assert.ok(inSheet(normalizeLine('> - Erstellt einen **IndexFlatL2 Index** mittels der vortrainierten Embeddings')));
    assert.ok(!inSheet(normalizeLine('> Erstellen Sie mit FAISS einen Index vom Typ IndexFlatL2')));
    assert.ok(!inSheet(normalizeLine('> - Wie gut ist die Suche (Precision@k)?')));
  });

  for (const file of notebooks) {
    it(`${file}: every blockquote line and „quotation“ is in the sheet; translations are marked as ours`, () => {
      const cells = markdownOf(file);
      for (const cell of cells) {
        const lines = cell.split('\n');
        const quoted = lines
          .filter((l) => /^\s*>/.test(l))
          .map(normalizeLine)
          .filter((l) => l);
        for (const q of quoted) assert.ok(inSheet(q), `${file}: "${q}" is quoted but is not the sheet's text`);
        if (quoted.length)
          assert.match(cell, /Translation \(ours\)/, `${file}: a quotation without our translation marked`);
        const prose = lines.filter((l) => !/^\s*>/.test(l)).join('\n');
        for (const m of prose.matchAll(/„([^“]+)“/g)) {
          assert.ok(inSheet(m[1].replace(/\s+/g, ' ').trim()), `${file}: „${m[1]}“ is not the sheet's text`);
        }
      }
    });
  }

  it('each task notebook (01-06) opens with its task slide', () => {
    const tasks = notebooks.filter((f) => /^0[1-6]-/.test(f));
    assert.equal(tasks.length, 6);
    for (const file of tasks) {
      const n = Number(file.slice(0, 2));
      const first = markdownOf(file)[0];
      const heading = first
        .split('\n')
        .filter((l) => /^\s*>/.test(l))
        .map(normalizeLine);
      assert.ok(
        heading.some((l) => l.startsWith(`Task ${n}:`)),
        `${file} does not quote the slide "Task ${n}: ..."`,
      );
    }
  });
});
