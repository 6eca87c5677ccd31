/**
 * One interactive simulation (`npm start`): the simulated box and what
 * surrounds it in the terminal, the keyboard, the drawn OLED, the MIDI log
 * and the ALSA virtual ports. These outlive the box, so System > Restart in
 * the OLED menu can stop the box and start a fresh one in this process, the
 * way systemd restarts the service on a Pi, without the terminal noticing.
 */
import type { Logger } from '../log.js';
import type { Scheduler } from '../runtime/ports.js';
import type { MidimonBox } from './box.js';
import { SimulatedKeyboard, type SimInput, type TtyInput } from './sim-keyboard.js';
import { openVirtualPorts, type SimVirtualPorts, type VirtualPortsOptions } from './sim-virtual-ports.js';
import { logSimulatedMidi, plugSimulatedDevices } from './simulation.js';
import { TerminalScreen, type TerminalOut } from './terminal-screen.js';

export interface SimSessionOptions {
  readonly log: Logger;
  /** A new, not yet started box (called again on every restart), wired to the session's Restart and Shut down. */
  readonly createBox: (hooks: SimBoxHooks) => MidimonBox;
  /** After System > Shut down was announced: the process owner stops the session and exits. */
  readonly onShutdown: () => void;
  readonly input: TtyInput;
  readonly output: TerminalOut;
  readonly noOled: boolean;
  /** Ctrl-C in raw mode. */
  readonly onInterrupt: () => void;
  /** A restart whose new box cannot start: the process owner ends the process. */
  readonly onFatal: (err: unknown) => void;
  readonly socketPath: string;
  /** The keyboard's timers (note length, footswitch holds); tests pass a manual clock. */
  readonly scheduler?: Scheduler;
  /** Test seams for the ALSA sequencer check and the RtMidi port factory. */
  readonly virtualPorts?: Pick<VirtualPortsOptions, 'sequencerPresent' | 'factory'>;
}

/** What the OLED menu's System > Restart / Shut down do in simulation (MidimonBox's onRestart / onShutdown). */
export interface SimBoxHooks {
  readonly onRestart: () => void;
  readonly onShutdown: () => void;
}

export const SIM_SHUTDOWN_MESSAGE = 'simulation: System > Shut down: stopping the simulated box and exiting (on a Pi the box would power off now; this computer stays on)';

export class SimSession {
  readonly #opts: SimSessionOptions;
  #box: MidimonBox;
  #inputs: readonly SimInput[] = [];
  #keyboard: SimulatedKeyboard | null = null;
  #screen: TerminalScreen | null = null;
  #virtual: SimVirtualPorts | null = null;
  readonly #perBox: Array<() => void> = [];
  #restarting: Promise<void> | null = null;
  #stopped = false;
  restarts = 0;

  constructor(options: SimSessionOptions) {
    this.#opts = options;
    this.#box = options.createBox(this.#hooks);
  }

  readonly #hooks: SimBoxHooks = {
    onRestart: () => void this.restart(),
    onShutdown: () => {
      this.#opts.log.warn(SIM_SHUTDOWN_MESSAGE);
      this.#opts.onShutdown();
    },
  };

  /** The box running now (a restart replaces it). */
  get box(): MidimonBox {
    return this.#box;
  }

  get keyboard(): SimulatedKeyboard | null {
    return this.#keyboard;
  }

  get screen(): TerminalScreen | null {
    return this.#screen;
  }

  /** The input the keyboard and the virtual input play as. */
  playsAs(): SimInput | null {
    return this.#keyboard?.playsAs() ?? this.#inputs[0] ?? null;
  }

  /** Starts the box (throws when it cannot start), then the terminal parts around it. */
  async start(): Promise<void> {
    const { log, input, output } = this.#opts;
    await this.#box.start();
    this.#attach();
    if (input.isTTY === true) {
      this.#keyboard = new SimulatedKeyboard({
        target: {
          inputs: () => this.#inputs,
          inject: (port, bytes) => void this.#box.simulation.midi?.inject(port, bytes),
          footswitchNames: () => this.#box.footswitchInfo().names,
          footswitches: () => this.#box.simulation.footswitches,
        },
        input,
        onInterrupt: this.#opts.onInterrupt,
        onChange: () => this.#screen?.draw(),
        onHelp: () => this.#logLegend(),
        ...(this.#opts.scheduler === undefined ? {} : { scheduler: this.#opts.scheduler }),
      });
      this.#keyboard.start();
    }
    this.#screen = new TerminalScreen({
      out: output,
      noOled: this.#opts.noOled,
      frame: () => this.#box.simulation.oled?.panel() ?? null,
      legend: () => this.#keyboard?.legend() ?? ['(stdin is not a terminal: no keys; use midimon send)'],
      status: () => this.#keyboard?.statusLine() ?? `plays as ${this.playsAs()?.name ?? '(no input)'}`,
    });
    const layout = this.#screen.layout;
    if (layout.kind === 'plain') {
      if (output.isTTY === true && !this.#opts.noOled) log.warn(`simulation: OLED not drawn: ${layout.reason}`);
      this.#logLegend();
    }
    this.#screen.start();
    this.#virtual = await openVirtualPorts({
      log,
      onMessage: (bytes) => {
        const to = this.playsAs();
        if (to !== null) this.#box.simulation.midi?.inject(to.port, bytes);
      },
      ...this.#opts.virtualPorts,
    });
    log.info(`simulation: try 'npm run midimon -- status --socket ${this.#opts.socketPath}' in another terminal`);
  }

  /** System > Restart: a fresh box in this process; the terminal, keys and virtual ports stay. */
  restart(): Promise<void> {
    if (this.#restarting !== null) return this.#restarting;
    this.#restarting = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        const { log } = this.#opts;
        log.warn('simulation: System > Restart: stopping the simulated box and starting a new one in this process (on a Pi, systemd restarts the service)');
        this.#detach();
        await this.#box.stop();
        if (this.#stopped) return;
        this.#box = this.#opts.createBox(this.#hooks);
        await this.#box.start();
        this.#attach();
        this.restarts++;
        log.info('simulation: the simulated box restarted');
        this.#screen?.draw();
      })
      .catch((err: unknown) => this.#opts.onFatal(err))
      .finally(() => {
        this.#restarting = null;
      });
    return this.#restarting;
  }

  /** Stops everything and gives the terminal back (the caller exits). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#restarting;
    this.#keyboard?.stop();
    this.#screen?.stop();
    this.#virtual?.close();
    this.#virtual = null;
    this.#detach();
    await this.#box.stop();
  }

  #attach(): void {
    const box = this.#box;
    const plug = () => {
      const config = box.config.current?.config;
      this.#inputs = config === undefined ? [] : plugSimulatedDevices(box, config);
      const fake = box.simulation.midi;
      if (fake !== null) fake.onSend = (_port, bytes) => this.#virtual?.send(bytes);
    };
    plug();
    // A reload may name other devices, or restart the MIDI parts: plug what the new config names.
    this.#perBox.push(box.config.onApplied(plug), logSimulatedMidi(box, this.#opts.log));
  }

  #detach(): void {
    for (const off of this.#perBox.splice(0)) off();
  }

  #logLegend(): void {
    const lines = this.#keyboard?.legend() ?? [];
    for (const line of lines) this.#opts.log.info(`keys: ${line}`);
  }
}
