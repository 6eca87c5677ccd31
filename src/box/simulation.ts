/**
 * `npm start` on a machine without a Pi: the whole box runs on its fakes.
 * This module gives the fakes a world to live in: the example config on
 * first run, MIDI ports named like the configured devices, a demo setlist,
 * the computer keyboard as footswitches and a piano, and the OLED drawn in
 * the terminal.
 */
import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import type { BoxConfig } from '../config/schema.js';
import type { Framebuffer } from '../display/framebuffer.js';
import { KeyboardFootswitches } from '../gpio/keyboard-footswitches.js';
import type { Logger } from '../log.js';
import type { MidimonBox } from './box.js';

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

/** Plugs simulated devices matching the config into the fake MIDI backend. */
export function plugSimulatedDevices(box: MidimonBox, config: BoxConfig, log: Logger): string[] {
  const fake = box.simulation.midi;
  if (fake === null) return [];
  const inputs: string[] = [];
  config.devices.midi.inputs.forEach((spec, i) => {
    const port = portNameFor(spec.name, i);
    if (port !== null && !fake.listInputs().includes(port)) fake.addInput(port);
    if (port !== null) inputs.push(port);
  });
  config.devices.midi.outputs.forEach((spec, i) => {
    const port = portNameFor(spec.name, 10 + i);
    if (port !== null && !fake.listOutputs().includes(port)) fake.addOutput(port);
  });
  fake.onSend = (port, bytes) => log.info({ port, bytes: hex(bytes) }, `sim MIDI out -> ${port.replace(/ \d+:\d+$/, '')}: ${hex(bytes)}`);
  box.midi?.devices.poll();
  return inputs;
}

function hex(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** z..m and , are the white keys C4..C5 (s d g h j the black ones) on the first simulated input. */
const PIANO: Readonly<Record<string, number>> = { z: 60, s: 61, x: 62, d: 63, c: 64, v: 65, g: 66, b: 67, h: 68, n: 69, j: 70, m: 71, ',': 72 };
const NOTE_MS = 250;

export interface SimulatedKeyboardOptions {
  readonly box: MidimonBox;
  readonly log: Logger;
  readonly input: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly onInterrupt: () => void;
}

/**
 * Footswitches on q/w/e (Shift = hold for a long press, tap twice for a
 * double), a one-octave piano on the bottom row sending to the first
 * simulated input.
 */
export class SimulatedKeyboard {
  readonly #opts: SimulatedKeyboardOptions;
  #switches: KeyboardFootswitches | null = null;
  readonly #onData = (chunk: Buffer | string) => this.#piano(chunk.toString());
  #port: string | null = null;

  constructor(options: SimulatedKeyboardOptions) {
    this.#opts = options;
  }

  start(pianoPort: string | null): string {
    const { box, input } = this.#opts;
    this.#port = pianoPort;
    const fake = box.simulation.footswitches;
    const names = box.footswitchInfo().names;
    const keys: Record<string, string> = {};
    ['q', 'w', 'e', 'r'].forEach((k, i) => {
      const name = names[i];
      if (name !== undefined) keys[k] = name;
    });
    if (fake !== null) {
      this.#switches = new KeyboardFootswitches({ fake, keys, input, onInterrupt: this.#opts.onInterrupt });
      this.#switches.start();
    } else {
      input.on('data', (c: Buffer | string) => {
        if (c.toString().includes('\u0003')) this.#opts.onInterrupt();
      });
      input.resume();
    }
    input.on('data', this.#onData);
    const switches = Object.entries(keys)
      .map(([k, n]) => `${k}=${n}`)
      .join(' ');
    return `keys: footswitches ${switches || '(none configured)'} (Shift = hold, twice = double) | piano z s x d c v g b h n j m , -> ${pianoPort?.replace(/ \d+:\d+$/, '') ?? '(no input)'} | Ctrl-C quits`;
  }

  stop(): void {
    this.#switches?.stop();
    this.#opts.input.off('data', this.#onData);
  }

  #piano(text: string): void {
    const fake = this.#opts.box.simulation.midi;
    const port = this.#port;
    if (fake === null || port === null) return;
    for (const ch of text) {
      const note = PIANO[ch];
      if (note === undefined) continue;
      fake.inject(port, [0x90, note, 100]);
      setTimeout(() => fake.inject(port, [0x80, note, 0]), NOTE_MS);
    }
  }
}

/** Braille cells are 2x4 pixels: 128x64 becomes 64x16 characters. */
export function framebufferToBraille(fb: Framebuffer): string {
  const dots = [
    [0x01, 0x08],
    [0x02, 0x10],
    [0x04, 0x20],
    [0x40, 0x80],
  ] as const;
  const lines: string[] = [];
  for (let y = 0; y < fb.height; y += 4) {
    let line = '';
    for (let x = 0; x < fb.width; x += 2) {
      let cell = 0;
      for (let dy = 0; dy < 4; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          if (y + dy < fb.height && x + dx < fb.width && fb.get(x + dx, y + dy)) cell |= dots[dy]?.[dx] ?? 0;
        }
      }
      line += String.fromCodePoint(0x2800 + cell);
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** Prints the simulated OLED when it changes, at most twice a second. */
export class TerminalOled {
  readonly #box: MidimonBox;
  readonly #out: Writable;
  #last = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(box: MidimonBox, out: Writable) {
    this.#box = box;
    this.#out = out;
  }

  start(): void {
    this.#timer = setInterval(() => this.#draw(), 500);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  #draw(): void {
    const oled = this.#box.simulation.oled;
    if (oled === null) return;
    const art = framebufferToBraille(oled.panel());
    if (art === this.#last) return;
    this.#last = art;
    const border = '─'.repeat(64);
    this.#out.write(`┌${border}┐ OLED\n${art.split('\n').map((l) => `│${l}│`).join('\n')}\n└${border}┘\n`);
  }
}
