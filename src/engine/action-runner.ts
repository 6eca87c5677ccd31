/**
 * Runs an action tree to effects. Sequence, Repeat and Conditional are
 * unrolled into a work list; a Delay parks the rest of the list in a timer
 * job and returns, so nothing ever waits. "pass" values come from the fired
 * trigger.
 */
import type { Action, Condition, SendMidiAction } from './config-types.js';
import {
  applyCurve,
  channelAftertouch,
  controlChange,
  noteOff,
  noteOn,
  pitchBend,
  polyAftertouch,
  programChange,
} from './midi-message.js';
import type { FireData } from './trigger-matcher.js';
import { parseSysexTemplate, renderSysex } from './sysex-pattern.js';
import type { ModeChangeSource, NoticeLevel, TempoCommand, TempoInfo, TriggerContext } from './types.js';

/** Mapping origin: global mappings own their notes as "global", mode mappings as the current mode. */
export type Origin = 'global' | 'mode';

export type Job =
  | { readonly kind: 'sequence'; readonly origin: Origin; readonly work: Action[]; readonly data: FireData }
  | { readonly kind: 'note-off'; readonly origin: Origin; readonly owner: string; readonly output: string; readonly channel: number; readonly note: number }
  | { readonly kind: 'long-press'; readonly origin: Origin; readonly heldKey: string; readonly fire: () => void }
  | { readonly kind: 'clock-watchdog'; readonly origin: 'global' };

/** What the runner needs from the engine. */
export interface ActionHost {
  readonly noteDurationMs: number;
  /** [sysex] max_bytes: larger SysEx is dropped with a notice, never truncated. */
  readonly sysexMaxBytes: number;
  modeIndex(): number;
  modeName(): string;
  ownerFor(origin: Origin): string;
  /** Sends unless the note tracker refuses (a note-off for a note `owner` does not hold). */
  send(owner: string, output: string, bytes: readonly number[]): void;
  /** Registers a note to be released with the held input note; false if that note is no longer held. */
  follow(heldKey: string, owner: string, output: string, channel: number, note: number): boolean;
  setMode(target: string, source: ModeChangeSource, at: number): void;
  /** Select a song: next/prev, a 0-based index or a name. */
  setlist(target: 'next' | 'prev' | number | string, at: number): void;
  /** `heldKey`: the input note the mapping fired on, if any (the call then follows that key's release). */
  pluginCall(plugin: string, action: string, context: TriggerContext, params: Readonly<Record<string, unknown>> | undefined, origin: Origin, heldKey: string | null): void;
  panic(): void;
  schedule(job: Job, at: number): void;
  notice(level: NoticeLevel, code: string, message: string): void;
  /** Minutes since local midnight at `at`. */
  localMinutes(at: number): number;
  tempo(): TempoInfo;
  tempoCommand(command: TempoCommand, at: number): void;
}

/** One trigger can expand to at most this many actions (nested Repeats multiply). */
const MAX_ACTIONS_PER_RUN = 10_000;

export function runActions(host: ActionHost, work: Action[], origin: Origin, data: FireData, at: number): void {
  let budget = MAX_ACTIONS_PER_RUN;
  while (work.length > 0) {
    if (--budget < 0) {
      host.notice('warn', 'action_budget', `an action expanded to more than ${MAX_ACTIONS_PER_RUN} steps; the rest was dropped`);
      return;
    }
    const a = work.shift() as Action;
    switch (a.type) {
      case 'Sequence':
        work.unshift(...a.actions);
        break;
      case 'Repeat': {
        const expanded: Action[] = [];
        for (let i = 0; i < a.count; i++) {
          expanded.push(a.action);
          if (a.interval_ms > 0 && i < a.count - 1) expanded.push({ type: 'Delay', ms: a.interval_ms });
        }
        work.unshift(...expanded);
        break;
      }
      case 'Conditional': {
        const branch = evaluate(host, a.condition, at) ? a.then : a.else;
        if (branch !== undefined) work.unshift(branch);
        break;
      }
      case 'Delay':
        if (a.ms > 0 && work.length > 0) {
          host.schedule({ kind: 'sequence', origin, work, data }, at + a.ms);
          return;
        }
        break;
      case 'ModeChange':
        host.setMode(a.mode, 'mapping', at);
        break;
      case 'SetlistNext':
        host.setlist('next', at);
        break;
      case 'SetlistPrev':
        host.setlist('prev', at);
        break;
      case 'SetlistGoto':
        // People count songs from 1; the engine from 0.
        host.setlist(typeof a.song === 'number' ? a.song - 1 : a.song, at);
        break;
      case 'Plugin':
        host.pluginCall(a.plugin, a.action, context(host, data, at), a.params, origin, data.heldKey);
        break;
      case 'Panic':
        host.panic();
        break;
      case 'SendMidi':
        sendMidi(host, a, origin, data, at);
        break;
      case 'Tempo':
        if (a.bpm !== undefined) host.tempoCommand({ kind: 'set', bpm: a.bpm }, at);
        else if (a.nudge !== undefined) host.tempoCommand({ kind: 'nudge', by: a.nudge }, at);
        else if (a.tap === true) host.tempoCommand({ kind: 'tap' }, at);
        break;
      case 'Clock':
        host.tempoCommand({ kind: 'transport', command: a.command }, at);
        break;
    }
  }
}

