/**
 * What `midimon monitor` streams: one JSON object per line after the
 * `{ok:true,result:{streaming:true}}` answer. Shapes are documented in
 * docs/configuration.md (control socket) so tests and tools can consume them.
 * `at` is unix milliseconds from the box's clock.
 */

export type MonitorEvent =
  /** A MIDI message reached the engine from an input port, or from `midimon send` (`injected`). */
  | { readonly type: 'midi-in'; readonly at: number; readonly device: string; readonly alias?: string; readonly bytes: readonly number[]; readonly text: string; readonly injected: boolean }
  /** The engine sent a message to `output` (a pattern or alias, "*" = all); `ports` is how many open ports got it. */
  | { readonly type: 'midi-out'; readonly at: number; readonly output: string; readonly bytes: readonly number[]; readonly text: string; readonly ports: number }
  /** A classified footswitch gesture reached the box (real switch, simulated key or `midimon send`). */
  | { readonly type: 'footswitch'; readonly at: number; readonly switch: string; readonly gesture: string; readonly injected: boolean }
  /** A mapping fired. `mapping` is 1-based within its mode (or the global list when `mode` is null). */
  | { readonly type: 'trigger'; readonly at: number; readonly mode: string | null; readonly mapping: number; readonly trigger: string; readonly description: string }
  /** A plugin action finished: `status` returned (with `code`) or error (with `error`); fuel and microseconds when the host measured them. */
  | {
      readonly type: 'plugin';
      readonly at: number;
      readonly plugin: string;
      readonly action: string;
      readonly status: 'returned' | 'error';
      readonly code?: number;
      readonly meaning?: string;
      readonly error?: { readonly kind: string; readonly message: string };
      readonly fuel?: number;
      readonly us?: number;
    }
  /** The mode changed. `number` is 1-based, as people count (`midimon mode`, the OLED, the log). */
  | { readonly type: 'mode'; readonly at: number; readonly name: string; readonly number: number; readonly count: number; readonly previous: string | null; readonly source: string }
  /** An engine notice (a device came or went, a plugin failed, ...). */
  | { readonly type: 'notice'; readonly at: number; readonly level: string; readonly code: string; readonly message: string }
  /** The client read too slowly: `count` events were dropped (MIDI is never held up for a monitor). */
  | { readonly type: 'dropped'; readonly at: number; readonly count: number };

export type MonitorEventType = MonitorEvent['type'];
export const MONITOR_EVENT_TYPES: readonly MonitorEventType[] = ['midi-in', 'midi-out', 'footswitch', 'trigger', 'plugin', 'mode', 'notice', 'dropped'];

/** A subscription to the box's event stream; returns the unsubscribe function. */
export type MonitorSubscribe = (listener: (event: MonitorEvent) => void) => () => void;
