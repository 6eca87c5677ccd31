// Setlists: an ordered list of songs (modes) stepped by footswitches, jumped to
// by Program Change, kept across reloads and restarts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, on, pc, parseConfig } from './rig.js';
import { validateConfigText } from '../../src/config/load.js';
import { formatIssue } from '../../src/config/issues.js';
import type { EngineEffect, SetlistChangedEffect } from '../../src/engine/types.js';

const patch = (program: number) => ({ type: 'SendMidi', output: 'Synth', channel: 1, message: 'program_change', program });

const rig = {
  modes: [
    { name: 'Home' },
    { name: 'Live', on_enter: [patch(10)], on_exit: [{ type: 'SendMidi', output: 'Synth', channel: 1, message: 'cc', cc: 123, value: 0 }] },
    { name: 'Ballad', tempo: 72, on_enter: [patch(20)] },
  ],
  global_mappings: [
    { trigger: { type: 'Footswitch', switch: 'right' }, action: { type: 'SetlistNext' } },
    { trigger: { type: 'Footswitch', switch: 'left' }, action: { type: 'SetlistPrev' } },
    { trigger: { type: 'Footswitch', switch: 'left', gesture: 'double' }, action: { type: 'SetlistGoto', song: 'encore' } },
    { trigger: { type: 'Footswitch', switch: 'right', gesture: 'long' }, action: { type: 'SetlistGoto', song: 2 } },
    { trigger: { type: 'ProgramChange', channel: 15 }, action: { type: 'SendMidi', output: 'Synth', channel: 9, message: 'cc', cc: 7, value: 1 } },
  ],
  mode_switching: { program_change_channel: 16 },
  setlist: {
    songs: [{ mode: 'Live', name: 'Opener' }, { mode: 'Ballad', name: 'Slow One' }, { mode: 'Live', name: 'Encore' }],
    program_change_channel: 15,
  },
};

function outs(effects: readonly EngineEffect[]): string[] {
  return effects.flatMap((e) => (e.type === 'midi-out' ? [`${e.output}:${e.bytes.map((b) => b.toString(16)).join(' ')}`] : []));
}

function songs(effects: readonly EngineEffect[]): Array<[number | null, string | null]> {
  return effects.filter((e): e is SetlistChangedEffect => e.type === 'setlist-changed').map((e) => [e.index, e.name]);
}

const position = (r: Rig) => r.engine.snapshot().setlist?.position;

test('next/prev step through the songs, switch to each song\'s mode and run its on_enter; they stay at the ends (clamp)', () => {
  const r = new Rig(rig);
  assert.equal(position(r), null, 'no song is chosen before the first press');
  let e = r.footswitch('right', 'press');
  assert.deepEqual(songs(e), [[0, 'Opener']]);
  assert.deepEqual(outs(e), ['Synth:c0 a']);
  assert.equal(r.engine.modeName, 'Live');

  e = r.footswitch('right', 'press');
  assert.deepEqual(songs(e), [[1, 'Slow One']]);
  assert.deepEqual(outs(e), ['Synth:b0 7b 0', 'Synth:c0 14'], 'Live on_exit, then Ballad on_enter');
  assert.equal(r.engine.snapshot().tempo.bpm, 72, 'the song mode\'s tempo applies');

  e = r.footswitch('right', 'press');
  assert.deepEqual(songs(e), [[2, 'Encore']]);
  r.clear();

  // The last song: next stays there, sends nothing and says why (info: no banner).
  e = r.footswitch('right', 'press');
  assert.deepEqual(songs(e), []);
  assert.deepEqual(outs(e), []);
  assert.deepEqual(r.takeNotices().map((n) => [n.level, n.code]), [['info', 'setlist_end']]);
  assert.equal(position(r), 2);

  r.footswitch('left', 'press');
  r.footswitch('left', 'press');
  assert.equal(position(r), 0);
  e = r.footswitch('left', 'press');
  assert.deepEqual(songs(e), [], 'prev on the first song stays');
  assert.equal(position(r), 0);
});

