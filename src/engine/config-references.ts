/**
 * Checks the per-field schema cannot express: names that must refer to
 * something (modes, plugins), uniqueness, and min <= max pairs. Paths are
 * key paths into the config (`['modes', 2, 'mappings', 0, 'action', 'mode']`)
 * so the loader can print `modes[2].mappings[0].action.mode`.
 */
import type { Action, Condition, EngineConfig, Mapping, Trigger } from './config-types.js';

export interface ReferenceIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Mode names reserved by ModeChange / mode commands. */
export const RESERVED_MODE_NAMES = ['next', 'prev'] as const;

export function checkEngineReferences(config: EngineConfig, knownPlugins: readonly string[]): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const modeNames = new Set(config.modes.map((m) => m.name));
  const plugins = new Set(knownPlugins);
  const seen = new Map<string, number>();

  config.modes.forEach((mode, i) => {
    const key = mode.name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({ path: ['modes', i, 'name'], message: `duplicate mode name "${mode.name}" (also modes[${first}])` });
    } else seen.set(key, i);
    if ((RESERVED_MODE_NAMES as readonly string[]).includes(key)) {
      issues.push({ path: ['modes', i, 'name'], message: `"${mode.name}" is reserved (ModeChange uses next/prev); pick another mode name` });
    }
    mode.mappings.forEach((m, j) => checkMapping(m, ['modes', i, 'mappings', j], `mode "${mode.name}" mapping ${j}`));
    for (const key of ['on_enter', 'on_exit'] as const) {
      mode[key]?.forEach((a, j) => checkAction(a, ['modes', i, key, j], `mode "${mode.name}" ${key}[${j}]`, true, true));
    }
  });
  config.global_mappings.forEach((m, j) => checkMapping(m, ['global_mappings', j], `global mapping ${j}`));

  const routeNames = new Map<string, number>();
  config.routes.forEach((route, i) => {
    const first = routeNames.get(route.name);
    if (first !== undefined) issues.push({ path: ['routes', i, 'name'], message: `duplicate route name "${route.name}" (also routes[${first}])` });
    else routeNames.set(route.name, i);
    route.modes?.forEach((name, k) => {
      if (!modeNames.has(name)) issues.push({ path: ['routes', i, 'modes', k], message: `route "${route.name}" is active in unknown mode "${name}"${known()}` });
    });
  });

  const initial = config.mode_switching.initial_mode;
  if (initial !== undefined && !modeNames.has(initial)) {
    issues.push({ path: ['mode_switching', 'initial_mode'], message: `unknown mode "${initial}"${known()}` });
  }
  checkSetlist();
  if (config.timing.velocity_soft_max >= config.timing.velocity_medium_max) {
    issues.push({ path: ['timing', 'velocity_soft_max'], message: 'velocity_soft_max must be below velocity_medium_max' });
  }
  return issues;

  function checkSetlist(): void {
    const s = config.setlist;
    if (s === undefined) return;
    s.songs.forEach((song, i) => {
      if (!modeNames.has(song.mode)) issues.push({ path: ['setlist', 'songs', i, 'mode'], message: `setlist song ${i + 1}${song.name === undefined ? '' : ` "${song.name}"`}: unknown mode "${song.mode}"${known()}` });
    });
    const pcMode = config.mode_switching.program_change_channel;
    if (s.program_change_channel !== undefined && s.program_change_channel === pcMode) {
      issues.push({
        path: ['setlist', 'program_change_channel'],
        message: `channel ${pcMode} already selects modes (mode_switching.program_change_channel): give songs a channel of their own`,
      });
    }
  }

  function known(): string {
    return ` (modes: ${[...modeNames].map((n) => `"${n}"`).join(', ')})`;
  }

  function checkMapping(m: Mapping, path: (string | number)[], where: string): void {
    checkTrigger(m.trigger, [...path, 'trigger'], where);
    checkAction(m.action, [...path, 'action'], where, false);
  }

  function range(min: number | undefined, max: number | undefined, path: (string | number)[], where: string): void {
    if (min !== undefined && max !== undefined && min > max) {
      issues.push({ path: [...path, 'min_value'], message: `${where}: min_value ${min} is above max_value ${max}` });
    }
  }

  function checkTrigger(t: Trigger, path: (string | number)[], where: string): void {
    switch (t.type) {
      case 'VelocityRange':
        if (t.band !== undefined && (t.min_velocity !== undefined || t.max_velocity !== undefined)) {
          issues.push({ path: [...path, 'band'], message: `${where}: give either band or min_velocity/max_velocity, not both` });
        }
        if (t.min_velocity !== undefined && t.max_velocity !== undefined && t.min_velocity > t.max_velocity) {
          issues.push({ path: [...path, 'min_velocity'], message: `${where}: min_velocity ${t.min_velocity} is above max_velocity ${t.max_velocity}` });
        }
        break;
      case 'CC':
      case 'PitchBend':
        range(t.min_value, t.max_value, path, where);
        break;
      case 'Aftertouch':
        range(t.min_value, t.max_value, path, where);
        if (t.kind === 'channel' && t.note !== undefined) {
          issues.push({ path: [...path, 'note'], message: `${where}: channel aftertouch has no note; use kind = "poly"` });
        }
        break;
      case 'NoteChord':
        if (new Set(t.notes).size !== t.notes.length) issues.push({ path: [...path, 'notes'], message: `${where}: chord notes must be distinct` });
        break;
      default:
        break;
    }
  }

  /** `macro`: inside a mode's on_enter/on_exit, where a ModeChange would switch modes while switching. */
  function checkAction(a: Action, path: (string | number)[], where: string, inSequence: boolean, macro = false): void {
    switch (a.type) {
      case 'ModeChange':
        if (macro) {
          issues.push({ path: [...path, 'type'], message: `${where}: no ModeChange in on_enter/on_exit (it would switch modes while switching)` });
          break;
        }
        if (!(RESERVED_MODE_NAMES as readonly string[]).includes(a.mode) && !modeNames.has(a.mode)) {
          issues.push({ path: [...path, 'mode'], message: `${where}: ModeChange to unknown mode "${a.mode}"${known()}` });
        }
        break;
      case 'Plugin':
        if (!plugins.has(a.plugin)) {
          const list = knownPlugins.length === 0 ? 'no plugins are configured' : `plugins: ${knownPlugins.map((p) => `"${p}"`).join(', ')}`;
          issues.push({ path: [...path, 'plugin'], message: `${where}: unknown plugin "${a.plugin}" (${list})` });
        }
        break;
      case 'Sequence':
        a.actions.forEach((child, k) => checkAction(child, [...path, 'actions', k], where, true, macro));
        break;
      case 'Delay':
        if (!inSequence) issues.push({ path: [...path, 'type'], message: `${where}: a Delay only has an effect inside a Sequence` });
        break;
      case 'Repeat':
        checkAction(a.action, [...path, 'action'], where, false, macro);
        break;
      case 'Conditional':
        checkCondition(a.condition, [...path, 'condition'], where);
        checkAction(a.then, [...path, 'then'], where, false, macro);
        if (a.else !== undefined) checkAction(a.else, [...path, 'else'], where, false, macro);
        break;
      case 'SetlistNext':
      case 'SetlistPrev':
      case 'SetlistGoto':
        checkSetlistAction(a, path, where, macro);
        break;
      case 'SendMidi':
        break;
    }
  }

  function checkSetlistAction(a: Extract<Action, { type: `Setlist${string}` }>, path: (string | number)[], where: string, macro: boolean): void {
    const s = config.setlist;
    if (macro) {
      issues.push({ path: [...path, 'type'], message: `${where}: no ${a.type} in on_enter/on_exit (selecting a song switches modes)` });
      return;
    }
    if (s === undefined) {
      issues.push({ path: [...path, 'type'], message: `${where}: ${a.type} needs a [setlist] with songs` });
      return;
    }
    if (a.type !== 'SetlistGoto') return;
    if (typeof a.song === 'number' && a.song > s.songs.length) {
      issues.push({ path: [...path, 'song'], message: `${where}: song ${a.song}, but the setlist has ${s.songs.length} song${s.songs.length === 1 ? '' : 's'}` });
    }
    if (typeof a.song === 'string' && !s.songs.some((song) => (song.name ?? song.mode).toLowerCase() === (a.song as string).toLowerCase())) {
      issues.push({ path: [...path, 'song'], message: `${where}: no song named "${a.song}" (songs: ${s.songs.map((song) => `"${song.name ?? song.mode}"`).join(', ')})` });
    }
  }

  function checkCondition(c: Condition, path: (string | number)[], where: string): void {
    switch (c.type) {
      case 'ModeIs':
        if (!modeNames.has(c.mode)) issues.push({ path: [...path, 'mode'], message: `${where}: ModeIs names unknown mode "${c.mode}"${known()}` });
        break;
      case 'And':
      case 'Or':
        c.conditions.forEach((child, k) => checkCondition(child, [...path, 'conditions', k], where));
        break;
      case 'Not':
        checkCondition(c.condition, [...path, 'condition'], where);
        break;
      case 'TimeRange':
        break;
    }
  }
}
