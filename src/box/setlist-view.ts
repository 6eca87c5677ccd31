/**
 * The setlist as people see it (songs count from 1): for `midimon status`,
 * `midimon setlist`, the OLED status screen and the menu's Setlist page.
 * Pure functions of the engine snapshot.
 */
import type { SetlistStatus } from '../control/protocol.js';
import type { StatusSong } from '../display/view-models.js';
import type { SetlistSnapshot } from '../engine/types.js';

/** Index of the song `next` would select (null: none, on the last song without wrap). */
function nextIndex(s: SetlistSnapshot, wrap: boolean): number | null {
  if (s.songs.length === 0) return null;
  if (s.position === null) return 0;
  if (s.position + 1 < s.songs.length) return s.position + 1;
  return wrap ? 0 : null;
}

export function setlistStatus(s: SetlistSnapshot | undefined, wrap: boolean): SetlistStatus | null {
  if (s === undefined) return null;
  const current = s.position === null ? undefined : s.songs[s.position];
  const next = nextIndex(s, wrap);
  return {
    position: s.position === null ? null : s.position + 1,
    count: s.songs.length,
    song: current?.name ?? null,
    mode: current?.mode ?? null,
    next: next === null ? null : (s.songs[next]?.name ?? null),
    songs: s.songs.map((song, i) => ({ number: i + 1, name: song.name, mode: song.mode })),
  };
}

/**
 * The status screen's song header: shown while the current mode is the
 * current song's mode (after a manual mode change the mode header returns,
 * and the song line says where the setlist stands).
 */
export function statusSong(s: SetlistSnapshot | undefined, modeName: string, wrap: boolean): StatusSong | undefined {
  const st = setlistStatus(s, wrap);
  if (st === null) return undefined;
  return {
    position: st.position,
    count: st.count,
    name: st.song,
    next: st.next,
    active: st.mode !== null && st.mode === modeName,
  };
}
