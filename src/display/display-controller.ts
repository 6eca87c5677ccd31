import type { Logger } from '../log.js';
import { isMidimonError } from '../errors.js';
import { Framebuffer } from './framebuffer.js';
import { drawText } from './layout.js';
import { framebufferToPng, type PngOptions } from './png.js';
import { renderMenu } from './screens/menu-screen.js';
import { renderScreensaver } from './screens/screensaver.js';
import { renderStatus } from './screens/status-screen.js';
import { drawToast } from './screens/toast.js';
import type { OledDisplay } from './oled-display.js';
import type { StatusView } from './view-models.js';
import type { MenuView } from '../menu/menu-view.js';

/** Timers for dimming (structurally the same as src/gpio's Scheduler, so one fake clock drives both). */
export interface DisplayTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: DisplayTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface DisplayControllerOptions {
  /** null: no panel (simulation); frames are still rendered for screenshots. */
  readonly display: OledDisplay | null;
  readonly log: Logger;
  readonly width?: number;
  readonly height?: 64 | 32;
  readonly timers?: DisplayTimers;
  /** Contrast while in use, 0-255. Default 0xCF. */
  readonly brightness?: number;
  /** Contrast after `dimAfterMs` without activity. Default 0x10. */
  readonly dimBrightness?: number;
  /** Default 60 000; 0 = never dim. */
  readonly dimAfterMs?: number;
  /** Screen saver after this long idle (at the earliest when dimming); 0/undefined = off. */
  readonly screensaverAfterMs?: number;
  /** How often the screen saver moves the text. Default 30 000. */
  readonly screensaverStepMs?: number;
  readonly png?: PngOptions;
  /** After a failed write, try again this often. Default 5000. */
  readonly retryMs?: number;
}

/**
 * Owns what the panel shows. View updates only mark the frame dirty; a flush
 * scheduled with setImmediate renders the newest view and writes it with the
 * async driver, one frame in flight, so a burst of MIDI becomes one frame and
 * nothing on the MIDI path ever awaits the display.
 */
export class DisplayController {
  readonly #opts: DisplayControllerOptions;
  readonly #timers: DisplayTimers;
  readonly width: number;
  readonly height: number;
  #display: OledDisplay | null;
  #status: StatusView | undefined;
  #menu: MenuView | null = null;
  #toast: string | null = null;
  #toastTimer: unknown;
  #shown: Framebuffer;
  #dirty = false;
  #flushing: Promise<void> | undefined;
  #scheduled = false;
  #contrast: number | undefined;
  #idleTimer: unknown;
  #saverTimer: unknown;
  #dimmed = false;
  #saverStep = -1;
  #failing = false;
  /** After a failed write the panel may have lost power: configure it again before the next frame. */
  #needsInit = false;
  #retryTimer: unknown;
  #running = false;
  framesSent = 0;
  bytesSent = 0;

  constructor(opts: DisplayControllerOptions) {
    this.#opts = opts;
    this.#timers = opts.timers ?? realTimers;
    this.#display = opts.display;
    this.width = opts.display?.width ?? opts.width ?? 128;
    this.height = (opts.display?.height ?? opts.height ?? 64) as 64 | 32;
    this.#shown = new Framebuffer(this.width, this.height);
  }