export function context(host: ActionHost, d: FireData, at: number): TriggerContext {
  const c: TriggerContext = {
    velocity: d.velocity,
    current_mode: host.modeIndex(),
    timestamp: at,
    mode_name: host.modeName(),
    channel: d.channel,
    note: d.note,
    cc: d.cc,
    value: d.value,
    trigger: d.trigger,
    device: d.device,
    tempo: host.tempo(),
  };
  return d.sysex === undefined ? c : { ...c, sysex: d.sysex, captures: d.captures ?? {} };
}

function evaluate(host: ActionHost, c: Condition, at: number): boolean {
  switch (c.type) {
    case 'ModeIs':
      return host.modeName() === c.mode;
    case 'TimeRange': {
      const now = host.localMinutes(at);
      const start = minutes(c.start);
      const end = minutes(c.end);
      if (start === end) return true;
      return start < end ? now >= start && now < end : now >= start || now < end;
    }
    case 'And':
      return c.conditions.every((x) => evaluate(host, x, at));
    case 'Or':
      return c.conditions.some((x) => evaluate(host, x, at));
    case 'Not':
      return !evaluate(host, c.condition, at);
  }
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

function pass(v: number | 'pass', fallback: number | null, dflt: number): number {
  return v === 'pass' ? (fallback ?? dflt) : v;
}

function sendMidi(host: ActionHost, a: SendMidiAction, origin: Origin, d: FireData, at: number): void {
  const output = a.output ?? '*';
  const owner = host.ownerFor(origin);
  if (a.message === 'raw') {
    host.send(owner, output, a.bytes.slice());
    return;
  }
  if (a.message === 'sysex') {
    sendSysex(host, a, owner, output, d);
    return;
  }
  const ch = a.channel;
  const vel7 = d.velocity ?? d.raw7;
  switch (a.message) {
    case 'note_on': {
      const v = a.velocity === 'pass' ? applyCurve(vel7 ?? 100, a.curve) : a.velocity;
      host.send(owner, output, noteOn(ch, pass(a.note, d.note, 60), Math.max(1, v)));
      break;
    }
    case 'note_off':
      host.send(owner, output, noteOff(ch, pass(a.note, d.note, 60), a.velocity));
      break;
    case 'note': {
      const note = pass(a.note, d.note, 60);
      const v = a.velocity === 'pass' ? applyCurve(vel7 ?? 100, a.curve) : a.velocity;
      host.send(owner, output, noteOn(ch, note, Math.max(1, v)));
      // Without a duration the note lasts as long as the triggering key; otherwise a timer ends it.
      if (a.duration_ms === undefined && d.heldKey !== null && host.follow(d.heldKey, owner, output, ch, note)) break;
      host.schedule({ kind: 'note-off', origin, owner, output, channel: ch, note }, at + (a.duration_ms ?? host.noteDurationMs));
      break;
    }
    case 'cc':
      host.send(owner, output, controlChange(ch, a.cc, a.value === 'pass' ? applyCurve(d.raw7 ?? 0, a.curve) : a.value));
      break;
    case 'program_change':
      host.send(owner, output, programChange(ch, pass(a.program, d.raw7, 0)));
      break;
    case 'pitch_bend': {
      const v = a.value === 'pass' ? (d.trigger === 'PitchBend' ? (d.value ?? 0) : ((d.raw7 ?? 64) << 7) - 8192) : a.value;
      host.send(owner, output, pitchBend(ch, v));
      break;
    }
    case 'aftertouch':
      host.send(owner, output, channelAftertouch(ch, a.value === 'pass' ? applyCurve(d.raw7 ?? 0, a.curve) : a.value));
      break;
    case 'poly_aftertouch':
      host.send(
        owner,
        output,
        polyAftertouch(ch, pass(a.note, d.note, 60), a.value === 'pass' ? applyCurve(d.raw7 ?? 0, a.curve) : a.value),
      );
      break;
  }
}

/**
 * Fixed bytes were checked at load; values from the trigger are checked here:
 * one that does not fit the data range drops the whole message with a notice
 * (a clamped or masked byte would silently change what the synth is told).
 */
function sendSysex(host: ActionHost, a: Extract<SendMidiAction, { message: 'sysex' }>, owner: string, output: string, d: FireData): void {
  const rendered = renderSysex(parseSysexTemplate(a.bytes), {
    captures: d.captures ?? null,
    note: d.note,
    velocity: d.velocity,
    cc: d.cc,
    value: d.value,
  });
  if ('error' in rendered) {
    host.notice('warn', 'sysex_value_out_of_range', `SendMidi sysex not sent: ${rendered.error}`);
    return;
  }
  if (rendered.bytes.length > host.sysexMaxBytes) {
    host.notice('warn', 'sysex_too_large', `SendMidi sysex not sent: ${rendered.bytes.length} bytes is over sysex.max_bytes = ${host.sysexMaxBytes}`);
    return;
  }
  host.send(owner, output, rendered.bytes);
}
