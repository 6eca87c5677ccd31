// Each configured footswitch pin, read through the real backend: a person presses it when
// prompted, or a jumper from a spare output pin presses it (MIDIMON_HW_JUMPER="17:22").
import { access } from 'node:fs/promises';
import { OnoffFootswitches } from '../src/gpio/onoff-footswitches.js';
import { detectGpioChip, sysfsGpioNumber } from '../src/gpio/gpio-base.js';
import type { FootswitchEvent } from '../src/gpio/footswitches.js';
import { silentLogger } from '../src/log.js';
import { failed, hwSettings, passed, skipped, type HwContext, type HwOutcome, type HwTest } from './hw-test.js';

const WAIT_MS = 10_000;

async function pressTest(ctx: HwContext, name: string, pin: number): Promise<HwOutcome> {
  const s = hwSettings(ctx.env);
  try {
    await access(s.sysfsGpio);
  } catch {
    return skipped(`no ${s.sysfsGpio} (not a Raspberry Pi)`);
  }
  const jumper = s.jumper?.split(':').map(Number);
  const jumpered = jumper !== undefined && jumper[0] === pin && Number.isInteger(jumper[1]);
  if (!jumpered && !ctx.interactive) return skipped(`BCM ${pin} needs a person to press it (run in a terminal) or MIDIMON_HW_JUMPER=${pin}:<output pin>`);
  const fs = new OnoffFootswitches({ pins: [{ name, pin }], log: silentLogger(), sysfsGpio: s.sysfsGpio, timing: { doublePressMs: 0 } });
  const events: FootswitchEvent[] = [];
  fs.onEvent((e) => events.push(e));
  await fs.start();
  let out: { writeSync(v: 0 | 1): void; unexport(): void } | undefined;
  try {
    if (jumpered) {
      const chip = await detectGpioChip(s.sysfsGpio);
      const { Gpio } = await import('onoff');
      // Drive low = pressed (the switch input is active-low with a pull-up).
      out = new Gpio(sysfsGpioNumber(chip, jumper[1] as number), 'high');
      out.writeSync(0);
      await new Promise((r) => setTimeout(r, 100));
      out.writeSync(1);
    } else {
      ctx.say(`    press and release '${name}' (BCM ${pin}) within ${WAIT_MS / 1000} s`);
    }
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline && !events.some((e) => e.gesture === 'press')) await new Promise((r) => setTimeout(r, 20));
    if (!events.some((e) => e.gesture === 'press')) {
      return failed(`no press seen on BCM ${pin} (check wiring to GND and the pull-up: gpio=${pin}=ip,pu in config.txt)`);
    }
    return passed(events.map((e) => e.gesture).join(' '));
  } finally {
    out?.unexport();
    await fs.stop();
  }
}

export default function tests(env: HwContext['env']): HwTest[] {
  return hwSettings(env).footswitches.map(({ name, pin }) => ({
    name: `footswitch '${name}' on BCM ${pin}`,
    run: (ctx: HwContext) => pressTest(ctx, name, pin),
  }));
}
