// `npm run screenshots`: regenerates docs/screenshots/*.png from the real box
// running in simulation, through `midimon screenshot` over its control socket.
import { mkdtemp, readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { MidimonBox } from '../src/box/box.js';
import { plugSimulatedDevices, seedSimulation } from '../src/box/simulation.js';
import { silentLogger } from '../src/log.js';
import { menuView } from '../src/menu/index.js';

const repo = fileURLToPath(new URL('../', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'midimon-shots-'));
const configPath = join(dir, 'config.toml');
const example = (await readFile(join(repo, 'docs/example-config.toml'), 'utf8')).replaceAll('"../plugins/', `"${repo}plugins/`);
await writeFile(configPath, example);
await mkdir(join(dir, 'run'));
await seedSimulation(configPath, join(dir, 'state'), silentLogger());
const socketPath = join(dir, 'run', 'control.sock');
const box = new MidimonBox({
  paths: { configPath, stateDir: join(dir, 'state'), runtimeDir: join(dir, 'run'), socketPath, simulated: true },
  log: silentLogger(),
  simulate: true,
  version: 'screenshots',
});
await box.start();
plugSimulatedDevices(box, box.config.current!.config, silentLogger());

async function shot(name: string): Promise<void> {
  await sleep(700); // let the display controller draw the latest frame
  const file = join(repo, 'docs/screenshots', `${name}.png`);
  // Async: the box serving the socket lives in this process.
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/bin.ts'), 'screenshot', file, '--socket', socketPath]);
  process.stdout.write(stdout);
}

try {
  await sleep(1000); // plugins load
  box.setMode({ name: 'Live' }, 'socket');
  box.simulation.midi?.inject('Keystation:Keystation MIDI 1 20:0', [0x90, 60, 100]);
  await shot('status');
  box.menu.input('enter', Date.now());
  box.menu.input('next', Date.now());
  await shot('menu');
  box.menu.input('back', Date.now());
  await writeFile(configPath, example.replace('timeout_s = 30', 'timeout_s = "soon"'));
  for (let i = 0; i < 100 && box.config.lastError === undefined; i++) await sleep(20);
  await shot('error');
  await writeFile(configPath, example);
  for (let i = 0; i < 100 && box.config.lastError !== undefined; i++) await sleep(20);
  // The Monitor page: what the keys played and what the box sent on.
  const keys = 'Keystation:Keystation MIDI 1 20:0';
  for (const bytes of [[0xb0, 1, 64], [0xe0, 0, 0x60], [0x90, 64, 90], [0x80, 64, 0], [0xd0, 40]]) box.simulation.midi?.inject(keys, bytes);
  box.menu.input('enter', Date.now());
  for (let i = 0; i < 20; i++) {
    const view = box.display === null ? null : menuView(box.menu.state, box.menuContext());
    if (view?.kind === 'list' && view.items[view.selected]?.label === 'MIDI monitor') break;
    box.menu.input('next', Date.now());
  }
  box.menu.input('select', Date.now());
  await shot('monitor');
} finally {
  await box.stop();
  await rm(dir, { recursive: true, force: true });
}
