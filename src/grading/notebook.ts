/**
 * A submitted notebook (.ipynb, nbformat 4) read for checking: its cells, what
 * each code cell printed or showed, whether it ran, and its errors. Reading
 * never throws: a file that is not a whole notebook (truncated, not JSON, not
 * nbformat 4) comes back with `damaged` saying what is wrong.
 *
 * tslab reports a failed cell as text on stderr (no "error" output), and stops
 * the run there: the cells after it keep no execution count. Both forms count
 * as an error here; a warning on stderr does not.
 *
 * @example
 * const nb = readNotebook('submissions/anna/02-knn-queries.ipynb');
 * nb.damaged ?? `${nb.executed}/${nb.codeCells} cells ran, ${nb.errors.length} error(s)`;
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Notebooks bigger than this are not read (the lab's largest, with charts, is about 2 MB). */
export const MAX_NOTEBOOK_BYTES = 64 * 2 ** 20;

export interface CellOutput {
  /** stream, display_data, execute_result or error. */
  type: string;
  /** For streams: stdout or stderr. */
  name?: string;
  /** The plain text of the output (a stream's text, text/plain, an error's name, value and traceback). */
  text: string;
  /** The text/html of a display, when it has one. */
  html?: string;
  /** Images (base64 payloads of image/png, image/jpeg), to find them in the HTML export. */
  images: string[];
}

export interface NotebookCell {
  /** Position in the notebook, from 0. */
  index: number;
  type: 'code' | 'markdown' | 'raw';
  source: string;
  executionCount: number | null;
  outputs: CellOutput[];
}

export interface CellError {
  cell: number;
  /** The line of the error's text that says what went wrong. */
  text: string;
}

export interface SubmittedNotebook {
  file: string;
  /** Why the file is not a readable notebook, or undefined when it is. */
  damaged?: string;
  cells: NotebookCell[];
  /** The task it answers (1..6), from its first heading ("# Task 2 ...") or its name ("02-...ipynb"). */
  task?: number;
  /** Its title: the first markdown heading. */
  title?: string;
  kernel?: string;
  /** Code cells with source. */
  codeCells: number;
  /** Of those, how many have an execution count. */
  executed: number;
  /** Whether the execution counts rise from top to bottom (the notebook ran in order). */
  inOrder: boolean;
  errors: CellError[];
  /** Text written to stderr that is not an error (warnings), first line. */
  warnings: string[];
}

const joined = (v: unknown): string => (Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : '');

/** Whether text on stderr is an error report (tslab's compile errors, a thrown error, a stack) rather than a warning. */
export function looksLikeError(text: string): boolean {
  return (
    /^\s*(Uncaught\s+)?[A-Z]?\w*(Error|Exception)\b(:|\s*\[|\s*$)/m.test(text) ||
    /^\d+:\d+ - /m.test(text) ||
    /^\s+at .+:\d+:\d+\)?\s*$/m.test(text)
  );
}

/** The line of an error report that says what went wrong ("TypeError: ...", "3:5 - ..."), else its first line. */
export function errorLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim());
  return (
    lines.find((l) => /^(Uncaught\s+)?[A-Z]?\w*(Error|Exception)\b:/.test(l) || /^\d+:\d+ - /.test(l)) ??
    lines.find((l) => l !== '') ??
    ''
  );
}

function readOutput(o: Record<string, unknown>): CellOutput {
  const type = String(o.output_type ?? '');
  const data = (o.data ?? {}) as Record<string, unknown>;
  const images = ['image/png', 'image/jpeg']
    .map((m) => joined(data[m]).replace(/\s+/g, ''))
    .filter((s) => s.length > 0);
  if (type === 'stream') return { type, name: String(o.name ?? ''), text: joined(o.text), images };
  if (type === 'error') {
    const tb = joined(Array.isArray(o.traceback) ? (o.traceback as string[]).join('\n') : o.traceback);
    return { type, text: `${String(o.ename ?? '')}: ${String(o.evalue ?? '')}\n${tb}`, images };
  }
  const html = data['text/html'] !== undefined ? joined(data['text/html']) : undefined;
  return { type, text: joined(data['text/plain']), html, images };
}

