/**
 * The pure MIDI engine: `handle(event)` updates state and returns effects.
 * No I/O, no clock, no timers of its own: the runtime executes the effects
 * and feeds timers, plugin host calls and device changes back as events. The
 * engine never throws on input; bad input becomes a notice effect.
 */
import { runActions, type ActionHost, type Job, type Origin } from './action-runner.js';
import type { Action, EngineConfig, Mapping } from './config-types.js';
import { RESERVED_MODE_NAMES } from './config-references.js';
import type { FootswitchEvent, MidiInEvent } from './inputs.js';
import { parseMidi, splitMessages, type ParsedMidi } from './midi-message.js';
import { isWholeSysex } from './sysex-pattern.js';
import { deviceMatches } from './name-pattern.js';
import { NoteTracker } from './note-tracker.js';
import { PreparedRoute, inputNeeds, type InputNeeds } from './routing.js';
import { TriggerMatcher, describeTrigger, sysexTriggersWant, type FireData, type LongPressRequest, type MappingRef, type Match } from './trigger-matcher.js';
import { TempoClock, isClockMessage, type TempoHost } from './tempo.js';
import { reconcilePosition, resolveSong, songName, type SetlistTarget, type SongPosition } from './setlist.js';
import type {
  EngineEffect,
  EngineEvent,
  EngineSnapshot,
  ModeChangeSource,
  ModeTarget,
  NoticeLevel,
  PluginCallEffect,
  SetlistSnapshot,
  TempoCommand,
  TriggerContext,
} from './types.js';

export interface EngineOptions {
  /** Mode restored from the state store; unknown or absent: mode_switching.initial_mode, else the first mode. */
  readonly restoredMode?: string | null;
  /** Local time offset (minutes east of UTC) at `at`, for TimeRange conditions. Default: UTC. */
  readonly utcOffsetMinutes?: (at: number) => number;
  /** Setlist position saved before a restart; checked against the setlist (it may have been edited since). */
  readonly restoredSong?: SongPosition | null;
}

/** What ends with an input key's release: a note a SendMidi "note" started, or a key-following plugin call. */
type Follower =
  | { readonly kind: 'note'; readonly owner: string; readonly output: string; readonly channel: number; readonly note: number }
  | {
      readonly kind: 'plugin';
      readonly plugin: string;
      readonly action: string;
      readonly params: Readonly<Record<string, unknown>> | undefined;
      readonly owner: string;
      readonly context: TriggerContext;
    };

/**
 * Who a plugin's notes belong to: "plugin:NAME@MODE" (or "@global") for
 * calls not tied to a key, "plugin:NAME@MODE#key<n>" for one key press.
 */
interface PluginOwner {
  readonly plugin: string;
  /** Mode the mapping belongs to; null for global mappings. */
  readonly mode: string | null;
  /** Calls with this owner not yet reported done. */
  pending: number;
  /** A key owner whose key was released: released itself once its calls are done. */
  closing: boolean;
}

export class MidiEngine {
  #config: EngineConfig;
  #routes: PreparedRoute[] = [];
  /** Per mode: its mappings then the global ones, prepared once per config (hot path). */
  #activeByMode: MappingRef[][] = [];
  #modeIndex = 0;
  readonly #notes = new NoteTracker();
  readonly #matcher = new TriggerMatcher();
  readonly #jobs = new Map<string, Job>();
  /** Input notes held right now ("device|channel|note"), with what follows their release. */
  readonly #heldInput = new Map<string, Follower[]>();
  readonly #pluginOwners = new Map<string, PluginOwner>();
  #nextKeyOwner = 1;
  readonly #longPressByKey = new Map<string, Set<string>>();
  #nextTimer = 1;
  #out: EngineEffect[] = [];
  readonly #offset: (at: number) => number;
  readonly #startupNotices: EngineEffect[] = [];
  readonly #host: ActionHost;
  readonly #tempo: TempoClock;
  #watchdogTimer: string | null = null;
  /** Per mode: whether its active mappings include a Beat trigger (ticks skip the match otherwise). */
  #beatsByMode: boolean[] = [];
  /** True while a mode's on_enter/on_exit runs: a ModeChange from there is refused (no switch loops). */
  #inMacro = false;
  /** Setlist position (0-based); null until a song is first selected, or without a setlist. */
  #song: number | null = null;

