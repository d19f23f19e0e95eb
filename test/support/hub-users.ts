// Local test accounts for the hub test: real users (useradd, a PAM password), removed afterwards.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';

export interface TestUser {
  name: string;
  password: string;
  home: string;
  uid: number;
}

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Why the hub test cannot run here (not root, no useradd), or undefined. */
export function whyNoUsers(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root: it creates local users and runs a hub that logs them in with PAM';
  for (const tool of ['useradd', 'userdel', 'chpasswd', 'runuser'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `no ${tool} on this machine`;
  return undefined;
}

/** Creates `name` with a home and a random password (an account left by an aborted run is replaced). */
export function createUser(name: string): TestUser {
  removeUser(name);
  run('useradd', ['--create-home', '--shell', '/bin/bash', name]);
  const password = `Lab-${crypto.randomBytes(9).toString('base64url')}`;
  run('chpasswd', [], `${name}:${password}\n`);
  const [, , uid, , , home] = run('getent', ['passwd', name]).trim().split(':');
  return { name, password, home, uid: Number(uid) };
}

/** The user's running processes (pids), from /proc: none may outlive the hub. */
export function processesOf(uid: number): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      // Zombies have exited (in a container nobody may reap them).
      if (fs.statSync(`/proc/${d}`).uid === uid && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z')
        pids.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

export function removeUser(name: string): void {
  if (spawnSync('getent', ['passwd', name]).status !== 0) return;
  const r = spawnSync('userdel', ['--remove', name], { encoding: 'utf8' });
  // userdel warns (exit 12) when the mail spool is missing; the account is gone all the same.
  assert.ok(r.status === 0 || r.status === 12, `userdel ${name} failed: ${r.stderr}`);
}

/** Runs a command as `user` (runuser: no password, no sudo), with exactly `env`. */
export function runAs(user: TestUser, cmd: string[], env: Record<string, string>, cwd = user.home) {
  return spawnSync(
    'runuser',
    ['-u', user.name, '--', 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...cmd],
    {
      encoding: 'utf8',
      cwd,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}