  async start(): Promise<void> {
    if (this.#display !== null) {
      try {
        await this.#display.init();
        this.#contrast = this.#opts.brightness ?? 0xcf;
      } catch (err) {
        if (!isMidimonError(err, 'device_unavailable')) throw err;
        this.#opts.log.warn({ reason: err.message }, 'display: no OLED found, rendering for screenshots only');
        this.#display = null;
      }
    }
    this.#running = true;
    this.#armIdle();
    this.#invalidate();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#timers.clearTimeout(this.#idleTimer);
    this.#timers.clearTimeout(this.#saverTimer);
    this.#timers.clearTimeout(this.#retryTimer);
    this.#timers.clearTimeout(this.#toastTimer);
    await this.settled();
    const display = this.#display;
    this.#display = null;
    if (display !== null) await display.close().catch((err: unknown) => this.#opts.log.warn({ err }, 'display close failed'));
  }

  /** True when a real (or fake-bus) panel is being driven. */
  get hasPanel(): boolean {
    return this.#display !== null;
  }

  setStatus(view: StatusView): void {
    const prev = this.#status;
    this.#status = view;
    // A new mode or a new problem is worth lighting the panel up for; a passing MIDI note is not.
    if (prev === undefined || prev.mode.index !== view.mode.index || prev.banner?.text !== view.banner?.text) this.wake();
    else this.#invalidate();
  }

  /** null closes the menu (back to the status screen). */
  setMenu(view: MenuView | null): void {
    this.#menu = view;
    this.wake();
  }

  /**
   * A short message over the screen that goes away by itself (a refused menu
   * toggle): a moment, not a state, so it never becomes a banner or a recent error.
   */
  toast(text: string, ms = 3000): void {
    this.#toast = text;
    this.#timers.clearTimeout(this.#toastTimer);
    this.#toastTimer = this.#timers.setTimeout(() => {
      this.#toast = null;
      this.#invalidate();
    }, ms);
    this.wake();
  }

  /** The message shown now, or null. */
  get toastText(): string | null {
    return this.#toast;
  }

  /** A player touched the box: full brightness, screen saver off, idle timer restarted. */
  wake(): void {
    if (this.#dimmed) this.#contrast = this.#opts.brightness ?? 0xcf;
    this.#dimmed = false;
    this.#saverStep = -1;
    this.#timers.clearTimeout(this.#saverTimer);
    this.#armIdle();
    this.#invalidate();
  }

  get dimmed(): boolean {
    return this.#dimmed;
  }

  get screensaverActive(): boolean {
    return this.#saverStep >= 0;
  }

  /** The frame for the current views (what the panel shows once the pending flush lands). */
  framebuffer(): Framebuffer {
    return this.#render();
  }

  snapshotPng(opts: PngOptions = this.#opts.png ?? {}): Buffer {
    return framebufferToPng(this.#render(), opts);
  }

  /** Resolves when every requested frame and contrast change has been written. */
  async settled(): Promise<void> {
    while (this.#scheduled || this.#flushing !== undefined) {
      if (this.#flushing !== undefined) await this.#flushing;
      else await new Promise((r) => setImmediate(r));
    }
  }

  #render(): Framebuffer {
    const fb = this.#renderScreen();
    if (this.#toast !== null && this.#saverStep < 0) drawToast(fb, this.#toast);
    return fb;
  }

  #renderScreen(): Framebuffer {
    const status = this.#status;
    if (this.#saverStep >= 0 && status !== undefined) {
      return renderScreensaver(`${status.mode.index} ${status.mode.name}`, this.#saverStep, this.width, this.height);
    }
    if (this.#menu !== null) return renderMenu(this.#menu, this.width, this.height);
    if (status !== undefined) return renderStatus(status, this.width, this.height);
    const fb = new Framebuffer(this.width, this.height);
    drawText(fb, 4, Math.floor(this.height / 2) - 4, 'midimon starting');
    return fb;
  }

  #invalidate(): void {
    this.#dirty = true;
    if (!this.#running || this.#scheduled || this.#flushing !== undefined) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = undefined;
        if (this.#dirty && this.#running) this.#invalidate();
      });
    });
  }

  async #flush(): Promise<void> {
    while (this.#dirty || this.#contrast !== undefined) {
      this.#dirty = false;
      const frame = this.#render();
      const contrast = this.#contrast;
      this.#contrast = undefined;
      const changed = !frame.equals(this.#shown);
      this.#shown = frame;
      const display = this.#display;
      if (display === null) continue;
      try {
        if (this.#needsInit) {
          await display.init();
          this.#needsInit = false;
          await display.setContrast(this.#dimmed ? (this.#opts.dimBrightness ?? 0x10) : (this.#opts.brightness ?? 0xcf));
          this.#shown = new Framebuffer(this.width, this.height);
          if (!frame.equals(this.#shown)) {
            const stats = await display.draw(frame);
            this.framesSent++;
            this.bytesSent += stats.bytes;
          }
          this.#shown = frame;
          if (this.#failing) this.#opts.log.info('display: panel back');
          this.#failing = false;
          continue;
        }
        if (contrast !== undefined) await display.setContrast(contrast);
        if (changed) {
          const stats = await display.draw(frame);
          this.framesSent++;
          this.bytesSent += stats.bytes;
        }
        if (this.#failing) this.#opts.log.info('display: writes work again');
        this.#failing = false;
      } catch (err) {
        // Log the first failure only: a loose cable must not flood the journal at frame rate.
        if (!this.#failing) this.#opts.log.warn({ err }, 'display write failed; re-initialising and retrying');
        this.#failing = true;
        this.#needsInit = true;
        this.#dirty = false;
        // Retry on a timer too, so a screen that is not changing still comes back after a cable fix.
        this.#timers.clearTimeout(this.#retryTimer);
        this.#retryTimer = this.#timers.setTimeout(() => this.#invalidate(), this.#opts.retryMs ?? 5000);
        return;
      }
    }
  }

  #armIdle(): void {
    this.#timers.clearTimeout(this.#idleTimer);
    if (!this.#running) return;
    const dimAfter = this.#opts.dimAfterMs ?? 60_000;
    const saverAfter = this.#opts.screensaverAfterMs ?? 0;
    if (dimAfter > 0) {
      this.#idleTimer = this.#timers.setTimeout(() => {
        this.#dimmed = true;
        this.#contrast = this.#opts.dimBrightness ?? 0x10;
        this.#invalidate();
        if (saverAfter > 0) this.#idleTimer = this.#timers.setTimeout(() => this.#startSaver(), Math.max(0, saverAfter - dimAfter));
      }, dimAfter);
    } else if (saverAfter > 0) {
      this.#idleTimer = this.#timers.setTimeout(() => this.#startSaver(), saverAfter);
    }
  }

  #startSaver(): void {
    this.#saverStep = 0;
    this.#invalidate();
    const step = (): void => {
      this.#saverTimer = this.#timers.setTimeout(() => {
        this.#saverStep++;
        this.#invalidate();
        step();
      }, this.#opts.screensaverStepMs ?? 30_000);
    };
    step();
  }
}
