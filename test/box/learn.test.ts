// MIDI learn on the box: the capture (what is learned, what is left alone,
// timeouts, hang-ups) on a manual clock, and the config file edit (backup,
// validation, concurrent saves, file mode) on a real temp directory.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addMappingToFile, backupPath } from '../../src/box/config-file-edit.js';
import { Learn, type LearnOptions } from '../../src/box/learn.js';
import { Problems } from '../../src/box/problems.js';
import type { ReloadResult } from '../../src/control/protocol.js';
import { isMidimonError } from '../../src/errors.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';
import { learnTrigger, parseActionArg } from '../../src/config/learned-mapping.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const CONFIG = `# my rig: keep this comment
version = 1

[[modes]]
name = "Live"   # the one on stage

[[modes.mappings]]
trigger = { type = "CC", cc = 7 }   # volume knob
action = { type = "Panic" }

[[modes]]
name = "Practice"
`;

async function configFile(text = CONFIG): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-learn-'));
  dirs.push(dir);
  const file = join(dir, 'config.toml');
  await writeFile(file, text);
  return file;
}

const note = (device: string, n: number, vel = 100, alias?: string) => ({ type: 'midi' as const, device, bytes: [0x90, n, vel], at: 0, ...(alias === undefined ? {} : { alias }) });
const sw = (name: string, gesture: 'press' | 'long' | 'double' | 'release') => ({ type: 'footswitch' as const, switch: name, gesture, at: 0 });

function learnBox(file: string, over: Partial<LearnOptions> = {}) {
  const clock = new ManualScheduler(0);
  const problems = new Problems();
  const reloads: string[] = [];
  const learn = new Learn({
    log: silentLogger(),
    scheduler: clock,
    problems,
    configPath: () => file,
    validateOptions: () => ({ checkPluginFiles: false }),
    reload: async (reason): Promise<ReloadResult> => (reloads.push(reason), { applied: true, changed: ['modes'], hash: 'x' }),
    modes: () => ['Live', 'Practice'],
    currentMode: () => 'Live',
    pluginActions: () => [],
    onMenuChange: () => undefined,
    ...over,
  });
  return { learn, clock, problems, reloads };
}

test('learned triggers: note-on, CC, PC, bend, aftertouch, footswitch gestures; releases and clock are not learned', () => {
  const midi = (bytes: number[], alias?: string) => learnTrigger({ kind: 'midi', device: 'Keystation', bytes, ...(alias === undefined ? {} : { alias }) });
  assert.deepEqual(midi([0x91, 60, 100], 'keys')?.trigger, { type: 'Note', note: 60, channel: 2, device: 'keys' });
  assert.equal(midi([0x91, 60, 100], 'keys')?.label, 'keys note 60 ch2');
  assert.deepEqual(midi([0xb0, 7, 64])?.trigger, { type: 'CC', cc: 7, channel: 1, device: 'Keystation' });
  assert.deepEqual(midi([0xcf, 5])?.trigger, { type: 'ProgramChange', program: 5, channel: 16, device: 'Keystation' });
  assert.deepEqual(midi([0xe0, 0, 80])?.trigger, { type: 'PitchBend', channel: 1, device: 'Keystation' });
  assert.deepEqual(midi([0xd0, 40])?.trigger, { type: 'Aftertouch', kind: 'channel', channel: 1, device: 'Keystation' });
  assert.deepEqual(midi([0xa0, 64, 40])?.trigger, { type: 'Aftertouch', kind: 'poly', note: 64, channel: 1, device: 'Keystation' });
  for (const bytes of [[0x80, 60, 0], [0x90, 60, 0], [0xf8], [0xfe], [0xf0, 1, 0xf7]]) assert.equal(midi(bytes), null, JSON.stringify(bytes));
  assert.deepEqual(learnTrigger({ kind: 'footswitch', switch: 'left', gesture: 'long' })?.trigger, { type: 'Footswitch', switch: 'left', gesture: 'long' });
  assert.equal(learnTrigger({ kind: 'footswitch', switch: 'left', gesture: 'release' }), null);
});

test('--action: short names, Mode:NAME, inline TOML with or without braces; mistakes say what is wrong', () => {
  assert.deepEqual(parseActionArg('ModeNext'), { type: 'ModeChange', mode: 'next' });
  assert.deepEqual(parseActionArg('Mode:Live'), { type: 'ModeChange', mode: 'Live' });
  assert.deepEqual(JSON.parse(JSON.stringify(parseActionArg('type = "SendMidi", message = "cc", cc = 7, value = "pass"'))), { type: 'SendMidi', message: 'cc', cc: 7, value: 'pass' });
  assert.deepEqual(JSON.parse(JSON.stringify(parseActionArg('{ type = "Panic" }'))), { type: 'Panic' });
  assert.throws(() => parseActionArg('type = "SendMidi", message = "cc", cc = 700'), (e: unknown) => isMidimonError(e) && /cc: a 7-bit MIDI value must be <= 127/.test(e.message));
  assert.throws(() => parseActionArg('ModeNxt'), (e: unknown) => isMidimonError(e) && /--action is not ModeNext, ModePrev, Panic, Mode:NAME or a TOML inline table/.test(e.message));
});

test('the next control is learned and consumed (and its note-off); nothing else is', async () => {
  const { learn } = learnBox(await configFile());
  assert.equal(learn.midi(note('Keystation', 60), false), false, 'nobody learns: the engine gets it');
  const next = learn.next('socket', 5000);
  assert.equal(learn.midi({ type: 'midi', device: 'Keystation', bytes: [0xf8], at: 0 }, false), false, 'clock passes through');
  assert.equal(learn.footswitch(sw('left', 'release'), false), false, 'a release is not a gesture to learn');
  assert.equal(learn.midi(note('Keystation', 62, 90, 'keys'), false), true);
  assert.deepEqual((await next).trigger, { type: 'Note', note: 62, channel: 1, device: 'keys' });
  assert.equal(learn.midi({ type: 'midi', device: 'Keystation', bytes: [0x80, 62, 0], at: 0 }, false), true, 'its note-off is swallowed too');
  assert.equal(learn.midi({ type: 'midi', device: 'Keystation', bytes: [0x80, 62, 0], at: 0 }, false), false, 'only once');
  assert.equal(learn.waiting, false);
});

test('nothing arrives: a timeout with a clear message; a client that hangs up stops the wait', async () => {
  const { learn, clock } = learnBox(await configFile());
  const waiting = learn.next('socket', 2000);
  clock.advance(2000);
  await assert.rejects(waiting, (e: unknown) => isMidimonError(e) && e.kind === 'timeout' && /^nothing arrived within 2 s: press a key or pad/.test(e.message));
  const abort = new AbortController();
  const aborted = learn.next('socket', 2000, abort.signal);
  abort.abort();
  await assert.rejects(aborted, (e: unknown) => isMidimonError(e) && /cancelled/.test(e.message));
  assert.equal(learn.midi(note('Keystation', 60), false), false, 'a later note is played, not learned');
});

test('menu learning leaves the menu its controls; a socket learn takes anything', async () => {
  const { learn } = learnBox(await configFile());
  learn.menuStart('Live');
  assert.equal(learn.footswitch(sw('right', 'press'), true), false, 'a menu control still drives the menu');
  assert.equal(learn.menuState()?.state, 'waiting');
  assert.equal(learn.footswitch(sw('left', 'double'), false), true);
  assert.deepEqual(learn.menuState(), { state: 'captured', mode: 'Live', label: 'left double', pluginActions: [] });
  const socket = learn.next('socket', 1000);
  assert.equal(learn.footswitch(sw('right', 'press'), true), true);
  assert.equal((await socket).label, 'right press');
});

test('learn --add writes the mapping into the file: comments kept, backup beside it, then a reload', async () => {
  const file = await configFile();
  await chmod(file, 0o664);
  const { learn, reloads } = learnBox(file);
  const pending = learn.request({ mode: 'Practice', action: { type: 'ModeChange', mode: 'next' }, add: true, timeout_ms: 5000 });
  await new Promise((r) => setImmediate(r));
  learn.midi(note('Keystation', 60, 100, 'keys'), false);
  const r = await pending;
  assert.equal(r.mode, 'Practice');
  assert.equal(r.added?.mapping, 1);
  assert.equal(r.added?.backup, backupPath(file));
  const text = await readFile(file, 'utf8');
  assert.equal(text, `${CONFIG}\n[[modes.mappings]]\ndescription = "learned: keys note 60 ch1"\ntrigger = { type = "Note", note = 60, channel = 1, device = "keys" }\naction = { type = "ModeChange", mode = "next" }\n`);
  assert.equal(await readFile(backupPath(file), 'utf8'), CONFIG);
  assert.equal((await stat(file)).mode & 0o777, 0o664, 'the file mode is kept');
  assert.deepEqual(reloads, ['midimon learn']);
  assert.match(r.toml, /^# under \[\[modes\]\] name = "Practice"\n\[\[modes\.mappings\]\]\n/);
});

test('without --add: the snippet only, with a placeholder action; the file is not touched', async () => {
  const file = await configFile();
  const { learn } = learnBox(file);
  const pending = learn.request({ global: true, timeout_ms: 5000 });
  await new Promise((r) => setImmediate(r));
  learn.footswitch(sw('left', 'long'), false);
  const r = await pending;
  assert.equal(r.toml, '[[global_mappings]]\ndescription = "learned: left long"\ntrigger = { type = "Footswitch", switch = "left", gesture = "long" }\n# action = { type = "ModeChange", mode = "next" }   # what it should do\n');
  assert.equal(await readFile(file, 'utf8'), CONFIG);
});

test('refused before waiting: an unknown mode, --add without an action, a bad action', async () => {
  const { learn } = learnBox(await configFile());
  await assert.rejects(learn.request({ mode: 'Outro' }), (e: unknown) => isMidimonError(e) && e.kind === 'not_found' && e.message === "no mode named 'Outro' (modes: Live, Practice)");
  await assert.rejects(learn.request({ add: true }), (e: unknown) => isMidimonError(e) && e.kind === 'bad_request' && /add needs an action/.test(e.message));
  await assert.rejects(learn.request({ action: { type: 'Teleport' } }), (e: unknown) => isMidimonError(e) && /invalid action/.test(e.message));
  assert.equal(learn.waiting, false);
});

test('an edit that would not validate is not written, and no backup is made', async () => {
  const file = await configFile();
  const mapping = { trigger: { type: 'Note', note: 60 }, action: { type: 'ModeChange', mode: 'Encore' } };
  await assert.rejects(
    addMappingToFile(file, { mode: 'Live' }, mapping, { validate: { checkPluginFiles: false } }),
    (e: unknown) => isMidimonError(e) && e.kind === 'config_invalid' && /^the new mapping would make the config invalid, nothing was written: invalid config .*config\.toml:\d+: .*Encore/.test(e.message),
  );
  assert.equal(await readFile(file, 'utf8'), CONFIG);
  await assert.rejects(stat(backupPath(file)), /ENOENT/);
});

test('a file saved by someone else meanwhile wins: nothing is written', async () => {
  const file = await configFile();
  const theirs = CONFIG.replace('# my rig', '# my rig, edited in nano');
  const mapping = { trigger: { type: 'Note', note: 60 }, action: { type: 'Panic' } };
  await assert.rejects(
    addMappingToFile(file, { mode: 'Live' }, mapping, { validate: { checkPluginFiles: false }, beforeWrite: () => writeFile(file, theirs) }),
    (e: unknown) => isMidimonError(e) && e.details?.['reason'] === 'changed_on_disk' && /changed on disk .* nothing was written/.test(e.message),
  );
  assert.equal(await readFile(file, 'utf8'), theirs);
  await assert.rejects(stat(backupPath(file)), /ENOENT/);
});

test('a missing config file and a mode missing from the file (but running) are clear errors', async () => {
  const file = await configFile();
  const mapping = { trigger: { type: 'Note', note: 60 }, action: { type: 'Panic' } };
  await assert.rejects(addMappingToFile(join(file, '..', 'nope.toml'), { mode: 'Live' }, mapping), (e: unknown) => isMidimonError(e) && e.kind === 'not_found' && /config file not found/.test(e.message));
  await assert.rejects(addMappingToFile(file, { mode: 'Encore' }, mapping), (e: unknown) => isMidimonError(e) && e.kind === 'not_found' && /no mode named 'Encore' in the config file/.test(e.message));
});

test('the menu flow writes through the same path and reports on the banner', async () => {
  const file = await configFile();
  const { learn, problems } = learnBox(file);
  learn.menuStart('Live');
  learn.midi({ type: 'midi', device: 'PadKontrol', alias: 'pads', bytes: [0xb9, 20, 127], at: 0 }, false);
  await learn.menuSave('Live', { kind: 'cc' });
  const text = await readFile(file, 'utf8');
  assert.ok(text.startsWith(CONFIG.slice(0, CONFIG.indexOf('[[modes]]\nname = "Practice"'))));
  assert.match(text, /action = \{ type = "Panic" \}\n\n\[\[modes\.mappings\]\]\ndescription = "learned: pads cc 20 ch10"\ntrigger = \{ type = "CC", cc = 20, channel = 10, device = "pads" \}\naction = \{ type = "SendMidi", message = "cc", channel = 10, cc = 20, value = "pass" \}\n\n\[\[modes\]\]\nname = "Practice"/);
  assert.equal(problems.recent()[0]?.message, 'Learned pads cc 20 ch10 -> Send CC (Live)');
  assert.equal(learn.menuState(), undefined, 'the session ends with the save');
  // Saving again without a new capture is reported, not written.
  await learn.menuSave('Live', { kind: 'cc' });
  assert.equal(problems.recent()[0]?.message, 'Learn: nothing was learned');
});
