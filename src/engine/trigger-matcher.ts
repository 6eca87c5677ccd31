/**
 * Decides which mappings an input fires. Stateless triggers are a pure match;
 * DoubleTap and NoteChord keep the last press times here; LongPress only asks
 * the engine for a timer (the engine owns timers). Time comes from the
 * event's `at`, so windows are exact under a fake clock.
 */
import type { EngineConfig, Mapping, Timing, Trigger } from './config-types.js';
import { decodeEncoder, type ParsedMidi } from './midi-message.js';
import { deviceMatches } from './name-pattern.js';
import type { FootswitchEvent } from './inputs.js';
import { PPQN, ticksPerDivision } from './tempo.js';
import { describeSysex, matchSysex, parseSysexPattern } from './sysex-pattern.js';

/** What a fired trigger hands to its action ("pass" values and the plugin context extras). */
export interface FireData {
  readonly trigger: Trigger['type'];
  readonly device: string | null;
  readonly channel: number | null;
  readonly note: number | null;
  readonly velocity: number | null;
  readonly cc: number | null;
  /** CC value, encoder delta, signed pitch bend, pressure, program. */
  readonly value: number | null;
  /** The 7-bit data value for "pass" into 7-bit fields. */
  readonly raw7: number | null;
  /** Input note key while that note is held (SendMidi "note" follows its release). */
  readonly heldKey: string | null;
  /** SysEx triggers: the bytes captured by the pattern's $names. */
  readonly captures?: Readonly<Record<string, readonly number[]>> | undefined;
  /** SysEx triggers: the whole message (plugins receive it). */
  readonly sysex?: readonly number[] | undefined;
}

export interface MappingRef {
  /** Stable within one config: "m<mode>.<index>" or "g<index>". */
  readonly ref: string;
  readonly mapping: Mapping;
  readonly index: number;
  readonly global: boolean;
}

export interface Match {
  readonly ref: MappingRef;
  readonly data: FireData;
}

export interface LongPressRequest {
  readonly ref: MappingRef;
  readonly heldKey: string;
  readonly due: number;
  readonly data: FireData;
}

const NO_DATA = { device: null, channel: null, note: null, velocity: null, cc: null, value: null, raw7: null, heldKey: null };

export class TriggerMatcher {
  readonly #lastTap = new Map<string, number>();
  readonly #chords = new Map<string, Map<number, number>>();

