/**
 * MIDI learn's pure half: which trigger an incoming event becomes, a short
 * label for it (OLED, CLI), the actions the menu offers for it, and the
 * `--action` argument of `midimon learn`. No I/O; the box and the CLI use it.
 */
import { parse, TomlError } from 'smol-toml';
import { MidimonError } from '../errors.js';
import { actionSchema } from './mappings-schema.js';
import { tomlInline } from './toml-inline.js';

/** An input event as the learn capture sees it. */
export type LearnEvent =
  | { readonly kind: 'midi'; readonly device: string; readonly alias?: string; readonly bytes: readonly number[] }
  | { readonly kind: 'footswitch'; readonly switch: string; readonly gesture: string };

export interface LearnedTrigger {
  /** The trigger table as it goes into the config. */
  readonly trigger: Readonly<Record<string, string | number>>;
  /** "keys note 60 ch1", "left press": short enough for the OLED. */
  readonly label: string;
  /** What the event carried, for actions that reuse it (send the same note, CC, program). */
  readonly note?: number;
  readonly cc?: number;
  readonly program?: number;
  readonly channel?: number;
}

/**
 * The trigger for an event, or null for events that do not start a gesture
 * (note-offs, footswitch releases, clock and other system messages): learn
 * keeps waiting for something a user means. A Note-on becomes a Note trigger,
 * a CC a CC trigger, and so on; the device is named by its alias when it
 * has one (that is what the config's patterns are written in).
 */
export function learnTrigger(e: LearnEvent): LearnedTrigger | null {
  if (e.kind === 'footswitch') {
    if (e.gesture === 'release') return null;
    return { trigger: { type: 'Footswitch', switch: e.switch, gesture: e.gesture }, label: `${e.switch} ${e.gesture}` };
  }
  const [status = 0, d1 = 0, d2 = 0] = e.bytes;
  if (status < 0x80 || status >= 0xf0) return null;
  const type = status & 0xf0;
  const channel = (status & 0x0f) + 1;
  const device = e.alias ?? e.device;
  const where = { channel, device };
  const label = (what: string) => `${device} ${what} ch${channel}`;
  switch (type) {
    case 0x90:
      if (d2 === 0) return null;
      return { trigger: { type: 'Note', note: d1, ...where }, label: label(`note ${d1}`), note: d1, channel };
    case 0xb0:
      return { trigger: { type: 'CC', cc: d1, ...where }, label: label(`cc ${d1}`), cc: d1, channel };
    case 0xc0:
      return { trigger: { type: 'ProgramChange', program: d1, ...where }, label: label(`pc ${d1}`), program: d1, channel };
    case 0xe0:
      return { trigger: { type: 'PitchBend', ...where }, label: label('bend'), channel };
    case 0xd0:
      return { trigger: { type: 'Aftertouch', kind: 'channel', ...where }, label: label('aftertouch'), channel };
    case 0xa0:
      return { trigger: { type: 'Aftertouch', kind: 'poly', note: d1, ...where }, label: label(`poly ${d1}`), note: d1, channel };
    default:
      return null;
  }
}

/** What the OLED menu offers to do with a learned control. */
export type LearnChoice =
  | { readonly kind: 'mode-next' }
  | { readonly kind: 'mode-prev' }
  | { readonly kind: 'note' }
  | { readonly kind: 'cc' }
  | { readonly kind: 'pc' }
  | { readonly kind: 'plugin'; readonly plugin: string; readonly action: string };

/**
 * The action for a menu choice. "Send" choices echo what the control sent
 * where that fits (a pad sends its own note, a knob its own CC with the
 * knob's value), and otherwise a plain default (note 60, CC 64, PC 0) on
 * the learned channel, to every output; the file can be refined later.
 */
export function actionForChoice(choice: LearnChoice, learned: LearnedTrigger): Record<string, string | number> {
  const channel = learned.channel ?? 1;
  switch (choice.kind) {
    case 'mode-next':
      return { type: 'ModeChange', mode: 'next' };
    case 'mode-prev':
      return { type: 'ModeChange', mode: 'prev' };
    case 'note':
      return { type: 'SendMidi', message: 'note', channel, note: learned.note ?? 60, velocity: learned.note === undefined ? 100 : 'pass' };
    case 'cc':
      return { type: 'SendMidi', message: 'cc', channel, cc: learned.cc ?? 64, value: learned.cc === undefined ? 127 : 'pass' };
    case 'pc':
      return { type: 'SendMidi', message: 'program_change', channel, program: learned.program ?? 0 };
    case 'plugin':
      return { type: 'Plugin', plugin: choice.plugin, action: choice.action };
  }
}

export function choiceLabel(choice: LearnChoice): string {
  switch (choice.kind) {
    case 'mode-next':
      return 'Mode next';
    case 'mode-prev':
      return 'Mode prev';
    case 'note':
      return 'Send note';
    case 'cc':
      return 'Send CC';
    case 'pc':
      return 'Send PC';
    case 'plugin':
      return `${choice.plugin}: ${choice.action}`;
  }
}

/** Short names `midimon learn --action` takes besides a TOML inline table. */
export const SHORT_ACTIONS: Readonly<Record<string, Record<string, string>>> = {
  ModeNext: { type: 'ModeChange', mode: 'next' },
  ModePrev: { type: 'ModeChange', mode: 'prev' },
  Panic: { type: 'Panic' },
};

/**
 * `--action` text: a short name (ModeNext, ModePrev, Panic, Mode:NAME), or a
 * TOML inline table with or without its braces
 * (`type = "SendMidi", message = "cc", cc = 7`). Checked against the action
 * schema here so a typo is refused before anything waits for a control.
 */
export function parseActionArg(text: string): Record<string, unknown> {
  const t = text.trim();
  const short = SHORT_ACTIONS[t];
  if (short !== undefined) return { ...short };
  if (/^Mode:/i.test(t)) return { type: 'ModeChange', mode: t.slice(5) };
  const body = t.startsWith('{') ? t : `{ ${t} }`;
  let value: unknown;
  try {
    value = parse(`action = ${body}`)['action'];
  } catch (err) {
    const why = err instanceof TomlError ? (err.message.split('\n')[0] ?? err.message).replace(/^Invalid TOML document: /, '') : String(err);
    throw new MidimonError('bad_request', `--action is not ${Object.keys(SHORT_ACTIONS).join(', ')}, Mode:NAME or a TOML inline table like 'type = "ModeChange", mode = "next"': ${why}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MidimonError('bad_request', '--action must be a TOML inline table');
  checkAction(value);
  return value as Record<string, unknown>;
}

/** Schema check of one action (the whole file is validated again before it is written). */
export function checkAction(action: unknown): void {
  const r = actionSchema.safeParse(action);
  if (!r.success) {
    const first = r.error.issues[0];
    const at = first === undefined || first.path.length === 0 ? '' : `${first.path.map(String).join('.')}: `;
    throw new MidimonError('bad_request', `invalid action ${tomlInlineSafe(action)}: ${at}${first?.message ?? 'invalid'}`);
  }
}

function tomlInlineSafe(v: unknown): string {
  try {
    return tomlInline(v);
  } catch {
    return JSON.stringify(v);
  }
}
