// The class on JupyterHub, end to end on this machine: `bash scripts/lab.sh hub-install --demo` into a
// temporary prefix, `bash scripts/lab.sh hub` with the teacher's config (PAM, allowed users) on 127.0.0.1,
// three real local users logged in through the hub's API, their servers spawned, and notebooks 01-06 run
// for all three at once through the Jupyter protocol (@jupyterlab/services, through the hub's proxy).
// Checked: no cell fails; each student's exports and caches are in their own home and nowhere else; A's
// token reaches neither B's server nor B's files; a killed server comes back through the hub with its
// caches (no re-embedding) and its edited notebooks; the hub and every server are gone afterwards (by pid).
// Also the no-root path: setup as an unprivileged user never calls apt or sudo, and names a missing package.
// Needs root (useradd, PAM) and Debian's jupyterhub (installed by lab.sh as root); skips otherwise.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from './support/data';
import {
  alive,
  ClassHub,
  editClassConfig,
  freePort,
  LAB,
  TASK_NOTEBOOKS as NOTEBOOKS,
  StudentServer,
} from './support/hub-client';
import { createUser, processesOf, removeUser, runAs, type TestUser, whyNoUsers } from './support/hub-users';

const ROOT = path.join(__dirname, '..');
const NAMES = ['labhub-a', 'labhub-b', 'labhub-c'];

function skipWith(ctx: Mocha.Context, why: string): never {
  console.log(`      skipped: ${why}`);
  ctx.skip();
}