/** The task number a notebook answers, from its title or its file name, or undefined. */
export function taskOf(file: string, title: string | undefined): number | undefined {
  const t = title ? /^#+\s*(?:Task|Aufgabe)\s+(\d+)\b/i.exec(title) : null;
  if (t) return Number(t[1]);
  const f = /^0?(\d)[-_ ]/.exec(path.basename(file));
  return f && Number(f[1]) >= 1 ? Number(f[1]) : undefined;
}

function fail(file: string, why: string): SubmittedNotebook {
  return { file, damaged: why, cells: [], codeCells: 0, executed: 0, inOrder: true, errors: [], warnings: [] };
}

/** Reads a notebook; see the module's description. */
export function readNotebook(file: string): SubmittedNotebook {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_NOTEBOOK_BYTES)
      return fail(file, `${(size / 2 ** 20).toFixed(0)} MB, more than a notebook should be (at most 64 MB)`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return fail(file, `cannot be read (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // A file cut short fails where its text ends (the last character may well be a bracket of a nested cell).
    const message = (e as Error).message.replace(/\s+/g, ' '); // V8 quotes the text around, newlines too
    const length = text.trimEnd().length;
    const at = Number(/at position (\d+)/.exec(message)?.[1] ?? Number.NaN);
    const atEnd = /end of JSON input/.test(message) || at >= length - 1;
    return fail(
      file,
      `not a whole notebook: its JSON is broken (${message}; ${length} characters` +
        `${atEnd ? ', cut off before the end' : ''})`,
    );
  }
  const nb = json as { nbformat?: unknown; cells?: unknown; metadata?: Record<string, unknown> };
  if (typeof nb !== 'object' || nb === null || !Array.isArray(nb.cells)) {
    return fail(file, 'not a notebook: no list of cells (expected nbformat 4 JSON, as Jupyter saves it)');
  }
  if (nb.nbformat !== 4) return fail(file, `nbformat ${String(nb.nbformat)}: expected 4 (Jupyter's current format)`);
  const cells: NotebookCell[] = [];
  for (const [index, raw] of (nb.cells as unknown[]).entries()) {
    const c = (raw ?? {}) as Record<string, unknown>;
    const type = c.cell_type === 'code' || c.cell_type === 'markdown' ? c.cell_type : 'raw';
    const outputs = Array.isArray(c.outputs)
      ? (c.outputs as unknown[]).filter((o) => typeof o === 'object' && o !== null).map((o) => readOutput(o as never))
      : [];
    const count = typeof c.execution_count === 'number' ? c.execution_count : null;
    cells.push({ index, type, source: joined(c.source), executionCount: type === 'code' ? count : null, outputs });
  }
  const code = cells.filter((c) => c.type === 'code' && c.source.trim() !== '');
  const counts = code.map((c) => c.executionCount).filter((v): v is number => v !== null);
  const errors: CellError[] = [];
  const warnings: string[] = [];
  for (const c of cells) {
    for (const o of c.outputs) {
      const isError = o.type === 'error' || (o.name === 'stderr' && looksLikeError(o.text));
      if (isError) errors.push({ cell: c.index, text: errorLine(o.text) });
      else if (o.name === 'stderr' && o.text.trim()) warnings.push(o.text.trim().split('\n')[0]);
    }
  }
  const heading = cells.find((c) => c.type === 'markdown' && /^\s*#/.test(c.source));
  const title = heading?.source.trim().split('\n')[0];
  const kernel = (nb.metadata?.kernelspec as { name?: unknown } | undefined)?.name;
  return {
    file,
    cells,
    title,
    task: taskOf(file, title),
    kernel: typeof kernel === 'string' ? kernel : undefined,
    codeCells: code.length,
    executed: counts.length,
    inOrder: counts.every((v, i) => i === 0 || v > counts[i - 1]),
    errors,
    warnings,
  };
}
