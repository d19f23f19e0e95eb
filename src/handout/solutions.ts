/**
 * Solution regions in the worked notebooks, marked the way nbgrader marks them, and the student's version of a
 * notebook made from them. A region is the lines between one containing `BEGIN SOLUTION` and one containing
 * `END SOLUTION` (nbgrader's ClearSolutions matches the words anywhere in the line). In code the begin line carries
 * what to write: `// BEGIN SOLUTION build an IndexFlatL2 over xb`; that text becomes the hand-out's TODO and its
 * error. A solution cell carries nbgrader's cell metadata (schema version 3), so a course that runs nbgrader takes
 * the notebooks as they are; `nbgraderProblems` checks them by nbgrader's own rules.
 */

export interface NotebookCell {
  cell_type: string;
  id?: string;
  source: string | string[];
  metadata?: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata?: Record<string, unknown>;
  nbformat?: number;
  nbformat_minor?: number;
}

/** nbgrader's cell metadata, schema version 3 (nbgrader/nbgraderformat/v3.json). */
export interface NbgraderMetadata {
  schema_version: 3;
  grade: boolean;
  solution: boolean;
  locked: boolean;
  task?: boolean;
  grade_id?: string;
  points?: number;
  checksum?: string;
  cell_type?: 'raw' | 'code' | 'markdown';
}

export const BEGIN = 'BEGIN SOLUTION';
export const END = 'END SOLUTION';
/** nbgrader's text stub for written answers (ClearSolutions.text_stub). */
export const TEXT_STUB = 'YOUR ANSWER HERE';
/** The start of the error a hand-out's TODO throws: a test and a teacher can search for it. */
export const TODO_ERROR = 'not implemented yet: ';

