// A fake Raspberry Pi OS root for the provisioning tests, install.sh --root into it, and a
// snapshot of a tree (type, mode, owner, content hash) to compare runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const INSTALL = join(repo, 'provisioning/install.sh');

/** A Raspberry Pi OS-like root: the account files and a config.txt that ends in a [cm5] filter. */
export function seedRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'midimon-root-'));
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'boot/firmware'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\naudio:x:29:pi\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n');
  writeFileSync(join(root, 'etc/gshadow'), 'root:*::\naudio:*::pi\n');
  writeFileSync(join(root, 'boot/firmware/config.txt'), '#dtparam=i2c_arm=on\ndtparam=audio=on\n\n[cm5]\ndtoverlay=dwc2,dr_mode=host\n');
  return root;
}

export function install(root: string): void {
  const r = spawnSync('bash', [INSTALL, '--root', root, '--no-build'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `install.sh --root failed:\n${r.stdout}\n${r.stderr}`);
}

/** path -> type, mode, owner and content hash (or link target): what "the same tree" means. */
export function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const p = join(root, rel);
    const st = lstatSync(p);
    const id = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) out.set(rel, `link -> ${readlinkSync(p)}`);
    else if (st.isDirectory()) {
      out.set(rel, `dir ${id}`);
      for (const e of readdirSync(p)) walk(join(rel, e));
    } else out.set(rel, `file ${id} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
  };
  walk('.');
  return out;
}

