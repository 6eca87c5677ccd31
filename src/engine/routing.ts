/**
 * Thru routes: filter, then transform, one message at a time. Prepared once
 * per config (sets instead of arrays) because every incoming message crosses
 * this code.
 */
import type { Route, RouteMessageType } from './config-types.js';
import { applyCurve, routeType, type ParsedMidi } from './midi-message.js';
import { deviceMatches } from './name-pattern.js';

export class PreparedRoute {
  readonly route: Route;
  readonly owner: string;
  readonly #channels: ReadonlySet<number> | null;
  readonly #types: ReadonlySet<RouteMessageType> | null;

  constructor(route: Route) {
    this.route = route;
    this.owner = `route:${route.name}`;
    this.#channels = route.channels === undefined ? null : new Set(route.channels);
    this.#types = route.types === undefined ? null : new Set(route.types);
  }

  activeIn(modeName: string): boolean {
    return this.route.enabled && (this.route.modes === undefined || this.route.modes.includes(modeName));
  }

  /** Plugin sources (`plugin:NAME`) only reach routes whose `from` starts with `plugin:`, so `from = "*"` never loops plugin output. */
  accepts(source: string, alias?: string): boolean {
    if (source.startsWith('plugin:') !== this.route.from.startsWith('plugin:')) return false;
    return deviceMatches(this.route.from, source, alias);
  }

  /** The bytes to send to `route.to`, or null when the filters drop the message. */
  apply(m: ParsedMidi, bytes: readonly number[]): readonly number[] | null {
    const type = routeType(m);
    if (type === null) return null;
    if (type === 'clock' && this.route.drop_clock) return null;
    if (type === 'active_sensing' && this.route.drop_active_sensing) return null;
    if (this.#types !== null && !this.#types.has(type)) return null;
    if (!('channel' in m)) return bytes;
    if (this.#channels !== null && !this.#channels.has(m.channel)) return null;
    const { to_channel, transpose, velocity_curve } = this.route;
    if (to_channel === undefined && transpose === 0 && velocity_curve === undefined) return bytes;
    const out = bytes.slice() as number[];
    if (to_channel !== undefined) out[0] = ((out[0] as number) & 0xf0) | (to_channel - 1);
    if (m.kind === 'note_on' || m.kind === 'note_off' || m.kind === 'poly_aftertouch') {
      const note = m.note + transpose;
      if (note < 0 || note > 127) return null;
      out[1] = note;
      if (m.kind === 'note_on' && velocity_curve !== undefined) out[2] = applyCurve(m.velocity, velocity_curve);
    }
    return out;
  }

  /** True when the route needs RtMidi to deliver clock / sysex from its inputs. */
  get wantsClock(): boolean {
    return this.route.enabled && !this.route.drop_clock && (this.#types === null || this.#types.has('clock'));
  }

  get wantsSysex(): boolean {
    return this.route.enabled && (this.#types === null || this.#types.has('sysex'));
  }

  get wantsActiveSensing(): boolean {
    return this.route.enabled && !this.route.drop_active_sensing && (this.#types === null || this.#types.has('active_sensing'));
  }
}

export interface InputNeeds {
  readonly sysex: boolean;
  readonly clock: boolean;
  readonly activeSensing: boolean;
}

/** What RtMidi must not ignore on input `device` (for `ignoreTypes`). */
export function inputNeeds(routes: readonly Route[], device: string, alias?: string): InputNeeds {
  let sysex = false;
  let clock = false;
  let activeSensing = false;
  for (const r of routes) {
    const p = new PreparedRoute(r);
    if (!p.accepts(device, alias)) continue;
    sysex ||= p.wantsSysex;
    clock ||= p.wantsClock;
    activeSensing ||= p.wantsActiveSensing;
  }
  return { sysex, clock, activeSensing };
}
