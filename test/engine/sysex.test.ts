// SysEx, first-class: patterns with wildcards and captures, SendMidi sysex with
// values from the trigger, dumps through routes, the size limit, and what the
// config refuses (with the path the loader turns into a line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineConfigSchema } from '../../src/config/mappings-schema.js';
import { validateConfigText } from '../../src/config/load.js';
import { matchSysex, parseSysexPattern, parseSysexTemplate, renderSysex, SysexSyntaxError } from '../../src/engine/sysex-pattern.js';
import { Rig } from './rig.js';

const hex = (s: string) => s.split(/\s+/).filter(Boolean).map((b) => parseInt(b, 16));
const IDENTITY_REPLY = hex('F0 7E 10 06 02 41 12 34 00 00 01 02 03 04 F7');

/** A dump of `n` bytes: F0, a counting payload of data bytes, F7. */
function dump(n: number, seed = 0): number[] {
  const out = new Array<number>(n);
  out[0] = 0xf0;
  for (let i = 1; i < n - 1; i++) out[i] = (i * 7 + seed) & 0x7f;
  out[n - 1] = 0xf7;
  return out;
}

test('patterns: exact bytes, ?? any one byte, named captures of N bytes, one * for any length', () => {
  const p = parseSysexPattern('F0 7E ?? 06 02 $maker $family:2 * F7');
  assert.deepEqual(matchSysex(p, IDENTITY_REPLY), { maker: [0x41], family: [0x12, 0x34] });
  assert.equal(matchSysex(p, hex('F0 7E 10 06 01 41 12 34 F7')), null, 'a different exact byte');
  assert.equal(matchSysex(p, hex('F0 7E 10 06 02 41 12 F7')), null, 'too short for the captures');
  // The array form, with TOML-style numbers, means the same.
  const a = parseSysexPattern(['F0', 0x7e, '??', 6, 2, '$maker', '$family:2', '*', 'F7']);
  assert.deepEqual(matchSysex(a, IDENTITY_REPLY), { maker: [0x41], family: [0x12, 0x34] });
  // Without * the length is exact; captures after * count from the end.
  const exact = parseSysexPattern('F0 43 ?? F7');
  assert.deepEqual(matchSysex(exact, hex('F0 43 01 F7')), {});
  assert.equal(matchSysex(exact, hex('F0 43 01 02 F7')), null);
  const tail = parseSysexPattern('F0 41 * $checksum F7');
  assert.deepEqual(matchSysex(tail, hex('F0 41 10 42 12 40 00 7F 00 41 F7')), { checksum: [0x41] });
  assert.deepEqual(matchSysex(parseSysexPattern('F0 * F7'), hex('F0 F7')), {}, '* matches nothing too');
});

test('bad patterns are refused with the token and what is wrong', () => {
  const bad: Array<[string | Array<string | number>, RegExp]> = [
    ['7E 06 F7', /token 1 "7E": a SysEx pattern starts with F0/],
    ['F0 7E 06', /token 3 "06": a SysEx pattern ends with F7/],
    ['F0 7E * 06 * F7', /token 5 "\*": only one \* per pattern/],
    ['F0 90 F7', /token 2 "90": between F0 and F7 only data bytes 00-7F/],
    ['F0 7G F7', /token 2 "7G": expected a hex byte/],
    ['F0 $Id F7', /token 2 "\$Id": a \$name is lowercase/],
    ['F0 $id:0 F7', /capture is 1-64 bytes/],
    ['F0 $id:x F7', /the length after ":" must be a whole number/],
    ['F0 $id $id F7', /token 3 "\$id": capture \$id is already used/],
    ['F0 $note F7', /\$note is a trigger value name/],
    [['F0', 300, 'F7'], /element 1 \(300\): a byte must be a whole number 0-255/],
    ['F0', /needs at least F0 and F7/],
  ];
  for (const [spec, why] of bad) assert.throws(() => parseSysexPattern(spec), (e: unknown) => e instanceof SysexSyntaxError && why.test(e.message), JSON.stringify(spec));
  assert.throws(() => parseSysexTemplate('F0 41 ?? F7'), /"\?\?" only matches incoming SysEx/);
});

test('a bad pattern in the config file is reported with its line and field', async () => {
  const toml = `[[modes]]
name = "A"

[[modes.mappings]]
trigger = { type = "SysEx", pattern = "F0 7E ?? 06 02 $id:2 * F7" }
action = { type = "ModeChange", mode = "A" }

[[modes.mappings]]
trigger = { type = "SysEx", pattern = [
  "F0",
  0x41,
  "*",
  "*",
  "F7",
] }
action = { type = "ModeChange", mode = "A" }
`;
  const r = await validateConfigText(toml, 'box.toml', { checkPluginFiles: false });
  assert.equal(r.ok, false);
  const issues = r.ok ? [] : r.issues;
  assert.equal(issues.length, 1, JSON.stringify(issues));
  assert.equal(issues[0]?.path, 'modes[0].mappings[1].trigger.pattern[3]');
  assert.equal(issues[0]?.line, 13, 'the line of the second "*"');
  assert.match(issues[0]?.message ?? '', /only one \* per pattern/);
});

