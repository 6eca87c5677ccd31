// provisioning/install.sh --root DIR: every file the box needs, laid into a tree without
// touching this machine; checked file by file, for idempotence, and with systemd-analyze.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { INSTALL, install, seedRoot, snapshot } from './helpers/root-tree.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

const groupLine = (root: string, name: string) => readFileSync(join(root, 'etc/group'), 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));

test('install.sh --root lays units, udev, polkit, boot config, modules, accounts, code and config into the tree', () => {
  assert.equal(process.getuid?.(), 0, 'install.sh writes account files and ownership: this test needs root (CI runs as root)');
  const root = seedRoot();
  try {
    install(root);
    const read = (p: string) => readFileSync(join(root, p), 'utf8');
    // Units and rules are the repository's files, byte for byte.
    for (const [laid, source] of [
      ['etc/systemd/system/midimon.service', 'provisioning/systemd/midimon.service'],
      ['etc/systemd/system/midimon-usb@.service', 'provisioning/systemd/midimon-usb@.service'],
      ['etc/udev/rules.d/99-midimon-usb.rules', 'provisioning/udev/99-midimon-usb.rules'],
      ['etc/polkit-1/rules.d/50-midimon.rules', 'provisioning/polkit/50-midimon.rules'],
    ] as const) {
      assert.equal(read(laid), readFileSync(join(repo, source), 'utf8'), laid);
    }
    assert.equal(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/midimon.service')), '/etc/systemd/system/midimon.service');
    // Trixie has no /etc/modules: the module goes to modules-load.d.
    assert.equal(read('etc/modules-load.d/midimon.conf'), 'i2c-dev\n');
    assert.equal(existsSync(join(root, 'etc/modules')), false);
    // Our block comes after the [cm5] filter and opens with [all], or a CM5 filter would swallow it.
    const cfg = read('boot/firmware/config.txt');
    assert.ok(cfg.startsWith('#dtparam=i2c_arm=on\ndtparam=audio=on\n\n[cm5]\n'), 'the existing lines stay as they were');
    const block = cfg.slice(cfg.indexOf('# >>> midimon-box'));
    assert.match(block, /^# >>> midimon-box.*\n\[all\]\ndtparam=i2c_arm=on\ndtparam=i2c_arm_baudrate=400000\ngpio=17,27,22=ip,pu\n# <<< midimon-box\n$/);
    // Accounts: the service user with its own group, in the hardware groups; an existing group keeps its members.
    const passwd = read('etc/passwd').split('\n').find((l) => l.startsWith('midimon:'));
    const gid = groupLine(root, 'midimon')?.split(':')[2];
    assert.match(passwd ?? '', new RegExp(`^midimon:x:\\d+:${gid}::/var/lib/midimon:/usr/sbin/nologin$`));
    for (const g of ['gpio', 'i2c']) assert.match(groupLine(root, g) ?? '', /:midimon$/, g);
    assert.equal(groupLine(root, 'audio'), 'audio:x:29:pi,midimon');
    // Code and the CLI link (absolute in the target system, not in the build host).
    assert.ok(existsSync(join(root, 'opt/midimon/bin/midimon-daemon.js')));
    assert.ok(existsSync(join(root, 'opt/midimon/provisioning/udev/midimon-usb-check.sh')));
    assert.equal(existsSync(join(root, 'opt/midimon/node_modules')), false, '--no-build copies only the tracked tree');
    assert.equal(readlinkSync(join(root, 'usr/local/bin/midimon')), '/opt/midimon/bin/midimon.js');
    // The default config, owned root:midimon, group-writable, and valid.
    const st = lstatSync(join(root, 'etc/midimon/config.toml'));
    assert.equal(st.gid, Number(gid));
    assert.equal(st.mode & 0o777, 0o664);
    const check = spawnSync(process.execPath, [join(repo, 'bin/midimon.js'), 'config', 'check', join(root, 'etc/midimon/config.toml')], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('install.sh --root twice gives the same tree, and a rerun removes code files deleted upstream', () => {
  const root = seedRoot();
  try {
    install(root);
    const first = snapshot(root);
    const stale = join(root, 'opt/midimon/src/removed-upstream.ts');
    writeFileSync(stale, 'export {};\n');
    install(root);
    assert.equal(existsSync(stale), false, 'a file no longer in the source tree survived the upgrade');
    const second = snapshot(root);
    const changed = [...new Set([...first.keys(), ...second.keys()])].filter((k) => first.get(k) !== second.get(k));
    assert.deepEqual(changed, []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the laid units pass systemd-analyze verify against the laid code', () => {
  const root = seedRoot();
  const units = mkdtempSync(join(tmpdir(), 'midimon-laid-units-'));
  try {
    install(root);
    // verify checks that Exec* binaries exist: point /opt/midimon at the laid tree and node at this one.
    for (const name of ['midimon.service', 'midimon-usb@.service']) {
      const text = readFileSync(join(root, 'etc/systemd/system', name), 'utf8').replaceAll('/usr/bin/node', process.execPath).replaceAll('/opt/midimon/', `${join(root, 'opt/midimon')}/`);
      writeFileSync(join(units, name), text);
    }
    const r = spawnSync('systemd-analyze', ['verify', join(units, 'midimon.service'), join(units, 'midimon-usb@.service')], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'systemd-analyze is required (apt-get install systemd)');
    const problems = r.stderr.split('\n').filter((l) => l.includes('midimon') && !l.includes('Failed to put bus name'));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(problems, []);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(units, { recursive: true, force: true });
  }
});

test('install.sh refuses a --root that does not exist and unknown options, changing nothing', () => {
  const missing = join(tmpdir(), `midimon-no-such-root-${process.pid}`);
  const r = spawnSync('bash', [INSTALL, '--root', missing], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /is not a directory/);
  const u = spawnSync('bash', [INSTALL, '--frobnicate'], { encoding: 'utf8' });
  assert.equal(u.status, 2);
  assert.match(u.stderr, /unknown option --frobnicate/);
});
