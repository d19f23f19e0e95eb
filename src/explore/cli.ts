/**
 * `npm run explore` / `bash scripts/lab.sh explore`: starts the visual dataset
 * explorer and prints the URL to open.
 *
 *   --port N      port (default: a free one)
 *   --host ADDR   address (default 127.0.0.1; any other needs the printed token)
 *   --state DIR   thumbnails and labelling sessions (default <cache>/explore)
 *   --demo        the generated demo set even when the course's files are there
 */
import * as os from 'node:os';
import { type ExplorerOptions, startExplorer } from './server';

const USAGE = 'usage: npm run explore -- [--port N] [--host ADDRESS] [--state DIR] [--demo]';

export function parseArgs(argv: string[]): ExplorerOptions {
  const o: ExplorerOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--port') {
      const v = value();
      if (!/^\d{1,5}$/.test(v) || Number(v) > 65535)
        throw new Error(`--port ${v}: expected a port number from 0 to 65535`);
      o.port = Number(v);
    } else if (flag === '--host') {
      o.host = value();
    } else if (flag === '--state') {
      o.stateDir = value();
    } else if (flag === '--demo') {
      o.demo = true;
    } else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  return o;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const say = (s: string) => console.log(`[explore] ${s}`);
  const explorer = await startExplorer(options);
  const { course } = explorer.catalog;
  if (course.demo) say('DEMO DATA: the generated demo set (drawn photos, tiny random models): results mean nothing');
  say(course.summary.split('\n')[0]);
  say(`labels and thumbnails in ${explorer.catalog.stateDir}`);
  if (explorer.token && (explorer.host === '0.0.0.0' || explorer.host === '::')) {
    say(
      `on every address of this machine; from elsewhere open: ` +
        `http://${os.hostname()}:${explorer.port}/?token=${explorer.token}`,
    );
  }
  say(`open: ${explorer.url}`);
  say('Ctrl-C stops it');
  const stop = () => {
    void explorer.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`[explore] error: ${e.message}`);
    process.exit(1);
  });
}
