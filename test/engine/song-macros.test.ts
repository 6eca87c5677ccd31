// Song macros: a mode's on_enter / on_exit actions run on every path that switches modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, on, off, pc, parseConfig } from './rig.js';
import { validateConfigText } from '../../src/config/load.js';
import { formatIssue } from '../../src/config/issues.js';
import type { EngineEffect } from '../../src/engine/types.js';

const send = (output: string, channel: number, extra: Record<string, unknown>) => ({ type: 'SendMidi', output, channel, ...extra });

/** Verse: Bank Select MSB/LSB + Program Change to two synths on different channels. */
const rig = {
  modes: [
    { name: 'Intro', on_exit: [send('Keys', 3, { message: 'cc', cc: 64, value: 0 })] },
    {
      name: 'Verse',
      tempo: 96,
      on_enter: [
        send('Keys', 3, { message: 'cc', cc: 0, value: 1 }),
        send('Keys', 3, { message: 'cc', cc: 32, value: 2 }),
        send('Keys', 3, { message: 'program_change', program: 5 }),
        send('Bass', 10, { message: 'cc', cc: 0, value: 0 }),
        send('Bass', 10, { message: 'cc', cc: 32, value: 7 }),
        send('Bass', 10, { message: 'program_change', program: 42 }),
        { type: 'Tempo', bpm: 100 },
      ],
    },
    { name: 'Chorus' },
  ],
  global_mappings: [{ trigger: { type: 'Footswitch', switch: 'right' }, action: { type: 'ModeChange', mode: 'next' } }],
  mode_switching: { program_change_channel: 16 },
};

const VERSE_ENTER = [
  'Keys:b2 0 1',
  'Keys:b2 20 2',
  'Keys:c2 5',
  'Bass:b9 0 0',
  'Bass:b9 20 7',
  'Bass:c9 2a',
];

function outs(effects: readonly EngineEffect[]): string[] {
  return effects.flatMap((e) => (e.type === 'midi-out' ? [`${e.output}:${e.bytes.map((b) => b.toString(16)).join(' ')}`] : []));
}

test('a footswitch into a mode sends its entry actions in order to several outputs and channels, after on_exit of the old mode', () => {
  const r = new Rig(rig);
  const effects = r.footswitch('right', 'press');
  assert.deepEqual(outs(effects), ['Keys:b2 40 0', ...VERSE_ENTER]);
  // The old mode's on_exit runs before the mode changes, on_enter after.
  const kinds = effects.map((e) => e.type).filter((t) => t === 'midi-out' || t === 'mode-changed');
  assert.equal(kinds.indexOf('mode-changed'), 1);
  // on_enter's Tempo runs after the mode's `tempo`, so it wins.
  assert.equal(r.engine.snapshot().tempo.bpm, 100);
});

test('every switching path runs on_exit then on_enter: Program Change, CLI, menu, plugin set_mode', () => {
  const r = new Rig(rig);
  assert.deepEqual(outs(r.midi(pc(16, 1))), ['Keys:b2 40 0', ...VERSE_ENTER]);
  assert.deepEqual(outs(r.send({ type: 'mode-command', mode: 'Intro', source: 'cli', at: r.now })), []);
  assert.deepEqual(outs(r.send({ type: 'mode-command', mode: 'Verse', source: 'menu', at: r.now })), ['Keys:b2 40 0', ...VERSE_ENTER]);
  assert.deepEqual(outs(r.send({ type: 'mode-command', mode: 0, source: 'socket', at: r.now })), []);
  assert.deepEqual(outs(r.send({ type: 'plugin-set-mode', plugin: 'setlist', mode: 'next', at: r.now })), ['Keys:b2 40 0', ...VERSE_ENTER]);
  // Re-selecting the current mode is not a switch: nothing is resent.
  assert.deepEqual(outs(r.send({ type: 'mode-command', mode: 'Verse', source: 'cli', at: r.now })), []);
});

test('at start the initial (or restored) mode runs its on_enter', () => {
  const r = new Rig(rig, { restoredMode: 'Verse' });
  assert.deepEqual(outs(r.engine.startEffects(r.now)), VERSE_ENTER);
  const fresh = new Rig({ ...rig, mode_switching: { initial_mode: 'Verse' } });
  assert.deepEqual(outs(fresh.engine.startEffects(fresh.now)), VERSE_ENTER);
});

