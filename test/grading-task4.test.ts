// Task 4's check over notebooks made here with the lab's own table (tableHtml): the settings a student names, in the
// lab's answer note, in printed lines of their own wording or in the written answer, are held against the table;
// the expected verdicts come from how each notebook was built (which row is fastest, which is most precise).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkTask4 } from '../src/grading/answers';
import { readNotebook } from '../src/grading/notebook';
import { tableHtml } from '../src/show/table';
import { tmpDir } from './support/data';

interface Setting {
  metric: string;
  M: number;
  efConstruction: number;
  efSearch: number;
  latencyMs: number;
  precision: number;
  recall: number;
}

/** The sheet's 54 settings with made-up numbers: one clear fastest (row 20), one clear most precise (row 40). */
function grid(): Setting[] {
  const rows: Setting[] = [];
  for (const metric of ['L2', 'L1'])
    for (const M of [8, 16, 32])
      for (const efConstruction of [40, 100, 200])
        for (const efSearch of [10, 50, 100]) {
          const i = rows.length;
          rows.push({ metric, M, efConstruction, efSearch, latencyMs: 0.05 + i * 0.001, precision: 0.4, recall: 0.9 });
        }
  rows[20].latencyMs = 0.021;
  rows[40].precision = 0.46;
  return rows;
}

const name = (r: Setting) =>
  `HNSWFlat(M=${r.M}, efConstruction=${r.efConstruction}) ${r.metric} efSearch=${r.efSearch}`;
const knobs = (r: Setting) => `M=${r.M}, efConstruction=${r.efConstruction}, efSearch=${r.efSearch}, ${r.metric}`;

/** A task-4 notebook: the grid's table (with the lab's tags), then what the student printed and wrote. */
function notebook(
  dir: string,
  rows: Setting[],
  parts: { tags?: Array<[number, string]>; note?: string; printed?: string; written?: string },
): string {
  const html = tableHtml(rows, {
    columns: ['metric', 'M', 'efConstruction', 'efSearch', 'latencyMs', 'precision', 'recall'],
    headers: { latencyMs: 'latency (ms)', precision: 'precision@5', recall: 'recall@5' },
    highlight: (parts.tags ?? []).map(([row, label]) => ({ row, label })),
  });
  const code = (outputs: unknown[]) => ({ cell_type: 'code', execution_count: 1, metadata: {}, source: 'x', outputs });
  const cells = [
    { cell_type: 'markdown', metadata: {}, source: '# Task 4 — The best HNSW parameters for a 5-NN search' },
    code([{ output_type: 'display_data', metadata: {}, data: { 'text/html': html, 'text/plain': '' } }]),
    code([
      ...(parts.note
        ? [
            {
              output_type: 'display_data',
              metadata: {},
              data: { 'text/html': `<div class="lab-note lab-note-answer">${parts.note}</div>`, 'text/plain': '' },
            },
          ]
        : []),
      ...(parts.printed ? [{ output_type: 'stream', name: 'stdout', text: parts.printed }] : []),
    ]),
    {
      cell_type: 'markdown',
      metadata: {},
      source: `**Your answer.** Which setting gives (1) the fastest and (2) the most precise 5-NN search?\n\n${
        parts.written ?? 'YOUR ANSWER HERE'
      }`,
    },
  ].map((c, i) => ({ ...c, id: `c${i}` }));
  const file = path.join(dir, `04-${Math.random().toString(36).slice(2)}.ipynb`);
  fs.writeFileSync(
    file,
    JSON.stringify({ cells, metadata: { kernelspec: { name: 'tslab' } }, nbformat: 4, nbformat_minor: 5 }),
  );
  return file;
}

