/**
 * MIDI learn on the box: waits for the next control a user moves (MIDI or a
 * footswitch gesture), turns it into a trigger, and writes the mapping into
 * the config file (src/box/config-file-edit.ts), then reloads. Serves both
 * `midimon learn` (control socket) and the OLED menu's Learn pages.
 *
 * While a learn waits, the learned event is consumed (it does not also fire
 * the mapping it is being learned for, nor an old one); its release too.
 * For the menu, gestures bound to menu controls still drive the menu, so
 * Cancel stays reachable.
 */
import type { ValidateOptions } from '../config/load.js';
import { actionForChoice, checkAction, choiceLabel, learnTrigger, type LearnChoice, type LearnedTrigger } from '../config/learned-mapping.js';
import { mappingBlock, type MappingTarget, type NewMapping } from '../config/mapping-insert.js';
import { tomlInline } from '../config/toml-inline.js';
import type { LearnRequest, LearnResult, ReloadResult } from '../control/protocol.js';
import { DEFAULT_LEARN_TIMEOUT_MS } from '../control/learn-protocol.js';
import type { FootswitchEvent, MidiInEvent } from '../engine/inputs.js';
import { MidimonError, toMidimonError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Scheduler } from '../runtime/ports.js';
import { addMappingToFile, type FileEdit } from './config-file-edit.js';
import type { Problems } from './problems.js';

/** How long the menu's Learn page listens before it says nothing came. */
export const MENU_LEARN_TIMEOUT_MS = 30_000;

export interface LearnOptions {
  readonly log: Logger;
  readonly scheduler: Scheduler;
  readonly problems: Pick<Problems, 'report'>;
  readonly configPath: () => string;
  readonly validateOptions: () => ValidateOptions;
  readonly reload: (reason: string) => Promise<ReloadResult>;
  /** Modes of the running config, and the current one (null before the engine runs). */
  readonly modes: () => readonly string[];
  readonly currentMode: () => string | null;
  /** Plugin actions the config already uses, offered by the menu. */
  readonly pluginActions: () => readonly { plugin: string; action: string }[];
  /** Redraw the menu (its Learn page follows this state). */
  readonly onMenuChange: () => void;
  /** Tells `midimon monitor` when a learn starts listening and what it learned. */
  readonly announce?: (message: string) => void;
}

/** What the menu's Learn page shows (src/menu/menu-context.ts MenuLearn). */
export interface MenuLearnState {
  readonly state: 'waiting' | 'captured' | 'timeout';
  readonly mode: string;
  readonly label?: string;
  readonly pluginActions: readonly { plugin: string; action: string }[];
}

interface MenuSession {
  readonly mode: string;
  state: 'waiting' | 'captured' | 'timeout';
  learned?: LearnedTrigger;
  readonly cancel: () => void;
}

interface Waiter {
  readonly source: 'socket' | 'menu';
  readonly resolve: (t: LearnedTrigger) => void;
  readonly reject: (err: MidimonError) => void;
  readonly timer: unknown;
}

export class Learn {
  readonly #opts: LearnOptions;
  readonly #waiters = new Set<Waiter>();
  /** Releases still owed to a consumed press: device|channel|note. */
  readonly #swallow = new Set<string>();
  #menu: MenuSession | null = null;
  /** File edits run one at a time. */
  #edits: Promise<unknown> = Promise.resolve();

  constructor(options: LearnOptions) {
    this.#opts = options;
  }

  get waiting(): boolean {
    return this.#waiters.size > 0;
  }

  // ---------------------------------------------------------------- capture

