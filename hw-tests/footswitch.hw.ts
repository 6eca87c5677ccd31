// Each configured footswitch pin, read through the real backend: a person presses it when
// prompted, or a jumper from a spare output pin presses it (MIDIMON_HW_JUMPER="17:22").
// The jumper test also proves the pull-up: it "releases" by letting the output float
// (input direction), so only the input's own pull-up can bring the line back high.
import { access } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { OnoffFootswitches, type GpioFactory } from '../src/gpio/onoff-footswitches.js';
import { detectGpioChip, sysfsGpioNumber } from '../src/gpio/gpio-base.js';
import type { FootswitchEvent } from '../src/gpio/footswitches.js';
import { silentLogger } from '../src/log.js';
import { failed, hwSettings, missing, passed, skipped, type HwContext, type HwOutcome, type HwTest } from './hw-test.js';

const WAIT_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The jumper's output line as the test drives it (onoff's Gpio, or a fake in tests). */
export interface JumperLine {
  /** Drives the line low: the switch input sees a press. */
  pressLow(): void;
  /** Stops driving (input direction): only the switch input's pull-up can pull the line high. */
  float(): void;
  release(): void;
}

export interface FootswitchTestDeps {
  readonly openJumper?: (sysfsNumber: number) => Promise<JumperLine>;
  /** Default: onoff's Gpio (tests wire a fake line to the fake jumper). */
  readonly gpioFactory?: GpioFactory;
  /** `pinctrl get N` output, or null when the tool is absent (older Raspberry Pi OS). */
  readonly pinctrl?: (pin: number) => Promise<string | null>;
}

async function onoffJumper(n: number): Promise<JumperLine> {
  const { Gpio } = await import('onoff');
  const out = new Gpio(n, 'high');
  return {
    pressLow: () => {
      out.setDirection('out');
      out.writeSync(0);
    },
    float: () => out.setDirection('in'),
    release: () => out.unexport(),
  };
}

async function pinctrlGet(pin: number): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)('pinctrl', ['get', String(pin)], { timeout: 5000 });
    return stdout.trim();
  } catch {
    return null;
  }
}

export async function pressTest(ctx: HwContext, name: string, pin: number, deps: FootswitchTestDeps = {}): Promise<HwOutcome> {
  const s = hwSettings(ctx.env, ctx.config);
  try {
    await access(s.sysfsGpio);
  } catch {
    return missing(ctx, true, `footswitch '${name}' (BCM ${pin})`, `there is no ${s.sysfsGpio} (sysfs GPIO absent from this kernel)`);
  }
  // The pull-up as the firmware set it from config.txt (gpio=17,27=ip,pu), where pinctrl exists.
  const pull = await (deps.pinctrl ?? pinctrlGet)(pin);
  if (pull !== null && !/\bpu\b/.test(pull)) return failed(`BCM ${pin} has no pull-up (pinctrl: "${pull}"): add gpio=${pin}=ip,pu to /boot/firmware/config.txt and reboot`);
  const jumper = s.jumper?.split(':').map(Number);
  const jumpered = jumper !== undefined && jumper[0] === pin && Number.isInteger(jumper[1]);
  if (!jumpered && !ctx.interactive) return skipped(`BCM ${pin} needs a person to press it (run in a terminal) or MIDIMON_HW_JUMPER=${pin}:<output pin>${pull === null ? '' : `; pull-up checked: ${pull}`}`);
  const fs = new OnoffFootswitches({ pins: [{ name, pin }], log: silentLogger(), sysfsGpio: s.sysfsGpio, timing: { doublePressMs: 0 }, ...(deps.gpioFactory === undefined ? {} : { gpioFactory: deps.gpioFactory }) });
  const events: FootswitchEvent[] = [];
  fs.onEvent((e) => events.push(e));
  try {
    await fs.start();
  } catch (err) {
    return missing(ctx, true, `footswitch '${name}' (BCM ${pin})`, `it cannot be opened: ${(err as Error).message}`);
  }
  let out: JumperLine | undefined;
  try {
    if (jumpered) {
      const chip = await detectGpioChip(s.sysfsGpio);
      out = await (deps.openJumper ?? onoffJumper)(sysfsGpioNumber(chip, jumper[1] as number));
      out.pressLow();
      await sleep(100);
      out.float();
      await sleep(100);
      // Nothing drives the line now: without a pull-up it stays low (or floats) and reads pressed.
      if (!events.some((e) => e.gesture === 'release')) return failed(`BCM ${pin} stayed low after the jumper let go: no pull-up (gpio=${pin}=ip,pu in config.txt, reboot)`);
    } else {
      ctx.say(`    press and release '${name}' (BCM ${pin}) within ${WAIT_MS / 1000} s`);
    }
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline && !events.some((e) => e.gesture === 'press')) await sleep(20);
    if (!events.some((e) => e.gesture === 'press')) {
      return failed(`no press seen on BCM ${pin} (check wiring to GND and the pull-up: gpio=${pin}=ip,pu in config.txt)`);
    }
    return passed(events.map((e) => e.gesture).join(' '));
  } finally {
    out?.release();
    await fs.stop();
  }
}

export default function tests(ctx: Pick<HwContext, 'env' | 'config'>): HwTest[] {
  const switches = hwSettings(ctx.env, ctx.config).footswitches;
  if (switches.length === 0) return [{ name: 'footswitches', run: async () => skipped('no footswitches configured') }];
  return switches.map(({ name, pin }) => ({
    name: `footswitch '${name}' on BCM ${pin}`,
    run: (c: HwContext) => pressTest(c, name, pin),
  }));
}
