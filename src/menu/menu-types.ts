/** The menu's state, inputs and effects: plain data, so the root can log, persist or replay them. */

export type MenuInputType = 'enter' | 'next' | 'prev' | 'select' | 'back' | 'tick';

export interface MenuInput {
  readonly type: MenuInputType;
  /** Milliseconds from the injected clock; 'tick' only carries time (for the timeout). */
  readonly at: number;
}

export type MenuEffect =
  | { readonly type: 'switch-mode'; readonly name: string }
  | { readonly type: 'plugin-enable'; readonly name: string; readonly enabled: boolean }
  | { readonly type: 'plugin-grant'; readonly name: string; readonly capability: string; readonly granted: boolean }
  | { readonly type: 'usb-install'; readonly path: string; readonly name: string }
  | { readonly type: 'restart' }
  | { readonly type: 'shutdown' }
  /** All notes off + sustain off on every output channel the box used. */
  | { readonly type: 'panic' }
  | { readonly type: 'tempo-tap' }
  | { readonly type: 'tempo-nudge'; readonly by: number }
  | { readonly type: 'clock-toggle' }
  | { readonly type: 'clock-source'; readonly source: 'internal' | 'external' }
  /** Select song `song` (1 = the first) of the setlist. */
  | { readonly type: 'setlist-goto'; readonly song: number }
  /** MIDI learn: listen for the next control for this mode / stop listening / write the mapping. */
  | { readonly type: 'learn-start'; readonly mode: string }
  | { readonly type: 'learn-cancel' }
  | { readonly type: 'learn-save'; readonly mode: string; readonly choice: MenuLearnChoice };

/** What a learned control should do (the box turns it into an action: src/config/learned-mapping.ts). */
export type MenuLearnChoice =
  | { readonly kind: 'mode-next' }
  | { readonly kind: 'mode-prev' }
  | { readonly kind: 'note' }
  | { readonly kind: 'cc' }
  | { readonly kind: 'pc' }
  | { readonly kind: 'plugin'; readonly plugin: string; readonly action: string };

export type PageId =
  | 'root'
  | 'modes'
  | 'plugins'
  | 'plugin'
  | 'plugin-caps'
  | 'usb'
  | 'devices'
  | 'device'
  | 'errors'
  | 'error'
  | 'system'
  | 'confirm'
  | 'tempo'
  | 'setlist'
  | 'learn'
  | 'learn-listen'
  | 'monitor';

export interface ConfirmSpec {
  readonly title: string;
  readonly message: string;
  readonly confirmLabel: string;
  readonly effect: MenuEffect;
}

export interface MenuFrame {
  readonly page: PageId;
  /** Selected row (lists), first visible line (text pages), 0 = cancel / 1 = confirm (dialogs). */
  readonly selected: number;
  /** The plugin, device name or error index the page is about. */
  readonly param?: string;
  readonly confirm?: ConfirmSpec;
}

export type MenuState =
  | { readonly open: false }
  | { readonly open: true; readonly stack: readonly MenuFrame[]; readonly lastInputAt: number };

export const CLOSED_MENU: MenuState = { open: false };

export interface MenuOptions {
  /** Back to the status screen after this long without input. Default 30 000 ms. */
  readonly timeoutMs?: number;
  /** Characters per line for wrapped text pages. Default 20 (fits 128 px beside the scrollbar). */
  readonly textColumns?: number;
}

export interface MenuResult {
  readonly state: MenuState;
  readonly effects: readonly MenuEffect[];
  /** False when the menu was closed and ignored the input (the root gives it to the engine instead). */
  readonly handled: boolean;
}
