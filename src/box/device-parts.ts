/**
 * The box's device parts (MIDI runtime, footswitches, display): picks real
 * drivers or fakes, builds them from the config, and on a hot reload swaps
 * only the parts whose section changed.
 */
import type { ConfigApplyContext } from '../config/config-service.js';
import type { BoxConfig } from '../config/schema.js';
import { createOledDisplay } from '../display/create-display.js';
import { DisplayController } from '../display/display-controller.js';
import type { FakeI2cBus } from '../display/fake-i2c-bus.js';
import type { FootswitchEvent, MidiInEvent } from '../engine/inputs.js';
import { startFootswitches } from '../gpio/create-footswitches.js';
import type { FakeFootswitches } from '../gpio/fake-footswitches.js';
import type { Footswitches } from '../gpio/footswitches.js';
import type { Logger } from '../log.js';
import { createMidiBackend } from '../midi/create-midi-backend.js';
import type { FakeMidiBackend } from '../midi/fake-midi-backend.js';
import { MidiRuntime, type MidiMonitor } from '../runtime/midi-runtime.js';
import type { I2cTransport } from '../display/i2c-transport.js';
import type { GpioFactory } from '../gpio/onoff-footswitches.js';
import type { MidiBackend } from '../midi/midi-backend.js';
import type { DeviceHealth } from './device-health.js';

/** Seams for the real adapters: tests make each one fail the way hardware does, without hardware. */
export interface BoxHardware {
  /** Default /sys/class/gpio. */
  readonly sysfsGpio?: string;
  readonly gpioFactory?: GpioFactory;
  readonly openI2c?: (bus: number) => Promise<I2cTransport>;
  readonly createMidi?: () => Promise<MidiBackend>;
}
import type { EngineObserver, ModeStore, PluginCaller, Scheduler, SetlistStore } from '../runtime/ports.js';

export interface Parts {
  midi: MidiRuntime;
  footswitches: Footswitches;
  fakeFootswitches: FakeFootswitches | null;
  display: DisplayController;
  fakeBus: FakeI2cBus | null;
}

export interface DevicePartsOptions {
  readonly log: Logger;
  readonly scheduler: Scheduler;
  /** Use the fakes even where hardware might exist. */
  readonly simulate: boolean;
  readonly plugins: PluginCaller;
  readonly modeStore: ModeStore;
  /** Where the setlist position is kept across restarts. */
  readonly setlistStore?: SetlistStore;
  readonly observer: EngineObserver;
  /** Sees every MIDI message first; true keeps it from the engine (the OLED menu). */
  readonly interceptMidi: (e: MidiInEvent) => boolean;
  /** Sees every footswitch gesture first; true keeps it from the engine (the OLED menu). */
  readonly interceptFootswitch: (e: FootswitchEvent) => boolean;
  /** Configured hardware that cannot be used on a box is reported here (never in simulation). */
  readonly health?: DeviceHealth;
  readonly hardware?: BoxHardware;
  /** Sees MIDI in and out and every gesture (`midimon monitor`). */
  readonly monitor?: MidiMonitor & { footswitch(name: string, gesture: string, injected: boolean, at: number): void };
}

export class DeviceParts {
  readonly #opts: DevicePartsOptions;
  #parts: Parts | null = null;
  #fakeMidi: FakeMidiBackend | null = null;

  constructor(options: DevicePartsOptions) {
    this.#opts = options;
  }

  /** Null until the first config is applied, and after stop(). */
  get current(): Parts | null {
    return this.#parts;
  }

  /** The scriptable MIDI backend in simulation. */
  get fakeMidi(): FakeMidiBackend | null {
    return this.#fakeMidi;
  }

  /** First config: builds everything; later ones: swaps changed devices and reloads MIDI in place. */
  async apply(ctx: ConfigApplyContext): Promise<void> {
    const config = ctx.next.config;
    const parts = this.#parts;
    if (parts === null) {
      this.#parts = await this.#build(config);
    } else {
      await this.#swap(parts, ctx);
      parts.midi.reload(config, config.devices.midi);
    }
  }

  /** Reports a part's outcome; simulation never degrades (the fakes are what was asked for). */
  #health(device: 'midi' | 'footswitches' | 'display', name: string, unavailable: string | undefined): void {
    const health = this.#opts.health;
    if (health === undefined || this.#opts.simulate) return;
    if (unavailable === undefined) health.healthy(device);
    else health.degraded({ device, name, reason: unavailable });
  }

