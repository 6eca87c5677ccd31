/**
 * Keeps the OLED's status screen (and the open menu page) current: redraws
 * on demand and every half second, and re-reads slow-changing system info
 * (addresses, free memory and disk) for the menu's System page.
 */
import type { StatusView } from '../display/view-models.js';
import type { Scheduler } from '../runtime/ports.js';
import { readSystemInfo, type SystemInfo } from '../system/system-info.js';

const STATUS_REFRESH_MS = 500;
/** Re-read system info every 60 status refreshes (30 s). */
const SYSTEM_INFO_EVERY = 60;

export interface StatusRefreshOptions {
  readonly scheduler: Scheduler;
  readonly stateDir: string;
  /** The status screen as it is now; null while the display is not built. */
  readonly view: () => StatusView | null;
  readonly show: (view: StatusView) => void;
  /** Redraws the menu page if the menu is open. */
  readonly refreshMenu: () => void;
}

export class StatusRefresh {
  readonly #opts: StatusRefreshOptions;
  #system: SystemInfo = { hostname: '', addresses: [], memFreeMb: 0, memTotalMb: 0, diskFreeMb: null, uptimeS: 0 };
  #timer: unknown;

  constructor(options: StatusRefreshOptions) {
    this.#opts = options;
  }

  get system(): SystemInfo {
    return this.#system;
  }

  start(): void {
    this.#readSystemInfo();
    this.#arm();
    this.refresh();
  }

  stop(): void {
    if (this.#timer !== undefined) this.#opts.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Cheap: the display controller coalesces frames and sends only changed pages. */
  refresh(): void {
    const view = this.#opts.view();
    if (view === null) return;
    this.#opts.show(view);
    this.#opts.refreshMenu();
  }

  #arm(ticks = 0): void {
    this.#timer = this.#opts.scheduler.setTimeout(() => {
      this.refresh();
      // Addresses (DHCP), free disk and memory for the System page change slowly.
      if (ticks % SYSTEM_INFO_EVERY === SYSTEM_INFO_EVERY - 1) this.#readSystemInfo();
      this.#arm(ticks + 1);
    }, STATUS_REFRESH_MS);
  }

  #readSystemInfo(): void {
    void readSystemInfo(this.#opts.stateDir).then((s) => (this.#system = s));
  }
}
