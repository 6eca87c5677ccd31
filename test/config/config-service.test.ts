import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, rename, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigService, type ConfigApplyContext, type RejectedConfig, type Timers } from '../../src/config/config-service.js';
import { DEFAULT_CONFIG_TOML } from '../../src/config/default-config.js';
import { silentLogger } from '../../src/log.js';

const BASE = '[[modes]]\nname = "A"\n[[modes]]\nname = "B"\n';

/** Replaces a file in one step, so a watcher never sees it half-written (only the in-place test writes in place). */
async function replace(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/** Resolves with the next value an event source delivers. */
function next<T>(subscribe: (fn: (v: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((v) => {
      off();
      resolve(v);
    });
  });
}

describe('ConfigService', () => {
  let dir: string;
  let file: string;
  let applied: ConfigApplyContext[];
  let service: ConfigService | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'midimon-cfgsvc-'));
    file = join(dir, 'config.toml');
    applied = [];
  });
  afterEach(async () => {
    service?.stop();
    service = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const make = (extra: Partial<ConstructorParameters<typeof ConfigService>[0]> = {}) =>
    (service = new ConfigService({ path: file, log: silentLogger(), apply: (ctx) => void applied.push(ctx), debounceMs: 10, ...extra }));

  test('first run writes the commented default config and applies it', async () => {
    const loaded = await make({ watch: false }).start();
    assert.equal(await readFile(file, 'utf8'), DEFAULT_CONFIG_TOML);
    assert.equal(loaded.origin, 'file');
    assert.equal(applied.length, 1);
    assert.equal(applied[0]?.diff.initial, true);
    assert.equal(applied[0]?.reason, 'start');
    const st = await service!.status();
    assert.equal(st.up_to_date, true);
    assert.equal(st.applied_hash, loaded.hash);
    assert.equal(st.last_error, null);
  });

  test('an edit written in place is picked up and diffed by section', async () => {
    await writeFile(file, BASE);
    const svc = make();
    await svc.start();
    const change = next(svc.onApplied.bind(svc));
    await writeFile(file, `${BASE}[devices.display]\nheight = 32\n`);
    const ctx = await change;
    assert.equal(ctx.reason, 'file changed');
    assert.deepEqual(ctx.diff.keys, ['devices.display']);
    assert.equal(ctx.diff.has('devices.midi'), false, 'MIDI ports must not be reopened for a display change');
    assert.equal(ctx.diff.has('devices'), true);
    assert.equal(ctx.previous?.config.devices.display.height, 64);
    assert.equal(svc.current?.config.devices.display.height, 32);
  });

  test('an editor replacing the file by rename is picked up', async () => {
    await writeFile(file, BASE);
    const svc = make();
    await svc.start();
    const change = next(svc.onApplied.bind(svc));
    const tmp = join(dir, '.config.toml.swp');
    await writeFile(tmp, `${BASE}[devices.midi]\ninputs = [{ name = "Launchpad" }]\n`);
    await rename(tmp, file);
    const ctx = await change;
    assert.deepEqual(ctx.diff.keys, ['devices.midi']);
    assert.equal(svc.current?.config.devices.midi.inputs[0]?.name, 'Launchpad');
    // A second rename-over still works: the watch is on the directory, not the replaced inode.
    const again = next(svc.onApplied.bind(svc));
    await writeFile(tmp, `${BASE}[logging]\nlevel = "debug"\n`);
    await rename(tmp, file);
    assert.deepEqual((await again).diff.keys, ['devices.midi', 'logging.level']);
  });

  test('an editor that moves the old file away before writing the new one causes no error', async () => {
    await writeFile(file, BASE);
    const svc = make();
    await svc.start();
    const rejections: RejectedConfig[] = [];
    svc.onRejected((r) => void rejections.push(r));
    const change = next(svc.onApplied.bind(svc));
    await rename(file, `${file}~`);
    // Whether or not a reload ran while the file was absent, it must not count as a rejected edit.
    await svc.reload('file changed');
    await replace(file, `${BASE}[menu]\ntimeout_s = 7\n`);
    assert.deepEqual((await change).diff.keys, ['menu.timeout_s']);
    assert.deepEqual(rejections, []);
    assert.equal((await svc.status()).last_error, null);
  });

  test('an invalid edit is rejected: the last good config stays and the error is recorded', async () => {
    await writeFile(file, BASE);
    const svc = make();
    const good = await svc.start();
    const rejected = next<RejectedConfig>(svc.onRejected.bind(svc));
    await replace(file, `${BASE}[devices.display]\nheight = 48\n`);
    const r = await rejected;
    assert.equal(r.error.kind, 'config_invalid');
    assert.equal(r.reason, 'file changed');
    assert.equal(svc.current, good);
    assert.equal(applied.length, 1);
    const st = await svc.status();
    assert.equal(st.up_to_date, false);
    assert.equal(st.applied_hash, good.hash);
    assert.notEqual(st.disk_hash, good.hash);
    assert.equal(st.last_error?.kind, 'config_invalid');
    assert.deepEqual(
      st.last_error?.issues.map((i) => [i.line, i.path, i.message]),
      [[6, 'devices.display.height', 'expected one of 64, 32, found integer 48']],
    );
    // Fixing the file clears the error.
    const fixed = next(svc.onApplied.bind(svc));
    await replace(file, `${BASE}[devices.display]\nheight = 32\n`);
    await fixed;
    assert.equal((await svc.status()).last_error, null);
    assert.equal((await svc.status()).up_to_date, true);
  });

  test('reload(reason) (SIGHUP, midimon reload) applies changes and reports unchanged files', async () => {
    await writeFile(file, BASE);
    const svc = make({ watch: false });
    await svc.start();
    assert.deepEqual(await svc.reload('SIGHUP'), { applied: false, reason: 'unchanged', hash: svc.current!.hash });
    await writeFile(file, `${BASE}[menu]\ntimeout_s = 5\n`);
    const r = await svc.reload('SIGHUP');
    assert.equal(r.applied, true);
    assert.deepEqual(r.applied ? r.changed : [], ['menu.timeout_s']);
    assert.equal(applied.at(-1)?.reason, 'SIGHUP');
    await writeFile(file, 'modes = [');
    const bad = await svc.reload('midimon reload');
    assert.equal(bad.applied, false);
    assert.equal(!bad.applied && bad.reason, 'invalid');
    assert.equal(!bad.applied && bad.reason !== 'unchanged' && bad.error.kind, 'config_parse');
    assert.equal(svc.current?.config.menu.timeout_s, 5);
  });

  test('concurrent reload requests while one waits are joined into one', async () => {
    await writeFile(file, BASE);
    const svc = make({ watch: false });
    await svc.start();
    await writeFile(file, `${BASE}[menu]\ntimeout_s = 5\n`);
    const first = svc.reload('a');
    const second = svc.reload('b');
    const third = svc.reload('c');
    assert.equal(first, second);
    assert.equal(second, third);
    await Promise.all([first, second, third]);
    assert.equal(applied.length, 2, 'start + one apply; the joined reload found the file unchanged');
  });

  test('an invalid file at start runs the built-in default and shows the error', async () => {
    await writeFile(file, `${BASE}[devices.display]\nheight = 48\n`);
    const svc = make({ watch: false });
    const loaded = await svc.start();
    assert.equal(loaded.origin, 'builtin');
    assert.equal(loaded.config.modes[0]?.name, 'Default');
    const st = await svc.status();
    assert.equal(st.applied_origin, 'builtin');
    assert.equal(st.up_to_date, false);
    assert.equal(st.last_error?.kind, 'config_invalid');
    await writeFile(file, BASE);
    assert.equal((await svc.reload('midimon reload')).applied, true);
    assert.equal((await svc.status()).last_error, null);
  });

  test('an apply hook that throws rejects the config and keeps the previous one', async () => {
    await writeFile(file, BASE);
    let fail = false;
    const svc = make({ watch: false, apply: () => {
      if (fail) throw new Error('port busy');
    } });
    const good = await svc.start();
    fail = true;
    await writeFile(file, `${BASE}[menu]\ntimeout_s = 5\n`);
    const r = await svc.reload('SIGHUP');
    assert.deepEqual(r, { applied: false, reason: 'apply_failed', error: { kind: 'internal', message: 'port busy', issues: [] } });
    assert.equal(svc.current, good);
    assert.equal((await svc.status()).last_error?.message, 'port busy');
  });

  test('file events are debounced through the injected timers', async () => {
    await writeFile(file, BASE);
    const pending: Array<() => void> = [];
    let armed: () => void = () => undefined;
    const firstArm = new Promise<void>((r) => (armed = r));
    const timers: Timers = {
      setTimeout: (fn) => {
        pending.push(fn);
        armed();
        return pending.length;
      },
      clearTimeout: (h) => {
        pending[(h as number) - 1] = () => undefined;
      },
    };
    const svc = make({ timers });
    await svc.start();
    await replace(file, `${BASE}[menu]\ntimeout_s = 9\n`);
    await firstArm;
    assert.equal(applied.length, 1, 'nothing reloads before the debounce timer fires');
    const change = next(svc.onApplied.bind(svc));
    pending.at(-1)?.();
    assert.deepEqual((await change).diff.keys, ['menu.timeout_s']);
  });
});
