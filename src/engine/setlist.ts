/**
 * Setlist navigation as pure functions: which song a target means, and where
 * a saved or pre-reload position lands in a (possibly edited) setlist. The
 * engine owns the position and does the switching (src/engine/engine.ts).
 */
import type { Setlist, SetlistSong } from './config-types.js';

/** next / prev, a 0-based index, or a song name (case-insensitive). */
export type SetlistTarget = 'next' | 'prev' | number | string;

/** A position as it is saved across restarts and carried across reloads. */
export interface SongPosition {
  /** 0-based. */
  readonly index: number;
  readonly name: string;
}

export function songName(song: SetlistSong): string {
  return song.name ?? song.mode;
}

export type Resolved = { readonly index: number } | { readonly stay: string } | { readonly error: string };

/**
 * The song `target` means from `position` (null: none chosen yet; next and
 * prev then start at the first song). At the ends, next/prev stay (clamp)
 * unless the setlist wraps: on stage an extra press must not jump back to the
 * opener and send its patches.
 */
export function resolveSong(setlist: Setlist, position: number | null, target: SetlistTarget): Resolved {
  const n = setlist.songs.length;
  if (target === 'next' || target === 'prev') {
    if (position === null) return { index: 0 };
    const step = target === 'next' ? 1 : -1;
    const to = position + step;
    if (to >= 0 && to < n) return { index: to };
    if (setlist.wrap) return { index: (to + n) % n };
    return { stay: `already on the ${target === 'next' ? 'last' : 'first'} song (${position + 1}/${n}); set [setlist] wrap = true to wrap` };
  }
  if (typeof target === 'number') {
    if (Number.isInteger(target) && target >= 0 && target < n) return { index: target };
    return { error: `no song ${target + 1} (the setlist has ${n} song${n === 1 ? '' : 's'})` };
  }
  const exact = setlist.songs.findIndex((s) => songName(s) === target);
  const lower = target.toLowerCase();
  const index = exact >= 0 ? exact : setlist.songs.findIndex((s) => songName(s).toLowerCase() === lower);
  if (index >= 0) return { index };
  return { error: `no song named "${target}" (songs: ${setlist.songs.map((s) => `"${songName(s)}"`).join(', ')})` };
}

/**
 * Where `saved` lands in `setlist` (after a restart or a reload): the same
 * song if it is still at its place, else the same song (by name) where it
 * moved, else the same place clamped to the last song. `adjusted` says why
 * the position is not the saved one (for the log); null when nothing is left.
 */
export function reconcilePosition(setlist: Setlist | undefined, saved: SongPosition | null): { index: number | null; adjusted: string | null } {
  if (saved === null) return { index: null, adjusted: null };
  const was = `song ${saved.index + 1} "${saved.name}"`;
  if (setlist === undefined) return { index: null, adjusted: `${was}: the setlist was removed` };
  const songs = setlist.songs;
  const at = songs[saved.index];
  if (at !== undefined && songName(at) === saved.name) return { index: saved.index, adjusted: null };
  const moved = songs.findIndex((s) => songName(s) === saved.name);
  if (moved >= 0) return { index: moved, adjusted: `${was} is now song ${moved + 1}` };
  const index = Math.min(Math.max(0, saved.index), songs.length - 1);
  return { index, adjusted: `${was} is no longer in the setlist; now on song ${index + 1} "${songName(songs[index] as SetlistSong)}"` };
}