  constructor(config: EngineConfig, options: EngineOptions = {}) {
    this.#config = config;
    this.#offset = options.utcOffsetMinutes ?? (() => 0);
    this.#prepare(config);
    const restored = options.restoredMode == null ? -1 : this.#findMode(options.restoredMode);
    if (options.restoredMode != null && restored < 0) {
      this.#startupNotices.push(notice('warn', 'mode_not_restored', `saved mode "${options.restoredMode}" no longer exists`));
    }
    this.#modeIndex = restored >= 0 ? restored : this.#initialIndex(config);
    this.#restoreSong(options.restoredSong ?? null);
    this.#host = this.#makeHost();
    this.#tempo = new TempoClock(config.clock, config.modes[this.#modeIndex]?.tempo ?? config.clock.bpm, this.#makeTempoHost());
  }

  get config(): EngineConfig {
    return this.#config;
  }

  get modeIndex(): number {
    return this.#modeIndex;
  }

  get modeName(): string {
    return (this.#config.modes[this.#modeIndex] as { name: string }).name;
  }

  /** Effects to run once at start: announce the mode (display), any restore problem, the mode's on_enter. */
  startEffects(at = 0): EngineEffect[] {
    const out = this.#startupNotices.splice(0);
    out.push({ type: 'mode-changed', index: this.#modeIndex, name: this.modeName, previous: null, source: 'startup' });
    this.#out = out;
    this.#tempo.start();
    this.#runMacro('on_enter', this.#config.modes[this.#modeIndex]?.on_enter, at);
    this.#out = [];
    return out;
  }

  /** What RtMidi must deliver from input `device` (clock, sysex) for the current routes. */
  inputNeeds(device: string, alias?: string): InputNeeds {
    const needs = inputNeeds(this.#config.routes, device, alias);
    return !needs.sysex && sysexTriggersWant(this.#config, device, alias) ? { ...needs, sysex: true } : needs;
  }

  handle(event: EngineEvent): EngineEffect[] {
    this.#out = [];
    switch (event.type) {
      case 'midi':
        this.#onMidi(event);
        break;
      case 'footswitch':
        this.#onFootswitch(event);
        break;
      case 'timer':
        this.#onTimer(event.id, event.at);
        break;
      case 'plugin-midi-send':
        this.#onPluginMidi(event.plugin, event.bytes, event.owner);
        break;
      case 'plugin-set-mode':
        this.#setMode(event.mode, 'plugin', event.at);
        break;
      case 'mode-command':
        this.#setMode(event.mode, event.source, event.at);
        break;
      case 'config-replaced':
        this.#replaceConfig(event.config, event.at);
        break;
      case 'device':
        this.#onDevice(event.change, event.direction, event.device, event.at);
        break;
      case 'plugin-call-done':
        this.#onPluginCallDone(event.plugin, event.owner, event.ok);
        break;
      case 'plugin-reset':
        this.#releasePlugin(event.plugin);
        break;
      case 'panic':
        this.#panic(event.source);
        break;
      case 'clock-tick':
        this.#tempo.internalTick(event.at);
        break;
      case 'tempo-command':
        this.#tempo.request(event.command, event.at);
        break;
      case 'setlist-command':
        this.#setlist(event.target, event.source, event.at);
        break;
    }
    return this.#out;
  }

  /** Shutdown: note-offs for every note still held by anyone, pending work dropped. */
  releaseAll(): EngineEffect[] {
    this.#out = [];
    this.#tempo.shutdown();
    const out: EngineEffect[] = this.#out;
    this.#out = [];
    out.push(...this.#notes.releaseWhere(() => true));
    for (const id of this.#jobs.keys()) out.push({ type: 'cancel-timer', id });
    this.#jobs.clear();
    this.#heldInput.clear();
    this.#pluginOwners.clear();
    this.#longPressByKey.clear();
    this.#watchdogTimer = null;
    return out;
  }

  snapshot(): EngineSnapshot {
    return {
      modeIndex: this.#modeIndex,
      modeName: this.modeName,
      modeNames: this.#config.modes.map((m) => m.name),
      heldNotes: this.#notes.snapshot(),
      activeRoutes: this.#routes.filter((r) => r.activeIn(this.modeName)).map((r) => r.route.name),
      pendingTimers: this.#jobs.size,
      usedChannels: this.#notes.usedChannels,
      tempo: this.#tempo.info(),
      ...(this.#config.setlist === undefined ? {} : { setlist: this.#setlistSnapshot() }),
    };
  }

  // ------------------------------------------------------------------ input

  #onMidi(e: MidiInEvent): void {
    const status = e.bytes[0];
    if (isClockMessage(status) && this.#tempo.source === 'external') {
      const from = this.#config.clock.input;
      if (from === undefined || deviceMatches(from, e.device, e.alias)) this.#tempo.external(e.bytes, e.at);
    }
    // Clock ticks come 24 times a beat: only routes can want them (no mapping triggers on F8).
    if (status === 0xf8) {
      this.#route(e.device, e.alias, { kind: 'clock' }, e.bytes);
      return;
    }
    if (status === 0xf0) {
      this.#onSysex(e);
      return;
    }
    const m = parseMidi(e.bytes);
    if (m.kind === 'invalid') return;
    this.#route(e.device, e.alias, m, e.bytes);
    const ms = this.#config.mode_switching;
    if (
      m.kind === 'program_change' &&
      ms.program_change_channel === m.channel &&
      (ms.program_change_device === undefined || deviceMatches(ms.program_change_device, e.device, e.alias))
    ) {
      if (m.program < this.#config.modes.length) this.#setMode(m.program, 'program-change', e.at);
      else this.#notice('warn', 'unknown_mode', `Program Change ${m.program} has no mode (${this.#config.modes.length} modes)`);
      return;
    }
    const sl = this.#config.setlist;
    if (
      m.kind === 'program_change' &&
      sl?.program_change_channel === m.channel &&
      (sl.program_change_device === undefined || deviceMatches(sl.program_change_device, e.device, e.alias))
    ) {
      // 0-based on the wire, 1-based for people: PC 0 is song 1.
      if (m.program < sl.songs.length) this.#setlist(m.program, 'program-change', e.at);
      else this.#notice('warn', 'unknown_song', `Program Change ${m.program} has no song (PC ${m.program} = song ${m.program + 1}; the setlist has ${sl.songs.length})`);
      return;
    }
    if (m.kind === 'note_on') {
      const key = `${e.device}|${m.channel}|${m.note}`;
      this.#releaseInput(key, e.at, 0);
      this.#heldInput.set(key, []);
    }
    const longPresses: LongPressRequest[] = [];
    const matches = this.#matcher.matchMidi(this.#activeRefs(), m, e.device, e.alias, e.at, this.#config.timing, longPresses);
    for (const match of matches) this.#fire(match, e.at);
    for (const lp of longPresses) this.#armLongPress(lp);
    if (m.kind === 'note_off') this.#releaseInput(`${e.device}|${m.channel}|${m.note}`, e.at, m.velocity);
  }

  /**
   * A whole SysEx message (the input side reassembles RtMidi's chunks): routed
   * as one unit, then matched against SysEx triggers. Malformed or oversized
   * ones are dropped whole with a notice, never passed on truncated.
   */
  #onSysex(e: MidiInEvent): void {
    if (!this.#sysexAcceptable(e.bytes, `from "${e.device}"`)) return;
    this.#route(e.device, e.alias, SYSEX, e.bytes);
    for (const match of this.#matcher.matchSysex(this.#activeRefs(), e.bytes, e.device, e.alias)) this.#fire(match, e.at);
  }

  #sysexAcceptable(bytes: readonly number[], from: string): boolean {
    const max = this.#config.sysex.max_bytes;
    if (bytes.length > max) {
      this.#notice('warn', 'sysex_too_large', `SysEx ${from} dropped: ${bytes.length} bytes is over sysex.max_bytes = ${max} (dropped whole, not truncated)`);
      return false;
    }
    if (!isWholeSysex(bytes)) {
      this.#notice('warn', 'sysex_malformed', `SysEx ${from} dropped: ${bytes.length} bytes that are not F0, data bytes 00-7F, F7`);
      return false;
    }
    return true;
  }

  #onFootswitch(e: FootswitchEvent): void {
    for (const match of this.#matcher.matchFootswitch(this.#activeRefs(), e)) this.#fire(match, e.at);
  }

  /** `owner`: who the routed notes belong to (a plugin call's owner); default: the route. */
  #route(source: string, alias: string | undefined, m: ParsedMidi, bytes: readonly number[], owner?: string): boolean {
    let accepted = false;
    const mode = this.modeName;
    for (const r of this.#routes) {
      if (!r.accepts(source, alias)) continue;
      accepted = true;
      if (!r.activeIn(mode)) continue;
      const out = r.apply(m, bytes);
      if (out === null) continue;
      this.#host.send(owner ?? r.owner, r.route.to, out);
    }
    return accepted;
  }

  /**
   * A plugin's midi_send goes through routes from `plugin:NAME`; without one,
   * to every output. Its notes belong to the call that was running (`owner`),
   * else to the plugin in the current mode.
   */
  #onPluginMidi(plugin: string, bytes: readonly number[], callOwner: string | undefined): void {
    const messages = splitMessages(bytes);
    if (messages === null || messages.length === 0) {
      this.#notice('warn', 'plugin_bad_midi', `plugin "${plugin}" sent malformed MIDI (${bytes.length} bytes); dropped`);
      return;
    }
    const owner = callOwner !== undefined && this.#pluginOwners.has(callOwner) ? callOwner : this.#sharedPluginOwner(plugin, this.modeName);
    const source = `plugin:${plugin}`;
    for (const msg of messages) {
      if (msg[0] === 0xf0 && !this.#sysexAcceptable(msg, `from plugin "${plugin}"`)) continue;
      if (this.#route(source, undefined, parseMidi(msg), msg, owner)) continue;
      this.#host.send(owner, '*', msg);
    }
  }

  // -------------------------------------------------------- plugin owners

  /** The owner of a plugin's notes that no key follows: released when `mode` is left (never, for global). */
  #sharedPluginOwner(plugin: string, mode: string | null): string {
    const owner = `plugin:${plugin}@${mode === null ? 'global' : `mode:${mode}`}`;
    if (!this.#pluginOwners.has(owner)) this.#pluginOwners.set(owner, { plugin, mode, pending: 0, closing: false });
    return owner;
  }

  #callPlugin(plugin: string, action: string, context: TriggerContext, params: Readonly<Record<string, unknown>> | undefined, owner: string): void {
    const o = this.#pluginOwners.get(owner);
    if (o !== undefined) o.pending++;
    const e: PluginCallEffect = { type: 'plugin-call', plugin, action, context, owner };
    this.#out.push(params === undefined ? e : { ...e, params });
  }

  #onPluginCallDone(plugin: string, owner: string, ok: boolean): void {
    const o = this.#pluginOwners.get(owner);
    if (o !== undefined) o.pending = Math.max(0, o.pending - 1);
    // A failed call discarded the plugin's instance: nothing will end what it started.
    if (!ok) this.#releasePlugin(plugin);
    if (o !== undefined && o.closing && o.pending === 0) {
      this.#out.push(...this.#notes.release(owner));
      this.#pluginOwners.delete(owner);
    }
  }

  /** Everything the plugin holds, under any owner, ends now. */
  #releasePlugin(plugin: string): void {
    for (const [owner, o] of this.#pluginOwners) if (o.plugin === plugin) this.#out.push(...this.#notes.release(owner));
  }

  #panic(source: string): void {
    const channels = this.#notes.usedChannels;
    this.#out.push(...this.#notes.panic());
    // Pending note-ons (Delay, Repeat) would restart the noise.
    for (const [id, job] of this.#jobs) if (job.kind !== 'long-press') this.#cancel(id);
    this.#notice('warn', 'panic', `panic (${source}): all notes and sustain off on ${channels} output channel${channels === 1 ? '' : 's'}`);
  }

  #onDevice(change: 'connected' | 'disconnected', direction: 'input' | 'output', device: string, at: number): void {
    const level: NoticeLevel = change === 'connected' ? 'info' : 'warn';
    this.#notice(level, `device_${change}`, `MIDI ${direction} "${device}" ${change}`);
    if (change !== 'disconnected' || direction !== 'input') return;
    // A controller unplugged mid-note will never send its note-offs: synthesize them.
    for (const key of [...this.#heldInput.keys()]) {
      const [dev, ch, note] = key.split('|');
      if (dev !== device) continue;
      this.#onMidi({ type: 'midi', device, bytes: [0x80 | (Number(ch) - 1), Number(note), 0], at });
    }
  }

  // ---------------------------------------------------------------- firing

  #activeRefs(): MappingRef[] {
    return this.#activeByMode[this.#modeIndex] ?? [];
  }

  #fire(match: Match, at: number): void {
    const { ref, data } = match;
    this.#out.push({
      type: 'trigger-fired',
      mode: ref.global ? null : this.modeName,
      mapping: ref.index,
      trigger: ref.mapping.trigger.type,
      description: ref.mapping.description ?? describeTrigger(ref.mapping.trigger),
      at,
    });
    runActions(this.#host, [ref.mapping.action], ref.global ? 'global' : 'mode', data, at);
  }

  #armLongPress(lp: LongPressRequest): void {
    const id = this.#schedule(
      {
        kind: 'long-press',
        origin: lp.ref.global ? 'global' : 'mode',
        heldKey: lp.heldKey,
        fire: () => this.#fire({ ref: lp.ref, data: lp.data }, lp.due),
      },
      lp.due,
    );
    let set = this.#longPressByKey.get(lp.heldKey);
    if (set === undefined) this.#longPressByKey.set(lp.heldKey, (set = new Set()));
    set.add(id);
  }

  /**
   * The input note `key` was released (or re-struck): end notes that follow
   * it, tell key-following plugins (their owner is released once that call
   * is done) and disarm long presses.
   */
  #releaseInput(key: string, at: number, velocity: number): void {
    const follow = this.#heldInput.get(key);
    this.#heldInput.delete(key);
    for (const f of follow ?? []) {
      if (f.kind === 'note') {
        this.#noteOffIfHeld(f.owner, f.output, f.channel, f.note);
        continue;
      }
      const o = this.#pluginOwners.get(f.owner);
      if (o === undefined) continue;
      o.closing = true;
      const context: TriggerContext = { ...f.context, event: 'release', velocity, timestamp: at, current_mode: this.#modeIndex, mode_name: this.modeName };
      this.#callPlugin(f.plugin, f.action, context, f.params, f.owner);
    }
    const ids = this.#longPressByKey.get(key);
    this.#longPressByKey.delete(key);
    for (const id of ids ?? []) this.#cancel(id);
  }

  #noteOffIfHeld(owner: string, output: string, channel: number, note: number): void {
    // The tracker lets it through only if this owner still holds the note.
    this.#host.send(owner, output, [0x80 | (channel - 1), note, 0]);
  }