test('wrap = true: next on the last song goes to the first, prev on the first to the last', () => {
  const r = new Rig({ ...rig, setlist: { ...rig.setlist, wrap: true } });
  r.send({ type: 'setlist-command', target: 2, source: 'cli', at: r.now });
  assert.deepEqual(songs(r.footswitch('right', 'press')), [[0, 'Opener']]);
  assert.deepEqual(songs(r.footswitch('left', 'press')), [[2, 'Encore']]);
});

test('a song whose mode is already current is entered again: its on_enter recalls the patches, without on_exit', () => {
  const r = new Rig(rig);
  r.send({ type: 'setlist-command', target: 0, source: 'menu', at: r.now });
  r.clear();
  const e = r.send({ type: 'setlist-command', target: 'Encore', source: 'socket', at: r.now });
  assert.deepEqual(songs(e), [[2, 'Encore']]);
  assert.deepEqual(outs(e), ['Synth:c0 a']);
  assert.deepEqual(r.takeModeChanges(), [], 'same mode: no mode change');
  // Selecting the current song again is a recall too (a PC resent by a controller after a glitch).
  assert.deepEqual(outs(r.send({ type: 'setlist-command', target: 2, source: 'cli', at: r.now })), ['Synth:c0 a']);
});

test('SetlistGoto by name (case-insensitive) and by number (1 = first) from footswitch gestures', () => {
  const r = new Rig(rig);
  assert.deepEqual(songs(r.footswitch('left', 'double')), [[2, 'Encore']]);
  assert.deepEqual(songs(r.footswitch('right', 'long')), [[1, 'Slow One']]);
  assert.equal(r.engine.modeName, 'Ballad');
});

test('Program Change n on the setlist channel selects song n+1 (0-based on the wire); out of range: a notice, nothing else', () => {
  const r = new Rig(rig);
  let e = r.midi(pc(15, 0));
  assert.deepEqual(songs(e), [[0, 'Opener']]);
  assert.deepEqual(outs(e), ['Synth:c0 a'], 'consumed: the ProgramChange mapping on channel 15 does not fire');
  e = r.midi(pc(15, 2));
  assert.deepEqual(songs(e), [[2, 'Encore']]);
  r.clear();
  e = r.midi(pc(15, 3));
  assert.deepEqual(songs(e), []);
  assert.deepEqual(outs(e), []);
  const n = r.takeNotices();
  assert.deepEqual(n.map((x) => x.code), ['unknown_song']);
  assert.match(n[0]?.message ?? '', /Program Change 3 has no song \(PC 3 = song 4; the setlist has 3\)/);
  // Mode Program Change (channel 16) still selects modes, and leaves the position alone.
  r.midi(pc(16, 0));
  assert.equal(r.engine.modeName, 'Home');
  assert.equal(position(r), 2);
});

test('program_change_device limits which input selects songs', () => {
  const r = new Rig({ ...rig, setlist: { ...rig.setlist, program_change_device: 'Pedal' } });
  assert.deepEqual(songs(r.midi(pc(15, 1), 'Keys')), []);
  assert.deepEqual(songs(r.midi(pc(15, 1), 'Pedal Board')), [[1, 'Slow One']]);
});

test('unknown songs from the CLI or menu are notices; without a setlist, song commands are refused', () => {
  const r = new Rig(rig);
  r.send({ type: 'setlist-command', target: 'Nope', source: 'cli', at: r.now });
  r.send({ type: 'setlist-command', target: 7, source: 'cli', at: r.now });
  assert.deepEqual(r.takeNotices().map((n) => n.message), ['no song named "Nope" (songs: "Opener", "Slow One", "Encore")', 'no song 8 (the setlist has 3 songs)']);
  const bare = new Rig({ modes: [{ name: 'A' }] });
  assert.equal(bare.engine.snapshot().setlist, undefined);
  bare.send({ type: 'setlist-command', target: 'next', source: 'cli', at: bare.now });
  assert.deepEqual(bare.takeNotices().map((n) => n.code), ['no_setlist']);
});