test('SendMidi sysex: captures and trigger values are substituted, in place and in order', () => {
  const rig = new Rig({
    modes: [
      {
        name: 'A',
        mappings: [
          {
            trigger: { type: 'SysEx', pattern: 'F0 7E ?? 06 02 $maker $family:2 * F7' },
            action: { type: 'SendMidi', output: 'synth', message: 'sysex', bytes: 'F0 7D $family $maker 00 F7' },
          },
          { trigger: { type: 'CC', cc: 20 }, action: { type: 'SendMidi', output: 'synth', message: 'sysex', bytes: ['F0', 0x43, 0x10, '$cc', '$value', 'F7'] } },
          { trigger: { type: 'Note', note: 60 }, action: { type: 'SendMidi', output: 'synth', message: 'sysex', bytes: 'F0 43 $note $velocity F7' } },
          { trigger: { type: 'PitchBend' }, action: { type: 'SendMidi', output: 'synth', message: 'sysex', bytes: 'F0 43 $value:2 F7' } },
        ],
      },
    ],
  });
  rig.midi(IDENTITY_REPLY);
  assert.deepEqual(rig.takeOut('synth'), [hex('F0 7D 12 34 41 00 F7')]);
  rig.midi([0xb0, 20, 99]);
  assert.deepEqual(rig.takeOut('synth'), [hex('F0 43 10 14 63 F7')]);
  rig.midi([0x90, 60, 101]);
  assert.deepEqual(rig.takeOut('synth'), [hex('F0 43 3C 65 F7')]);
  // A value that leaves the data range (a bend below centre is negative) is not sent: a notice says why.
  rig.midi([0xe0, 0, 0]);
  assert.deepEqual(rig.takeOut('synth'), []);
  const n = rig.takeNotices().filter((x) => x.code === 'sysex_value_out_of_range');
  assert.equal(n.length, 1);
  assert.match(n[0]?.message ?? '', /\$value:2 = -8192 does not fit 2 data bytes \(0-16383\)/);
});

