// The image recipe (images/prepare-pi-gen.sh + the pi-gen stage), run against a fake pi-gen
// checkout: CI cannot build an image (no loop devices), but it can check what the build gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const PREPARE = join(repo, 'images/prepare-pi-gen.sh');

function fakePiGen(buildSh: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'midimon-pi-gen-'));
  writeFileSync(join(dir, 'build.sh'), buildSh);
  return dir;
}

test('prepare-pi-gen refuses pi-gen master, which forces a 32-bit build', () => {
  const dir = fakePiGen('#!/bin/bash -e\nexport ARCH=armhf\nexport RELEASE=${RELEASE:-bookworm}\n');
  try {
    const r = spawnSync('bash', [PREPARE, dir], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /forces ARCH=armhf.*arm64 branch/);
    assert.equal(existsSync(join(dir, 'stage-midimon')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prepare-pi-gen lays a 64-bit trixie config and a stage that carries its own source tree (build-docker.sh route)', () => {
  const dir = fakePiGen('#!/bin/bash -e\nexport ARCH="${ARCH:-arm64}"\n');
  const rootfs = mkdtempSync(join(tmpdir(), 'midimon-rootfs-'));
  try {
    const r = spawnSync('bash', [PREPARE, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const config = readFileSync(join(dir, 'config'), 'utf8');
    assert.match(config, /^ARCH=arm64$/m);
    assert.match(config, /^RELEASE=trixie$/m);
    const stages = /^STAGE_LIST="([^"]+)"/m.exec(config)?.[1]?.split(/\s+/) ?? [];
    assert.deepEqual(stages, ['stage0', 'stage1', 'stage2', 'stage-midimon']);
    const sub = join(dir, 'stage-midimon/00-midimon');
    // pi-gen only runs executable *-run.sh / prerun.sh files.
    for (const f of [join(sub, '00-run.sh'), join(dir, 'stage-midimon/prerun.sh')]) assert.ok((statSync(f).mode & 0o111) !== 0, `${f} is not executable`);
    assert.equal(readFileSync(join(sub, 'files/midimon-box/package.json'), 'utf8'), readFileSync(join(repo, 'package.json'), 'utf8'));
    assert.equal(existsSync(join(sub, 'files/midimon-box/node_modules')), false);

    // Run the sub-stage as pi-gen does: cwd = the sub-stage, on_chroot an exported function, no MIDIMON_SRC.
    const capture = join(rootfs, '..', `${rootfs.split('/').pop()}.chroot-script`);
    const env: NodeJS.ProcessEnv = { ...process.env, ROOTFS_DIR: rootfs, CAPTURE: capture };
    delete env['MIDIMON_SRC'];
    const run = spawnSync('bash', ['-c', 'on_chroot() { cat >"$CAPTURE"; }; export -f on_chroot; ./00-run.sh'], { cwd: sub, encoding: 'utf8', env });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.ok(existsSync(join(rootfs, 'usr/src/midimon-box/provisioning/install.sh')));
    const script = readFileSync(capture, 'utf8');
    rmSync(capture);
    assert.match(script, /cd \/usr\/src\/midimon-box\n.*bash provisioning\/install\.sh/s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(rootfs, { recursive: true, force: true });
  }
});

test('the stage fails clearly when its source tree is missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'midimon-stage-'));
  try {
    mkdirSync(join(dir, 'sub'));
    const run = spawnSync('bash', [join(repo, 'images/pi-gen/stage-midimon/00-midimon/00-run.sh')], { cwd: join(dir, 'sub'), encoding: 'utf8', env: { ...process.env, ROOTFS_DIR: join(dir, 'rootfs') } });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /run images\/prepare-pi-gen\.sh first/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the stage turns the read-only root on after provisioning (sub-stage 01, in the chroot)', () => {
  const sub = join(repo, 'images/pi-gen/stage-midimon/01-readonly-root');
  assert.ok((statSync(join(sub, '00-run.sh')).mode & 0o111) !== 0, 'pi-gen only runs executable *-run.sh files');
  const dir = mkdtempSync(join(tmpdir(), 'midimon-stage01-'));
  try {
    const capture = join(dir, 'chroot-script');
    const run = spawnSync('bash', ['-c', 'on_chroot() { cat >"$CAPTURE"; }; export -f on_chroot; ./00-run.sh'], { cwd: sub, encoding: 'utf8', env: { ...process.env, ROOTFS_DIR: join(dir, 'rootfs'), CAPTURE: capture } });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    // Sub-stages run in name order: 00-midimon (install.sh) has laid the tree this script needs.
    assert.match(readFileSync(capture, 'utf8'), /^bash \/usr\/src\/midimon-box\/provisioning\/readonly-root\.sh$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
