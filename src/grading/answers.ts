/**
 * What a submitted notebook printed, read back as data: the lab's tables
 * (src/show/table.ts), its answer notes (showNote(..., 'answer')) and its
 * neighbour grids (showNeighbours: per query a row of tiles captioned
 * "#1 beagle"), and the checks built on them: precision@k re-computed from the
 * printed neighbours (tasks 2 and 3), and task 4's named settings held against
 * the student's own table.
 *
 * @example
 * const nb = readNotebook('anna/04-hnsw-grid.ipynb');
 * checkTask4(nb);   // { status: 'ok', fastest: 'HNSWFlat(M=32, ...) L1 efSearch=10', ... }
 */
import { findAll, type HtmlElement, hasClass, parseHtml, tableRows, textOf } from './html';
import type { SubmittedNotebook } from './notebook';

export interface PrintedTable {
  cell: number;
  caption?: string;
  rows: Array<Record<string, string>>;
}

export interface PrintedGrid {
  cell: number;
  title?: string;
  /** Per query: its caption, its breed (when shown) and its neighbours' classes in rank order. */
  rows: Array<{ query: string; breed?: string; neighbours: string[] }>;
}

/** The outcome of one check: ok, a difference a teacher should look at, or nothing to check. */
export type Status = 'ok' | 'differs' | 'missing' | 'n/a';

export interface Finding {
  status: Status;
  /** One line for the table. */
  summary: string;
  /** Sentences for the details. */
  notes: string[];
}

const htmlOutputs = (nb: SubmittedNotebook) =>
  nb.cells.flatMap((c) =>
    c.outputs.filter((o) => o.html !== undefined).map((o) => ({ cell: c.index, doc: parseHtml(o.html!) })),
  );

/** Every HTML table the notebook's outputs show, with its header cells as keys. */
export function printedTables(nb: SubmittedNotebook): PrintedTable[] {
  return htmlOutputs(nb).flatMap(({ cell, doc }) =>
    findAll(doc, (e) => e.tag === 'table').map((t) => {
      const caption = findAll(t, (e) => e.tag === 'caption')[0];
      return { cell, caption: caption ? textOf(caption).trim() : undefined, rows: tableRows(t) };
    }),
  );
}

/** The text of the answer notes (the lab's green boxes), and of printed lines starting "Answer". */
export function answerTexts(nb: SubmittedNotebook): Array<{ cell: number; text: string }> {
  const notes = htmlOutputs(nb).flatMap(({ cell, doc }) =>
    findAll(doc, (e) => hasClass(e, 'lab-note-answer')).map((n) => ({ cell, text: textOf(n).trim() })),
  );
  const printed = nb.cells.flatMap((c) =>
    c.outputs
      .filter((o) => o.type === 'stream' && o.name === 'stdout')
      .flatMap((o) => o.text.split('\n'))
      .filter((l) => /^\s*(Answer|Antwort)\b/i.test(l))
      .map((text) => ({ cell: c.index, text: text.trim() })),
  );
  return [...notes, ...printed];
}

const divKids = (e: HtmlElement) => e.children.filter((c): c is HtmlElement => typeof c !== 'string');