  #onTimer(id: string, at: number): void {
    const job = this.#jobs.get(id);
    if (job === undefined) return; // cancelled meanwhile: a stale timer is harmless
    this.#jobs.delete(id);
    switch (job.kind) {
      case 'sequence':
        runActions(this.#host, job.work, job.origin, job.data, at);
        break;
      case 'note-off':
        this.#noteOffIfHeld(job.owner, job.output, job.channel, job.note);
        break;
      case 'long-press':
        this.#longPressByKey.get(job.heldKey)?.delete(id);
        if (this.#heldInput.has(job.heldKey)) job.fire();
        break;
      case 'clock-watchdog':
        this.#watchdogTimer = null;
        this.#tempo.watchdog(at);
        break;
    }
  }

  #schedule(job: Job, at: number): string {
    const id = `t${this.#nextTimer++}`;
    this.#jobs.set(id, job);
    this.#out.push({ type: 'schedule-timer', id, at });
    return id;
  }

  #cancel(id: string): void {
    if (this.#jobs.delete(id)) this.#out.push({ type: 'cancel-timer', id });
  }

  // ----------------------------------------------------------------- modes

  #setMode(target: ModeTarget, source: ModeChangeSource, _at: number): void {
    if (this.#inMacro) {
      this.#notice('warn', 'mode_macro_mode_change', `mode "${this.modeName}": a mode change from on_enter/on_exit was ignored`);
      return;
    }
    const idx = this.#resolveMode(target);
    if (idx < 0) {
      this.#notice('warn', 'unknown_mode', `no mode "${String(target)}" (modes: ${this.#config.modes.map((m) => m.name).join(', ')})`);
      return;
    }
    if (idx === this.#modeIndex) return;
    const previous = this.modeName;
    const routesBefore = this.#routes.filter((r) => r.activeIn(previous));
    this.#runMacro('on_exit', this.#config.modes[this.#modeIndex]?.on_exit, _at);
    this.#leaveMode(previous);
    this.#modeIndex = idx;
    for (const r of routesBefore) if (!r.activeIn(this.modeName)) this.#out.push(...this.#notes.release(r.owner));
    this.#out.push({ type: 'mode-changed', index: idx, name: this.modeName, previous, source });
    this.#applyModeTempo(_at);
    this.#runMacro('on_enter', this.#config.modes[idx]?.on_enter, _at);
  }

