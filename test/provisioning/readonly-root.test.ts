// Read-only root (provisioning/readonly-root.sh, provisioning/readonly/midimon-data.sh,
// images/add-data-partition.sh): laid into a fake root and a fake image, without booting
// anything. What needs a Pi (the overlay really mounts, the partition really binds) is in
// docs/hardware.md's first-boot checklist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR } from '../../src/config/paths.js';
import { install, seedRoot, snapshot } from './helpers/root-tree.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const READONLY = join(repo, 'provisioning/readonly-root.sh');
const DATA = join(repo, 'provisioning/readonly/midimon-data.sh');
const ADD_PARTITION = join(repo, 'images/add-data-partition.sh');

function sh(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('bash', args, { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

function readonlyRoot(root: string): void {
  const r = sh([READONLY, '--root', root]);
  assert.equal(r.status, 0, r.out);
}

test('readonly-root.sh --root: overlay on / only, the data partition in fstab, midimon-data before the box, volatile journal, config seed', () => {
  const root = seedRoot();
  try {
    install(root);
    readonlyRoot(root);
    const read = (p: string) => readFileSync(join(root, p), 'utf8');
    // recurse=0 is what keeps the data partition out of the RAM overlay.
    assert.match(read('etc/overlayroot.local.conf'), /^overlayroot="tmpfs:recurse=0"$/m);
    const fstab = read('etc/fstab').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.deepEqual(fstab, ['LABEL=midimon-data  /srv/midimon  ext4  defaults,noatime,nofail,x-systemd.device-timeout=10s  0  2']);
    assert.equal(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/midimon-data.service')), '/etc/systemd/system/midimon-data.service');
    assert.match(read('etc/systemd/system/midimon.service.d/10-data.conf'), /^Wants=midimon-data\.service\nAfter=midimon-data\.service$/m);
    assert.match(read('etc/systemd/system/midimon-data.service'), /^ExecStart=\/bin\/bash \/opt\/midimon\/provisioning\/readonly\/midimon-data\.sh$/m);
    assert.ok(existsSync(join(root, 'opt/midimon/provisioning/readonly/midimon-data.sh')), 'the boot script is in the installed code');
    assert.match(read('etc/systemd/journald.conf.d/60-midimon-volatile.conf'), /^Storage=volatile$/m);
    assert.equal(read('usr/share/midimon/config-seed/config.toml'), read('etc/midimon/config.toml'));
    const cfg = read('boot/firmware/config.txt');
    assert.match(cfg.slice(cfg.indexOf('# >>> midimon-readonly')), /^# >>> midimon-readonly.*\n\[all\]\nauto_initramfs=1\n# <<< midimon-readonly\n$/);
    assert.ok(cfg.includes('# >>> midimon-box'), "install.sh's block stays");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the bind targets are the paths the box and its unit use (src/config/paths.ts, midimon.service)', () => {
  const script = readFileSync(DATA, 'utf8');
  const binds = Object.fromEntries([...(/^BINDS=\(([^)]*)\)/m.exec(script)?.[1] ?? '').matchAll(/"(\w+):([^"]+)"/g)].map((m) => [m[1], m[2]]));
  assert.deepEqual(binds, { config: dirname(DEFAULT_CONFIG_PATH), state: DEFAULT_STATE_DIR });
  const unit = readFileSync(join(repo, 'provisioning/systemd/midimon.service'), 'utf8');
  const setting = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1];
  // StateDirectory= is writable under ProtectSystem=strict; every ReadWritePaths= (MIDI learn saves
  // the config) must be on the data partition, or a write would land in the RAM overlay and vanish.
  assert.equal(`/var/lib/${setting('StateDirectory')}`, binds['state']);
  assert.equal(`/etc/${setting('ConfigurationDirectory')}`, binds['config']);
  assert.equal(dirname(/MIDIMON_CONFIG=(\S+)/.exec(unit)?.[1] ?? ''), binds['config']);
  const writable = [...unit.matchAll(/^ReadWritePaths=(.*)$/gm)].flatMap((m) => (m[1] ?? '').split(/\s+/)).map((p) => p.replace(/^-/, '')).filter((p) => p !== '');
  for (const p of writable) assert.ok(Object.values(binds).some((b) => p === b || p.startsWith(`${b}/`)), `ReadWritePaths=${p} is not on the midimon-data partition`);
});

test('readonly-root.sh twice gives the same tree; it refuses a root without the box installed', () => {
  const root = seedRoot();
  try {
    install(root);
    readonlyRoot(root);
    const first = snapshot(root);
    readonlyRoot(root);
    const second = snapshot(root);
    assert.deepEqual([...new Set([...first.keys(), ...second.keys()])].filter((k) => first.get(k) !== second.get(k)), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const empty = mkdtempSync(join(tmpdir(), 'midimon-empty-'));
  try {
    const r = sh([READONLY, '--root', empty]);
    assert.equal(r.status, 1);
    assert.match(r.out, /run provisioning\/install\.sh first/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('midimon-data.sh seeds an empty data partition whole, keeps an edited config, and clears temp files of cut writes', () => {
  const root = seedRoot();
  try {
    install(root);
    readonlyRoot(root);
    const run = () => {
      const r = sh([DATA, '--root', root]);
      assert.equal(r.status, 0, r.out);
      return r.out;
    };
    assert.match(run(), /seeding \/srv\/midimon\/config/);
    const data = join(root, 'srv/midimon');
    assert.equal(readFileSync(join(data, 'config/config.toml'), 'utf8'), readFileSync(join(root, 'usr/share/midimon/config-seed/config.toml'), 'utf8'));
    assert.deepEqual(readdirSync(join(data, 'config')).sort(), ['config.toml', 'trusted-keys']);
    assert.ok(existsSync(join(data, 'state')));

    writeFileSync(join(data, 'config/config.toml'), '[[modes]]\nname = "Mine"\n');
    writeFileSync(join(data, 'config/.config.toml.123.abcd.tmp'), 'half');
    writeFileSync(join(data, 'state/.state.json.9.ff.tmp'), 'half');
    writeFileSync(join(data, 'state/state.json'), '{}\n');
    assert.doesNotMatch(run(), /seeding/);
    assert.equal(readFileSync(join(data, 'config/config.toml'), 'utf8'), '[[modes]]\nname = "Mine"\n');
    assert.deepEqual(readdirSync(join(data, 'config')).sort(), ['config.toml', 'trusted-keys']);
    assert.deepEqual(readdirSync(join(data, 'state')), ['state.json']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the laid midimon-data.service and the drop-in pass systemd-analyze verify', () => {
  const root = seedRoot();
  const units = mkdtempSync(join(tmpdir(), 'midimon-ro-units-'));
  try {
    install(root);
    readonlyRoot(root);
    for (const name of ['midimon.service', 'midimon-data.service']) {
      const text = readFileSync(join(root, 'etc/systemd/system', name), 'utf8').replaceAll('/usr/bin/node', process.execPath).replaceAll('/opt/midimon/', `${join(root, 'opt/midimon')}/`);
      writeFileSync(join(units, name), text);
    }
    // systemd reads drop-ins from next to the unit file.
    spawnSync('cp', ['-r', join(root, 'etc/systemd/system/midimon.service.d'), units]);
    const r = spawnSync('systemd-analyze', ['verify', join(units, 'midimon-data.service'), join(units, 'midimon.service')], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'systemd-analyze is required (apt-get install systemd)');
    const problems = r.stderr.split('\n').filter((l) => l.includes('midimon') && !l.includes('Failed to put bus name'));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(problems, []);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(units, { recursive: true, force: true });
  }
});

test('add-data-partition.sh appends a 4 MiB-aligned ext4 midimon-data partition to a pi-gen-like image, once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'midimon-img-'));
  const img = join(dir, 'midimon.img');
  try {
    // pi-gen's layout: FAT boot at 4 MiB, ext4 root right after it, the file ending with the root.
    spawnSync('truncate', ['-s', `${(24576 + 32768) * 512}`, img]);
    const made = spawnSync('sfdisk', ['-q', img], { input: 'label: dos\nstart=8192, size=16384, type=c\nstart=24576, size=32768, type=83\n', encoding: 'utf8' });
    assert.equal(made.error, undefined, 'sfdisk is required (apt-get install fdisk)');
    assert.equal(made.status, 0, made.stderr);
    const r = sh([ADD_PARTITION, img, '16']);
    assert.equal(r.status, 0, r.out);
    const table = JSON.parse(spawnSync('sfdisk', ['-J', img], { encoding: 'utf8' }).stdout) as { partitiontable: { partitions: { start: number; size: number; type: string }[] } };
    const parts = table.partitiontable.partitions;
    assert.equal(parts.length, 3);
    const [, rootPart, data] = parts;
    assert.ok(rootPart !== undefined && data !== undefined);
    assert.equal(data.start % 8192, 0);
    assert.ok(data.start >= rootPart.start + rootPart.size);
    assert.equal(data.size, 16 * 2048);
    assert.equal(data.type, '83');
    const probe = spawnSync('blkid', ['-p', '-O', String(data.start * 512), '-o', 'export', img], { encoding: 'utf8' });
    assert.match(probe.stdout, /^LABEL=midimon-data$/m);
    assert.match(probe.stdout, /^TYPE=ext4$/m);
    // The filesystem itself checks clean.
    spawnSync('dd', [`if=${img}`, `of=${join(dir, 'p3')}`, 'bs=512', `skip=${data.start}`, `count=${data.size}`, 'status=none']);
    const fsck = spawnSync('e2fsck', ['-fn', join(dir, 'p3')], { encoding: 'utf8' });
    assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);

    const before = readFileSync(img);
    const again = sh([ADD_PARTITION, img, '16']);
    assert.equal(again.status, 0, again.out);
    assert.match(again.out, /already has the midimon-data partition/);
    assert.ok(readFileSync(img).equals(before), 'a second run changed the image');
    assert.notEqual(sh([ADD_PARTITION, join(dir, 'nope.img')]).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