  /** True when learn consumed the message. `menuControl`: whether the message drives the open menu (asked only while learning). */
  midi(e: MidiInEvent, menuControl: boolean | (() => boolean)): boolean {
    // The MIDI path pays one size check while nobody learns.
    if (this.#waiters.size === 0 && this.#swallow.size === 0) return false;
    const [status = 0, d1 = 0, d2 = 0] = e.bytes;
    const type = status & 0xf0;
    const key = `${e.device}|${status & 0x0f}|${d1}`;
    if (type === 0x80 || (type === 0x90 && d2 === 0)) return this.#swallow.delete(key);
    if (this.#waiters.size === 0) return false;
    const learned = learnTrigger({ kind: 'midi', device: e.device, ...(e.alias === undefined ? {} : { alias: e.alias }), bytes: e.bytes });
    if (learned === null || !this.#deliver(learned, typeof menuControl === 'function' ? menuControl() : menuControl)) return false;
    if (type === 0x90) this.#swallow.add(key);
    return true;
  }

  footswitch(e: FootswitchEvent, menuControl: boolean | (() => boolean)): boolean {
    if (this.#waiters.size === 0) return false;
    const learned = learnTrigger({ kind: 'footswitch', switch: e.switch, gesture: e.gesture });
    return learned !== null && this.#deliver(learned, typeof menuControl === 'function' ? menuControl() : menuControl);
  }

  /** Resolves with the next learnable event; rejects on timeout or abort. */
  next(source: 'socket' | 'menu', timeoutMs: number, signal?: AbortSignal): Promise<LearnedTrigger> {
    return new Promise((resolve, reject) => this.#wait(source, timeoutMs, signal, resolve, reject));
  }

  /** Callbacks run synchronously with the event (the menu page changes with it). */
  #wait(source: 'socket' | 'menu', timeoutMs: number, signal: AbortSignal | undefined, resolve: (t: LearnedTrigger) => void, reject: (err: MidimonError) => void): void {
    if (signal?.aborted === true) return reject(new MidimonError('bad_request', 'learn cancelled'));
    const sched = this.#opts.scheduler;
    const done = () => {
      sched.clearTimeout(waiter.timer);
      this.#waiters.delete(waiter);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(new MidimonError('bad_request', 'learn cancelled'));
    };
    const waiter: Waiter = {
      source,
      resolve: (t) => {
        done();
        resolve(t);
      },
      reject: (err) => {
        done();
        reject(err);
      },
      timer: sched.setTimeout(() => {
        waiter.reject(new MidimonError('timeout', `nothing arrived within ${Math.round(timeoutMs / 100) / 10} s: press a key or pad, move a knob, or step on a footswitch (in simulation: midimon send INPUT ...)`));
      }, timeoutMs),
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#waiters.add(waiter);
    this.#opts.announce?.(`learn (${source}): listening for a control`);
  }

  #deliver(learned: LearnedTrigger, menuControl: boolean): boolean {
    let taken = false;
    for (const w of [...this.#waiters]) {
      if (menuControl && w.source === 'menu') continue;
      w.resolve(learned);
      taken = true;
    }
    if (taken) this.#opts.announce?.(`learn: learned ${learned.label}`);
    return taken;
  }

  // ----------------------------------------------------------- control socket

  /** `midimon learn`: wait, describe, and with `add` write the mapping. */
  async request(req: LearnRequest, signal?: AbortSignal): Promise<LearnResult> {
    const target = this.#target(req);
    if (req.add === true && req.action === undefined) throw new MidimonError('bad_request', 'add needs an action (midimon learn --add --action ModeNext)');
    if (req.action !== undefined) checkAction(req.action);
    const learned = await this.next('socket', req.timeout_ms ?? DEFAULT_LEARN_TIMEOUT_MS, signal);
    const mapping: NewMapping = { description: req.description ?? `learned: ${learned.label}`, trigger: learned.trigger, action: req.action ?? {} };
    const mode = 'mode' in target ? target.mode : null;
    const lines = mappingBlock(mode === null ? 'global_mappings' : 'modes.mappings', mapping);
    // Without an action the snippet leaves the action to the user.
    const body = req.action === undefined ? [...lines.slice(0, -1), '# action = { type = "ModeChange", mode = "next" }   # what it should do'] : lines;
    const toml = `${mode === null ? '' : `# under [[modes]] name = ${tomlInline(mode)}\n`}${body.join('\n')}\n`;
    const base = { trigger: learned.trigger, label: learned.label, mode, toml };
    if (req.add !== true) return base;
    const { edit, reload } = await this.add(target, mapping, 'midimon learn');
    return { ...base, added: { file: edit.file, backup: edit.backup, line: edit.line, mapping: edit.index + 1, reload } };
  }

  #target(req: LearnRequest): MappingTarget {
    if (req.global === true) {
      if (req.mode !== undefined) throw new MidimonError('bad_request', 'give a mode or global, not both');
      return { global: true };
    }
    const modes = this.#opts.modes();
    const mode = req.mode ?? this.#opts.currentMode();
    if (mode === null) throw new MidimonError('internal', 'the engine is not running');
    if (!modes.includes(mode)) throw new MidimonError('not_found', `no mode named '${mode}' (modes: ${modes.join(', ')})`, { details: { mode, modes } });
    return { mode };
  }

  /** Inserts, validates, backs up, writes, reloads; one at a time. */
  add(target: MappingTarget, mapping: NewMapping, reason: string): Promise<{ edit: FileEdit; reload: ReloadResult }> {
    const run = this.#edits.then(async () => {
      const edit = await addMappingToFile(this.#opts.configPath(), target, mapping, { validate: this.#opts.validateOptions() });
      this.#opts.log.info({ file: edit.file, line: edit.line, mode: edit.mode, trigger: mapping.trigger, action: mapping.action }, `${reason}: mapping added to the config file`);
      return { edit, reload: await this.#opts.reload(reason) };
    });
    this.#edits = run.catch(() => undefined);
    return run;
  }

  // ---------------------------------------------------------------- the menu

  menuState(): MenuLearnState | undefined {
    const m = this.#menu;
    if (m === null) return undefined;
    return { state: m.state, mode: m.mode, ...(m.learned === undefined ? {} : { label: m.learned.label }), pluginActions: this.#opts.pluginActions() };
  }

  /** The menu's Learn page opened for a mode: listen (a new start replaces an old one). */
  menuStart(mode: string): void {
    this.menuCancel();
    const abort = new AbortController();
    const session: MenuSession = { mode, state: 'waiting', cancel: () => abort.abort() };
    this.#menu = session;
    this.#wait(
      'menu',
      MENU_LEARN_TIMEOUT_MS,
      abort.signal,
      (learned) => {
        if (this.#menu !== session) return;
        session.learned = learned;
        session.state = 'captured';
        this.#opts.onMenuChange();
      },
      (err) => {
        if (this.#menu !== session || err.kind !== 'timeout') return;
        session.state = 'timeout';
        this.#opts.onMenuChange();
      },
    );
  }

  menuCancel(): void {
    this.#menu?.cancel();
    this.#menu = null;
  }

  /** The user confirmed: write it. The banner says how it went (the menu has closed by now). */
  menuSave(mode: string, choice: LearnChoice): Promise<void> {
    const learned = this.#menu?.mode === mode ? this.#menu.learned : undefined;
    this.menuCancel();
    const now = this.#opts.scheduler.now();
    if (learned === undefined) {
      this.#opts.problems.report({ key: 'learn', at: now, severity: 'error', kind: 'bad_request', message: 'Learn: nothing was learned', source: 'menu' });
      return Promise.resolve();
    }
    const mapping: NewMapping = { description: `learned: ${learned.label}`, trigger: learned.trigger, action: actionForChoice(choice, learned) };
    return this.add({ mode }, mapping, 'menu learn').then(
      () => this.#opts.problems.report({ key: 'learn', at: this.#opts.scheduler.now(), severity: 'info', kind: 'learn', message: `Learned ${learned.label} -> ${choiceLabel(choice)} (${mode})`, source: 'menu' }),
      (err: unknown) => {
        const e = toMidimonError(err);
        this.#opts.problems.report({ key: 'learn', at: this.#opts.scheduler.now(), severity: 'error', kind: e.kind, message: `Learn not saved: ${e.message}`, source: 'menu' });
      },
    );
  }

  /** The learn waits end (box stop). */
  stop(): void {
    this.menuCancel();
    for (const w of [...this.#waiters]) w.reject(new MidimonError('device_unavailable', 'the box is stopping'));
  }
}