  // --------------------------------------------------------------- setlist

  /**
   * Selecting a song sets the position and enters the song's mode. A song
   * whose mode is already current is entered again (its tempo and on_enter
   * run: the patches are recalled), without on_exit.
   */
  #setlist(target: SetlistTarget, source: ModeChangeSource, at: number): void {
    const setlist = this.#config.setlist;
    if (this.#inMacro) {
      this.#notice('warn', 'mode_macro_mode_change', `mode "${this.modeName}": a song change from on_enter/on_exit was ignored`);
      return;
    }
    if (setlist === undefined) {
      this.#notice('warn', 'no_setlist', 'no [setlist] in the config');
      return;
    }
    const r = resolveSong(setlist, this.#song, target);
    if ('stay' in r) return this.#notice('info', 'setlist_end', r.stay);
    if ('error' in r) return this.#notice('warn', 'unknown_song', r.error);
    const song = setlist.songs[r.index] as NonNullable<(typeof setlist.songs)[number]>;
    const previous = this.#song;
    this.#song = r.index;
    this.#out.push({ type: 'setlist-changed', index: r.index, name: songName(song), mode: song.mode, count: setlist.songs.length, previous, source });
    const mode = this.#findMode(song.mode);
    if (mode !== this.#modeIndex) {
      this.#setMode(mode, source, at);
      return;
    }
    this.#applyModeTempo(at);
    this.#runMacro('on_enter', this.#config.modes[mode]?.on_enter, at);
  }