test('substitution errors known at load: a value the trigger lacks, a capture of the wrong length, $values in on_enter', () => {
  const issues = (mappings: unknown[], extra: Record<string, unknown> = {}) => {
    const r = engineConfigSchema.safeParse({ modes: [{ name: 'A', mappings, ...extra }] });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const send = (bytes: unknown) => ({ type: 'SendMidi', message: 'sysex', bytes });
  assert.deepEqual(issues([{ trigger: { type: 'CC', cc: 1 }, action: send('F0 41 $note F7') }]), [
    'modes.0.mappings.0.action.bytes: $note: a CC trigger has no note (it provides $cc, $value)',
  ]);
  assert.deepEqual(issues([{ trigger: { type: 'SysEx', pattern: 'F0 41 $id:2 F7' }, action: { type: 'Sequence', actions: [send('F0 41 $id:3 F7')] } }]), [
    'modes.0.mappings.0.action.actions.0.bytes: $id:3: the trigger pattern captures $id as 2 bytes',
  ]);
  assert.deepEqual(issues([{ trigger: { type: 'SysEx', pattern: 'F0 41 $id F7' }, action: send('F0 41 $dev F7') }]), [
    'modes.0.mappings.0.action.bytes: $dev: a SysEx trigger has no dev (it provides $id, $value)',
  ]);
  assert.deepEqual(issues([{ trigger: { type: 'Footswitch', switch: 'a' }, action: send('F0 41 $value F7') }]), [
    'modes.0.mappings.0.action.bytes: $value: a Footswitch trigger has no value (it provides none)',
  ]);
  assert.deepEqual(issues([], { on_enter: [send('F0 41 $value F7')] }), [
    'modes.0.on_enter.0.bytes: $value: on_enter/on_exit run without a trigger, so there is no value to insert; write the byte itself',
  ]);
  // Fixed bytes outside the data range, in both forms.
  assert.match(issues([{ trigger: { type: 'CC', cc: 1 }, action: send('F0 41 80 F7') }])[0] ?? '', /action.bytes: token 3 "80": between F0 and F7 only data bytes 00-7F/);
  assert.match(issues([{ trigger: { type: 'CC', cc: 1 }, action: send(['F0', 0x41, 0xff, 'F7']) }])[0] ?? '', /action.bytes.2: element 2 \(255\): between F0 and F7/);
});

test('renderSysex: a capture longer than the values a template expects is refused, not cut', () => {
  const t = parseSysexTemplate('F0 $velocity F7');
  assert.deepEqual(renderSysex(t, { captures: null, note: null, velocity: 200, cc: null, value: null }), { error: '$velocity = 200 does not fit 1 data byte (0-127)' });
  assert.deepEqual(renderSysex(t, { captures: null, note: null, velocity: null, cc: null, value: null }), { error: '$velocity: the trigger has no velocity' });
});

const ROUTED = {
  modes: [{ name: 'A' }],
  routes: [{ name: 'dump', from: 'Editor', to: 'Synth', types: ['sysex', 'note'] }],
};

test('a 64 KiB dump passes a route byte-exact, whole, between the notes around it', () => {
  const rig = new Rig(ROUTED);
  const big = dump(65_536);
  rig.midi([0x90, 60, 100], 'Editor');
  rig.midi(big, 'Editor');
  rig.midi([0x80, 60, 0], 'Editor');
  const out = rig.takeOut('Synth');
  assert.equal(out.length, 3);
  assert.deepEqual(out[0], [0x90, 60, 100]);
  assert.equal(out[1]?.length, 65_536);
  assert.deepEqual(out[1], big, 'byte-exact');
  assert.deepEqual(out[2], [0x80, 60, 0]);
  assert.deepEqual(rig.takeNotices().filter((n) => n.level !== 'info'), []);
});

test('an oversized dump is dropped whole with a notice, never truncated; the limit is configurable', () => {
  const rig = new Rig({ ...ROUTED, sysex: { max_bytes: 1024 } });
  rig.midi(dump(1024), 'Editor');
  assert.equal(rig.takeOut('Synth')[0]?.length, 1024, 'at the limit: passed');
  rig.midi(dump(1025), 'Editor');
  assert.deepEqual(rig.takeOut('Synth'), [], 'nothing of it reaches the output');
  const n = rig.takeNotices().filter((x) => x.code === 'sysex_too_large');
  assert.equal(n.length, 1);
  assert.match(n[0]?.message ?? '', /SysEx from "Editor" dropped: 1025 bytes is over sysex.max_bytes = 1024 \(dropped whole, not truncated\)/);
  // The default lets four 64 KiB dumps' worth through.
  const dflt = new Rig(ROUTED);
  assert.equal(dflt.engine.config.sysex.max_bytes, 262_144);
});

test('malformed SysEx (a status byte inside, no F7) is dropped with a notice', () => {
  const rig = new Rig(ROUTED);
  rig.midi(hex('F0 41 90 3C F7'), 'Editor');
  rig.midi(hex('F0 41 10'), 'Editor');
  assert.deepEqual(rig.takeOut('Synth'), []);
  assert.equal(rig.takeNotices().filter((x) => x.code === 'sysex_malformed').length, 2);
});

test('a SysEx trigger fires a plugin with the whole message and its captures', () => {
  const rig = new Rig({
    modes: [{ name: 'A', mappings: [{ trigger: { type: 'SysEx', pattern: 'F0 7E ?? 06 02 $maker * F7', device: 'Editor' }, action: { type: 'Plugin', plugin: 'setlist', action: 'identity' } }] }],
  });
  rig.midi(IDENTITY_REPLY, 'Other');
  assert.equal(rig.takePluginCalls().length, 0, 'device filter');
  rig.midi(IDENTITY_REPLY, 'Editor');
  const [call] = rig.takePluginCalls();
  assert.deepEqual(call?.context.sysex, IDENTITY_REPLY);
  assert.deepEqual(call?.context.captures, { maker: [0x41] });
  assert.equal(call?.context.trigger, 'SysEx');
  assert.equal(call?.context.value, 0x41, 'value: the first captured byte');
});

test('inputs deliver SysEx when a SysEx trigger (not only a route) needs it', () => {
  const rig = new Rig({ modes: [{ name: 'A', mappings: [{ trigger: { type: 'SysEx', pattern: 'F0 * F7', device: 'Editor' }, action: { type: 'ModeChange', mode: 'A' } }] }] });
  assert.equal(rig.engine.inputNeeds('Editor').sysex, true);
  assert.equal(rig.engine.inputNeeds('Keys').sysex, false);
});

test('a plugin midi_send SysEx is checked like an input: over the limit or malformed, dropped with a notice', () => {
  const rig = new Rig({ modes: [{ name: 'A' }], sysex: { max_bytes: 64 } });
  rig.send({ type: 'plugin-midi-send', plugin: 'setlist', bytes: [...dump(64), 0x90, 60, 1], at: rig.now });
  assert.deepEqual(rig.takeOut().map((b) => b.length), [64, 3]);
  rig.send({ type: 'plugin-midi-send', plugin: 'setlist', bytes: dump(65), at: rig.now });
  assert.deepEqual(rig.takeOut(), []);
  assert.equal(rig.takeNotices().filter((x) => x.code === 'sysex_too_large').length, 1);
  rig.send({ type: 'plugin-midi-send', plugin: 'setlist', bytes: hex('F0 41 90 F7'), at: rig.now });
  assert.deepEqual(rig.takeOut(), []);
  assert.equal(rig.takeNotices().filter((x) => x.code === 'plugin_bad_midi').length, 1);
});