test('a config reload that changes the current mode runs on_exit of the old and on_enter of the new; one that keeps it runs nothing', () => {
  const r = new Rig(rig, { restoredMode: 'Intro' });
  const same = r.send({ type: 'config-replaced', config: r.engine.config, at: r.now });
  assert.deepEqual(outs(same), []);
  const next = parseConfig({ ...rig, modes: rig.modes.slice(1), mode_switching: { initial_mode: 'Verse' } });
  assert.deepEqual(outs(r.send({ type: 'config-replaced', config: next, at: r.now })), ['Keys:b2 40 0', ...VERSE_ENTER]);
  assert.equal(r.engine.modeName, 'Verse');
});

test('no stuck notes: a held note from on_enter ends when the mode is left; a Delay in on_enter is cancelled with it', () => {
  const r = new Rig({
    modes: [
      { name: 'Pad', on_enter: [send('Synth', 1, { message: 'note_on', note: 48, velocity: 90 }), { type: 'Sequence', actions: [{ type: 'Delay', ms: 500 }, send('Synth', 1, { message: 'cc', cc: 1, value: 1 })] }] },
      { name: 'Dry', on_exit: [send('Synth', 2, { message: 'note', note: 50, velocity: 90, duration_ms: 100 })] },
    ],
  });
  r.send({ type: 'mode-command', mode: 'Dry', source: 'cli', at: r.now });
  r.send({ type: 'mode-command', mode: 'Pad', source: 'cli', at: r.now });
  assert.deepEqual(r.takeOut(), [on(2, 50, 90), on(1, 48, 90)]);
  r.send({ type: 'mode-command', mode: 'Dry', source: 'cli', at: r.now });
  assert.deepEqual(r.takeOut(), [off(1, 48)]);
  r.advance(1000);
  // on_exit's timed note still ends (it outlives the mode it left); the cancelled CC never comes.
  assert.deepEqual(r.takeOut(), [off(2, 50)]);
  assert.deepEqual(r.engine.snapshot().heldNotes, {});
});

test('a ModeChange reaching the engine from a macro is ignored with a notice (no switch loops)', () => {
  const r = new Rig({ modes: [{ name: 'A' }, { name: 'B' }] });
  // The loader refuses this config (below); a config handed in directly must still not loop.
  const cfg = { ...r.engine.config, modes: [{ name: 'A', mappings: [], on_enter: [{ type: 'ModeChange' as const, mode: 'B' }] }, { name: 'B', mappings: [], on_enter: [{ type: 'ModeChange' as const, mode: 'A' }] }] };
  r.send({ type: 'config-replaced', config: cfg, at: r.now });
  r.clear();
  r.send({ type: 'mode-command', mode: 'B', source: 'cli', at: r.now });
  assert.equal(r.engine.modeName, 'B');
  assert.deepEqual(r.takeNotices().map((n) => n.code), ['mode_macro_mode_change']);
});

test('a bad action in on_enter is a config error naming modes[i].on_enter[j] with file:line', async () => {
  const toml = '[[modes]]\nname = "Main"\n[[modes]]\nname = "Song"\non_enter = [\n  { type = "SendMidi", output = "Keys", message = "program_change", program = 5 },\n  { type = "SendMidi", output = "Keys", message = "program_change", program = 300 },\n]\n';
  const r = await validateConfigText(toml, 'box.toml', { checkPluginFiles: false });
  assert.equal(r.ok, false);
  const lines = r.ok ? [] : r.issues.map(formatIssue);
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /^box\.toml:7:\d+: modes\[1\]\.on_enter\[1\]\.program: /);

  const loop = '[[modes]]\nname = "Main"\non_exit = [{ type = "Sequence", actions = [{ type = "ModeChange", mode = "Main" }] }]\n';
  const r2 = await validateConfigText(loop, 'box.toml', { checkPluginFiles: false });
  const lines2 = r2.ok ? [] : r2.issues.map(formatIssue);
  assert.equal(lines2.length, 1);
  assert.match(lines2[0] ?? '', /^box\.toml:3:\d+: modes\[0\]\.on_exit\[0\]\.actions\[0\]\.type: mode "Main" on_exit\[0\]: no ModeChange in on_enter\/on_exit/);
});
