/** The tiny contract between hw-tests/run.ts and the hardware test files (hw-tests/*.hw.ts). */
import { readFileSync } from 'node:fs';
import type { BoxConfig } from '../src/config/schema.js';

export type HwOutcome =
  | { readonly status: 'passed'; readonly note?: string }
  | { readonly status: 'failed'; readonly reason: string }
  | { readonly status: 'skipped'; readonly reason: string };

export interface HwContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Prints a line for the person at the Pi (prompts, measurements). */
  readonly say: (line: string) => void;
  /** True when a person can answer prompts (stdin is a terminal). */
  readonly interactive: boolean;
  /** The box's config (MIDIMON_CONFIG or /etc/midimon/config.toml), if there is one: what is configured. */
  readonly config: BoxConfig | null;
  /** The board model from the device tree, or null when this is not a Raspberry Pi. */
  readonly piModel: string | null;
}

export interface HwTest {
  readonly name: string;
  run(ctx: HwContext): Promise<HwOutcome>;
}

export const passed = (note?: string): HwOutcome => (note === undefined ? { status: 'passed' } : { status: 'passed', note });
export const failed = (reason: string): HwOutcome => ({ status: 'failed', reason });
export const skipped = (reason: string): HwOutcome => ({ status: 'skipped', reason });

/** "Raspberry Pi 4 Model B Rev 1.5", or null elsewhere (MIDIMON_HW_MODEL_FILE points tests at a fake). */
export function readPiModel(env: HwContext['env']): string | null {
  try {
    const model = readFileSync(env['MIDIMON_HW_MODEL_FILE'] ?? '/proc/device-tree/model', 'utf8').replace(/\0/g, '').trim();
    return model.startsWith('Raspberry Pi') ? model : null;
  } catch {
    return null;
  }
}

/**
 * The one rule for missing hardware: on a Pi, a device the config names that
 * does not answer is a failure; a skip needs a stated reason (nothing
 * configured, or not a Pi).
 */
export function missing(ctx: HwContext, configured: boolean, what: string, reason: string): HwOutcome {
  if (!configured) return skipped(`no ${what} configured`);
  if (ctx.piModel === null) return skipped(`not a Raspberry Pi (${reason})`);
  return failed(`${what} is configured but ${reason}`);
}

/** Settings shared by the tests: the box's config first, the environment overrides it. */
export function hwSettings(env: HwContext['env'], config: BoxConfig | null = null) {
  const num = (v: string | undefined, d: number) => (v === undefined || v === '' ? d : Number(v));
  const display = config?.devices.display;
  const controllerEnv = env['MIDIMON_OLED_CONTROLLER'];
  const controller = controllerEnv === 'sh1106' || controllerEnv === 'ssd1306' || controllerEnv === 'none' ? controllerEnv : (display?.controller ?? 'ssd1306');
  const switchesEnv = env['MIDIMON_FOOTSWITCH_PINS'];
  return {
    i2cBus: num(env['MIDIMON_I2C_BUS'], display?.bus ?? 1),
    oledAddress: num(env['MIDIMON_OLED_ADDRESS'], display?.address ?? 0x3c),
    oledController: controller,
    oledHeight: env['MIDIMON_OLED_HEIGHT'] === '32' ? (32 as const) : env['MIDIMON_OLED_HEIGHT'] === '64' ? (64 as const) : (display?.height ?? 64),
    /** "left=17,right=27": name=BCM pairs; default: the config's switches. */
    footswitches:
      switchesEnv !== undefined
        ? switchesEnv
            .split(',')
            .filter((s) => s.includes('='))
            .map((s) => {
              const [name, pin] = s.split('=');
              return { name: (name ?? '').trim(), pin: Number(pin) };
            })
        : (config?.devices.footswitches.map((f) => ({ name: f.name, pin: f.pin })) ?? []),
    /** USB controllers the config names as MIDI inputs (name patterns as written). */
    midiInputs: env['MIDIMON_MIDI_INPUTS']?.split(',').filter(Boolean) ?? (config?.devices.midi.inputs.map((i) => i.name) ?? []),
    /** "17:22": BCM 22 is wired to the switch input BCM 17, so the test can press it itself. */
    jumper: env['MIDIMON_HW_JUMPER'],
    sysfsGpio: env['MIDIMON_SYSFS_GPIO'] ?? '/sys/class/gpio',
  };
}
