/**
 * The MIDI half of the box wired in one place: MidiDevices (ports, hot-plug)
 * feeding an EngineLoop whose MIDI goes back out through the same devices.
 * The composition root builds one, connects footswitches and the plugin host
 * to `loop`, and calls `reload()` on a hot reload.
 */
import type { EngineConfig } from '../engine/config-types.js';
import type { MidiInEvent } from '../engine/inputs.js';
import type { Logger } from '../log.js';
import type { MidiBackend } from '../midi/midi-backend.js';
import { MidiDevices, type MidiPortSpec } from '../midi/midi-devices.js';
import { EngineLoop } from './engine-loop.js';
import type { EngineObserver, ModeStore, PluginCaller, Scheduler, SetlistStore } from './ports.js';
import type { TickTimer } from './tick-timer.js';

/** [devices.midi] of the config, as MidiDevices needs it. */
export interface MidiPortsConfig {
  readonly inputs: readonly MidiPortSpec[];
  readonly outputs: readonly MidiPortSpec[];
  readonly poll_interval_ms: number;
}

export interface MidiRuntimeOptions {
  readonly engine: EngineConfig;
  readonly ports: MidiPortsConfig;
  readonly backend: MidiBackend;
  readonly scheduler: Scheduler;
  readonly log: Logger;
  readonly plugins?: PluginCaller | null;
  readonly modeStore?: ModeStore | null;
  readonly setlistStore?: SetlistStore | null;
  readonly observer?: EngineObserver;
  readonly utcOffsetMinutes?: (at: number) => number;
  /** Monotonic time for the MIDI clock (tests pass a FakeTickTimer). */
  readonly tickTimer?: TickTimer;
  readonly tickLeadMs?: number;
  /** Sees every message in and out (for `midimon monitor`); cheap to call when nobody listens. */
  readonly monitor?: MidiMonitor;
  /** Sees every incoming message first; returning true keeps it from the engine (the OLED menu's MIDI controls). */
  readonly intercept?: (event: MidiInEvent) => boolean;
}

/** Where MIDI traffic is reported for `midimon monitor` (src/box/monitor-bus.ts). */
export interface MidiMonitor {
  midiIn(event: MidiInEvent, injected: boolean): void;
  midiOut(output: string, bytes: readonly number[], ports: number): void;
}

export class MidiRuntime {
  readonly #onMessage: (event: MidiInEvent, injected: boolean) => void;

  readonly loop: EngineLoop;
  readonly devices: MidiDevices;

  constructor(options: MidiRuntimeOptions) {
    this.loop = new EngineLoop({
      config: options.engine,
      scheduler: options.scheduler,
      midi: {
        send: (output, bytes) => {
          const ports = this.devices.send(output, bytes);
          options.monitor?.midiOut(output, bytes, ports);
          return ports;
        },
      },
      plugins: options.plugins ?? null,
      modeStore: options.modeStore ?? null,
      setlistStore: options.setlistStore ?? null,
      log: options.log,
      ...(options.observer === undefined ? {} : { observer: options.observer }),
      ...(options.utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes: options.utcOffsetMinutes }),
      ...(options.tickTimer === undefined ? {} : { tickTimer: options.tickTimer }),
      ...(options.tickLeadMs === undefined ? {} : { tickLeadMs: options.tickLeadMs }),
    });
    this.#onMessage = (event, injected) => {
      options.monitor?.midiIn(event, injected);
      if (options.intercept?.(event) !== true) this.loop.dispatch(event);
    };
    this.devices = new MidiDevices({
      backend: options.backend,
      scheduler: options.scheduler,
      log: options.log,
      ...deviceSettings(options.ports),
      sysexMaxBytes: options.engine.sysex.max_bytes,
      inputNeeds: (device, alias) => this.loop.inputNeeds(device, alias),
      onMessage: (event) => this.#onMessage(event, false),
      onDevice: (event) => this.loop.dispatch(event),
    });
  }

  /**
   * Delivers `bytes` as if input `device` had sent them: the same path a port's
   * message takes (menu intercept, monitor, engine). Used by `midimon send`.
   */
  inject(event: MidiInEvent): void {
    this.#onMessage(event, true);
  }

  /** Engine first (it announces the restored mode), then the ports. */
  start(): void {
    this.loop.start();
    this.devices.start();
  }

  /** Releases held notes while the outputs are still open, then closes the ports. */
  stop(): void {
    this.loop.stop();
    this.devices.stop();
  }

  /** Hot reload: the engine applies the new config in place; ports reopen only where their match changed. */
  reload(engine: EngineConfig, ports: MidiPortsConfig): void {
    this.loop.replaceConfig(engine);
    this.devices.reconfigure({ ...deviceSettings(ports), sysexMaxBytes: engine.sysex.max_bytes, inputNeeds: (device, alias) => this.loop.inputNeeds(device, alias) });
  }
}

function deviceSettings(ports: MidiPortsConfig): { inputs: readonly MidiPortSpec[]; outputs: readonly MidiPortSpec[]; pollIntervalMs: number } {
  return { inputs: ports.inputs, outputs: ports.outputs, pollIntervalMs: ports.poll_interval_ms };
}
