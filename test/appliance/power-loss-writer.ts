// Child process of power-loss.test.ts: the box's real persistence code (state store, grant
// store, `midimon config install`'s atomic replace, the USB plugin installer) changing things
// in a loop. Before each change it prints "begin <kind> <n>", after it completes "ack <kind> <n>";
// the test SIGKILLs it at random moments and checks what is on disk.
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StateStore } from '../../src/state/state-store.js';
import { GrantStore } from '../../src/plugins/grants.js';
import { installConfigText } from '../../src/config/install-config.js';
import { installPackage } from '../../src/usb/installer.js';
import type { PluginManifest } from '../../src/plugins/manifest.js';
import type { LoadedPlugin } from '../../src/plugins/types.js';
import type { Logger } from 'pino';

export const KINDS = ['state', 'grant', 'config', 'install'] as const;
export type Kind = (typeof KINDS)[number];
export const PLUGIN = 'pl';

/** The module hash a grant is stored under for change n (so the file says which change it holds). */
export function grantHash(n: number): string {
  return n.toString(16).padStart(64, '0');
}

/** Plugin bytes of version n: differ per version, so a manifest of one and the bytes of another cannot pass as whole. */
export function pluginBytes(n: number): Uint8Array {
  const out = new Uint8Array(48 * 1024 + (n % 5) * 4096);
  let x = (n + 1) * 2654435761;
  for (let i = 0; i < out.length; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

export function configText(n: number): string {
  return `# save ${n}\n[[modes]]\nname = "m-${n}"\n${'# padding\n'.repeat(200 + (n % 7) * 50)}`;
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? '.';
  const start = Number(process.argv[3] ?? 0);
  const stateDir = join(dir, 'state');
  const configPath = join(dir, 'etc', 'config.toml');
  const scratch = join(dir, 'scratch');
  // A no-op logger rather than pino's: each kill starts a new process, and pino's load time adds up.
  const noop = (): void => undefined;
  const log = { error: noop, warn: noop, info: noop, debug: noop, trace: noop, fatal: noop, child: () => log } as unknown as Logger;
  const state = new StateStore({ dir: stateDir, log });
  await state.start();
  const grants = new GrantStore(stateDir, log);
  await grants.load();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say('ready');
  for (let n = start; ; n++) {
    const kind = KINDS[n % KINDS.length] ?? 'state';
    say(`begin ${kind} ${n}`);
    switch (kind) {
      case 'state':
        // Two writes, like a mode switch followed by a plugin section update.
        await state.setMode(`mode-${n}`);
        await state.setSection('counter', { n, pad: 'x'.repeat(4000 + (n % 7) * 1000) });
        break;
      case 'grant':
        await grants.set('echo', grantHash(n), [(['Midi', 'Network', 'Filesystem'] as const)[n % 3] ?? 'Midi'], []);
        break;
      case 'config':
        await installConfigText(configText(n), configPath, join(scratch, 'edited.toml'));
        break;
      case 'install': {
        // The "stick": written plainly (it is the source, not what is tested), then installed.
        const pkg = join(scratch, `pkg-${n}`);
        await rm(pkg, { recursive: true, force: true });
        await mkdir(pkg, { recursive: true });
        const bytes = pluginBytes(n);
        await writeFile(join(pkg, `${PLUGIN}.wasm`), bytes);
        const manifest: PluginManifest = {
          name: PLUGIN,
          version: `1.0.${n}`,
          description: 'power-loss test',
          author: 'test',
          license: 'MIT',
          binaryPath: `${PLUGIN}.wasm`,
          checksum: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
          required: [],
          optional: [],
        };
        // The sandbox load is not what a power cut can break (it writes nothing); its answer is stubbed.
        const loaded = { name: PLUGIN, metadata: { name: PLUGIN, version: manifest.version, capabilities: [] } } as unknown as LoadedPlugin;
        await installPackage({ dir: pkg, manifest }, { pluginsDir: join(stateDir, 'plugins'), trustedKeys: async () => [], signature: 'off', sandboxCheck: async () => loaded });
        await rm(pkg, { recursive: true, force: true });
        break;
      }
    }
    say(`ack ${kind} ${n}`);
  }
}

if (process.argv[1] !== undefined && /power-loss-writer\.(ts|mjs)$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