describe("task 4's check: the settings named anywhere, against the student's own table", () => {
  const dir = tmpDir('task4-check');
  const rows = grid();
  const [fast, precise, slow, poor] = [rows[20], rows[40], rows[53], rows[0]];
  const check = (parts: Parameters<typeof notebook>[2]) => checkTask4(readNotebook(notebook(dir, rows, parts)));

  it("accepts the lab's answer note naming the table's fastest and most precise", () => {
    const f = check({
      note: `Answer 1, the fastest search: ${name(fast)} has the lowest median latency.\nAnswer 2, the most precise search: ${name(precise)}.`,
    });
    assert.equal(f.status, 'ok', f.notes.join('; '));
    assert.equal(f.settings, 54);
  });

  it("reads answers printed in the student's own words, before or after the keyword", () => {
    for (const printed of [
      `Fastest: ${name(fast)}\nMost precise: ${name(precise)}\n`,
      `${knobs(fast)} is the fastest; ${knobs(precise)} is the most precise.\n`,
      `The fastest setting is ${knobs(fast)}, the most precise one is ${knobs(precise)}\n`,
    ]) {
      const f = check({ printed });
      assert.equal(f.status, 'ok', `${printed}: ${f.notes.join('; ')}`);
      assert.equal(f.fastest?.M, fast.M);
      assert.equal(f.fastest?.efSearch, fast.efSearch);
      assert.equal(f.mostPrecise?.efConstruction, precise.efConstruction);
      assert.equal(f.mostPrecise?.metric, precise.metric);
    }
    const wrong = check({ printed: `Fastest: ${name(slow)}\nMost precise: ${name(precise)}\n` });
    assert.equal(wrong.status, 'differs');
    assert.match(wrong.notes.join('\n'), new RegExp(`its fastest \\(cell 3: ${knobs(slow)}, 0.103 ms\\) is not`));
  });

  it('holds a written answer against the table too, even when the printed answer is right', () => {
    const f = check({
      note: `Answer 1, the fastest search: ${name(fast)}.\nAnswer 2, the most precise search: ${name(precise)}.`,
      written: `(1) The fastest is ${knobs(slow)}.\n(2) The most precise is ${knobs(poor)}.`,
    });
    assert.equal(f.status, 'differs');
    const notes = f.notes.join('\n');
    assert.match(notes, /its written answer's fastest \(cell 4: M=32, efConstruction=200, efSearch=100, L1/);
    assert.match(notes, /its written answer's most precise \(cell 4: M=8, efConstruction=40, efSearch=10, L2\)/);
    // A written answer alone, right: ok; the hand-out's blank: the answer is missing, and the form is named.
    assert.equal(check({ written: `Fastest: ${knobs(fast)}. Most precise: ${knobs(precise)}.` }).status, 'ok');
    const blank = check({});
    assert.equal(blank.status, 'missing');
    assert.match(blank.notes.join('\n'), /expected lines such as 'Answer 1, the fastest search: M=8/);
  });

  it('names the row the table marks fastest when rows are equal as printed, not the first of them', () => {
    const tied = grid();
    tied[3].latencyMs = 0.0234; // prints 0.023, as the marked row does
    tied[7].latencyMs = 0.0231;
    tied[20].latencyMs = 0.06;
    const f = checkTask4(
      readNotebook(
        notebook(dir, tied, {
          tags: [[7, 'fastest (median)']],
          printed: `Fastest: ${name(tied[12])}\nMost precise: ${name(tied[40])}\n`,
        }),
      ),
    );
    assert.equal(f.status, 'differs');
    const note = f.notes.find((n) => n.includes('fastest'))!;
    assert.match(note, new RegExp(`not the table's fastest \\(${knobs(tied[7])}, 0.023 ms\\)`));
    assert.doesNotMatch(note, new RegExp(knobs(tied[3])));
    // Unmarked, both rows equal as printed are named.
    const g = checkTask4(
      readNotebook(notebook(dir, tied, { printed: `Fastest: ${name(tied[12])}\nMost precise: ${name(tied[40])}\n` })),
    );
    assert.match(g.notes.join('\n'), new RegExp(`${knobs(tied[3])} or ${knobs(tied[7])}, 0.023 ms, equal as printed`));
  });

  it("takes the final line, not a loop's progress lines, and says which cell it read", () => {
    const f = check({
      printed:
        `new fastest so far: ${knobs(slow)}\nnew fastest so far: ${knobs(poor)}\n` +
        `Fastest overall: ${knobs(fast)}\nMost precise overall: ${knobs(precise)}\n`,
    });
    assert.equal(f.status, 'ok', f.notes.join('; '));
    const g = check({ printed: `Fastest: ${knobs(slow)}\nMost precise: ${knobs(precise)}\n` });
    assert.match(g.notes.join('\n'), /its fastest \(cell 3: /);
  });

  it('reads a written answer wherever a student puts it under the question', () => {
    const right = `Fastest: ${knobs(fast)}. Most precise: ${knobs(precise)}.`;
    const wrong = `Fastest: ${knobs(slow)}. Most precise: ${knobs(precise)}.`;
    // On the line right under the question, in the same paragraph.
    const file = notebook(dir, rows, {});
    const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
    nb.cells[3].source = nb.cells[3].source.replace('\n\nYOUR ANSWER HERE', `\n${wrong}`);
    fs.writeFileSync(file, JSON.stringify(nb));
    assert.match(checkTask4(readNotebook(file)).notes.join('\n'), /its written answer's fastest \(cell 4: M=32/);
    // Above the hand-out's blank, which was left in.
    assert.equal(check({ written: `${right}\n\nYOUR ANSWER HERE` }).status, 'ok');
    // In a markdown cell of its own under the answer cell.
    const file2 = notebook(dir, rows, {});
    const nb2 = JSON.parse(fs.readFileSync(file2, 'utf8'));
    nb2.cells.push({ cell_type: 'markdown', id: 'added', metadata: {}, source: wrong });
    fs.writeFileSync(file2, JSON.stringify(nb2));
    const f = checkTask4(readNotebook(file2));
    assert.equal(f.status, 'differs');
    assert.match(
      f.notes.join('\n'),
      /its written answer's fastest \(cell 5: M=32, efConstruction=200, efSearch=100, L1/,
    );
  });

  it('a setting named without its metric is quoted so, and either metric may bear it out', () => {
    const noMetric = (r: Setting) => `M=${r.M}, efConstruction=${r.efConstruction}, efSearch=${r.efSearch}`;
    assert.equal(check({ printed: `Fastest: ${noMetric(fast)}\nMost precise: ${noMetric(precise)}\n` }).status, 'ok');
    const f = check({ printed: `Fastest: ${noMetric(slow)}\nMost precise: ${noMetric(precise)}\n` });
    assert.equal(f.status, 'differs');
    const note = f.notes.find((n) => n.includes('fastest'))!;
    assert.match(
      note,
      /its fastest \(cell 3: M=32, efConstruction=200, efSearch=100, no metric named, 0\.076 \/ 0\.103 ms\)/,
    );
  });
});