test('the mode can change under the setlist (ModeChange, mode PC): the position stays, next continues from it', () => {
  const r = new Rig(rig);
  r.footswitch('right', 'press');
  r.send({ type: 'mode-command', mode: 'Home', source: 'cli', at: r.now });
  assert.equal(position(r), 0);
  assert.deepEqual(songs(r.footswitch('right', 'press')), [[1, 'Slow One']]);
});

test('a reload keeps the song where it is, follows it when it moved, clamps when it is gone, and runs no macros', () => {
  const r = new Rig(rig);
  r.send({ type: 'setlist-command', target: 1, source: 'cli', at: r.now });
  r.clear();
  // Unchanged setlist (another part of the config edited): nothing happens.
  assert.deepEqual(r.send({ type: 'config-replaced', config: parseConfig({ ...rig, timing: { long_press_ms: 700 } }), at: r.now }).filter((e) => e.type !== 'notice' && e.type !== 'clock-schedule' && e.type !== 'tempo-changed'), []);
  assert.equal(position(r), 1);

  // A song inserted before it: the position follows "Slow One".
  const inserted = { ...rig, setlist: { songs: [{ mode: 'Home', name: 'Warmup' }, ...rig.setlist.songs] } };
  let e = r.send({ type: 'config-replaced', config: parseConfig(inserted), at: r.now });
  assert.deepEqual(songs(e), [[2, 'Slow One']]);
  assert.deepEqual(outs(e), []);
  assert.equal(r.engine.modeName, 'Ballad');
  assert.match(r.takeNotices().find((n) => n.code === 'setlist_position_adjusted')?.message ?? '', /song 2 "Slow One" is now song 3/);

  // Songs removed: clamp to the last song left, say so.
  e = r.send({ type: 'config-replaced', config: parseConfig({ ...rig, global_mappings: rig.global_mappings.slice(0, 2), setlist: { songs: [{ mode: 'Live', name: 'Opener' }] } }), at: r.now });
  assert.deepEqual(songs(e), [[0, 'Opener']]);
  assert.deepEqual(outs(e), [], 'a reload never selects a song: no patches sent');
  assert.equal(r.engine.modeName, 'Ballad', 'and keeps the mode');
  assert.match(r.takeNotices().find((n) => n.code === 'setlist_position_adjusted')?.message ?? '', /song 3 "Slow One" is no longer in the setlist; now on song 1 "Opener"/);

  // The setlist removed: no position.
  const { setlist: _gone, global_mappings: _g, ...noSetlist } = rig;
  e = r.send({ type: 'config-replaced', config: parseConfig(noSetlist), at: r.now });
  assert.deepEqual(songs(e), [[null, null]]);
  assert.equal(r.engine.snapshot().setlist, undefined);
});

test('restart: a saved position is restored; a stale one (songs removed) falls back with a notice and is saved again', () => {
  const r = new Rig(rig, { restoredMode: 'Ballad', restoredSong: { index: 1, name: 'Slow One' } });
  const start = r.engine.startEffects(r.now);
  assert.deepEqual(songs(start), []);
  assert.equal(position(r), 1);
  assert.deepEqual(songs(r.footswitch('right', 'press')), [[2, 'Encore']], 'next continues from the saved song');

  const stale = new Rig(rig, { restoredSong: { index: 7, name: 'Gone' } });
  const effects = stale.engine.startEffects(stale.now);
  assert.equal(position(stale), 2);
  assert.deepEqual(songs(effects), [[2, 'Encore']]);
  assert.match(effects.find((e) => e.type === 'notice' && e.code === 'setlist_position_adjusted')?.type === 'notice' ? (effects.find((e) => e.type === 'notice' && e.code === 'setlist_position_adjusted') as { message: string }).message : '', /song 8 "Gone" is no longer in the setlist; now on song 3 "Encore"/);
  assert.deepEqual(outs(effects), [], 'restoring a position sends nothing of its own (the restored mode\'s on_enter is separate)');
});

