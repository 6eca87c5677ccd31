/**
 * Config-time checks for SysEx patterns and templates: each token is checked
 * where it is written (the issue path points at the array element, so the
 * loader reports its line), and a template's $values must be ones the
 * mapping's trigger provides. Values that only exist at run time (an encoder
 * delta, a pitch bend) are range-checked when the message is built.
 */
import { z } from 'zod';
import type { Action, Trigger } from '../engine/config-types.js';
import {
  SYSEX_TRIGGER_VALUES,
  SysexSyntaxError,
  parseSysexPattern,
  parseSysexTemplate,
  type SysexSpec,
  type SysexTriggerValue,
} from '../engine/sysex-pattern.js';

/** 256 KiB: four 64 KiB dumps' worth, most synth bulk dumps, and bounded memory on a Pi (a JS number[] costs 8 bytes a byte). */
export const DEFAULT_SYSEX_MAX_BYTES = 262_144;
export const SYSEX_MAX_BYTES_LIMIT = 16 * 1024 * 1024;

const spec = z.union([z.string(), z.array(z.union([z.string(), z.number()])).min(2, { error: 'a SysEx needs at least F0 and F7' }).max(65_536)], {
  error: 'expected a SysEx as a string ("F0 7E ?? F7") or an array of bytes and tokens (["F0", 0x7E, "??", "F7"])',
});

function refineWith(parse: (s: SysexSpec) => unknown) {
  return (value: SysexSpec, ctx: z.RefinementCtx) => {
    try {
      parse(value);
    } catch (err) {
      if (!(err instanceof SysexSyntaxError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message, path: err.arrayForm ? [err.index] : [], input: value });
    }
  };
}

export const sysexPatternField = spec.superRefine(refineWith(parseSysexPattern));
export const sysexTemplateField = spec.superRefine(refineWith(parseSysexTemplate));

interface Provided {
  readonly values: ReadonlySet<SysexTriggerValue>;
  readonly captures: ReadonlyMap<string, number>;
  readonly from: string;
}

const NOTE_VALUES: SysexTriggerValue[] = ['note', 'velocity', 'value'];

/** What a trigger hands to a template (mirrors the FireData the matcher builds). */
export function providedBy(t: Trigger): Provided {
  const none = new Map<string, number>();
  const from = `a ${t.type} trigger`;
  switch (t.type) {
    case 'Note':
    case 'VelocityRange':
    case 'LongPress':
    case 'DoubleTap':
    case 'NoteChord':
      return { values: new Set(NOTE_VALUES), captures: none, from };
    case 'CC':
    case 'EncoderTurn':
      return { values: new Set<SysexTriggerValue>(['cc', 'value']), captures: none, from };
    case 'Aftertouch':
      return { values: new Set<SysexTriggerValue>(t.kind === 'poly' ? ['note', 'value'] : ['value']), captures: none, from };
    case 'ProgramChange':
    case 'PitchBend':
    case 'Beat':
      return { values: new Set<SysexTriggerValue>(['value']), captures: none, from };
    case 'Footswitch':
      return { values: new Set(), captures: none, from };
    case 'SysEx': {
      let captures = none;
      try {
        captures = new Map(parseSysexPattern(t.pattern).captures);
      } catch {
        // The pattern's own error is reported on its field.
      }
      return { values: new Set<SysexTriggerValue>(captures.size > 0 ? ['value'] : []), captures, from };
    }
  }
}

function offered(p: Provided): string {
  const names = [...p.captures.keys(), ...p.values].map((n) => `$${n}`);
  return names.length === 0 ? 'it provides none' : `it provides ${names.join(', ')}`;
}

/** Each SendMidi sysex in the action tree, with its path below the action. */
function* sysexSends(a: Action, path: (string | number)[]): Generator<{ bytes: SysexSpec; path: (string | number)[] }> {
  switch (a.type) {
    case 'SendMidi':
      if (a.message === 'sysex') yield { bytes: a.bytes, path: [...path, 'bytes'] };
      break;
    case 'Sequence':
      for (let i = 0; i < a.actions.length; i++) yield* sysexSends(a.actions[i] as Action, [...path, 'actions', i]);
      break;
    case 'Repeat':
      yield* sysexSends(a.action, [...path, 'action']);
      break;
    case 'Conditional':
      yield* sysexSends(a.then, [...path, 'then']);
      if (a.else !== undefined) yield* sysexSends(a.else, [...path, 'else']);
      break;
    default:
      break;
  }
}

function checkSends(a: Action, base: (string | number)[], provided: Provided | null, ctx: z.RefinementCtx): void {
  for (const send of sysexSends(a, base)) {
    let tokens;
    try {
      tokens = parseSysexTemplate(send.bytes).tokens;
    } catch {
      continue; // reported on the field itself
    }
    for (const tok of tokens) {
      if (tok.kind !== 'capture') continue;
      const ref = `$${tok.name}${tok.explicit ? `:${tok.length}` : ''}`;
      if (provided === null) {
        ctx.addIssue({ code: 'custom', path: send.path, message: `${ref}: on_enter/on_exit run without a trigger, so there is no value to insert; write the byte itself`, input: send.bytes });
        continue;
      }
      const captured = provided.captures.get(tok.name);
      if (captured !== undefined) {
        if (tok.explicit && tok.length !== captured) ctx.addIssue({ code: 'custom', path: send.path, message: `${ref}: the trigger pattern captures $${tok.name} as ${captured} byte${captured === 1 ? '' : 's'}`, input: send.bytes });
        continue;
      }
      if ((SYSEX_TRIGGER_VALUES as readonly string[]).includes(tok.name) && provided.values.has(tok.name as SysexTriggerValue)) continue;
      ctx.addIssue({ code: 'custom', path: send.path, message: `${ref}: ${provided.from} has no ${tok.name} (${offered(provided)})`, input: send.bytes });
    }
  }
}

export function checkSysexMapping(trigger: Trigger, action: Action, ctx: z.RefinementCtx): void {
  checkSends(action, ['action'], providedBy(trigger), ctx);
}

export function checkSysexMacro(actions: readonly Action[], ctx: z.RefinementCtx): void {
  actions.forEach((a, i) => checkSends(a, [i], null, ctx));
}