/** Every file under dir (relative path -> size and mtime), or {} without dir. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = fs.lstatSync(p);
        out.set(path.relative(dir, p), `${s.size}@${s.mtimeMs}`);
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** Files under dir with their owner's uid. */
function owners(dir: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push([p, fs.lstatSync(p).uid]);
      if (e.isDirectory()) walk(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

function describeFailure(
  user: string,
  nb: string,
  cell: { index: number; status: string; stderr: string; errors: string[] },
) {
  return `${user}: ${nb} failed in cell ${cell.index} (${cell.status}): ${cell.errors.join('; ')}\n${cell.stderr.slice(-2000)}`;
}

describe('class hub: the lab installed once, three students on JupyterHub', function () {
  this.timeout(40 * 60_000);
  const tmp = tmpDir('hub');
  fs.chmodSync(tmp, 0o755); // the students' servers read the prefix and the kernel inside it
  const prefix = path.join(tmp, 'opt');
  const kernelPrefix = path.join(tmp, 'kernels');
  const state = path.join(tmp, 'state');
  const config = path.join(tmp, 'jupyterhub_config.py');
  const serviceToken = crypto.randomBytes(24).toString('hex');
  let hub: ClassHub | undefined;
  let url = '';
  let hubEnv: Record<string, string> = {};
  const users: TestUser[] = [];
  const tokens = new Map<string, string>();
  const serverPids = new Set<number>();
  let prefixBefore = new Map<string, string>();
  // @jupyterlab/services logs each websocket it opens (console.debug) and each one a shut-down kernel closes.
  const { debug, warn } = console;

  before(async function () {
    console.debug = () => undefined;
    console.warn = (...a: unknown[]) => {
      if (!/^Connection lost, reconnecting/.test(String(a[0]))) warn(...a);
    };
    const why = whyNoUsers();
    if (why) skipWith(this, why);
    // --worked: the students get the worked notebooks, so that every task runs to its end.
    const inst = spawnSync('bash', [LAB, 'hub-install', '--demo', '--worked'], {
      encoding: 'utf8',
      env: { ...process.env, LAB_PREFIX: prefix, LAB_KERNEL_PREFIX: kernelPrefix },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (inst.status !== 0 && spawnSync('sh', ['-c', 'command -v jupyterhub']).status !== 0)
      skipWith(
        this,
        `jupyterhub cannot be installed here (apt): ${inst.stderr.trim().split('\n').slice(-3).join(' / ')}`,
      );
    assert.equal(inst.status, 0, `hub-install failed:\n${inst.stdout.slice(-3000)}\n${inst.stderr.slice(-3000)}`);
    prefixBefore = snapshot(prefix);
    for (const n of NAMES) users.push(createUser(n));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    hubEnv = {
      LAB_PREFIX: prefix,
      LAB_HUB_CONFIG: config,
      LAB_HUB_STATE: state,
      LAB_HUB_URL: url,
      LAB_HUB_API_PORT: String(await freePort()),
      LAB_HUB_PROXY_API_PORT: String(await freePort()),
    };
  });

  after(async function () {
    this.timeout(120_000);
    console.debug = debug;
    console.warn = warn;
    await hub?.stop();
    for (const u of users) removeUser(u.name);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('hub-install: the lab, the kernel and the demo set under the prefix, read-only for students', () => {
    const spec = JSON.parse(
      fs.readFileSync(path.join(kernelPrefix, 'share/jupyter/kernels/tslab/kernel.json'), 'utf8'),
    );
    assert.deepEqual(spec.argv, [path.join(prefix, 'lab/bin/lab-kernel'), '{connection_file}']);
    const env = fs.readFileSync(path.join(prefix, 'etc/lab.env'), 'utf8');
    assert.match(env, new RegExp(`^LAB_DATA_DIR=${prefix}/data/demo$`, 'm'));
    assert.match(env, /^LAB_CACHE_DIR=~\/vector-lab\/cache\/demo$/m);
    assert.match(env, /^LAB_EXPORT_DIR=~\/vector-lab\/export$/m);
    assert.ok(fs.existsSync(path.join(prefix, 'lab/node/bin/node')), "the kernel's own Node");
    assert.ok(!fs.existsSync(path.join(prefix, 'lab/node_modules/mocha')), 'no dev packages in the prefix');
    // Nothing in the prefix is writable by anyone but root.
    const writable = spawnSync('find', [prefix, '-perm', '/022', '-not', '-type', 'l'], { encoding: 'utf8' });
    assert.equal(writable.stdout.trim(), '', 'group- or world-writable files in the prefix');
  });

  it('lab.sh hub --service writes a systemd unit that runs the same hub with these settings', () => {
    const dir = path.join(tmp, 'systemd');
    const r = spawnSync('bash', [LAB, 'hub', '--service'], {
      encoding: 'utf8',
      env: { ...process.env, ...hubEnv, LAB_SYSTEMD_DIR: dir },
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const unit = fs.readFileSync(path.join(dir, 'vector-lab-hub.service'), 'utf8');
    assert.match(unit, new RegExp(`^ExecStart=/bin/bash ${ROOT}/scripts/hub/hub\\.sh$`, 'm'));
    for (const [k, v] of Object.entries({ LAB_PREFIX: prefix, LAB_HUB_CONFIG: config, LAB_HUB_URL: url }))
      assert.ok(unit.includes(`Environment="${k}=${v}"`), `${k} in the unit:\n${unit}`);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
    // systemd's own check of the file (it warns on stderr about unknown keys or a missing program).
    if (spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0) {
      const v = spawnSync('systemd-analyze', ['verify', path.join(dir, 'vector-lab-hub.service')], {
        encoding: 'utf8',
      });
      assert.equal(v.status, 0, v.stderr);
      assert.equal(v.stderr.trim(), '', 'systemd-analyze verify warns');
    }
  });

  it("lab.sh hub refuses a config without allowed users, then runs with the teacher's list", async () => {
    const first = spawnSync('bash', [LAB, 'hub'], {
      encoding: 'utf8',
      env: { ...process.env, ...hubEnv },
      timeout: 60_000,
    });
    assert.notEqual(first.status, 0);
    assert.match(first.stdout + first.stderr, /no allowed users: edit .*jupyterhub_config\.py/);
    // The teacher's edits, as the config's comments say; the test adds its own admin service and the
    // kernel's folder (a temporary prefix, not /usr/local: JUPYTER_PATH).
    editClassConfig(config, {
      users: NAMES,
      environment: { JUPYTER_PATH: `${kernelPrefix}/share/jupyter` },
      serviceToken,
    });
    assert.match(fs.readFileSync(config, 'utf8'), /allowed_users = \{'labhub-a', 'labhub-b', 'labhub-c'\}/);
    hub = await ClassHub.start({ env: hubEnv, url, serviceToken, log: path.join(tmp, 'hub.log') });
  });

  it("logs the students in through the API (PAM) and spawns their servers with the lab's kernel", async () => {
    assert.ok(hub, 'the hub runs');
    const wrong = await hub.api(`/users/${NAMES[0]}/tokens`, {
      method: 'POST',
      body: { auth: { username: NAMES[0], password: 'not-the-password' } },
    });
    assert.equal(wrong.status, 403, 'a wrong password gets no token');
    for (const u of users) tokens.set(u.name, await hub.login(u));
    await Promise.all(users.map((u) => hub!.spawn(u.name, tokens.get(u.name)!)));
    for (const u of users) {
      const pid = await hub.serverPid(u.name);
      assert.ok(pid && alive(pid), `${u.name}'s server has a pid`);
      serverPids.add(pid);
      const r = await fetch(`${url}/user/${u.name}/api/kernelspecs`, {
        headers: { Authorization: `token ${tokens.get(u.name)}` },
      });
      const specs = (await r.json()) as { default: string; kernelspecs: Record<string, unknown> };
      assert.equal(specs.default, 'tslab');
      assert.ok(specs.kernelspecs.tslab, 'the lab kernel is listed');
      // The notebooks were copied into the student's home on first use.
      for (const nb of NOTEBOOKS) assert.ok(fs.existsSync(path.join(u.home, 'vector-lab/notebooks', nb)), nb);
      assert.equal(fs.statSync(path.join(u.home, 'vector-lab')).mode & 0o077, 0, '~/vector-lab is private');
    }
  });

  it('runs notebooks 01-06 for all three students at once, each cell without error', async () => {
    assert.ok(hub && tokens.size === 3, 'servers are up');
    const t0 = Date.now();
    const runs = await Promise.all(
      users.map(async (u) => {
        const server = new StudentServer(url, u.name, tokens.get(u.name)!);
        try {
          const out: string[] = [];
          for (const nb of NOTEBOOKS) {
            const r = await server.runNotebook(`vector-lab/notebooks/${nb}`);
            if (r.failed) return { user: u.name, error: describeFailure(u.name, nb, r.failed), out };
            out.push(`${nb}: ${r.cells.length} cells`);
          }
          return { user: u.name, error: '', out };
        } finally {
          server.dispose();
        }
      }),
    );
    console.log(`      3 students, notebooks 01-06 at once: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    for (const r of runs) assert.equal(r.error, '', r.error);
  });

  it("keeps each student's exports and caches in their own home, and the shared prefix unchanged", () => {
    for (const u of users) {
      const lab = path.join(u.home, 'vector-lab');
      assert.ok(fs.existsSync(path.join(lab, 'export/answers/task4.json')), `${u.name}: task 4's answers exported`);
      assert.ok(snapshot(path.join(lab, 'cache')).size > 0, `${u.name}: embedding caches in ~/vector-lab/cache`);
      for (const [file, uid] of owners(u.home)) assert.equal(uid, u.uid, `${file} belongs to ${uid}, not to ${u.name}`);
    }
    assert.deepEqual(snapshot(prefix), prefixBefore, 'the shared prefix changed');
  });

  it("A's token reaches neither B's server nor B's files", async () => {
    const [a, b] = users;
    const ta = tokens.get(a.name)!;
    const other = await fetch(`${url}/user/${b.name}/api/contents/vector-lab`, {
      headers: { Authorization: `token ${ta}` },
    });
    assert.equal(other.status, 403, "B's contents with A's token");
    const own = await fetch(`${url}/user/${a.name}/api/contents/vector-lab`, {
      headers: { Authorization: `token ${ta}` },
    });
    assert.equal(own.status, 200, "A's own contents");
    const stop = await hub!.api(`/users/${b.name}/server`, { method: 'DELETE', token: ta });
    assert.ok([403, 404].includes(stop.status), `A stopping B's server: ${stop.status}`);
    assert.ok((await hub!.serverPid(b.name)) !== undefined, "B's server still runs");
    // From A's own kernel, B's work is out of reach of A's Unix account.
    const server = new StudentServer(url, a.name, ta);
    try {
      const r = await server.exec(
        `const fs = require('fs');\nfor (const p of ['${b.home}/vector-lab/export/answers/task4.json', '${b.home}/vector-lab/notebooks']) {\n` +
          '  try { fs.statSync(p); fs.readdirSync(p); console.log("READ " + p); } catch (e) { console.log(e.code); }\n}',
      );
      assert.equal(r.stdout.trim().split('\n').join(' '), 'EACCES EACCES', r.stdout + r.stderr);
    } finally {
      server.dispose();
    }
  });

  it('a server killed outright (SIGKILL) leaves no kernel behind and comes back with its caches', async () => {
    const [a] = users;
    const ta = tokens.get(a.name)!;
    const pid = (await hub!.serverPid(a.name))!;
    const caches = snapshot(path.join(a.home, 'vector-lab/cache'));
    const edited = fs.readFileSync(path.join(a.home, 'vector-lab/notebooks', NOTEBOOKS[4]), 'utf8');
    // A kernel running when the server dies (as the OOM killer would kill it: no shutdown of its kernels).
    const open = new StudentServer(url, a.name, ta);
    const kernel = await open.openKernel();
    open.dispose();
    assert.ok(kernel.pid > 0 && alive(kernel.pid), `the kernel runs (pid ${kernel.pid})`);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && (alive(pid) || alive(kernel.pid)); i++) await new Promise((r) => setTimeout(r, 200));
    assert.ok(!alive(pid), 'the server is gone');
    assert.ok(!alive(kernel.pid), 'its kernel is gone too (no orphan)');
    await hub!.spawn(a.name, ta);
    const again = (await hub!.serverPid(a.name))!;
    assert.notEqual(again, pid);
    serverPids.add(again);
    // The saved notebook (with outputs) was not replaced by the course's copy.
    assert.equal(fs.readFileSync(path.join(a.home, 'vector-lab/notebooks', NOTEBOOKS[4]), 'utf8'), edited);
    const server = new StudentServer(url, a.name, ta);
    try {
      // Notebook 05 embeds photos: with the caches kept, nothing is embedded again.
      const r = await server.runNotebook(`vector-lab/notebooks/${NOTEBOOKS[4]}`);
      assert.equal(r.failed, undefined, r.failed && describeFailure(a.name, NOTEBOOKS[4], r.failed));
    } finally {
      server.dispose();
    }
    assert.deepEqual(snapshot(path.join(a.home, 'vector-lab/cache')), caches, 'the caches were rewritten');
  });

  it('stopping the hub stops every server it started: no process is left (by pid)', async () => {
    const proxy = hub!.proxyPid(state);
    const hubPid = hub!.pid;
    await hub!.stop();
    for (let i = 0; i < 50 && [...serverPids].some(alive); i++) await new Promise((r) => setTimeout(r, 200));
    assert.ok(!alive(hubPid), 'the hub');
    if (proxy) assert.ok(!alive(proxy), 'the proxy');
    for (const pid of serverPids) assert.ok(!alive(pid), `server ${pid}`);
    for (const u of users) assert.deepEqual(processesOf(u.uid), [], `processes left for ${u.name}`);
  });

  it('without --worked the students get the hand-outs: TODOs, no solution', () => {
    const inst = spawnSync('bash', [LAB, 'hub-install', '--demo'], {
      encoding: 'utf8',
      env: { ...process.env, LAB_PREFIX: prefix, LAB_KERNEL_PREFIX: kernelPrefix },
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(inst.status, 0, `hub-install failed:\n${inst.stdout.slice(-3000)}\n${inst.stderr.slice(-3000)}`);
    assert.match(inst.stdout, /the students get the hand-outs/);
    for (const nb of NOTEBOOKS) {
      const text = fs.readFileSync(path.join(prefix, 'lab', 'notebooks', nb), 'utf8');
      assert.doesNotMatch(text, /BEGIN SOLUTION|Teacher's version/, nb);
      assert.match(text, /YOUR CODE HERE|YOUR ANSWER HERE/, nb);
    }
  });
});

describe('setup without root: never apt or sudo; a missing package is named', function () {
  this.timeout(20 * 60_000);
  const name = 'labhub-noroot';
  let user: TestUser | undefined;
  let copy = '';
  let spy = '';

  before(function () {
    const why = whyNoUsers();
    if (why) skipWith(this, why);
    user = createUser(name);
    // The project as a student has it: their own copy (built, so setup only checks), owned by them.
    copy = path.join(user.home, 'lab');
    const files = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
      .stdout.split('\0')
      .filter(Boolean);
    fs.mkdirSync(copy);
    for (const f of files.filter((f) => fs.existsSync(path.join(ROOT, f)))) {
      fs.mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
      fs.cpSync(path.join(ROOT, f), path.join(copy, f), { preserveTimestamps: true });
    }
    for (const d of ['node_modules', 'dist', 'native/faiss/build', 'native/faiss/vendor'])
      if (fs.existsSync(path.join(ROOT, d)))
        fs.cpSync(path.join(ROOT, d), path.join(copy, d), {
          recursive: true,
          verbatimSymlinks: true,
          preserveTimestamps: true,
        });
    // sudo and apt-get that only note they were called (none may be).
    spy = path.join(user.home, 'spy');
    fs.mkdirSync(spy);
    for (const tool of ['sudo', 'apt-get', 'apt'])
      fs.writeFileSync(path.join(spy, tool), `#!/bin/sh\necho "${tool} $*" >> "${spy}/calls"\nexit 1\n`, {
        mode: 0o755,
      });
    spawnSync('chown', ['-R', `${name}:${name}`, user.home]);
  });

  after(() => removeUser(name));

  const env = () => ({ HOME: user!.home, PATH: `${spy}:/usr/local/bin:/usr/bin:/bin`, LANG: 'C.UTF-8', USER: name });
  const calls = () => (fs.existsSync(path.join(spy, 'calls')) ? fs.readFileSync(path.join(spy, 'calls'), 'utf8') : '');

  it('runs setup as the student with the packages present, without apt or sudo', () => {
    const r = runAs(user!, ['bash', 'scripts/lab.sh', 'setup'], env(), copy);
    assert.equal(r.status, 0, `setup failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    assert.match(r.stdout, /\[lab\] ready: Node/);
    assert.equal(calls(), '', 'setup called apt or sudo');
  });

  it('stops and names a package that is missing (chromium hidden from dpkg-query)', () => {
    // dpkg-query that reports chromium as not installed: the machine keeps its real chromium.
    fs.writeFileSync(
      path.join(spy, 'dpkg-query'),
      `#!/bin/sh\nfor a in "$@"; do [ "$a" = chromium ] && exit 1; done\nexec /usr/bin/dpkg-query "$@"\n`,
      { mode: 0o755 },
    );
    const r = runAs(user!, ['bash', 'scripts/lab.sh', 'setup'], env(), copy);
    fs.rmSync(path.join(spy, 'dpkg-query'));
    assert.notEqual(r.status, 0, 'setup went on without chromium');
    assert.match(r.stderr, /missing system packages: chromium/);
    assert.match(r.stderr, /apt-get install -y chromium/);
    assert.doesNotMatch(r.stdout, /ready: Node/);
    assert.equal(calls(), '', 'setup called apt or sudo');
  });
});
