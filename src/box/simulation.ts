/**
 * `npm start` on a machine without a Pi: the whole box runs on its fakes.
 * This module gives the fakes a world to live in: the example config on
 * first run, MIDI ports named like the configured devices, a demo setlist,
 * and MIDI in and out in the log. The terminal around it (keys, the drawn
 * OLED, ALSA virtual ports, in-process restart) is src/box/sim-session.ts.
 */
import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BoxConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { hex } from '../midi/describe-midi.js';
import type { MidimonBox } from './box.js';
import type { SimInput } from './sim-keyboard.js';

const EXAMPLE_CONFIG = fileURLToPath(new URL('../../docs/example-config.toml', import.meta.url));

const DEMO_SETLIST = {
  channel: 1,
  songs: [
    { name: 'Opener', program: 5, mode: 'Live' },
    { name: 'Ballad', bank_msb: 1, bank_lsb: 3, program: 12, cc: [{ cc: 7, value: 90 }] },
    { name: 'Encore', program: 0, mode: 'Chords' },
  ],
};

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** First run: the documented example config and a demo setlist, so every feature has something to do. */
export async function seedSimulation(configPath: string, stateDir: string, log: Logger): Promise<void> {
  if (!(await exists(configPath))) {
    await mkdir(dirname(configPath), { recursive: true });
    // The example names plugins relative to docs/; point them at this checkout from wherever the copy lives.
    const plugins = relative(dirname(configPath), fileURLToPath(new URL('../../plugins/', import.meta.url))) || '.';
    const text = (await readFile(EXAMPLE_CONFIG, 'utf8')).replaceAll('"../plugins/', `"${plugins}/`);
    await writeFile(configPath, text);
    log.info({ file: configPath }, 'simulation: wrote the example config (docs/example-config.toml); edit it and the box reloads');
  }
  const setlist = join(stateDir, 'plugin-data', 'setlist', 'setlist.json');
  if (!(await exists(setlist))) {
    await mkdir(dirname(setlist), { recursive: true });
    await writeFile(setlist, `${JSON.stringify(DEMO_SETLIST, null, 2)}\n`);
  }
}

/** A plain name pattern (not /regex/ or a glob) can be turned into a port name that matches it. */
function portNameFor(pattern: string, index: number): string | null {
  if (pattern.startsWith('/') || /[*?]/.test(pattern)) return null;
  return `${pattern}:${pattern} MIDI 1 ${20 + index}:0`;
}

/** Plugs simulated devices matching the config into the fake MIDI backend; returns the inputs (what the keyboard can play as). */
export function plugSimulatedDevices(box: MidimonBox, config: BoxConfig, _log?: Logger): SimInput[] {
  const fake = box.simulation.midi;
  if (fake === null) return [];
  const inputs: SimInput[] = [];
  config.devices.midi.inputs.forEach((spec, i) => {
    const port = portNameFor(spec.name, i);
    if (port !== null && !fake.listInputs().includes(port)) fake.addInput(port);
    if (port !== null) inputs.push({ port, name: spec.alias ?? spec.name });
  });
  config.devices.midi.outputs.forEach((spec, i) => {
    const port = portNameFor(spec.name, 10 + i);
    if (port !== null && !fake.listOutputs().includes(port)) fake.addOutput(port);
  });
  box.midi?.devices.poll();
  return inputs;
}

/** Clock ticks (24 a beat) and active sensing would bury everything else in the log. */
const UNLOGGED = new Set([0xf8, 0xfe]);

/** MIDI in next to MIDI out in the log, as the monitor bus sees them (ports, `midimon send`, the keyboard). */
export function logSimulatedMidi(box: MidimonBox, log: Logger): () => void {
  return box.monitor.subscribe((e) => {
    if (e.type === 'midi-in' && !UNLOGGED.has(e.bytes[0] ?? 0)) {
      log.info({ bytes: hex(e.bytes) }, `sim MIDI in  <- ${e.alias ?? e.device}${e.injected ? ' (send)' : ''}: ${e.text}`);
    } else if (e.type === 'midi-out' && !UNLOGGED.has(e.bytes[0] ?? 0)) {
      log.info({ bytes: hex(e.bytes) }, `sim MIDI out -> ${e.output}: ${e.text}${e.ports === 0 ? ' (no port)' : ''}`);
    }
  });
}
