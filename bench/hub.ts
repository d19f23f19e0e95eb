/**
 * A class on JupyterHub under load (issue 20): how long a student's server takes to start, and how long
 * notebooks 01-06 take when 1, 3 or 6 students run them at once on this machine, on the demo set and on a
 * course-sized set (20,580 generated photos, 512-d embeddings: the course's shape, with the tiny model).
 *   npm run bench -- --only hub [--hub-students 1,3,6] [--hub-sets demo,course]
 * Each round starts as a class's first session does: fresh ~/vector-lab (no caches), the servers spawned
 * together, every student running 01-06 in order through the Jupyter protocol (@jupyterlab/services), as
 * test/hub.test.ts does. The hub is `bash scripts/lab.sh hub` with the teacher's config as written (cpu_limit 1:
 * one thread per student's kernel), the lab from `bash scripts/lab.sh hub-install` in a temporary prefix.
 * Needs root (local users for PAM) and Debian's jupyterhub (hub-install installs it).
 * Reference: one student alone on the same hub; ratio = the round's time / one student's (N: the cores are
 * shared evenly and nothing else is lost).
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeDemoSet } from '../src/data/demo';
import {
  alive,
  ClassHub,
  editClassConfig,
  freePort,
  LAB,
  TASK_NOTEBOOKS as NOTEBOOKS,
  StudentServer,
} from '../test/support/hub-client';
import { createUser, processesOf, removeUser, type TestUser, whyNoUsers } from '../test/support/hub-users';
import { type Comparison, median, type Row } from './harness';

/** 12 breeds x 1,715 photos: the course's 20,580. */
const COURSE_SIZED = { breeds: 12, perBreed: 1715, queries: 10 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (t0: number) => (performance.now() - t0) / 1000;
const log = (s: string) => process.stderr.write(`[bench hub] ${s}\n`);

export type HubSet = 'demo' | 'course';

interface Round {
  set: HubSet;
  students: number;
  /** Each student's spawn, request to ready (s). */
  spawn: number[];
  /** All students' notebooks 01-06, from the first cell to the last student's end (s). */
  wall: number;
  /** Each student's own 01-06 (s). */
  perStudent: number[];
  /** Notebook -> each student's time for it (s). */
  perNotebook: Map<string, number[]>;
  /** The longest cell any student waited for. */
  slowestCell: { notebook: string; index: number; seconds: number; first: string };
}

/** The lab installed under `prefix` for `set`; resolves with the spawner environment the set needs. */
async function install(set: HubSet, prefix: string, kernelPrefix: string, out: string) {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  const spawnerEnv: Record<string, string> = { JUPYTER_PATH: `${kernelPrefix}/share/jupyter` };
  const args = ['hub-install', '--worked']; // the worked notebooks: each student runs every task to the end
  if (set === 'demo') args.push('--demo');
  else {
    log(`course-sized set: ${COURSE_SIZED.breeds * COURSE_SIZED.perBreed} photos in ${out}/hub-course (once)`);
    const course = await makeDemoSet(path.join(out, 'hub-course'), { ...COURSE_SIZED, log });
    // The course's branch of hub-install (its vectors.csv.gz, queries and models copied into the prefix);
    // the tiny models stand in for CLIP, named for every student as a teacher names another model.
    Object.assign(env, {
      LAB_DATA_DIR: course.dataDir,
      LAB_QUERIES_DIR: course.queriesDir,
      LAB_MODELS_DIR: path.dirname(course.clipModel),
      LAB_CLIP_MODEL: course.clipModel,
    });
    Object.assign(spawnerEnv, {
      LAB_CLIP_MODEL: path.join(prefix, 'models', path.basename(course.clipModel)),
      LAB_MULTILINGUAL_MODEL: path.join(prefix, 'models', path.basename(course.multilingualModel)),
    });
  }
  const t0 = performance.now();
  const r = spawnSync('bash', [LAB, ...args], {
    encoding: 'utf8',
    env: { ...env, LAB_PREFIX: prefix, LAB_KERNEL_PREFIX: kernelPrefix },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(`hub-install (${set}) failed:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  const lines = fs.readFileSync(path.join(prefix, 'etc/lab.env'), 'utf8');
  if (set === 'course' && /DEMO DATA/.test(lines)) throw new Error(`hub-install took the demo branch:\n${lines}`);
  log(`hub-install (${set}): ${seconds(t0).toFixed(0)} s`);
  return spawnerEnv;
}

/** The first code line of a notebook's cell (what the slowest cell does). */
async function firstLine(server: StudentServer, nbPath: string, index: number): Promise<string> {
  const nb = (await server.contents.get(nbPath, { content: true })).content as { cells: Array<{ source: unknown }> };
  const src = nb.cells[index]?.source;
  const text = Array.isArray(src) ? src.join('') : String(src ?? '');
  return text.split('\n').find((l) => l.trim() && !l.trim().startsWith('//')) ?? '';
}

async function stopServer(hub: ClassHub, name: string): Promise<void> {
  const pid = await hub.serverPid(name);
  await hub.api(`/users/${name}/server`, { method: 'DELETE', token: hub.serviceToken });
  for (let i = 0; i < 300; i++) {
    const u = await hub.api(`/users/${name}`, { token: hub.serviceToken });
    if (!u.json?.servers?.[''] && !(pid && alive(pid))) return;
    await sleep(200);
  }
  throw new Error(`${name}'s server did not stop within 60 s`);
}

async function round(hub: ClassHub, set: HubSet, users: TestUser[], tokens: Map<string, string>): Promise<Round> {
  for (const u of users) {
    await stopServer(hub, u.name);
    fs.rmSync(path.join(u.home, 'vector-lab'), { recursive: true, force: true }); // a first session: no caches
  }
  const spawn = await Promise.all(
    users.map(async (u) => {
      const t0 = performance.now();
      await hub.spawn(u.name, tokens.get(u.name)!, 300_000);
      return seconds(t0);
    }),
  );
  const perNotebook = new Map<string, number[]>(NOTEBOOKS.map((nb) => [nb, []]));
  let slowestCell: Round['slowestCell'] = { notebook: '', index: -1, seconds: 0, first: '' };
  const t0 = performance.now();
  const perStudent = await Promise.all(
    users.map(async (u) => {
      const server = new StudentServer(hub.url, u.name, tokens.get(u.name)!);
      const s0 = performance.now();
      try {
        for (const nb of NOTEBOOKS) {
          const n0 = performance.now();
          const r = await server.runNotebook(`vector-lab/notebooks/${nb}`, 3_600_000);
          if (r.failed)
            throw new Error(
              `${u.name}: ${nb} failed in cell ${r.failed.index} (${r.failed.status}): ` +
                `${r.failed.errors.join('; ')}\n${r.failed.stderr.slice(-2000)}`,
            );
          perNotebook.get(nb)!.push(seconds(n0));
          for (const c of r.cells)
            if (c.ms / 1000 > slowestCell.seconds) {
              const code = await firstLine(server, `vector-lab/notebooks/${nb}`, c.index);
              slowestCell = { notebook: nb, index: c.index, seconds: c.ms / 1000, first: code };
            }
        }
      } finally {
        server.dispose();
      }
      return seconds(s0);
    }),
  );
  const wall = seconds(t0);
  for (const u of users) await stopServer(hub, u.name);
  log(
    `${set}, ${users.length} at once: spawn ${spawn.map((s) => s.toFixed(1)).join('/')} s, 01-06 ${wall.toFixed(0)} s`,
  );
  return { set, students: users.length, spawn, wall, perStudent, perNotebook, slowestCell };
}

async function runSet(set: HubSet, students: number[], out: string): Promise<Round[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `lab-bench-hub-${set}-`));
  fs.chmodSync(tmp, 0o755); // the students' servers read the prefix
  const prefix = path.join(tmp, 'opt');
  const kernelPrefix = path.join(tmp, 'kernels');
  const config = path.join(tmp, 'jupyterhub_config.py');
  const serviceToken = crypto.randomBytes(24).toString('hex');
  const names = Array.from({ length: Math.max(...students) }, (_, i) => `labbench-${i + 1}`);
  const users: TestUser[] = [];
  let hub: ClassHub | undefined;
  try {
    const environment = await install(set, prefix, kernelPrefix, out);
    for (const n of names) users.push(createUser(n));
    const url = `http://127.0.0.1:${await freePort()}`;
    const env = {
      LAB_PREFIX: prefix,
      LAB_HUB_CONFIG: config,
      LAB_HUB_STATE: path.join(tmp, 'state'),
      LAB_HUB_URL: url,
      LAB_HUB_API_PORT: String(await freePort()),
      LAB_HUB_PROXY_API_PORT: String(await freePort()),
    };
    // The first start writes the teacher's config and refuses it (no allowed users): edited as a teacher would.
    spawnSync('bash', [LAB, 'hub'], { env: { ...process.env, ...env }, timeout: 60_000 });
    editClassConfig(config, { users: names, environment, serviceToken });
    hub = await ClassHub.start({ env, url, serviceToken, log: path.join(tmp, 'hub.log') });
    const tokens = new Map<string, string>();
    for (const u of users) tokens.set(u.name, await hub.login(u));
    const rounds: Round[] = [];
    for (const n of students) rounds.push(await round(hub, set, users.slice(0, n), tokens));
    return rounds;
  } finally {
    await hub?.stop();
    for (const u of users) {
      const left = processesOf(u.uid);
      for (const pid of left) process.kill(pid, 'SIGKILL');
      removeUser(u.name);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const fmt = (xs: number[]) => (xs.length ? `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} s` : '-');

export async function hubComparison(opts: { students: number[]; sets: HubSet[]; out: string }): Promise<Comparison> {
  const why = whyNoUsers();
  if (why) throw new Error(`the hub benchmark ${why}`);
  for (const s of opts.sets)
    if (s !== 'demo' && s !== 'course') throw new Error(`--hub-sets: '${s}' is not a set: expected demo, course`);
  for (const n of opts.students)
    if (!Number.isInteger(n) || n < 1 || n > 40)
      throw new Error(`--hub-students: '${n}' is not a number of students: expected whole numbers 1 to 40`);
  const students = [...new Set([1, ...opts.students])].sort((a, b) => a - b);
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const set of opts.sets) {
    const rounds = await runSet(set, students, opts.out);
    const one = rounds.find((r) => r.students === 1)!;
    for (const r of rounds) {
      const spawn = median(r.spawn);
      rows.push({
        case: `${set}: spawn, ${r.students} at once`,
        ours: spawn,
        reference: median(one.spawn),
        ratio: spawn / median(one.spawn),
        results: `median of ${r.students}; slowest ${Math.max(...r.spawn).toFixed(1)} s`,
      });
      const slowest = [...r.perNotebook].sort((a, b) => median(b[1]) - median(a[1]))[0];
      rows.push({
        case: `${set}: notebooks 01-06, ${r.students} at once`,
        ours: r.wall,
        reference: one.wall,
        ratio: r.wall / one.wall,
        results:
          `each student ${fmt(r.perStudent)}; slowest notebook ${slowest[0].slice(0, 2)} ` +
          `(${fmt(slowest[1])}); slowest cell ${r.slowestCell.notebook.slice(0, 2)}[${r.slowestCell.index}] ` +
          `${r.slowestCell.seconds.toFixed(0)} s (\`${r.slowestCell.first.trim().slice(0, 60).replace(/\|/g, '\\|')}\`); no cell failed`,
      });
    }
    const most = rounds[rounds.length - 1];
    const perHour = (most.students * 3600) / most.wall;
    notes.push(
      `${set}: with ${most.students} at once, every student has run all six notebooks after ${(most.wall / 60).toFixed(1)} ` +
        `min (one alone: ${(one.wall / 60).toFixed(1)} min): about ${perHour.toFixed(0)} complete runs of 01-06 per hour ` +
        `on this machine. Per notebook, median over the students of the largest round: ` +
        `${[...most.perNotebook].map(([nb, xs]) => `${nb.slice(0, 2)} ${median(xs).toFixed(0)} s`).join(', ')}.`,
    );
  }
  return {
    title:
      `7. A class on JupyterHub (issue 20): server spawn and notebooks 01-06 for ${students.join(', ')} students ` +
      `at once (${opts.sets.join(' and ')} set${opts.sets.length > 1 ? 's' : ''})`,
    reference: "one student alone on the same hub (the round with 1 student); ratio = the round's time / that",
    unit: 's',
    goal:
      'how many students one machine serves. One student alone uses about one core (cpu_limit 1), so on 2 cores the ' +
      'best ratio is students / 2; a ratio near the number of students means no more work is done than one at a time',
    rows,
    note:
      `${notes.join(' ')} ` +
      'Each round starts cold, as a first session does: fresh ~/vector-lab (every query photo embedded, every graph ' +
      "built), the servers spawned together, each student's six notebooks run in order through the Jupyter protocol " +
      "(@jupyterlab/services through the hub's proxy). The teacher's config as written: LocalProcessSpawner, " +
      "cpu_limit 1 (one thread per student's kernel, so one student alone uses one of the cores). The course-sized set " +
      "is the demo generator at 12 x 1,715 photos (20,580, 512-d, tiny model): the course's sizes for FAISS; the real " +
      "CLIP model would add its embedding time to tasks 2, 3, 5 and 6's query photos and texts only.",
  };
}
