// The scan queue between the mount watcher and the box: one scan at a time,
// each stick once per mount, a pulled stick dropped, one summary per stick;
// and the test seam that offers folders as sticks.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MidimonError } from '../../src/errors.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';
import type { StickScan } from '../../src/usb/installer.js';
import { StickWatcher, type MountEntry } from '../../src/usb/mounts.js';
import { StickScanner, summarizeScan } from '../../src/usb/stick-scanner.js';
import { foldersAsMountInfo, stickSourceFromEnv } from '../../src/usb/stick-source.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function mount(mountPoint: string, mountId = '40'): MountEntry {
  return { mountId, mountPoint, fsType: 'vfat', source: '/dev/sda1' };
}

/** A scan function the test finishes by hand, one stick at a time. */
function gatedScans() {
  const pending: Array<{ mountPoint: string; finish: (scan?: Partial<StickScan>) => void; fail: (e: Error) => void }> = [];
  const started: string[] = [];
  const scan = (mountPoint: string) =>
    new Promise<StickScan>((resolve, reject) => {
      started.push(mountPoint);
      pending.push({ mountPoint, finish: (s = {}) => resolve({ mountPoint, packages: [], problems: [], ...s }), fail: reject });
    });
  return { scan, pending, started };
}

const tick = () => new Promise((r) => setImmediate(r));

test('sticks are scanned one at a time, each once per mount; a second stick does not rescan the first', async () => {
  const g = gatedScans();
  let changes = 0;
  const s = new StickScanner({ log: silentLogger(), scan: g.scan, onChange: () => void changes++ });
  s.update([mount('/media/a')]);
  s.update([mount('/media/a'), mount('/media/b', '41')]);
  await tick();
  assert.deepEqual(g.started, ['/media/a'], 'b waits for a');
  assert.deepEqual(s.sticks().map((x) => [x.mountPoint, x.state]), [['/media/a', 'scanning'], ['/media/b', 'queued']]);
  assert.equal(s.busy, true);
  g.pending.shift()?.finish();
  await tick();
  assert.deepEqual(g.started, ['/media/a', '/media/b']);
  g.pending.shift()?.finish();
  await s.idle();
  assert.equal(s.busy, false);
  // The same mounts again: nothing to do. The same mount point with a new mount id: another stick.
  s.update([mount('/media/a'), mount('/media/b', '41')]);
  await s.idle();
  assert.deepEqual(g.started, ['/media/a', '/media/b']);
  s.update([mount('/media/a', '42'), mount('/media/b', '41')]);
  await tick();
  assert.deepEqual(g.started, ['/media/a', '/media/b', '/media/a']);
  g.pending.shift()?.finish();
  await s.idle();
  assert.ok(changes > 0);
});

test('a stick pulled while it is scanned is dropped when the scan ends; a failed scan is one problem', async () => {
  const g = gatedScans();
  const s = new StickScanner({ log: silentLogger(), scan: g.scan, onChange: () => undefined });
  s.update([mount('/media/a'), mount('/media/b', '41')]);
  await tick();
  s.update([mount('/media/b', '41')]);
  g.pending.shift()?.finish({ packages: [{ dir: '/media/a/midimon-plugins/x', manifest: {} as never }] });
  await tick();
  assert.deepEqual(s.packages(), []);
  assert.deepEqual(s.sticks().map((x) => x.mountPoint), ['/media/b']);
  g.pending.shift()?.fail(new Error('EIO'));
  await s.idle();
  const b = s.sticks()[0];
  assert.equal(b?.state, 'scanned');
  assert.equal(b?.scan?.problems.length, 1);
  s.stop();
  s.update([mount('/media/c', '43')]);
  await s.idle();
  assert.deepEqual(g.started, ['/media/a', '/media/b'], 'no scan starts after stop()');
});

test('one summarised problem per stick: count, first reason, where it stopped; details bounded', () => {
  const problems = Array.from({ length: 30 }, (_, i) => ({ dir: `/media/s/midimon-plugins/bad-${i}`, error: new MidimonError('not_found', `/media/s/midimon-plugins/bad-${i}/plugin.toml is missing`) }));
  const sum = summarizeScan({ mountPoint: '/media/s', packages: [], problems, stopped: { reason: 'entries', limit: 2000 } });
  assert.ok(sum);
  assert.equal(sum.message, 'USB s: 30 folders refused (midimon-plugins/bad-0/plugin.toml is missing); stopped looking after 2000 entries');
  const lines = sum.details.split('\n');
  assert.equal(lines.length, 22);
  assert.equal(lines[20], '... and 10 more');
  assert.equal(summarizeScan({ mountPoint: '/media/s', packages: [], problems: [] }), undefined);
});

test('MIDIMON_MEDIA_ROOT offers every folder in it as a stick; moving a folder in and out plugs and pulls it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'midimon-media-'));
  dirs.push(root);
  const source = stickSourceFromEnv({ MIDIMON_MEDIA_ROOT: root });
  assert.deepEqual(source.mediaRoots, [root]);
  assert.ok(source.readMountInfo);
  const seen: string[][] = [];
  const w = new StickWatcher({ log: silentLogger(), scheduler: new ManualScheduler(0), roots: source.mediaRoots ?? [], readMountInfo: source.readMountInfo, onChange: (s) => seen.push(s.map((m) => m.mountPoint)) });
  await w.poll();
  await mkdir(join(root, '.building'));
  await mkdir(join(root, '.building', 'midimon-plugins'));
  await w.poll(); // hidden folders are not sticks yet
  await rename(join(root, '.building'), join(root, 'My Stick'));
  await w.poll();
  await rename(join(root, 'My Stick'), join(root, '.gone'));
  await w.poll();
  // 'My Stick' survived mountinfo's octal escaping (\040) both ways.
  assert.deepEqual(seen, [[join(root, 'My Stick')], []]);
  assert.equal(await foldersAsMountInfo(join(root, 'no-such-root')), '');
  // With MIDIMON_MOUNTINFO, that file is the mount table.
  const file = stickSourceFromEnv({ MIDIMON_MOUNTINFO: join(root, 'nope') });
  assert.equal(file.mediaRoots, undefined);
  await assert.rejects(file.readMountInfo?.() ?? Promise.resolve(), /ENOENT/);
  assert.deepEqual(stickSourceFromEnv({}), {});
});
