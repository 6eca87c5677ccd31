/**
 * Everything the menu shows, handed in by the composition root on every call
 * (the menu keeps no copies, so it is never stale). Structurally compatible
 * with src/system/system-info.ts SystemInfo plus a version.
 */
export interface MenuPlugin {
  readonly name: string;
  /** 'running' | 'disabled' | 'error' | 'loading' | ... shown as given. */
  readonly state: string;
  readonly enabled: boolean;
  readonly capabilities: readonly { readonly name: string; readonly granted: boolean }[];
  /** The last error message, when the plugin failed. */
  readonly error?: string;
}

export interface MenuDevice {
  readonly name: string;
  readonly direction?: 'in' | 'out' | 'both';
  readonly connected: boolean;
  /** Milliseconds (same clock as `now`). */
  readonly lastSeen?: number;
}

export interface MenuError {
  readonly at: number;
  readonly severity: 'error' | 'warning' | 'info';
  /** A MidimonError kind, when there is one. */
  readonly kind?: string;
  readonly message: string;
  readonly details?: string;
}

export interface MenuSystemInfo {
  readonly hostname: string;
  readonly addresses: readonly string[];
  readonly version: string;
  readonly diskFreeMb?: number | null;
  readonly memFreeMb?: number;
  readonly memTotalMb?: number;
  readonly uptimeS?: number;
}

export interface MenuUsb {
  readonly present: boolean;
  /** Plugin packages found on the stick. */
  readonly packages: readonly { readonly path: string; readonly name: string; readonly version?: string }[];
}

export interface MenuTempo {
  readonly bpm: number;
  readonly running: boolean;
  readonly source: 'internal' | 'external';
  readonly locked: boolean;
}

/** The MIDI learn session the menu started (absent: none). */
export interface MenuLearn {
  /** waiting: listening for a control; captured: `label` came in; timeout: nothing came. */
  readonly state: 'waiting' | 'captured' | 'timeout';
  readonly mode: string;
  readonly label?: string;
  /** Plugin actions offered as choices (those the config already uses). */
  readonly pluginActions: readonly { readonly plugin: string; readonly action: string }[];
}

export interface MenuContext {
  readonly now: number;
  readonly modes: readonly { readonly name: string; readonly index: number }[];
  readonly currentMode: string;
  readonly plugins: readonly MenuPlugin[];
  readonly usb: MenuUsb;
  readonly devices: readonly MenuDevice[];
  /** Most recent first. */
  readonly errors: readonly MenuError[];
  readonly system: MenuSystemInfo;
  /** Tempo and transport (the Tempo page); absent: no Tempo entry. */
  readonly tempo?: MenuTempo;
  /** The setlist (the Setlist page); absent: no [setlist], no entry. */
  readonly setlist?: MenuSetlist;
  /** MIDI learn started from the menu. */
  readonly learn?: MenuLearn;
  /** The last MIDI messages in and out, newest first (the Monitor page); absent: no Monitor entry. */
  readonly monitor?: readonly MenuMidiLine[];
}

export interface MenuSetlist {
  /** 1-based; null before the first song is selected. */
  readonly position: number | null;
  readonly songs: readonly { readonly number: number; readonly name: string }[];
}

export interface MenuMidiLine {
  readonly dir: 'in' | 'out';
  /** Input alias / output alias. */
  readonly device: string;
  /** Short text, e.g. "n60 v100 c1". */
  readonly text: string;
}
