import { menuControlsOf, type MenuControl } from '../config/menu-shadows.js';
import type { BoxConfig } from '../config/schema.js';
import type { FootswitchEvent, MidiInEvent } from '../engine/inputs.js';
import type { Logger } from '../log.js';
import { CLOSED_MENU, isMenuOpen, menuTimeoutIn, menuView, reduceMenu, type MenuContext, type MenuEffect, type MenuInputType, type MenuState, type MenuView, type PageId } from '../menu/index.js';
import type { Scheduler } from '../runtime/ports.js';

export type { MenuControl } from '../config/menu-shadows.js';
export { defaultMenuControls } from '../config/menu-shadows.js';

export interface MenuDriverOptions {
  readonly log: Logger;
  readonly scheduler: Scheduler;
  readonly context: () => MenuContext;
  readonly onEffect: (effect: MenuEffect) => void;
  readonly onView: (view: MenuView | null) => void;
}

/**
 * Routes footswitch and MIDI inputs to the pure menu while it is open (the
 * engine sees none of them, so navigating never fires a mapping), and only
 * the "enter" control while it is closed. Owns the menu's timeout timer.
 */
export class MenuDriver {
  readonly #opts: MenuDriverOptions;
  #state: MenuState = CLOSED_MENU;
  #controls: readonly MenuControl[] = [];
  #timeoutMs = 30_000;
  #timer: unknown;
  /** Notes/CCs whose press the menu consumed, by device|channel|kind|number, until their release. */
  readonly #consumed = new Set<string>();

  constructor(options: MenuDriverOptions) {
    this.#opts = options;
  }

  configure(config: BoxConfig): void {
    this.#controls = menuControlsOf(config);
    this.#timeoutMs = config.menu.timeout_s * 1000;
  }

  get open(): boolean {
    return isMenuOpen(this.#state);
  }

  get state(): MenuState {
    return this.#state;
  }

  /** The page on top while open (null: closed). */
  get page(): PageId | null {
    return this.#state.open ? (this.#state.stack[this.#state.stack.length - 1]?.page ?? null) : null;
  }

  /** True when the menu consumed the event. */
  footswitch(e: FootswitchEvent): boolean {
    const open = this.open;
    const control = this.#controls.find((c) => c.switch === e.switch && c.gesture === e.gesture && (open || c.control === 'enter'));
    if (control !== undefined) this.input(control.control, e.at);
    // While open, every switch gesture belongs to the menu (no stray mappings fire).
    return control !== undefined || open;
  }

  /** True when the menu consumed the MIDI message (only bound notes/CCs, and the releases of what it consumed). */
  midi(e: MidiInEvent): boolean {
    const [status = 0, d1 = 0, d2 = 0] = e.bytes;
    const type = status & 0xf0;
    const channel = (status & 0x0f) + 1;
    const key = `${e.device}|${channel}|${type === 0xb0 ? 'cc' : 'note'}|${d1}`;
    const release = type === 0x80 || (type === 0x90 && d2 === 0) || (type === 0xb0 && d2 < 64);
    if (release) return this.#consumed.delete(key);
    const open = this.open;
    const control = this.#controls.find((c) => {
      if (!open && c.control !== 'enter') return false;
      if (c.channel !== undefined && c.channel !== channel) return false;
      if (c.note !== undefined) return type === 0x90 && d1 === c.note;
      if (c.cc !== undefined) return type === 0xb0 && d1 === c.cc;
      return false;
    });
    if (control === undefined) return false;
    // Its release must not reach the engine either (a note-off for a note it never saw).
    this.#consumed.add(key);
    this.input(control.control, e.at);
    return true;
  }

  /** True when the event is bound to a menu control that works now (MIDI learn leaves those to the menu). */
  isControl(e: FootswitchEvent | MidiInEvent): boolean {
    const open = this.open;
    if (e.type === 'footswitch') return this.#controls.some((c) => c.switch === e.switch && c.gesture === e.gesture && (open || c.control === 'enter'));
    const [status = 0, d1 = 0] = e.bytes;
    const type = status & 0xf0;
    const channel = (status & 0x0f) + 1;
    return this.#controls.some((c) => {
      if (!open && c.control !== 'enter') return false;
      if (c.channel !== undefined && c.channel !== channel) return false;
      if (c.note !== undefined) return type === 0x90 && d1 === c.note;
      if (c.cc !== undefined) return type === 0xb0 && d1 === c.cc;
      return false;
    });
  }

  input(type: MenuInputType, at: number): void {
    const ctx = this.#opts.context();
    const result = reduceMenu(this.#state, { type, at }, ctx, { timeoutMs: this.#timeoutMs });
    this.#state = result.state;
    for (const effect of result.effects) {
      try {
        this.#opts.onEffect(effect);
      } catch (err) {
        this.#opts.log.error({ err, effect: effect.type }, 'menu action failed');
      }
    }
    this.refresh();
    this.#armTimeout();
  }

  /** Re-renders the current page (the data behind it changed). */
  refresh(): void {
    this.#opts.onView(menuView(this.#state, this.#opts.context()));
  }

  stop(): void {
    if (this.#timer !== undefined) this.#opts.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #armTimeout(): void {
    this.stop();
    const inMs = menuTimeoutIn(this.#state, this.#opts.scheduler.now(), { timeoutMs: this.#timeoutMs });
    if (inMs === undefined) return;
    this.#timer = this.#opts.scheduler.setTimeout(() => {
      this.#timer = undefined;
      this.input('tick', this.#opts.scheduler.now());
    }, inMs + 1);
  }
}