export function sourceOf(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** The source as nbformat keeps it: one string per line, each but the last ending in a newline. */
export function toSourceLines(text: string): string[] {
  const lines = text.split('\n');
  return [...lines.slice(0, -1).map((l) => l + '\n'), ...(lines[lines.length - 1] ? [lines[lines.length - 1]] : [])];
}

export interface Region {
  /** Line numbers (0-based) of the begin and end marker lines. */
  begin: number;
  end: number;
  /** What to write, from the begin line (empty when the line says only BEGIN SOLUTION). */
  hint: string;
  /** The trailing comments of the region's code lines: the Python (faiss, numpy) of each call, indented in its loops. */
  python: string[];
}

/** The solution regions of a cell's source; throws, as nbgrader does, on a nested or an unclosed region. */
export function regionsOf(source: string, where = 'cell'): Region[] {
  const lines = source.split('\n');
  const found: Region[] = [];
  let open: Region | undefined;
  // The TypeScript indentation of the Python loops a hint sits in.
  let loops: number[] = [];
  lines.forEach((line, i) => {
    if (line.includes(BEGIN)) {
      if (open)
        throw new Error(`${where}, line ${i + 1}: a solution region begins inside another (line ${open.begin + 1})`);
      const hint = line
        .slice(line.indexOf(BEGIN) + BEGIN.length)
        .replace(/-->\s*$/, '')
        .replace(/^[\s:\-—]+/, '')
        .trim();
      open = { begin: i, end: -1, hint, python: [] };
      loops = [];
    } else if (line.includes(END)) {
      if (!open) throw new Error(`${where}, line ${i + 1}: END SOLUTION without a BEGIN SOLUTION before it`);
      open.end = i;
      found.push(open);
      open = undefined;
    } else if (open) {
      // A trailing comment that reads as Python (`index.add(xb)`, `D, I = ...`, `faiss.X`, `for M in M_values:`)
      // is the call's Python; nested in the Python loops above it, whatever blocks the TypeScript adds.
      const m = /^(\s*)[^\s/].*?\s\/\/\s*(.+)$/.exec(line);
      if (m && /faiss\.|^[\w.]+(, *[\w.]+)*\s=\s|\.\w+\(|^for [\w, ]+ in .+:$/.test(m[2])) {
        const indent = m[1].length;
        while (loops.length && loops[loops.length - 1] >= indent) loops.pop();
        open.python.push(' '.repeat(4 * loops.length) + m[2].trim());
        if (/^for .+:$/.test(m[2].trim())) loops.push(indent);
      }
    }
  });
  if (open) throw new Error(`${where}, line ${open.begin + 1}: a solution region is not closed (no END SOLUTION)`);
  return found;
}

function quoteForCode(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export interface HandoutOptions {
  /** Keep the Python line of each call as a comment under the TODO. */
  withHints?: boolean;
  /** The exercise sheet's text (course/exercise-sheet.md): a hint found in it word for word is marked as its own. */
  sheet?: string;
}

/** The sheet's lines as code: each line without list marks, quote marks and backticks, trimmed. */
export function sheetLines(sheet: string): Set<string> {
  return new Set(
    sheet
      .split('\n')
      .map((l) =>
        l
          .replace(/^[\s>]*(?:[-*]\s+|\d+\.\s+)?/, '')
          .replace(/^`+|`+$/g, '')
          .trim(),
      )
      .filter((l) => l),
  );
}

/** The note after a hint that the sheet prints word for word. */
export const SHEET_MARK = "(the sheet's own line)";

/** A cell's source with each region replaced by the student's stub. */
export function clearRegions(source: string, cellType: string, options: HandoutOptions = {}, where = 'cell'): string {
  const regions = regionsOf(source, where);
  if (regions.length === 0) return source;
  const sheet = options.sheet ? sheetLines(options.sheet) : new Set<string>();
  const lines = source.split('\n');
  const out: string[] = [];
  let at = 0;
  for (const r of regions) {
    out.push(...lines.slice(at, r.begin));
    const indent = /^\s*/.exec(lines[r.begin])![0];
    if (cellType === 'code') {
      const what = r.hint || 'this part of the task';
      out.push(`${indent}// YOUR CODE HERE: ${what}`);
      if (options.withHints) {
        for (const p of r.python) out.push(`${indent}// Python: ${p}${sheet.has(p.trim()) ? `   ${SHEET_MARK}` : ''}`);
      }
      out.push(`${indent}throw new Error(${quoteForCode(TODO_ERROR + what)});`);
    } else {
      out.push(`${indent}${TEXT_STUB}`);
    }
    at = r.end + 1;
  }
  out.push(...lines.slice(at));
  return out.join('\n');
}

export function nbgraderOf(cell: NotebookCell): Partial<NbgraderMetadata> | undefined {
  const m = cell.metadata?.nbgrader;
  return m && typeof m === 'object' ? (m as Partial<NbgraderMetadata>) : undefined;
}

/**
 * The student's version: regions replaced by stubs, outputs and execution counts gone, everything else as it is
 * (prose, helpers, nbgrader's metadata). A solution cell without regions becomes the stub as a whole, as in
 * nbgrader.
 */
export function handout(nb: Notebook, options: HandoutOptions = {}, name = 'notebook'): Notebook {
  const cells = nb.cells.map((cell, i) => {
    const where = `${name}, cell ${i + 1}${cell.id ? ` (${cell.id})` : ''}`;
    const source = sourceOf(cell);
    let cleared = clearRegions(source, cell.cell_type, options, where);
    if (cleared === source && nbgraderOf(cell)?.solution) {
      cleared =
        cell.cell_type === 'code'
          ? `// YOUR CODE HERE\nthrow new Error(${quoteForCode(`${TODO_ERROR}this cell`)});`
          : TEXT_STUB;
    }
    const out: NotebookCell = { ...cell, source: toSourceLines(cleared) };
    if (cell.cell_type === 'code') {
      out.outputs = [];
      out.execution_count = null;
      if (out.metadata) {
        const { execution: _, ...rest } = out.metadata;
        out.metadata = rest;
      }
    }
    return out;
  });
  return { ...nb, cells };
}

const METADATA_KEYS = new Set([
  'schema_version',
  'grade',
  'locked',
  'solution',
  'task',
  'grade_id',
  'points',
  'checksum',
  'cell_type',
]);

/**
 * What nbgrader would refuse in a notebook, one sentence each; none means nbgrader takes it. Written from nbgrader's
 * metadata schema v3 (required keys, types, grade_id's pattern, no other keys), its validator (grade_id when graded,
 * solution or locked; points when graded; a graded markdown cell is a solution and the other way round; task cells
 * are markdown; grade ids unique) and ClearSolutions (regions only in solution cells, never nested, always closed).
 */
export function nbgraderProblems(nb: Notebook, name = 'notebook'): string[] {
  const problems: string[] = [];
  const ids = new Map<string, number>();
  nb.cells.forEach((cell, i) => {
    const where = `${name}, cell ${i + 1}${cell.id ? ` (${cell.id})` : ''}`;
    let regions: Region[] = [];
    try {
      regions = regionsOf(sourceOf(cell), where);
    } catch (e) {
      problems.push((e as Error).message);
    }
    const raw = cell.metadata?.nbgrader;
    if (raw === undefined) {
      if (regions.length) problems.push(`${where}: a solution region in a cell without nbgrader metadata`);
      return;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${where}: metadata.nbgrader is ${JSON.stringify(raw)}, expected an object`);
      return;
    }
    const m = raw as Record<string, unknown>;
    for (const key of Object.keys(m)) if (!METADATA_KEYS.has(key)) problems.push(`${where}: unknown key '${key}'`);
    if (m.schema_version !== 3) problems.push(`${where}: schema_version is ${m.schema_version}, expected 3`);
    for (const key of ['grade', 'locked', 'solution']) {
      if (typeof m[key] !== 'boolean')
        problems.push(`${where}: '${key}' is ${JSON.stringify(m[key])}, expected true/false`);
    }
    if (m.task !== undefined && typeof m.task !== 'boolean') problems.push(`${where}: 'task' is not true/false`);
    if (m.grade_id !== undefined && (typeof m.grade_id !== 'string' || !/^[a-zA-Z0-9_-]*$/.test(m.grade_id))) {
      problems.push(`${where}: grade_id ${JSON.stringify(m.grade_id)} may hold only letters, digits, _ and -`);
    }
    if (m.points !== undefined && (typeof m.points !== 'number' || !(m.points >= 0))) {
      problems.push(`${where}: points ${JSON.stringify(m.points)}, expected a number >= 0`);
    }
    if (m.checksum !== undefined && (typeof m.checksum !== 'string' || m.checksum.length !== 32)) {
      problems.push(`${where}: checksum must be 32 characters`);
    }
    if (m.cell_type !== undefined && !['raw', 'code', 'markdown'].includes(m.cell_type as string)) {
      problems.push(`${where}: cell_type ${JSON.stringify(m.cell_type)}, expected raw, code or markdown`);
    }
    const { grade, solution, locked, task } = m as {
      grade: boolean;
      solution: boolean;
      locked: boolean;
      task?: boolean;
    };
    if (grade || solution || locked) {
      if (typeof m.grade_id !== 'string' || m.grade_id === '') problems.push(`${where}: no grade_id`);
      else if (ids.has(m.grade_id))
        problems.push(`${where}: grade_id '${m.grade_id}' is used by cell ${ids.get(m.grade_id)}`);
      else ids.set(m.grade_id, i + 1);
    }
    if (grade && m.points === undefined) problems.push(`${where}: a graded cell without points`);
    if (task) {
      if (cell.cell_type !== 'markdown') problems.push(`${where}: a task cell must be markdown`);
    } else if (cell.cell_type === 'markdown' && grade !== solution) {
      problems.push(`${where}: a markdown answer must be both graded and a solution (nbgrader's rule)`);
    }
    if (regions.length && !solution) problems.push(`${where}: a solution region in a cell not marked as a solution`);
  });
  return problems;
}

/** Every region's hint in order, as "grade_id: hint": what a hand-out asks for. */
export function todosOf(nb: Notebook): Array<{ cell: number; gradeId?: string; hint: string }> {
  return nb.cells.flatMap((cell, i) =>
    cell.cell_type === 'code'
      ? regionsOf(sourceOf(cell)).map((r) => ({ cell: i, gradeId: nbgraderOf(cell)?.grade_id, hint: r.hint }))
      : [],
  );
}
