/**
 * The setlist position across restarts: a section of the box's state file
 * (StateStore: temp file + fsync + rename, src/util/atomic-write.ts). Kept
 * as index and name, so the engine can tell a stale position (songs edited
 * out of the config while the box was off) and fall back with a log line.
 */
import { z } from 'zod';
import type { SetlistStore } from '../runtime/ports.js';
import type { StateStore } from '../state/state-store.js';

const SECTION = 'setlist';

const positionSchema = z.strictObject({ index: z.number().int().min(0), name: z.string() }).nullable();

export type SongPosition = { readonly index: number; readonly name: string };

export class SetlistPositionStore implements SetlistStore {
  readonly #state: Pick<StateStore, 'section' | 'setSection'>;

  constructor(state: Pick<StateStore, 'section' | 'setSection'>) {
    this.#state = state;
  }

  /** Null when never saved or invalid (StateStore logs an invalid section). */
  get songPosition(): SongPosition | null {
    return this.#state.section(SECTION, positionSchema, null);
  }

  saveSongPosition(position: SongPosition | null): Promise<void> {
    return this.#state.setSection(SECTION, position === null ? null : { index: position.index, name: position.name });
  }
}
