// The class hub as a student's browser meets it: JupyterHub's REST API (log in, start and stop a server)
// and the student's server through the official Jupyter client, @jupyterlab/services (contents, sessions,
// kernels over websockets), all through the hub's proxy.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  ContentsManager,
  KernelManager,
  type KernelMessage,
  ServerConnection,
  SessionManager,
} from '@jupyterlab/services';
import type { TestUser } from './hub-users';

const ROOT = path.join(__dirname, '..', '..');
/** scripts/lab.sh, whose hub-install and hub commands the test and the bench run. */
export const LAB = path.join(ROOT, 'scripts', 'lab.sh');
/** The sheet's task notebooks, 01-06, in the order a student runs them. */
export const TASK_NOTEBOOKS = fs
  .readdirSync(path.join(ROOT, 'notebooks'))
  .filter((f) => /^0[1-6]-.*\.ipynb$/.test(f))
  .sort();
// ws (a dependency of @jupyterlab/services) has no types here: the client only needs its constructor.
const WebSocket = require('ws') as typeof globalThis.WebSocket;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HubApiResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JupyterHub's JSON models, read field by field in the test
  json: any;
}

export interface HubStart {
  /** LAB_* and port settings for scripts/lab.sh hub. */
  env: Record<string, string>;
  /** The public URL (LAB_HUB_URL). */
  url: string;
  /** A service token with admin scopes, added to the config by the test. */
  serviceToken: string;
  log: string;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The teacher's edits to the config `lab.sh hub` wrote, as its comments say (the allowed students and the
 * spawner's environment), plus an admin service with `serviceToken` for the test or benchmark's own calls.
 */
export function editClassConfig(
  config: string,
  opts: { users: string[]; environment: Record<string, string>; serviceToken: string },
): void {
  let text = fs.readFileSync(config, 'utf8');
  const list = opts.users.map((n) => `'${n}'`).join(', ');
  const env = Object.entries(opts.environment)
    .map(([k, v]) => `'${k}': '${v}'`)
    .join(', ');
  const edited = text
    .replace(/^c\.Authenticator\.allowed_users = set\(\).*$/m, `c.Authenticator.allowed_users = {${list}}`)
    .replace(/^c\.Spawner\.environment = \{\}$/m, `c.Spawner.environment = {${env}}`);
  if (!edited.includes(`allowed_users = {${list}}`) || !edited.includes(`environment = {${env}}`))
    throw new Error(`${config}: the allowed users or the environment line is not where lab.sh hub writes it`);
  text = `${edited}
c.JupyterHub.services = [{'name': 'lab-test', 'api_token': '${opts.serviceToken}'}]
c.JupyterHub.load_roles = [{'name': 'lab-test', 'services': ['lab-test'],
    'scopes': ['admin:users', 'admin:servers', 'admin:server_state', 'list:users', 'read:users']}]
`;
  fs.writeFileSync(config, text);
}

/** A JupyterHub started with `bash scripts/lab.sh hub` in its own process group. */
export class ClassHub {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly serviceToken: string,
    readonly log: string,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  static async start(opts: HubStart): Promise<ClassHub> {
    const out = fs.openSync(opts.log, 'w');
    const child = spawn('bash', [path.join(ROOT, 'scripts', 'lab.sh'), 'hub'], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', out, out],
      detached: true,
    });
    fs.closeSync(out);
    const hub = new ClassHub(child, opts.url, opts.serviceToken, opts.log);
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000) {
      if (child.exitCode !== null) throw new Error(`the hub exited (${child.exitCode}):\n${hub.logTail()}`);
      try {
        if ((await fetch(`${opts.url}/hub/api/`)).ok) return hub;
      } catch {
        /* not listening yet */
      }
      await sleep(300);
    }
    await hub.stop();
    throw new Error(`the hub did not answer within 60 s:\n${hub.logTail()}`);
  }

  logTail(n = 40): string {
    return fs.readFileSync(this.log, 'utf8').split('\n').slice(-n).join('\n');
  }

  async api(route: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<HubApiResult> {
    const headers: Record<string, string> = {};
    if (init.token) headers.Authorization = `token ${init.token}`;
    const r = await fetch(`${this.url}/hub/api${route}`, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await r.text();
    let json: unknown = text;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: kept as text */
    }
    return { status: r.status, json };
  }

  /** Logs a student in through the API with their PAM password; resolves with their token. */
  async login(user: TestUser): Promise<string> {
    const r = await this.api(`/users/${user.name}/tokens`, {
      method: 'POST',
      body: { auth: { username: user.name, password: user.password }, note: 'hub test' },
    });
    if (r.status !== 200 && r.status !== 201)
      throw new Error(`login of ${user.name}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.token as string;
  }

  /** Starts the user's server with their own token and waits until the hub says it is ready. */
  async spawn(name: string, token: string, timeoutMs = 120_000): Promise<void> {
    const r = await this.api(`/users/${name}/server`, { method: 'POST', token });
    if (r.status !== 201 && r.status !== 202)
      throw new Error(`spawn of ${name}: ${r.status} ${JSON.stringify(r.json)}`);
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      const u = await this.api(`/users/${name}`, { token });
      const s = u.json?.servers?.[''];
      if (s?.ready) return;
      if (!s?.pending && Date.now() - t0 > 5000) throw new Error(`${name}'s server did not start:\n${this.logTail()}`);
      await sleep(500);
    }
    throw new Error(`${name}'s server was not ready within ${timeoutMs / 1000} s:\n${this.logTail()}`);
  }

  /** The pid of the user's running server, from the spawner's state (admin scope). */
  async serverPid(name: string): Promise<number | undefined> {
    const u = await this.api(`/users/${name}`, { token: this.serviceToken });
    return u.json?.servers?.['']?.state?.pid;
  }

  /** The proxy's pid (the hub writes it to its pid file). */
  proxyPid(stateDir: string): number | undefined {
    try {
      return Number(fs.readFileSync(path.join(stateDir, 'jupyterhub-proxy.pid'), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  /** Stops the hub (SIGTERM to its process group: the hub stops the servers it started) and waits. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    try {
      process.kill(-this.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Whether pid runs (a zombie has exited: its parent, or a container's init, has not reaped it yet). */
export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export interface CellRun {
  index: number;
  status: string;
  stdout: string;
  stderr: string;
  /** From the execute request to its reply. */
  ms: number;
  /** Outputs of type error (tslab sends none: its errors go to stderr and the reply's status). */
  errors: string[];
  // biome-ignore lint/suspicious/noExplicitAny: nbformat outputs as the server stores them
  outputs: any[];
}

/** One student's server, through the hub's proxy, with their token. */
export class StudentServer {
  readonly settings: ServerConnection.ISettings;
  readonly contents: ContentsManager;
  private readonly kernels: KernelManager;
  private readonly sessions: SessionManager;

  constructor(hubUrl: string, name: string, token: string) {
    const baseUrl = `${hubUrl}/user/${name}/`;
    this.settings = ServerConnection.makeSettings({
      baseUrl,
      wsUrl: baseUrl.replace(/^http/, 'ws'),
      token,
      appendToken: true,
      WebSocket,
    });
    this.contents = new ContentsManager({ serverSettings: this.settings });
    this.kernels = new KernelManager({ serverSettings: this.settings });
    this.sessions = new SessionManager({ kernelManager: this.kernels, serverSettings: this.settings });
  }

  /**
   * Runs every code cell of the notebook at `nbPath` (relative to the server's root) in a new session
   * on its kernel, as "Run All" does; stops at the first failed cell. Saves the executed notebook in
   * place (as a student saving it). Resolves with each cell run.
   */
  async runNotebook(nbPath: string, cellTimeoutMs = 600_000): Promise<{ cells: CellRun[]; failed?: CellRun }> {
    const model = await this.contents.get(nbPath, { content: true });
    // biome-ignore lint/suspicious/noExplicitAny: nbformat JSON
    const nb = model.content as { cells: any[]; metadata: any };
    const kernelName = nb.metadata?.kernelspec?.name ?? 'tslab';
    const session = await this.sessions.startNew({
      path: nbPath,
      type: 'notebook',
      name: path.basename(nbPath),
      kernel: { name: kernelName },
    });
    const cells: CellRun[] = [];
    let failed: CellRun | undefined;
    try {
      const kernel = session.kernel!;
      await kernel.info;
      for (const [index, cell] of nb.cells.entries()) {
        if (cell.cell_type !== 'code') continue;
        const code = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
        const run: CellRun = { index, status: '', stdout: '', stderr: '', ms: 0, errors: [], outputs: [] };
        const t0 = performance.now();
        const future = kernel.requestExecute({ code, stop_on_error: true });
        future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
          const c = msg.content as Record<string, unknown>;
          switch (msg.header.msg_type) {
            case 'stream':
              if (c.name === 'stderr') run.stderr += c.text;
              else run.stdout += c.text;
              run.outputs.push({ output_type: 'stream', name: c.name, text: c.text });
              break;
            case 'display_data':
            case 'execute_result':
              run.outputs.push({ output_type: msg.header.msg_type, data: c.data, metadata: c.metadata ?? {} });
              break;
            case 'error':
              run.errors.push(`${c.ename}: ${c.evalue}`);
              run.outputs.push({ output_type: 'error', ename: c.ename, evalue: c.evalue, traceback: c.traceback });
              break;
          }
        };
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`cell ${index} of ${nbPath} ran over ${cellTimeoutMs / 1000} s`)),
            cellTimeoutMs,
          );
        });
        try {
          const reply = await Promise.race([future.done, timeout]);
          run.status = reply.content.status;
          run.ms = performance.now() - t0;
        } finally {
          clearTimeout(timer);
        }
        cell.outputs = run.outputs;
        cells.push(run);
        if (run.status !== 'ok' || run.errors.length > 0 || run.stderr) {
          failed = run;
          break;
        }
      }
      await this.contents.save(nbPath, { type: 'notebook', format: 'json', content: nb });
    } finally {
      await session.shutdown().catch(() => undefined);
      session.dispose();
    }
    return { cells, failed };
  }

  /** Runs one snippet in a fresh kernel (tslab) in `dir`; resolves with what it printed. */
  async exec(code: string, dir = 'vector-lab/notebooks'): Promise<{ status: string; stdout: string; stderr: string }> {
    const session = await this.sessions.startNew({
      path: `${dir}/probe.ipynb`,
      type: 'notebook',
      name: 'probe',
      kernel: { name: 'tslab' },
    });
    try {
      const out = { status: '', stdout: '', stderr: '' };
      const future = session.kernel!.requestExecute({ code });
      future.onIOPub = (msg) => {
        const c = msg.content as { name?: string; text?: string };
        if (msg.header.msg_type === 'stream') out[c.name === 'stderr' ? 'stderr' : 'stdout'] += c.text ?? '';
      };
      out.status = (await future.done).content.status;
      return out;
    } finally {
      await session.shutdown().catch(() => undefined);
      session.dispose();
    }
  }

  /** Starts a kernel (tslab) that stays up; resolves with its pid and a way to shut it down. */
  async openKernel(dir = 'vector-lab/notebooks'): Promise<{ pid: number; close(): Promise<void> }> {
    const session = await this.sessions.startNew({
      path: `${dir}/open-kernel.ipynb`,
      type: 'notebook',
      name: 'open-kernel',
      kernel: { name: 'tslab' },
    });
    let out = '';
    const future = session.kernel!.requestExecute({ code: 'console.log(process.pid)' });
    future.onIOPub = (msg) => {
      if (msg.header.msg_type === 'stream') out += (msg.content as { text?: string }).text ?? '';
    };
    await future.done;
    return {
      pid: Number(out.trim()),
      close: async () => {
        await session.shutdown().catch(() => undefined);
        session.dispose();
      },
    };
  }

  dispose(): void {
    this.sessions.dispose();
    this.kernels.dispose();
  }
}
