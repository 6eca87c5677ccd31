// Power loss, as near as a test can get without pulling a plug: the box's persistence code
// (state, capability grants, config saves) runs in its own process and is SIGKILLed at random
// moments; after each kill the files must be valid and the last acknowledged change present.
// (A SIGKILL loses no page cache, so this proves atomicity, not fsync: the fsync ordering is
// in src/util/atomic-write.ts.) Bounded: a fixed number of kills.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateStore } from '../../src/state/state-store.js';
import { silentLogger } from '../../src/log.js';

const WRITER = fileURLToPath(new URL('./power-loss-writer.ts', import.meta.url));
// Each kill restarts a tsx process (1-7 s on the shared CI VM), so the count stays small.
const KILLS = 6;

test(`SIGKILL at ${KILLS} random moments never leaves a torn state, grants or config file`, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-powerloss-'));
  let next = 0;
  // A deterministic "random" so a failure can be replayed.
  let seed = 17;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  try {
    for (let k = 0; k < KILLS; k++) {
      const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(next)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const acks: string[] = [];
      child.stdout.on('data', (d: Buffer) => acks.push(...d.toString().split('\n').filter(Boolean)));
      // Wait for the first ack (tsx startup varies), then kill after a random extra delay.
      for (let i = 0; i < 600 && acks.length === 0; i++) await sleep(10);
      await sleep(rand() * 60);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const last = (what: string) => Math.max(-1, ...acks.filter((a) => a.startsWith(`ack ${what} `)).map((a) => Number(a.split(' ')[2])));

      const stateText = await readFile(join(dir, 'state.json'), 'utf8');
      const st = JSON.parse(stateText) as { mode: string; sections: { counter: { n: number } } };
      const acked = last('state');
      if (acked >= 0) assert.ok(st.sections.counter.n >= acked, `state lost acknowledged write ${acked} (has ${st.sections.counter.n})`);
      // Mode and counter are two writes: the mode may be one ahead of the counter, never behind.
      assert.ok([`mode-${st.sections.counter.n}`, `mode-${st.sections.counter.n + 1}`].includes(st.mode), `${st.mode} vs counter ${st.sections.counter.n}`);
      const grants = JSON.parse(await readFile(join(dir, 'grants.json'), 'utf8').catch(() => '{"version":1,"grants":{}}')) as { version: number; grants: Record<string, string[]> };
      assert.equal(grants.version, 1);
      if (last('grant') >= 0) assert.ok(Object.keys(grants.grants).length === 1, 'the acknowledged grant is present');
      const config = await readFile(join(dir, 'config.toml'), 'utf8').catch(() => 'version = 1\n# save -1\n');
      assert.match(config, /^version = 1\n# save (-?\d+)\n/);
      const saved = Number(/# save (-?\d+)/.exec(config)?.[1]);
      assert.ok(saved >= last('config'), `config lost acknowledged save ${last('config')}`);
      // The real loader accepts the file: no ".corrupt" set aside.
      const store = new StateStore({ dir, log: silentLogger() });
      await store.start();
      assert.equal(store.mode, st.mode);
      assert.ok(!(await readdir(dir)).some((f) => f.endsWith('.corrupt')));
      next = st.sections.counter.n + 1;
    }
    // Temp files of interrupted writes are the only leftovers; the real files are whole.
    const leftovers = (await readdir(dir)).filter((f) => !['state.json', 'grants.json', 'config.toml'].includes(f));
    assert.ok(leftovers.every((f) => f.endsWith('.tmp')), leftovers.join(', '));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
