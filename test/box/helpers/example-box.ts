import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { MidimonBox } from '../../../src/box/box.js';
import { plugSimulatedDevices, seedSimulation } from '../../../src/box/simulation.js';
import { ManualScheduler } from '../../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../../src/log.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** The simulated box on docs/example-config.toml with real plugins, on a manual clock, without socket or file watching. */
export async function exampleBox(): Promise<{ box: MidimonBox; clock: ManualScheduler; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-example-'));
  const configPath = join(dir, 'config.toml');
  await writeFile(configPath, (await readFile(join(repo, 'docs/example-config.toml'), 'utf8')).replaceAll('"../plugins/', `"${repo}plugins/`));
  await mkdir(join(dir, 'run'));
  await seedSimulation(configPath, join(dir, 'state'), silentLogger());
  const clock = new ManualScheduler(Date.UTC(2026, 0, 1, 12));
  const box = new MidimonBox({
    paths: { configPath, stateDir: join(dir, 'state'), runtimeDir: join(dir, 'run'), socketPath: join(dir, 'run', 'c.sock'), simulated: true },
    log: silentLogger(),
    simulate: true,
    version: 'test',
    scheduler: clock,
    controlSocket: false,
    watchConfig: false,
  });
  await box.start();
  const config = box.config.current?.config;
  if (config !== undefined) plugSimulatedDevices(box, config);
  // Bounded wait for the plugin workers; never a timing assertion.
  // Generous: the first load waits for the plugin process to boot (seconds on a loaded machine).
  for (let i = 0; i < 12_000 && !box.pluginSet.list().every((p) => p.loaded); i++) await sleep(10);
  return {
    box,
    clock,
    close: async () => {
      await box.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