test('a held note from the old song\'s mode ends when a song switches modes (no stuck notes)', () => {
  const r = new Rig({ ...rig, modes: [{ name: 'Home' }, { name: 'Live', mappings: [{ trigger: { type: 'Note', note: 60 }, action: { type: 'SendMidi', output: 'Synth', channel: 1, message: 'note_on', note: 'pass', velocity: 'pass' } }] }, { name: 'Ballad' }] });
  r.footswitch('right', 'press');
  r.midi(on(1, 60, 100), 'Keys');
  r.takeOut();
  r.footswitch('right', 'press');
  assert.deepEqual(r.takeOut(), [[0x80, 60, 0]]);
  assert.deepEqual(r.engine.snapshot().heldNotes, {});
});

test('config errors: unknown song modes, goto past the end or by an unknown name, setlist actions without a setlist or in macros, a shared PC channel', async () => {
  const toml = [
    '[[modes]]',
    'name = "Live"',
    'on_enter = [{ type = "SetlistNext" }]',
    '[[global_mappings]]',
    'trigger = { type = "Note", note = 60 }',
    'action = { type = "SetlistGoto", song = 4 }',
    '[[global_mappings]]',
    'trigger = { type = "Note", note = 62 }',
    'action = { type = "SetlistGoto", song = "Encore" }',
    '[mode_switching]',
    'program_change_channel = 16',
    '[setlist]',
    'program_change_channel = 16',
    'songs = [',
    '  { mode = "Live", name = "Opener" },',
    '  { mode = "Liev", name = "Ballad" },',
    ']',
    '',
  ].join('\n');
  const r = await validateConfigText(toml, 'box.toml', { checkPluginFiles: false });
  assert.equal(r.ok, false);
  const lines = r.ok ? [] : r.issues.map(formatIssue).sort();
  assert.deepEqual(lines.map((l) => l.replace(/:\d+: /, ': ')), [
    'box.toml:13: setlist.program_change_channel: channel 16 already selects modes (mode_switching.program_change_channel): give songs a channel of their own',
    'box.toml:16: setlist.songs[1].mode: setlist song 2 "Ballad": unknown mode "Liev" (modes: "Live")',
    'box.toml:3: modes[0].on_enter[0].type: mode "Live" on_enter[0]: no SetlistNext in on_enter/on_exit (selecting a song switches modes)',
    'box.toml:6: global_mappings[0].action.song: global mapping 0: song 4, but the setlist has 2 songs',
    'box.toml:9: global_mappings[1].action.song: global mapping 1: no song named "Encore" (songs: "Opener", "Ballad")',
  ]);

  const none = await validateConfigText('[[modes]]\nname = "A"\n[[global_mappings]]\ntrigger = { type = "Note", note = 60 }\naction = { type = "SetlistNext" }\n', 'box.toml', { checkPluginFiles: false });
  assert.deepEqual(none.ok ? [] : none.issues.map(formatIssue).map((l) => l.replace(/:\d+: /, ': ')), ['box.toml:5: global_mappings[0].action.type: global mapping 0: SetlistNext needs a [setlist] with songs']);

  const empty = await validateConfigText('[[modes]]\nname = "A"\n[setlist]\nsongs = []\nwarp = true\n', 'box.toml', { checkPluginFiles: false });
  const emptyLines = empty.ok ? '' : empty.issues.map(formatIssue).join('\n');
  assert.match(emptyLines, /setlist\.songs: a setlist needs at least one song/);
  assert.match(emptyLines, /warp/);
});
