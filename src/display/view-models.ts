/**
 * What the screens draw. The composition root maps its state into these plain
 * objects; the renderer never sees the engine, the plugin host or the MIDI layer.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface StatusDevice {
  readonly name: string;
  readonly direction: 'in' | 'out' | 'both';
  readonly connected: boolean;
}

export interface StatusPlugin {
  readonly name: string;
  /** 'running' | 'disabled' | 'error' | 'loading'; other strings are shown as given. */
  readonly state: string;
}

export interface StatusView {
  /** `index` is 1-based, as people count (1/3 is the first of three modes). */
  readonly mode: { readonly index: number; readonly name: string; readonly count: number };
  readonly devices: readonly StatusDevice[];
  /** Short text of the last trigger, e.g. 'CC64 127 ch1' or 'left long'. */
  readonly lastTrigger?: string;
  readonly plugins: readonly StatusPlugin[];
  /** The most severe unresolved problem; absent (cleared) once resolved. */
  readonly banner?: { readonly severity: Severity; readonly text: string };
  /** Tempo and beat indicator; absent when the box has no clock in use. */
  readonly tempo?: StatusTempo;
  /** The setlist position; absent without a [setlist]. */
  readonly song?: StatusSong;
}

/** Songs count from 1, as people count. */
export interface StatusSong {
  /** 1-based; null before the first song is selected. */
  readonly position: number | null;
  readonly count: number;
  readonly name: string | null;
  /** The song `next` selects; null on the last song (no wrap). */
  readonly next: string | null;
  /** The current mode is this song's mode: the song's name is the large header. */
  readonly active: boolean;
}

export interface StatusTempo {
  readonly bpm: number;
  readonly running: boolean;
  readonly external: boolean;
  /** External: a steady clock is arriving. */
  readonly locked: boolean;
  /** 1-based beat in the bar (the indicator). */
  readonly beat: number;
}

/** Compact tempo text: "120.0 >3" running on beat 3, "120.0 ||" stopped, "e96.0" following, "EXT ?" no clock. */
export function tempoText(t: StatusTempo): string {
  if (t.external && !t.locked) return 'EXT ?';
  return `${t.external ? 'e' : ''}${t.bpm.toFixed(1)} ${t.running ? `>${t.beat}` : '||'}`;
}
