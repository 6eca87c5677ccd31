// Child process of power-loss.test.ts: the box's real persistence code writing state, grants
// and a config file in a loop; after each write completes it prints "ack <what> <n>".
import { StateStore } from '../../src/state/state-store.js';
import { GrantStore } from '../../src/plugins/grants.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { silentLogger } from '../../src/log.js';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.';
const start = Number(process.argv[3] ?? 0);
const log = silentLogger();
const state = new StateStore({ dir, log });
await state.start();
const grants = new GrantStore(dir, log);
await grants.load();
const caps = ['Midi', 'Network', 'Filesystem'] as const;
for (let n = start; ; n++) {
  await state.setMode(`mode-${n}`);
  await state.setSection('counter', { n, pad: 'x'.repeat(4000 + (n % 7) * 1000) });
  process.stdout.write(`ack state ${n}\n`);
  await grants.set('echo', 'a'.repeat(64), [caps[n % 3] ?? 'Midi'], []);
  process.stdout.write(`ack grant ${n}\n`);
  await writeFileAtomic(join(dir, 'config.toml'), `version = 1\n# save ${n}\n${'#'.repeat(2000)}\n`);
  process.stdout.write(`ack config ${n}\n`);
}