  #restoreSong(saved: SongPosition | null): void {
    const r = reconcilePosition(this.#config.setlist, saved);
    this.#song = r.index;
    if (r.adjusted === null) return;
    this.#startupNotices.push(notice('warn', 'setlist_position_adjusted', `saved setlist position: ${r.adjusted}`));
    this.#startupNotices.push(this.#setlistChanged(saved?.index ?? null, 'startup'));
  }

  /** Reload: the same song where it still is (or moved to), else the same place clamped; the log says so. */
  #reconcileSong(previous: readonly { name: string }[] | undefined): void {
    if (this.#song === null) return;
    const before = previous?.[this.#song];
    const r = reconcilePosition(this.#config.setlist, before === undefined ? null : { index: this.#song, name: before.name });
    if (r.adjusted === null && r.index === this.#song) return;
    const was = this.#song;
    this.#song = r.index;
    if (r.adjusted !== null) this.#notice('warn', 'setlist_position_adjusted', `setlist position: ${r.adjusted}`);
    this.#out.push(this.#setlistChanged(was, 'config'));
  }

  #setlistChanged(previous: number | null, source: ModeChangeSource): EngineEffect {
    const songs = this.#config.setlist?.songs ?? [];
    const song = this.#song === null ? undefined : songs[this.#song];
    return { type: 'setlist-changed', index: this.#song, name: song === undefined ? null : songName(song), mode: song?.mode ?? null, count: songs.length, previous, source };
  }

  #setlistSnapshot(): SetlistSnapshot {
    return { position: this.#song, songs: (this.#config.setlist?.songs ?? []).map((s) => ({ name: songName(s), mode: s.mode })) };
  }

  /**
   * Song macros. on_exit runs as "global" work so its notes and delayed steps
   * outlive the mode being left (the mode's own notes are released right after);
   * on_enter runs as the new mode's work, released and cancelled when it is left.
   */
  #runMacro(which: 'on_enter' | 'on_exit', actions: readonly Action[] | undefined, at: number): void {
    if (actions === undefined || actions.length === 0) return;
    this.#inMacro = true;
    try {
      runActions(this.#host, actions.slice(), which === 'on_exit' ? 'global' : 'mode', MACRO_DATA, at);
    } finally {
      this.#inMacro = false;
    }
  }

  /** A mode with a `tempo` sets the internal clock when entered (the clock keeps running). */
  #applyModeTempo(at: number): void {
    const tempo = this.#config.modes[this.#modeIndex]?.tempo;
    if (tempo !== undefined) this.#tempo.request({ kind: 'set', bpm: tempo }, at, true);
  }

  /** No stuck notes: everything the mode holds (its plugins' notes too) is released and its pending work cancelled. */
  #leaveMode(name: string): void {
    this.#out.push(...this.#notes.release(`mode:${name}`));
    for (const [owner, o] of this.#pluginOwners) if (o.mode === name) this.#out.push(...this.#notes.release(owner));
    for (const [id, job] of this.#jobs) if (job.origin === 'mode') this.#cancel(id);
    this.#matcher.reset('m');
  }

  #resolveMode(target: ModeTarget): number {
    const n = this.#config.modes.length;
    if (typeof target === 'number') return Number.isInteger(target) && target >= 0 && target < n ? target : -1;
    if (target === 'next') return (this.#modeIndex + 1) % n;
    if (target === 'prev') return (this.#modeIndex - 1 + n) % n;
    return this.#findMode(target);
  }

  #findMode(name: string): number {
    const exact = this.#config.modes.findIndex((m) => m.name === name);
    if (exact >= 0 || (RESERVED_MODE_NAMES as readonly string[]).includes(name)) return exact;
    const lower = name.toLowerCase();
    return this.#config.modes.findIndex((m) => m.name.toLowerCase() === lower);
  }

  #initialIndex(config: EngineConfig): number {
    const name = config.mode_switching.initial_mode;
    const idx = name === undefined ? -1 : config.modes.findIndex((m) => m.name === name);
    return idx >= 0 ? idx : 0;
  }

  // ---------------------------------------------------------------- config

  #prepare(config: EngineConfig): void {
    this.#routes = config.routes.map((r) => new PreparedRoute(r));
    const globalRefs = config.global_mappings.map((mapping, j) => ref(`g${j}`, mapping, j, true));
    this.#activeByMode = config.modes.map((mode, i) => mode.mappings.map((mapping, j) => ref(`m${i}.${j}`, mapping, j, false)).concat(globalRefs));
    this.#beatsByMode = this.#activeByMode.map((refs) => refs.some((r) => r.mapping.enabled && r.mapping.trigger.type === 'Beat'));
  }

  /** Hot reload in place: held notes are released only where their mode or route vanished or changed. */
  #replaceConfig(next: EngineConfig, _at: number): void {
    const previous = this.modeName;
    const nextRoutes = new Map(next.routes.map((r) => [r.name, r]));
    let newIndex = next.modes.findIndex((m) => m.name === previous);
    const modeVanished = newIndex < 0;
    if (modeVanished) newIndex = this.#initialIndex(next);
    const newModeName = (next.modes[newIndex] as { name: string }).name;
    for (const r of this.#routes) {
      const after = nextRoutes.get(r.route.name);
      const same = after !== undefined && JSON.stringify(after) === JSON.stringify(r.route);
      if (!same || !new PreparedRoute(after).activeIn(newModeName)) this.#out.push(...this.#notes.release(r.owner));
    }
    if (modeVanished) {
      this.#runMacro('on_exit', this.#config.modes[this.#modeIndex]?.on_exit, _at);
      this.#leaveMode(previous);
    }
    for (const owner of this.#notes.owners()) {
      if (owner.startsWith('mode:') && !next.modes.some((m) => `mode:${m.name}` === owner)) this.#out.push(...this.#notes.release(owner));
    }
    for (const [owner, o] of this.#pluginOwners) {
      if (o.mode !== null && !next.modes.some((m) => m.name === o.mode)) this.#out.push(...this.#notes.release(owner));
    }
    // Mapping indices may have shifted: drop gesture state and armed long presses.
    for (const [id, job] of this.#jobs) if (job.kind === 'long-press') this.#cancel(id);
    this.#longPressByKey.clear();
    this.#matcher.reset();
    const previousConfig = this.#config;
    const songsBefore = this.#setlistSnapshot().songs;
    this.#config = next;
    this.#prepare(next);
    this.#modeIndex = newIndex;
    if (modeVanished) this.#out.push({ type: 'mode-changed', index: newIndex, name: newModeName, previous, source: 'config' });
    // The clock keeps running through a reload; a changed mode tempo applies like entering the mode.
    this.#tempo.reconfigure(next.clock, _at);
    const before = previousConfig.modes.find((m) => m.name === previous)?.tempo;
    if (modeVanished || next.modes[newIndex]?.tempo !== before) this.#applyModeTempo(_at);
    if (modeVanished) this.#runMacro('on_enter', next.modes[newIndex]?.on_enter, _at);
    this.#reconcileSong(songsBefore);
    this.#notice('info', 'config_applied', `config applied (${next.modes.length} modes, ${next.routes.length} routes)`);
  }

  // ------------------------------------------------------------- the host

  #notice(level: NoticeLevel, code: string, message: string): void {
    this.#out.push(notice(level, code, message));
  }