  /** A classified gesture from a switch, or from `midimon send` (injected): the menu sees it first, then the engine. */
  footswitch(e: FootswitchEvent, injected: boolean): void {
    this.#opts.monitor?.footswitch(e.switch, e.gesture, injected, e.at);
    this.#parts?.display.wake();
    if (!this.#opts.interceptFootswitch(e)) this.#parts?.midi.loop.dispatch(e);
  }

  async stop(): Promise<void> {
    const parts = this.#parts;
    this.#parts = null;
    if (parts === null) return;
    // Note-offs go out while the ports are still open.
    parts.midi.stop();
    await parts.footswitches.stop();
    await parts.display.stop();
  }

  /**
   * Footswitches and the display own hardware (GPIO lines, the panel on the
   * bus): the old part is stopped before the new one starts, or the old
   * one's release would unexport the new pins / switch the panel off. If a
   * new part fails, every swapped part goes back to the previous config and
   * the reload is refused as a whole.
   */
  async #swap(parts: Parts, ctx: ConfigApplyContext): Promise<void> {
    const previous = ctx.previous?.config;
    const devices: Array<{ changed: boolean; stop: () => Promise<void>; start: (c: BoxConfig) => Promise<Partial<Parts>> }> = [
      {
        changed: ctx.diff.has('devices.footswitches') || ctx.diff.has('devices.footswitch_timing'),
        stop: () => parts.footswitches.stop(),
        start: (c) => this.#startFootswitches(c),
      },
      { changed: ctx.diff.has('devices.display'), stop: () => parts.display.stop(), start: (c) => this.#startDisplay(c) },
    ];
    const undo: Array<() => Promise<void>> = [];
    try {
      for (const d of devices.filter((x) => x.changed)) {
        await d.stop();
        if (previous !== undefined) {
          undo.push(async () => {
            await d.stop();
            Object.assign(parts, await d.start(previous));
          });
        }
        Object.assign(parts, await d.start(ctx.next.config));
      }
    } catch (err) {
      for (const step of undo.reverse()) {
        await step().catch((e: unknown) => this.#opts.log.error({ err: e }, 'could not restore a device after a refused reload'));
      }
      throw err;
    }
  }

  async #build(config: BoxConfig): Promise<Parts> {
    const hw = this.#opts.hardware;
    const { backend, fake, unavailable } = await createMidiBackend(this.#opts.log, { simulate: this.#opts.simulate, ...(hw?.createMidi === undefined ? {} : { create: hw.createMidi }) });
    this.#health('midi', 'ALSA sequencer (RtMidi)', unavailable);
    // A box whose MIDI could not start runs on an empty backend; only simulation scripts its ports.
    this.#fakeMidi = unavailable === undefined ? fake : null;
    const midi = new MidiRuntime({
      engine: config,
      ports: config.devices.midi,
      backend,
      scheduler: this.#opts.scheduler,
      log: this.#opts.log,
      plugins: this.#opts.plugins,
      modeStore: this.#opts.modeStore,
      setlistStore: this.#opts.setlistStore ?? null,
      intercept: this.#opts.interceptMidi,
      observer: this.#opts.observer,
      ...(this.#opts.monitor === undefined ? {} : { monitor: this.#opts.monitor }),
    });
    let fs: Pick<Parts, 'footswitches' | 'fakeFootswitches'> | undefined;
    try {
      fs = await this.#startFootswitches(config);
      const display = await this.#startDisplay(config);
      const parts: Parts = { midi, ...fs, ...display };
      midi.start();
      return parts;
    } catch (err) {
      // Nothing of a failed build may keep running (the fallback config builds its own).
      await fs?.footswitches.stop();
      backend.close();
      throw err;
    }
  }

  async #startFootswitches(config: BoxConfig): Promise<Pick<Parts, 'footswitches' | 'fakeFootswitches'>> {
    const t = config.devices.footswitch_timing;
    const created = await startFootswitches({
      pins: config.devices.footswitches.map((f) => ({ name: f.name, pin: f.pin, activeLow: f.active_low })),
      timing: { debounceMs: t.debounce_ms, longPressMs: t.long_press_ms, doublePressMs: t.double_press_ms },
      scheduler: this.#opts.scheduler,
      log: this.#opts.log,
      simulate: this.#opts.simulate,
      ...(this.#opts.hardware?.sysfsGpio === undefined ? {} : { sysfsGpio: this.#opts.hardware.sysfsGpio }),
      ...(this.#opts.hardware?.gpioFactory === undefined ? {} : { gpioFactory: this.#opts.hardware.gpioFactory }),
    });
    const names = config.devices.footswitches.map((f) => `${f.name}=BCM${f.pin}`).join(', ');
    this.#health('footswitches', names, config.devices.footswitches.length > 0 ? created.unavailable : undefined);
    created.footswitches.onEvent((e) => this.footswitch(e, false));
    // Degraded switches get an inert stand-in: nothing presses it on a box.
    return { footswitches: created.footswitches, fakeFootswitches: created.unavailable === undefined ? (created.fake ?? null) : null };
  }

  async #startDisplay(config: BoxConfig): Promise<Pick<Parts, 'display' | 'fakeBus'>> {
    const d = config.devices.display;
    const dimAfterMs = d.dim_after_s * 1000;
    const common = { log: this.#opts.log, height: d.height, brightness: d.brightness, dimAfterMs, screensaverAfterMs: d.screensaver ? dimAfterMs : 0 } as const;
    if (d.controller === 'none') {
      this.#health('display', 'none', undefined);
      const controller = new DisplayController({ ...common, display: null });
      await controller.start();
      return { display: controller, fakeBus: null };
    }
    const openBus = this.#opts.hardware?.openI2c;
    const created = await createOledDisplay(
      { controller: d.controller, bus: d.bus, address: d.address, height: d.height, rotation: d.rotation, contrast: d.brightness },
      { log: this.#opts.log, simulate: this.#opts.simulate, ...(openBus === undefined ? {} : { openBus }) },
    );
    const controller = new DisplayController({ ...common, display: created.display });
    await controller.start();
    const panel = `${d.controller} at 0x${d.address.toString(16)} on /dev/i2c-${d.bus}`;
    this.#health('display', panel, created.unavailable ?? (controller.hasPanel ? undefined : 'no answer to the probe write (wiring, address, power)'));
    return { display: controller, fakeBus: created.unavailable === undefined ? (created.fakeBus ?? null) : null };
  }
}
