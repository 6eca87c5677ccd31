// OLED on the real bus: probe, a test pattern to look at, and full/dirty frame timings.
import { access } from 'node:fs/promises';
import { openI2cTransport } from '../src/display/i2c-transport.js';
import { Ssd1306Display } from '../src/display/ssd1306-display.js';
import { Sh1106Display } from '../src/display/sh1106-display.js';
import { Framebuffer } from '../src/display/framebuffer.js';
import { drawText } from '../src/display/layout.js';
import { renderStatus } from '../src/display/screens/status-screen.js';
import { DEMO_STATUS } from '../src/display/demo-views.js';
import type { OledDisplay } from '../src/display/oled-display.js';
import { isMidimonError } from '../src/errors.js';
import { failed, hwSettings, missing, passed, type HwContext, type HwOutcome, type HwTest } from './hw-test.js';

/** Opens the configured panel or says why not (a failure on a Pi with a display configured). */
async function openPanel(ctx: HwContext): Promise<OledDisplay | HwOutcome> {
  const s = hwSettings(ctx.env, ctx.config);
  const configured = s.oledController !== 'none';
  if (!configured) return missing(ctx, false, 'OLED', '');
  const dev = `/dev/i2c-${s.i2cBus}`;
  try {
    await access(dev);
  } catch {
    return missing(ctx, true, `the OLED (${s.oledController})`, `there is no ${dev} (enable I2C: sudo raspi-config nonint do_i2c 0, then reboot)`);
  }
  let bus;
  try {
    // The same open as the box: absent / permission denied / addon missing are named.
    bus = await openI2cTransport(s.i2cBus);
  } catch (err) {
    return missing(ctx, true, `the OLED (${s.oledController})`, (err as Error).message);
  }
  const opts = { address: s.oledAddress, height: s.oledHeight };
  const display = s.oledController === 'sh1106' ? new Sh1106Display(bus, opts) : new Ssd1306Display(bus, opts);
  try {
    await display.init();
    return display;
  } catch (err) {
    await bus.close().catch(() => {});
    if (isMidimonError(err, 'device_unavailable')) return missing(ctx, true, `the OLED (${s.oledController})`, `nothing answers on i2c-${s.i2cBus} at 0x${s.oledAddress.toString(16)} (i2cdetect -y ${s.i2cBus}; wiring, address, power)`);
    throw err;
  }
}

async function withPanel(ctx: HwContext, body: (d: OledDisplay) => Promise<HwOutcome>): Promise<HwOutcome> {
  const d = await openPanel(ctx);
  if ('status' in d) return d;
  try {
    return await body(d);
  } finally {
    await d.close().catch(() => {});
  }
}

function testPattern(w: number, h: number): Framebuffer {
  const fb = new Framebuffer(w, h);
  fb.rect(0, 0, w, h);
  for (let y = 2; y < 14; y++) for (let x = 2; x < 30; x++) if (((x >> 1) + (y >> 1)) % 2 === 0) fb.set(x, y);
  drawText(fb, 34, 3, 'midimon hw-test');
  drawText(fb, 4, h - 11, 'corners: border lit');
  return fb;
}

const tests: HwTest[] = [
  {
    name: 'display: probe on the configured bus and address',
    run: (ctx) => withPanel(ctx, async (d) => passed(`${d.controller} ${d.width}x${d.height} answers`)),
  },
  {
    name: 'display: test pattern (look at the panel)',
    run: (ctx) =>
      withPanel(ctx, async (d) => {
        await d.draw(testPattern(d.width, d.height));
        ctx.say('    the panel shows a border, a checkerboard and "midimon hw-test" (holding 3 s)');
        await new Promise((r) => setTimeout(r, 3000));
        return passed();
      }),
  },
  {
    name: 'display: full-frame and dirty-frame update timing',
    run: (ctx) =>
      withPanel(ctx, async (d) => {
        const a = renderStatus(DEMO_STATUS, d.width, d.height as 64 | 32);
        const b = a.clone();
        b.bytes.forEach((v, i) => (b.bytes[i] = v ^ 0xff));
        const time = async (fb: Framebuffer) => {
          const t0 = performance.now();
          const stats = await d.draw(fb);
          return { ms: performance.now() - t0, bytes: stats.bytes };
        };
        // Watch the event loop while frames go out: the point of the async driver.
        let maxGap = 0;
        let last = performance.now();
        const probe = setInterval(() => {
          const t = performance.now();
          maxGap = Math.max(maxGap, t - last - 1);
          last = t;
        }, 1);
        const full: number[] = [];
        for (let i = 0; i < 10; i++) full.push((await time(i % 2 === 0 ? b : a)).ms);
        const dirty: number[] = [];
        for (let i = 0; i < 10; i++) {
          const c = a.clone();
          drawText(c, 0, d.height - 8, `frame ${i}`);
          dirty.push((await time(c)).ms);
        }
        clearInterval(probe);
        const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
        ctx.say(`    full frame ${avg(full).toFixed(1)} ms, dirty frame ${avg(dirty).toFixed(1)} ms, longest event-loop stall ${maxGap.toFixed(2)} ms`);
        if (avg(full) > 200) return failed(`a full frame takes ${avg(full).toFixed(0)} ms (is the bus at 100 kHz? set dtparam=i2c_arm_baudrate=400000)`);
        return passed();
      }),
  },
];

export default tests;