  #makeHost(): ActionHost {
    const self = this;
    return {
      get noteDurationMs() {
        return self.#config.timing.note_duration_ms;
      },
      get sysexMaxBytes() {
        return self.#config.sysex.max_bytes;
      },
      modeIndex: () => this.#modeIndex,
      modeName: () => this.modeName,
      ownerFor: (origin: Origin) => (origin === 'global' ? 'global' : `mode:${this.modeName}`),
      send: (owner, output, bytes) => {
        for (let n = this.#notes.admit(owner, output, bytes); n > 0; n--) this.#out.push({ type: 'midi-out', output, bytes });
      },
      follow: (heldKey, owner, output, channel, note) => {
        const list = this.#heldInput.get(heldKey);
        if (list === undefined) return false;
        list.push({ kind: 'note', owner, output, channel, note });
        return true;
      },
      setMode: (target, source, at) => this.#setMode(target, source, at),
      setlist: (target, at) => this.#setlist(target, 'mapping', at),
      pluginCall: (plugin, action, context: TriggerContext, params, origin, heldKey) => {
        const mode = origin === 'global' ? null : this.modeName;
        const follow = heldKey === null ? undefined : this.#heldInput.get(heldKey);
        if (follow === undefined) {
          this.#callPlugin(plugin, action, context, params, this.#sharedPluginOwner(plugin, mode));
          return;
        }
        // Fired by a key that is still down: the plugin hears its release too, and its notes follow the key.
        const owner = `plugin:${plugin}@${mode === null ? 'global' : `mode:${mode}`}#key${this.#nextKeyOwner++}`;
        this.#pluginOwners.set(owner, { plugin, mode, pending: 0, closing: false });
        const press: TriggerContext = { ...context, event: 'press' };
        follow.push({ kind: 'plugin', plugin, action, params, owner, context: press });
        this.#callPlugin(plugin, action, press, params, owner);
      },
      panic: () => this.#panic('mapping'),
      schedule: (job, at) => void this.#schedule(job, at),
      notice: (level, code, message) => this.#notice(level, code, message),
      localMinutes: (at) => {
        const m = Math.floor(at / 60_000 + this.#offset(at)) % 1440;
        return m < 0 ? m + 1440 : m;
      },
      tempo: () => this.#tempo.info(),
      tempoCommand: (command: TempoCommand, at: number) => this.#tempo.request(command, at),
    };
  }

  #makeTempoHost(): TempoHost {
    return {
      send: (bytes) => {
        for (const output of this.#config.clock.outputs) this.#out.push({ type: 'midi-out', output, bytes });
      },
      schedule: (running, bpm, restart) => this.#out.push({ type: 'clock-schedule', running, bpm, restart }),
      changed: (cause) => this.#out.push({ type: 'tempo-changed', cause, tempo: this.#tempo.info() }),
      tick: (tick, at) => {
        if (!this.#beatsByMode[this.#modeIndex]) return;
        for (const match of this.#matcher.matchBeat(this.#activeRefs(), tick, this.#config.clock.beats_per_bar)) this.#fire(match, at);
      },
      notice: (level, code, message) => this.#notice(level, code, message),
      armWatchdog: (at) => {
        if (this.#watchdogTimer !== null) this.#cancel(this.#watchdogTimer);
        this.#watchdogTimer = this.#schedule({ kind: 'clock-watchdog', origin: 'global' }, at);
      },
    };
  }
}

const SYSEX: ParsedMidi = { kind: 'sysex' };

/** Macros have no triggering event: "pass" values fall back to their defaults. */
const MACRO_DATA: FireData = {
  trigger: 'Footswitch',
  device: null,
  channel: null,
  note: null,
  velocity: null,
  cc: null,
  value: null,
  raw7: null,
  heldKey: null,
};

function ref(id: string, mapping: Mapping, index: number, global: boolean): MappingRef {
  return { ref: id, mapping, index, global };
}

function notice(level: NoticeLevel, code: string, message: string): EngineEffect {
  return { type: 'notice', level, code, message };
}
