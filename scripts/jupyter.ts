/**
 * Running notebooks headless on the lab's tslab kernel (registered in
 * .jupyter/ by setup): the main job's export and the notebook tests use this.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');
/** Jupyter's Python: Debian's, where nbclient and nbconvert are installed. */
export const JUPYTER_PYTHON = process.env.LAB_JUPYTER_PYTHON ?? '/usr/bin/python3';
export const JUPYTER_PATH = path.join(ROOT, '.jupyter', 'share', 'jupyter');
const DRIVER = path.join(ROOT, 'scripts', 'python', 'run_notebook.py');

export interface NotebookRun {
  ok: boolean;
  /** The executed (or partially executed) notebook. */
  notebook: string;
  /** Its HTML export, when asked for. */
  html: string | null;
  seconds: number;
  /** The failed cell: its number, source and what it wrote to stderr. */
  error: { kind: string; cell: number | null; source: string | null; stderr: string } | null;
}

export interface RunOptions {
  /** Also write <name>.html (nbconvert's HTML export). */
  html?: boolean;
  /** Sign the executed notebook as trusted for this user (Notebook 6 then runs its chart scripts). */
  trust?: boolean;
  /** Per-cell timeout in seconds (default 1800: notebook 4's first grid build is long). */
  timeout?: number;
  /** Extra environment for the kernel (LAB_* settings). */
  env?: NodeJS.ProcessEnv;
}

/** Executes a notebook into outDir; resolves with what happened (a failed cell is not a rejection). */
export function runNotebook(notebook: string, outDir: string, options: RunOptions = {}): Promise<NotebookRun> {
  const args = [DRIVER, notebook, outDir, '--timeout', String(options.timeout ?? 1800)];
  if (options.html) args.push('--html');
  if (options.trust) args.push('--trust');
  return new Promise((resolve, reject) => {
    const child = spawn(JUPYTER_PYTHON, args, {
      env: { ...process.env, ...options.env, JUPYTER_PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) =>
      reject(new Error(`cannot run ${JUPYTER_PYTHON} (is Jupyter installed? bash scripts/lab.sh setup): ${e.message}`)),
    );
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as NotebookRun);
      } catch {
        reject(
          new Error(
            `running ${path.basename(notebook)} failed (exit ${code}) before any cell ran:\n${err.slice(-3000)}`,
          ),
        );
      }
    });
  });
}

/** The error of a failed run as a student should read it. */
export function describeFailure(run: NotebookRun): string {
  const e = run.error;
  if (!e) return '';
  const where = e.cell === null ? 'a cell' : `cell ${e.cell}`;
  const src = e.source ? `\n--- ${where} ---\n${e.source}\n---` : '';
  return `${path.basename(run.notebook)} failed in ${where} (${e.kind}):${src}\n${e.stderr.trim()}\nThe partly executed notebook is ${run.notebook}`;
}
