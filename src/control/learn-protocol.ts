import { z } from 'zod';

/**
 * `midimon learn`: the box waits for the next incoming event (a MIDI control
 * or a footswitch gesture), answers with the trigger it would be, and with
 * `add` writes the mapping into the config file (a surgical edit, validated,
 * backed up, hot-reloaded: src/box/learn.ts).
 */

/** The control socket drops idle connections after 60 s: a wait must end before that. */
export const MAX_LEARN_TIMEOUT_MS = 55_000;
export const DEFAULT_LEARN_TIMEOUT_MS = 30_000;

export const learnRequestFields = {
  /** Mode to add the mapping to; absent: the current mode (unless `global`). */
  mode: z.string().min(1).max(64).optional(),
  /** Add to [[global_mappings]] instead of a mode. */
  global: z.literal(true).optional(),
  timeout_ms: z.number().int().min(100).max(MAX_LEARN_TIMEOUT_MS).optional(),
  /** The mapping's action (an action table as in the config); without it the snippet has a placeholder. */
  action: z.record(z.string(), z.unknown()).optional(),
  /** The mapping's description (default "learned: <label>"). */
  description: z.string().min(1).max(200).optional(),
  /** Insert the mapping into the config file (needs `action`). */
  add: z.literal(true).optional(),
};
