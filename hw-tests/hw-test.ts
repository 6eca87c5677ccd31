/** The tiny contract between hw-tests/run.ts and the hardware test files (hw-tests/*.hw.ts). */
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
}

export interface HwTest {
  readonly name: string;
  run(ctx: HwContext): Promise<HwOutcome>;
}

export const passed = (note?: string): HwOutcome => (note === undefined ? { status: 'passed' } : { status: 'passed', note });
export const failed = (reason: string): HwOutcome => ({ status: 'failed', reason });
export const skipped = (reason: string): HwOutcome => ({ status: 'skipped', reason });

/** Settings shared by the tests, from the environment (the lead may map config.toml onto these). */
export function hwSettings(env: HwContext['env']) {
  const num = (v: string | undefined, d: number) => (v === undefined || v === '' ? d : Number(v));
  return {
    i2cBus: num(env['MIDIMON_I2C_BUS'], 1),
    oledAddress: num(env['MIDIMON_OLED_ADDRESS'], 0x3c),
    oledController: env['MIDIMON_OLED_CONTROLLER'] === 'sh1106' ? ('sh1106' as const) : ('ssd1306' as const),
    oledHeight: env['MIDIMON_OLED_HEIGHT'] === '32' ? (32 as const) : (64 as const),
    /** "left=17,right=27": name=BCM pairs. */
    footswitches: (env['MIDIMON_FOOTSWITCH_PINS'] ?? 'left=17,right=27')
      .split(',')
      .filter((s) => s.includes('='))
      .map((s) => {
        const [name, pin] = s.split('=');
        return { name: (name ?? '').trim(), pin: Number(pin) };
      }),
    /** "17:22": BCM 22 is wired to the switch input BCM 17, so the test can press it itself. */
    jumper: env['MIDIMON_HW_JUMPER'],
    sysfsGpio: env['MIDIMON_SYSFS_GPIO'] ?? '/sys/class/gpio',
  };
}