  /** Forget gesture state (mappings changed or a mode was left). `prefix` limits it to refs starting with it. */
  reset(prefix = ''): void {
    for (const k of this.#lastTap.keys()) if (k.startsWith(prefix)) this.#lastTap.delete(k);
    for (const k of this.#chords.keys()) if (k.startsWith(prefix)) this.#chords.delete(k);
  }

  matchMidi(
    refs: readonly MappingRef[],
    m: ParsedMidi,
    device: string,
    alias: string | undefined,
    at: number,
    timing: Timing,
    longPresses: LongPressRequest[],
  ): Match[] {
    const out: Match[] = [];
    if (!('channel' in m)) return out;
    for (const ref of refs) {
      const t = ref.mapping.trigger;
      if (t.type === 'Footswitch' || t.type === 'Beat' || t.type === 'SysEx' || !ref.mapping.enabled) continue;
      if (!channelOk(t.channel, m.channel) || (t.device !== undefined && !deviceMatches(t.device, device, alias))) continue;
      const base = { ...NO_DATA, trigger: t.type, device, channel: m.channel };
      switch (t.type) {
        case 'Note':
        case 'VelocityRange':
        case 'LongPress':
        case 'DoubleTap': {
          if (m.kind !== 'note_on' || m.note < t.note || m.note > (t.type === 'Note' ? (t.note_max ?? t.note) : t.note)) break;
          const heldKey = `${device}|${m.channel}|${m.note}`;
          const data: FireData = { ...base, note: m.note, velocity: m.velocity, value: m.velocity, raw7: m.velocity, heldKey };
          if (t.type === 'Note') {
            if (m.velocity >= t.velocity_min) out.push({ ref, data });
          } else if (t.type === 'VelocityRange') {
            const [lo, hi] = velocityBounds(t, timing);
            if (m.velocity >= lo && m.velocity <= hi) out.push({ ref, data });
          } else if (t.type === 'LongPress') {
            longPresses.push({ ref, heldKey, due: at + (t.hold_ms ?? timing.long_press_ms), data });
          } else {
            const key = `${ref.ref}|${heldKey}`;
            const last = this.#lastTap.get(key);
            if (last !== undefined && at - last <= (t.window_ms ?? timing.double_tap_ms)) {
              this.#lastTap.delete(key);
              out.push({ ref, data });
            } else this.#lastTap.set(key, at);
          }
          break;
        }
        case 'NoteChord': {
          if ((m.kind !== 'note_on' && m.kind !== 'note_off') || !t.notes.includes(m.note)) break;
          const key = `${ref.ref}|${device}|${m.channel}`;
          let pressed = this.#chords.get(key);
          if (m.kind === 'note_off') {
            pressed?.delete(m.note);
            break;
          }
          if (pressed === undefined) this.#chords.set(key, (pressed = new Map()));
          pressed.set(m.note, at);
          const window = t.window_ms ?? timing.chord_window_ms;
          for (const [n, when] of pressed) if (at - when > window) pressed.delete(n);
          if (pressed.size === t.notes.length) {
            pressed.clear();
            out.push({ ref, data: { ...base, note: m.note, velocity: m.velocity, value: m.velocity, raw7: m.velocity } });
          }
          break;
        }
        case 'CC':
          if (m.kind === 'cc' && m.cc === t.cc && m.value >= t.min_value && m.value <= t.max_value) {
            out.push({ ref, data: { ...base, cc: m.cc, value: m.value, raw7: m.value } });
          }
          break;
        case 'EncoderTurn': {
          if (m.kind !== 'cc' || m.cc !== t.cc) break;
          const delta = decodeEncoder(m.value, t.encoding);
          if (delta === 0 || (t.direction === 'cw' && delta < 0) || (t.direction === 'ccw' && delta > 0)) break;
          out.push({ ref, data: { ...base, cc: m.cc, value: delta, raw7: m.value } });
          break;
        }
        case 'ProgramChange':
          if (m.kind === 'program_change' && (t.program === undefined || t.program === m.program)) {
            out.push({ ref, data: { ...base, value: m.program, raw7: m.program } });
          }
          break;
        case 'PitchBend':
          if (m.kind === 'pitch_bend' && m.value >= t.min_value && m.value <= t.max_value) {
            out.push({ ref, data: { ...base, value: m.value, raw7: (m.value + 8192) >> 7 } });
          }
          break;
        case 'Aftertouch': {
          const poly = m.kind === 'poly_aftertouch';
          if (!poly && m.kind !== 'channel_aftertouch') break;
          if ((t.kind === 'channel' && poly) || (t.kind === 'poly' && !poly)) break;
          if (t.note !== undefined && (!poly || m.note !== t.note)) break;
          if (m.value < t.min_value || m.value > t.max_value) break;
          out.push({ ref, data: { ...base, note: poly ? m.note : null, value: m.value, raw7: m.value } });
          break;
        }
      }
    }
    return out;
  }

  /**
   * SysEx triggers matching the whole message `bytes`. `value` (and "pass")
   * is the first captured byte, when the pattern captures anything.
   */
  matchSysex(refs: readonly MappingRef[], bytes: readonly number[], device: string, alias: string | undefined): Match[] {
    const out: Match[] = [];
    for (const ref of refs) {
      const t = ref.mapping.trigger;
      if (t.type !== 'SysEx' || !ref.mapping.enabled) continue;
      if (t.device !== undefined && !deviceMatches(t.device, device, alias)) continue;
      const captures = matchSysex(parseSysexPattern(t.pattern), bytes);
      if (captures === null) continue;
      let first: number | null = null;
      for (const k in captures) {
        first = captures[k]?.[0] ?? null;
        break;
      }
      out.push({ ref, data: { ...NO_DATA, trigger: 'SysEx', device, value: first, raw7: first, captures, sysex: bytes } });
    }
    return out;
  }

  /** Beat triggers whose division falls on song position `tick`; the context value is the beat in the bar (1-based). */
  matchBeat(refs: readonly MappingRef[], tick: number, beatsPerBar: number): Match[] {
    const out: Match[] = [];
    const beatInBar = (Math.floor(tick / PPQN) % beatsPerBar) + 1;
    for (const ref of refs) {
      const t = ref.mapping.trigger;
      if (!ref.mapping.enabled || t.type !== 'Beat') continue;
      if (tick % ticksPerDivision(t.division, beatsPerBar) !== 0) continue;
      out.push({ ref, data: { ...NO_DATA, trigger: 'Beat', value: beatInBar, raw7: Math.min(127, beatInBar) } });
    }
    return out;
  }

  matchFootswitch(refs: readonly MappingRef[], e: FootswitchEvent): Match[] {
    const out: Match[] = [];
    for (const ref of refs) {
      const t = ref.mapping.trigger;
      if (!ref.mapping.enabled || t.type !== 'Footswitch') continue;
      if (t.switch.toLowerCase() !== e.switch.toLowerCase() || t.gesture !== e.gesture) continue;
      out.push({ ref, data: { ...NO_DATA, trigger: 'Footswitch', device: e.switch } });
    }
    return out;
  }
}

/** True when a SysEx trigger (in any mode, enabled) may fire on input `device`: RtMidi must then deliver SysEx from it. */
export function sysexTriggersWant(config: Pick<EngineConfig, 'modes' | 'global_mappings'>, device: string, alias: string | undefined): boolean {
  const wants = (m: Mapping) => m.enabled && m.trigger.type === 'SysEx' && (m.trigger.device === undefined || deviceMatches(m.trigger.device, device, alias));
  return config.global_mappings.some(wants) || config.modes.some((mode) => mode.mappings.some(wants));
}

function channelOk(filter: number | number[] | undefined, channel: number): boolean {
  if (filter === undefined) return true;
  return typeof filter === 'number' ? filter === channel : filter.includes(channel);
}

function velocityBounds(t: Extract<Trigger, { type: 'VelocityRange' }>, timing: Timing): [number, number] {
  switch (t.band) {
    case 'soft':
      return [1, timing.velocity_soft_max];
    case 'medium':
      return [timing.velocity_soft_max + 1, timing.velocity_medium_max];
    case 'hard':
      return [timing.velocity_medium_max + 1, 127];
    default:
      return [t.min_velocity ?? 1, t.max_velocity ?? 127];
  }
}

/** A short human label for the status screen ("Note 60", "Footswitch left long"). */
export function describeTrigger(t: Trigger): string {
  switch (t.type) {
    case 'Note':
      return t.note_max === undefined || t.note_max === t.note ? `Note ${t.note}` : `Notes ${t.note}-${t.note_max}`;
    case 'LongPress':
    case 'DoubleTap':
      return `${t.type} ${t.note}`;
    case 'VelocityRange':
      return `Velocity ${t.note} ${t.band ?? `${t.min_velocity ?? 1}-${t.max_velocity ?? 127}`}`;
    case 'NoteChord':
      return `Chord ${t.notes.join('+')}`;
    case 'CC':
      return `CC ${t.cc}`;
    case 'EncoderTurn':
      return `Encoder CC ${t.cc}`;
    case 'ProgramChange':
      return `PC ${t.program ?? 'any'}`;
    case 'PitchBend':
      return 'Pitch bend';
    case 'Aftertouch':
      return `Aftertouch ${t.kind}`;
    case 'Footswitch':
      return `Footswitch ${t.switch} ${t.gesture}`;
    case 'Beat':
      return `Beat ${t.division}`;
    case 'SysEx':
      return `SysEx ${describeSysex(t.pattern)}`;
  }
}
