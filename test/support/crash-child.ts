// Runs every case of crash-cases.ts in this process, in order, and writes one JSON
// line per case to stdout as it ends: { name, ok, error?, skip?, note? }. A case that
// kills the process leaves its name as the last "start" line.
import * as fs from 'node:fs';
import { CASES } from './crash-cases';

function line(o: object): void {
  fs.writeSync(1, JSON.stringify(o) + '\n');
}

(async () => {
  for (const [name, run] of Object.entries(CASES)) {
    line({ start: name });
    const t0 = Date.now();
    try {
      const out = (await run()) ?? {};
      line({ name, ok: true, ms: Date.now() - t0, ...out });
    } catch (e) {
      line({ name, ok: false, ms: Date.now() - t0, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  }
})();
