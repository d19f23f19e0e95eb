// The explorer started as `npm run explore` starts it (src/explore/cli.ts through tsx), for the API and page tests.
// Node itself runs the server (tsx as a loader, not the tsx command): the tsx command is a second process, and a
// SIGKILL to it left the server running, holding the test's pipes open so that mocha never exited.
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

export interface Server {
  url: string;
  child: ChildProcess;
  /** Everything the server printed so far. */
  output: () => string;
}

/** Starts the explorer and waits for the URL it prints; rejects with its output if it exits first. */
export function startServer(env: NodeJS.ProcessEnv, args: string[] = []): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(ROOT, 'src', 'explore', 'cli.ts'), ...args],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
    },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /open: (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], child, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the explorer exited (${code}) before printing its URL:\n${out}`)));
  });
}

/** Stops a running server and waits for it to exit. */
export function stopServer(s: Server | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!s || s.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    s.child.once('exit', () => resolve());
    s.child.kill(signal);
  });
}