/** The neighbour grids the notebook shows (the lab's lab-photo-grid), read from their captions. */
export function printedGrids(nb: SubmittedNotebook): PrintedGrid[] {
  return htmlOutputs(nb).flatMap(({ cell, doc }) =>
    findAll(doc, (e) => hasClass(e, 'lab-photo-grid')).map((g) => {
      const rows: PrintedGrid['rows'] = [];
      let title: string | undefined;
      for (const part of divKids(g)) {
        if (!/display:\s*flex/.test(part.attrs.style ?? '')) {
          title ??= textOf(part).trim();
          continue;
        }
        // A tile: a frame, then a caption block of lines.
        const captions = divKids(part).map((tile) => {
          const kids = divKids(tile);
          const caption = kids[kids.length - 1];
          return caption ? divKids(caption).map((l) => textOf(l).trim()) : [];
        });
        const [query, ...hits] = captions;
        if (!query) continue;
        const kind = query[1] ?? '';
        const breed = /^query · (.+)$/.exec(kind)?.[1];
        rows.push({
          query: query[0] ?? '',
          breed: breed === 'breed unknown' ? undefined : breed,
          neighbours: hits.map((h) => (h[0] ?? '').replace(/^#\d+\s+/, '')),
        });
      }
      return { cell, title, rows };
    }),
  );
}

/** A printed number ("0.433", "1", "12,345"), or undefined for "-", "—" and text. */
export function printedNumber(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.replace(/,/g, '').trim();
  return /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(t) ? Number(t) : undefined;
}

/** Whether a printed value agrees with an exact one to the printed digits (0.333 for 1/3). */
export function agrees(printed: string | undefined, exact: number): boolean {
  const v = printedNumber(printed);
  if (v === undefined) return false;
  const digits = (printed!.split('.')[1] ?? '').replace(/e.*/i, '').length;
  return Math.abs(v - exact) <= 0.5 * 10 ** -digits + 1e-12;
}

const hitsOf = (breed: string, neighbours: string[], k: number) =>
  neighbours.slice(0, k).filter((n) => n === breed).length / k;

/**
 * The mean precision@k a notebook states: in its answer note or printed lines ("the mean precision@3 over 8 queries
 * is 0.433", "Mean precision@3: 0.433") and in its written answer; one claim per place and value.
 */
export function meanClaims(
  nb: SubmittedNotebook,
  pcol: string,
): Array<{ cell: number; value: string; written: boolean }> {
  const col = pcol.replace('@', '\\s*@\\s*');
  const forms = [
    new RegExp(`mean ${col}[^.]*? (?:is|was|ist|betr[aä]gt|of) (\\d+(?:\\.\\d+)?)`, 'i'),
    new RegExp(`mean ${col}\\s*(?:[:=]|->)\\s*(\\d+(?:\\.\\d+)?)`, 'i'),
    new RegExp(`(?:mittlere|durchschnittliche) ${col}[^.]*? (?:ist|betr[aä]gt|von) (\\d+(?:\\.\\d+)?)`, 'i'),
  ];
  const printed = [
    ...answerTexts(nb),
    ...nb.cells.flatMap((c) =>
      c.outputs
        .filter((o) => o.type === 'stream' && o.name === 'stdout')
        .flatMap((o) => o.text.split('\n'))
        .map((text) => ({ cell: c.index, text })),
    ),
  ].map((l) => ({ ...l, written: false }));
  const written = writtenAnswers(nb).flatMap((a) => a.lines.map((l) => ({ ...l, written: true })));
  const seen = new Set<string>();
  return [...printed, ...written].flatMap((l) => {
    const m = forms.map((re) => re.exec(l.text)).find((x) => x);
    const key = `${l.written} ${m?.[1]}`;
    if (!m || seen.has(key)) return [];
    seen.add(key);
    return [{ cell: l.cell, value: m[1], written: l.written }];
  });
}

/**
 * Task 2: each printed precision@k (the per-query table: query, breed,
 * neighbours, precision@k) re-computed from the neighbours printed beside it,
 * the mean re-computed and held against the answer, and the table's neighbours
 * held against the photo grid's.
 */
export function checkTask2(nb: SubmittedNotebook): Finding {
  const table = printedTables(nb).find((t) => t.rows[0] && 'neighbours' in t.rows[0]);
  if (!table) return { status: 'missing', summary: 'no table of neighbours', notes: [] };
  const pcol = Object.keys(table.rows[0]).find((c) => /^precision@\d+$/.test(c));
  if (!pcol) return { status: 'missing', summary: 'no precision@k column', notes: [] };
  const k = Number(pcol.split('@')[1]);
  const notes: string[] = [];
  const counted: number[] = [];
  for (const r of table.rows) {
    if (!r.breed || r.breed === '(unknown)') continue;
    const p = hitsOf(r.breed, r.neighbours.split(/,\s*/), k);
    if (r[pcol] !== '-' && !agrees(r[pcol], p)) {
      notes.push(`${r.query}: printed ${pcol} ${r[pcol]}, its neighbours give ${p.toFixed(3)}`);
    }
    if (!r['left out']) counted.push(p);
  }
  const mean = counted.reduce((s, v) => s + v, 0) / counted.length;
  const claims = meanClaims(nb, pcol);
  if (claims.length === 0) {
    notes.push(`no answer names the mean ${pcol} (expected e.g. "Answer: the mean ${pcol} over 8 queries is 0.433")`);
  } else if (counted.length) {
    for (const c of claims) {
      if (!agrees(c.value, mean)) {
        notes.push(
          `${c.written ? 'its written answer' : 'the answer'} (cell ${c.cell + 1}) gives the mean ${pcol} as ` +
            `${c.value}, the printed neighbours give ${mean.toFixed(3)}`,
        );
      }
    }
  }
  const grid = printedGrids(nb)[0];
  if (grid) {
    const byName = new Map(table.rows.map((r) => [r.query, r.neighbours]));
    const other = grid.rows.filter((g) => byName.has(g.query) && byName.get(g.query) !== g.neighbours.join(', '));
    if (other.length)
      notes.push(`the photo grid shows other neighbours than the table for ${other.map((g) => g.query).join(', ')}`);
  }
  const summary = counted.length
    ? `${pcol} ${mean.toFixed(3)} re-computed${notes.length ? '' : ', as printed'}`
    : 'no query of known breed';
  return { status: notes.length ? 'differs' : counted.length ? 'ok' : 'n/a', summary, notes };
}

/**
 * Task 3: precision@k re-computed from the HNSW neighbours the grid shows
 * (queries of known breed; those task 2 left out, when given), held against the
 * table's row for that efSearch.
 */
export function checkTask3(nb: SubmittedNotebook, leftOut: string[] = []): Finding {
  const table = printedTables(nb).find((t) => t.rows[0] && Object.keys(t.rows[0]).some((c) => /^precision@/.test(c)));
  const grid = printedGrids(nb)[0];
  if (!table || !grid) return { status: 'missing', summary: `no ${table ? 'neighbour grid' : 'table'}`, notes: [] };
  const pcol = Object.keys(table.rows[0]).find((c) => /^precision@\d+$/.test(c))!;
  const k = Number(pcol.split('@')[1]);
  const ef = /efSearch\s*=\s*(\d+)/.exec(grid.title ?? '')?.[1];
  const row = table.rows.find((r) => ef !== undefined && r.efSearch === ef && /HNSW/i.test(r.index ?? ''));
  const known = grid.rows.filter((g) => g.breed && !leftOut.includes(g.query));
  if (!row || known.length === 0) {
    return { status: 'n/a', summary: row ? 'no query of known breed' : 'no table row for the grid', notes: [] };
  }
  const mean = known.reduce((s, g) => s + hitsOf(g.breed!, g.neighbours, k), 0) / known.length;
  const ok = agrees(row[pcol], mean);
  return {
    status: ok ? 'ok' : 'differs',
    summary: `${pcol} ${mean.toFixed(3)} re-computed${ok ? ', as printed' : ''}`,
    notes: ok ? [] : [`efSearch=${ef}: printed ${pcol} ${row[pcol]}, the grid's neighbours give ${mean.toFixed(3)}`],
  };
}

/** A setting of the task-4 grid as named in text: M, efConstruction, efSearch and the metric. */
export interface Setting {
  M: number;
  efConstruction: number;
  efSearch: number;
  metric?: 'L1' | 'L2';
}

/** The first setting named in a piece of text ("HNSWFlat(M=8, efConstruction=40) L2 efSearch=10", or in any order). */
export function parseSetting(text: string): Setting | undefined {
  const num = (name: string) => {
    const m = new RegExp(`\\b${name}\\s*[=:]\\s*(\\d+)`, 'i').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const M = num('M');
  const efConstruction = num('efConstruction');
  const efSearch = num('efSearch');
  if (M === undefined || efConstruction === undefined || efSearch === undefined) return undefined;
  const metric = /\b(?:METRIC_)?(L1|L2)\b/.exec(text)?.[1] as Setting['metric'];
  return { M, efConstruction, efSearch, metric };
}

export const settingLabel = (s: Setting) =>
  `M=${s.M}, efConstruction=${s.efConstruction}, efSearch=${s.efSearch}${s.metric ? `, ${s.metric}` : ''}`;

const FASTEST = /fastest|quickest|schnellste|lowest (?:median )?latency/i;
const PRECISE = /most precise|most accurate|genaueste|highest precision/i;

/**
 * The setting a statement names for one keyword: the text after it when it leads on ("fastest: X", "the fastest
 * search is X"), else the clause before it ("X is the fastest"), never reaching into the other keyword's part.
 */
function settingNear(line: string, m: RegExpExecArray, other: RegExpExecArray | null): Setting | undefined {
  const after = line.slice(m.index + m[0].length, other && other.index > m.index ? other.index : undefined);
  const start = other && other.index < m.index ? other.index + other[0].length : 0;
  const before =
    line
      .slice(start, m.index)
      .split(/;|\.\s|\(\d\)/)
      .pop() ?? '';
  // "27 settings tie ... Picked by the rule "...": <the pick>." names the pick last.
  const picked = /Picked by[^:]*:\s*(.*)$/s.exec(after)?.[1];
  if (picked) return parseSetting(picked);
  const leadsOn = /^\s*(?:search|settings?|one)?\s*(?::|is\b|was\b|are\b|=|-|—|\()/i.test(after);
  return leadsOn ? (parseSetting(after) ?? parseSetting(before)) : (parseSetting(before) ?? parseSetting(after));
}

/** The fastest and the most precise setting one statement names ("Fastest: ...; most precise: ..."), if any. */
function statedIn(quoted: string): { fastest?: Setting; mostPrecise?: Setting } {
  // The lab's own trade-off line names a setting "fastest within 0.01 of the best": not an answer to either.
  if (/trade-?off/i.test(quoted)) return {};
  // A quoted rule ("... then the lowest median latency") is not a statement of its own.
  const line = quoted.replace(/"[^"]*"/g, '""');
  const f = FASTEST.exec(line);
  const p = PRECISE.exec(line);
  return { fastest: f ? settingNear(line, f, p) : undefined, mostPrecise: p ? settingNear(line, p, f) : undefined };
}

/** A setting as named, and the cell it was read from. */
export interface Named {
  setting: Setting;
  cell: number;
}

/** Where the notebook states task 4's answers, and the settings each place names. */
export interface StatedAnswers {
  /** From the code's output: the lab's "Answer 1/2" lines first, then the other printed lines, the last first. */
  code: { fastest?: Named; mostPrecise?: Named };
  /** From the written answer (the markdown under "**Your answer.**"), when it names settings. */
  written: { fastest?: Named; mostPrecise?: Named };
}

/** nbgrader's blank, as the hand-out leaves it in a written answer. */
const BLANK = /YOUR ANSWER HERE/g;

/** A written answer: its text, line by line with the cell each line is in. */
export interface WrittenAnswer {
  /** The "**Your answer.**" cell. */
  cell: number;
  text: string;
  /** Nothing written but the question (and the hand-out's blank). */
  blank: boolean;
  lines: Array<{ cell: number; text: string }>;
}

/**
 * The student's written answers: each "**Your answer.**" cell without its question line, the hand-out's blank and
 * HTML comments (the teacher's version hides in one), together with the markdown cells a student added right under
 * it (up to the next code cell or heading). `blank` says nothing else was written.
 */
export function writtenAnswers(nb: SubmittedNotebook): WrittenAnswer[] {
  const clean = (t: string) =>
    t
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(BLANK, '')
      .trim();
  return nb.cells
    .filter((c) => c.type === 'markdown' && /\*\*Your answer\.?\*\*/i.test(c.source))
    .map((c) => {
      const parts = [{ cell: c.index, text: c.source.replace(/^[\s\S]*?\*\*Your answer\.?\*\*[^\n]*/i, '') }];
      for (const next of nb.cells.slice(c.index + 1)) {
        if (next.type !== 'markdown' || /^\s*#/.test(next.source) || /\*\*Your answer/i.test(next.source)) break;
        parts.push({ cell: next.index, text: next.source });
      }
      const lines = parts.flatMap((p) =>
        clean(p.text)
          .split(/\n+/)
          .filter((t) => t.trim())
          .map((text) => ({ cell: p.cell, text })),
      );
      return { cell: c.index, text: lines.map((l) => l.text).join('\n'), blank: lines.length === 0, lines };
    });
}

/** Progress lines inside a loop ("new fastest so far: ...") are not the answer. */
const PROGRESS = /so far|bisher|current(ly)? best|running best/i;

/** The settings named for "fastest" and "most precise", in the code's output and in the written answer. */
export function statedAnswers(nb: SubmittedNotebook): StatedAnswers {
  const isAnswer = (l: string) => /^\s*(Answer|Antwort)\b/i.test(l);
  const lines = [
    ...answerTexts(nb).flatMap((a) => a.text.split(/\n+/).map((text) => ({ cell: a.cell, text }))),
    ...nb.cells.flatMap((c) =>
      c.outputs
        .filter((o) => o.type === 'stream' && o.name === 'stdout')
        .flatMap((o) => o.text.split('\n'))
        .filter((l) => !isAnswer(l) && !PROGRESS.test(l))
        .map((text) => ({ cell: c.index, text })),
    ),
  ];
  // The lab's answer lines first; of the others the last printed first: a final line follows the loop's output.
  const ordered = [...lines.filter((l) => isAnswer(l.text)), ...lines.filter((l) => !isAnswer(l.text)).reverse()];
  const pick = (from: Array<{ cell: number; text: string }>) => {
    const stated = from.map((l) => ({ cell: l.cell, ...statedIn(l.text) }));
    const f = stated.find((x) => x.fastest);
    const p = stated.find((x) => x.mostPrecise);
    return {
      fastest: f ? { setting: f.fastest!, cell: f.cell } : undefined,
      mostPrecise: p ? { setting: p.mostPrecise!, cell: p.cell } : undefined,
    };
  };
  const written = writtenAnswers(nb).map((a) => pick(a.lines));
  return { code: pick(ordered), written: written.find((x) => x.fastest || x.mostPrecise) ?? {} };
}

export interface Task4Finding extends Finding {
  fastest?: Setting;
  mostPrecise?: Setting;
  /** The table's rows read (settings). */
  settings: number;
}

/** The form the hand-out asks for, named when no answer is found. */
export const TASK4_ANSWER_FORM =
  "'Answer 1, the fastest search: M=8, efConstruction=40, efSearch=10, L2' and 'Answer 2, the most precise search: ...'";

/**
 * Task 4: does the notebook name a fastest and a most precise setting (in its
 * output or in its written answer), and do its own table's numbers bear out
 * every setting it names (the named fastest has the lowest printed latency, or
 * the table marks it fastest or equally fast; the named most precise has the
 * highest printed precision@5, or recall@5 when no breeds were known)?
 */
export function checkTask4(nb: SubmittedNotebook): Task4Finding {
  const stated = statedAnswers(nb);
  const fastest = (stated.code.fastest ?? stated.written.fastest)?.setting;
  const mostPrecise = (stated.code.mostPrecise ?? stated.written.mostPrecise)?.setting;
  const table = printedTables(nb).find(
    (t) => t.rows[0] && ['M', 'efConstruction', 'efSearch'].every((c) => c in t.rows[0]) && 'metric' in t.rows[0],
  );
  const notes: string[] = [];
  if (!fastest) notes.push('names no fastest setting');
  if (!mostPrecise) notes.push('names no most precise setting');
  if (!fastest || !mostPrecise) notes.push(`expected lines such as ${TASK4_ANSWER_FORM}`);
  if (!table) {
    notes.push('shows no table of the settings');
    return { status: 'missing', summary: notes.join('; '), notes, fastest, mostPrecise, settings: 0 };
  }
  const cols = Object.keys(table.rows[0]);
  const latency = cols.find((c) => /latency/i.test(c));
  const quality = cols.find((c) => /^precision@/.test(c) && table.rows.some((r) => printedNumber(r[c]) !== undefined));
  const qcol = quality ?? cols.find((c) => /^recall@/.test(c));
  const tag = cols[cols.length - 1];
  // A setting named without its metric stands for both rows (L1 and L2): either may bear it out.
  const rowsOf = (s: Setting) =>
    table.rows.filter(
      (r) =>
        Number(r.M) === s.M &&
        Number(r.efConstruction) === s.efConstruction &&
        Number(r.efSearch) === s.efSearch &&
        (!s.metric || r.metric === s.metric),
    );
  const label = (r: Record<string, string>) =>
    settingLabel({ M: +r.M, efConstruction: +r.efConstruction, efSearch: +r.efSearch, metric: r.metric as 'L1' });
  const value = (r: Record<string, string>, c: string | undefined) => (c ? printedNumber(r[c]) : undefined);
  const labels = (rows: Array<Record<string, string>>) =>
    rows.slice(0, 3).map(label).join(' or ') + (rows.length > 3 ? ` or ${rows.length - 3} more` : '');
  // How a named setting is quoted: as the student named it (no metric: said so), and where it was read.
  const quoted = (n: Named, r?: Record<string, string>) =>
    `${r && n.setting.metric ? label(r) : settingLabel(n.setting)}${n.setting.metric ? '' : ', no metric named'}`;
  if (table.rows.length < 54) notes.push(`its table has ${table.rows.length} settings, the sheet's grid 54`);
  const checkFastest = (who: string, n: Named) => {
    if (!latency) return;
    const rows = rowsOf(n.setting);
    const best = Math.min(...table.rows.map((x) => value(x, latency) ?? Infinity));
    const ok = (r: Record<string, string>) => value(r, latency) === best || /fastest|equally fast/i.test(r[tag] ?? '');
    if (!rows.length) notes.push(`${who} fastest (cell ${n.cell + 1}: ${quoted(n)}) is not in its table`);
    else if (!rows.some(ok)) {
      // The table's own mark names its fastest; rows equal after rounding are all named, not the first of them.
      const marked = table.rows.filter((x) => /fastest/i.test(x[tag] ?? ''));
      const tops = marked.length ? marked : table.rows.filter((x) => value(x, latency) === best);
      const tie = !marked.length && tops.length > 1 ? ', equal as printed' : '';
      notes.push(
        `${who} fastest (cell ${n.cell + 1}: ${quoted(n, rows[0])}, ${rows.map((r) => r[latency]).join(' / ')} ms) ` +
          `is not the table's fastest (${labels(tops)}, ${tops[0]?.[latency] ?? best} ms${tie})`,
      );
    }
  };
  const checkPrecise = (who: string, n: Named) => {
    if (!qcol) return;
    const rows = rowsOf(n.setting);
    const best = Math.max(...table.rows.map((x) => value(x, qcol) ?? -Infinity));
    if (!rows.length) notes.push(`${who} most precise (cell ${n.cell + 1}: ${quoted(n)}) is not in its table`);
    else if (!rows.some((r) => value(r, qcol) === best)) {
      notes.push(
        `${who} most precise (cell ${n.cell + 1}: ${quoted(n, rows[0])}) has ${qcol} ` +
          `${rows.map((r) => r[qcol]).join(' / ')}, the table's best is ${best}`,
      );
    }
  };
  const same = (a?: Named, b?: Named) => !!a && !!b && settingLabel(a.setting) === settingLabel(b.setting);
  if (stated.code.fastest) checkFastest('its', stated.code.fastest);
  if (stated.code.mostPrecise) checkPrecise('its', stated.code.mostPrecise);
  // The written answer is checked too, unless it repeats the output's setting.
  const w = stated.written;
  if (w.fastest && !same(w.fastest, stated.code.fastest)) checkFastest("its written answer's", w.fastest);
  if (w.mostPrecise && !same(w.mostPrecise, stated.code.mostPrecise))
    checkPrecise("its written answer's", w.mostPrecise);
  const named = fastest && mostPrecise;
  const status: Status = !named ? 'missing' : notes.length ? 'differs' : 'ok';
  const summary = !named
    ? notes.filter((n) => n.startsWith('names no')).join('; ')
    : notes.length
      ? notes[0]
      : `fastest ${settingLabel(fastest)}; most precise ${settingLabel(mostPrecise)}: as its table shows`;
  return { status, summary, notes, fastest, mostPrecise, settings: table.rows.length };
}

/** Queries task 2's table leaves out of the mean (dataset photos, unknown breed), by name. */
export function leftOutQueries(nb: SubmittedNotebook | undefined): string[] {
  const table = nb && printedTables(nb).find((t) => t.rows[0] && 'neighbours' in t.rows[0]);
  return table ? table.rows.filter((r) => r['left out']).map((r) => r.query) : [];
}
