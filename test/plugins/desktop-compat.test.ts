import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { isMidimonError } from '../../src/errors.js';
import { PluginHost } from '../../src/plugins/host.js';
import { checkAgainstMetadata, checksumField, parseManifest, withChecksum } from '../../src/plugins/manifest.js';
import type { LoadedPlugin } from '../../src/plugins/types.js';
import { installPackage, listInstalled, readPackage } from '../../src/usb/installer.js';
import { captureLog } from './helpers/capture-log.js';
import { abiModule, metadataJson, wat } from './helpers/wat.js';

// Plugins written for desktop MIDIMon (its conventions, measured against its
// own example plugins) load, run and install here unchanged: issue 14.
const repo = fileURLToPath(new URL('../../', import.meta.url));
const COMPAT = join(repo, 'plugins', 'desktop-compat');
const { log, lines } = captureLog();
let dir: string;
let host: PluginHost;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-compat-'));
  host = new PluginHost({ log, stateDir: join(dir, 'state'), profile: 'desktop', spareWorker: false });
});
after(async () => {
  await host.stop();
  await rm(dir, { recursive: true, force: true });
});

/** execute returns 0 and logs nothing, for modules whose init is the subject. */
const OK_EXECUTE = '(func (export "init") (result i64) (call $meta)) (func (export "execute") (param i32 i32) (result i32) (i32.const 0))';

async function loadError(name: string, bytes: Uint8Array): Promise<{ kind: string; message: string }> {
  try {
    await host.load(name, { bytes });
  } catch (err) {
    assert.ok(isMidimonError(err));
    return { kind: err.kind, message: err.message };
  }
  return assert.fail(`${name} loaded but should have been refused`);
}

describe('capabilities as desktop MIDIMon declares them', () => {
  test('lowercase names load; subprocess is Process; audio and systemcontrol are known but never granted', async () => {
    const meta = metadataJson('lower', { capabilities: ['network', 'filesystem', 'subprocess', 'midi', 'audio', 'systemcontrol', 'Network'] });
    const p = await host.load('lower', { bytes: abiModule('', OK_EXECUTE, meta) });
    assert.deepEqual(p.requested, ['Network', 'Filesystem', 'Process', 'Midi']);
    assert.deepEqual(p.metadata.unavailable, ['Audio', 'SystemControl']);
    assert.deepEqual(p.granted, ['Midi'], 'only the default grant: asking is not granting');
    const r = await host.execute('lower', 'x');
    assert.equal(r.status === 'returned' && r.code, 0);
  });

  test('a plugin without a capabilities list loads with none', async () => {
    const p = await host.load('nocaps', { bytes: abiModule('', OK_EXECUTE, metadataJson('nocaps', { capabilities: null })) });
    assert.deepEqual(p.requested, []);
    assert.equal(p.metadata.unavailable, undefined);
  });

  test('a name nobody knows is still refused, listing the known ones', async () => {
    const e = await loadError('teleport', abiModule('', OK_EXECUTE, metadataJson('teleport', { capabilities: ['teleport'] })));
    assert.equal(e.kind, 'bad_metadata');
    assert.match(e.message, /unknown capability "teleport" \(known: Network, .*subprocess.*Audio, SystemControl \(never granted here\); any case\)/);
  });
});

describe('the ABI as desktop MIDIMon calls it', () => {
  // execute returns 0 only when it was handed address 0 and the request's first byte is there.
  const ZERO_ALLOC = `
    (func (export "init") (result i64) (call $meta))
    (func (export "alloc") (param i32) (result i32) (i32.const 0))
    (func (export "execute") (param $p i32) (param $n i32) (result i32)
      (if (i32.ne (local.get $p) (i32.const 0)) (then (return (i32.const 5))))
      (if (i32.ne (i32.load8_u (i32.const 0)) (i32.const 123)) (then (return (i32.const 6))))
      (i32.const 0))`;
  function zeroAllocModule(pages: number, name = 'zero', extra = ''): Uint8Array {
    // Its own module (abiModule's allocator would clash with this alloc): metadata at 16 is overwritten by
    // the request later, which is the plugin's business (MIDIMon's minimal example does the same).
    const meta = metadataJson(name);
    const hex = [...Buffer.from(meta)].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
    return wat(`(module (memory (export "memory") ${pages}) (data (i32.const 16) "${hex}")
      (func $meta (result i64) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const ${Buffer.byteLength(meta)})))
      ${extra}${ZERO_ALLOC})`);
  }

  test('alloc returning 0: the request is written at address 0, as desktop MIDIMon does; no dealloc export is needed', async () => {
    await host.load('zero', { bytes: zeroAllocModule(1) });
    for (let i = 0; i < 3; i++) {
      const r = await host.execute('zero', 'play', { velocity: 1 });
      assert.equal(r.status === 'returned' && r.code, 0, JSON.stringify(r));
    }
  });

  test('a request that would run past memory from where alloc pointed is bad_pointer, and the message says so', async () => {
    await host.load('zero-small', { bytes: zeroAllocModule(1) });
    const r = await host.execute('zero-small', 'x'.repeat(70_000));
    assert.equal(r.status, 'error');
    if (r.status !== 'error') return;
    assert.equal(r.error.kind, 'bad_pointer');
    assert.match(r.error.message, /^alloc\(\d+\) returned 0: the \d+-byte request would end at \d+, past the plugin's memory \(65536 bytes\)$/);
  });

  test('a dealloc of the wrong type is still refused: optional, not unchecked', async () => {
    const e = await loadError('baddealloc', zeroAllocModule(1, 'baddealloc', '(func (export "dealloc") (param i32))'));
    assert.equal(e.kind, 'bad_signature');
    assert.match(e.message, /'dealloc'/);
  });

  test('an env.memmove import (older Rust no_std builds) is refused with how to rebuild', async () => {
    const e = await loadError('memmove', abiModule('(import "env" "memmove" (func (param i32 i32 i32) (result i32)))', OK_EXECUTE, metadataJson('memmove')));
    assert.equal(e.kind, 'forbidden_import');
    assert.match(e.message, /env\.memmove.*RUSTFLAGS="-C target-feature=\+bulk-memory"/);
  });
});

describe('plugins/desktop-compat: a Rust plugin in desktop MIDIMon style, built in CI', () => {
  before(async () => {
    await host.load('desktop-compat', { path: join(COMPAT, 'desktop-compat.wasm') });
  });
  /** What the plugin printed (stdout goes to the log, tagged with the plugin) during one call. */
  async function printed(action: string, params?: Record<string, string | number>): Promise<{ code: number | string; out: string[] }> {
    const from = lines.length;
    const r = await host.execute('desktop-compat', action, { velocity: 64, currentMode: 1, timestamp: 1_700_000_000_000 }, params);
    await new Promise((resolve) => setImmediate(resolve));
    const out = lines.slice(from).filter((l) => l.plugin === 'desktop-compat').map((l) => String(l['line'] ?? l.msg));
    return { code: r.status === 'returned' ? r.code : r.error.kind, out };
  }

  test('loads with its lowercase capabilities and no dealloc export', async () => {
    const p = host.get('desktop-compat') as LoadedPlugin;
    assert.equal(p.metadata.name, 'desktop_compat');
    assert.deepEqual(p.requested, ['Midi']);
    assert.deepEqual(p.metadata.unavailable, ['Audio']);
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(await readFile(join(COMPAT, 'desktop-compat.wasm')))).map((e) => e.name);
    assert.ok(exports.includes('alloc') && !exports.includes('dealloc'), exports.join(','));
  });

  test('its request type parses (context.metadata is always sent) and hello reads the guide fields', async () => {
    const r = await printed('hello');
    assert.equal(r.code, 0);
    assert.ok(r.out.some((l) => l.includes('hello: velocity=Some(64) mode=Some(1) timestamp=1700000000000')), r.out.join('\n'));
  });

  test('greet reads its name from context.metadata, as MIDIMon\'s template does', async () => {
    assert.ok((await printed('greet', { name: 'Ada' })).out.some((l) => l.includes('Hello, Ada!')));
    assert.ok((await printed('greet')).out.some((l) => l.includes('Hello, World!')));
  });

  test('notify reads positional "parameters" (values in the order written, as strings) and fails with 3 without them', async () => {
    const ok = await printed('notify', { title: 'Gig', message: 42 });
    assert.equal(ok.code, 0);
    assert.ok(ok.out.some((l) => l.includes('notify: Gig / 42')), ok.out.join('\n'));
    const missing = await printed('notify', { title: 'only one' });
    assert.equal(missing.code, 3);
    assert.ok(missing.out.some((l) => l.includes('missing message parameter')));
  });
});

describe('manifests in desktop MIDIMon\'s shapes', () => {
  const ENTRY_POINT = `[plugin]
name = "desktop-compat"
version = "0.1.0"
description = "d"
author = "a"
license = "MIT"
type = "wasm"
entry_point = "desktop-compat.wasm"
capabilities = ["midi", "audio"]

[[actions]]
name = "hello"
`;
  const PLUGIN_BINARY = `[plugin]
name = "desktop_compat"
version = "0.1.0"
description = "d"
author = "a"
license = "MIT"
binary = "desktop-compat.wasm"

[plugin.capabilities]
midi = true
audio = true
network = false
`;

  test('entry_point + capabilities list, and binary + [plugin.capabilities] table, parse to the same plugin', () => {
    const a = parseManifest(ENTRY_POINT, 'a.toml');
    const b = parseManifest(PLUGIN_BINARY, 'b.toml');
    for (const m of [a, b]) {
      assert.equal(m.binaryPath, 'desktop-compat.wasm');
      assert.deepEqual([...m.required].sort(), ['Audio', 'Midi']);
      assert.equal(checksumField(m), 'plugin.checksum');
    }
    assert.equal(a.shape, 'entry_point');
    assert.equal(b.shape, 'plugin.binary');
    assert.equal(checksumField(parseManifest(`[plugin]\nname="x"\nversion="1.0.0"\ndescription="d"\nauthor="a"\nlicense="MIT"\n[binary]\npath="x.wasm"\n`, 'c.toml')), 'binary.checksum');
  });

  test('errors name the field of the shape in use', () => {
    assert.throws(() => parseManifest(ENTRY_POINT.replace('"desktop-compat.wasm"', '"../x.wasm"'), 'a.toml'), /a\.toml: plugin\.entry_point must be relative/);
    assert.throws(() => parseManifest(PLUGIN_BINARY.replace('audio = true', 'audio = "yes"'), 'b.toml'), /b\.toml: plugin\.capabilities\.audio must be true or false/);
    assert.throws(() => parseManifest(ENTRY_POINT.replace('"midi", "audio"', '"midi", "lasers"'), 'a.toml'), /a\.toml: plugin\.capabilities contains unknown capability "lasers"/);
    assert.throws(() => parseManifest('[plugin]\nname="x"\nversion="1.0.0"\ndescription="d"\nauthor="a"\nlicense="MIT"\n', 'd.toml'), /d\.toml: binary\.path is missing/);
  });

  test('pack writes the checksum under [plugin] beside entry_point, keeping the rest of the file', () => {
    const m = parseManifest(ENTRY_POINT, 'a.toml');
    const out = withChecksum(ENTRY_POINT, m, `sha256:${'ab'.repeat(32)}`);
    assert.match(out, /^entry_point = "desktop-compat.wasm"\nchecksum = "sha256:(ab){32}"$/m);
    assert.ok(out.includes('[[actions]]\nname = "hello"'));
    assert.equal(parseManifest(out, 'a.toml').checksum, `sha256:${'ab'.repeat(32)}`);
  });

  test('"-" and "_" are the same in names; a real name or version difference is still refused', () => {
    const loaded = host.get('desktop-compat') as LoadedPlugin;
    checkAgainstMetadata(parseManifest(ENTRY_POINT, 'a.toml'), loaded, 'a.toml');
    checkAgainstMetadata(parseManifest(PLUGIN_BINARY, 'b.toml'), loaded, 'b.toml');
    assert.throws(() => checkAgainstMetadata(parseManifest(ENTRY_POINT.replace('desktop-compat"', 'desktop-compot"'), 'a.toml'), loaded, 'a.toml'), /plugin\.name is "desktop-compot"/);
    assert.throws(() => checkAgainstMetadata(parseManifest(ENTRY_POINT.replace('["midi", "audio"]', '["midi"]'), 'a.toml'), loaded, 'a.toml'), /plugin\.capabilities is \["Midi"\] but the plugin's init\(\) metadata says \["Audio","Midi"\]|plugin\.capabilities is \["Midi"\] but the plugin's init\(\) metadata says \["Audio", "Midi"\]/);
  });

  for (const [shape, text] of [['entry_point', ENTRY_POINT], ['plugin.binary', PLUGIN_BINARY]] as const) {
    test(`a ${shape} package installs with its checksum under [plugin]; without one or with a wrong one it is refused, naming plugin.checksum`, async () => {
      const wasm = await readFile(join(COMPAT, 'desktop-compat.wasm'));
      const sum = createHash('sha256').update(wasm).digest('hex');
      const pkgDir = join(dir, `pkg-${shape}`);
      const pluginsDir = join(dir, `installed-${shape}`);
      await mkdir(pkgDir, { recursive: true });
      await copyFile(join(COMPAT, 'desktop-compat.wasm'), join(pkgDir, 'desktop-compat.wasm'));
      const options = {
        pluginsDir,
        signature: 'if-present' as const,
        trustedKeys: async () => [],
        sandboxCheck: async (n: string, bytes: Uint8Array) => {
          try {
            return await host.load(`check.${n}`, { bytes });
          } finally {
            await host.unload(`check.${n}`);
          }
        },
      };
      const refused = async (toml: string, pattern: RegExp) => {
        await writeFile(join(pkgDir, 'plugin.toml'), toml);
        await assert.rejects(installPackage(await readPackage(pkgDir), options), (e) => isMidimonError(e, 'checksum_mismatch') && pattern.test(e.message) && e.details?.['field'] === 'plugin.checksum');
      };
      await refused(text, /plugin\.checksum must be "sha256:<64 hex digits>"/);
      const entryLine = shape === 'entry_point' ? /^entry_point = .*$/m : /^binary = .*$/m;
      await refused(text.replace(entryLine, (l) => `${l}\nchecksum = "sha256:${'0'.repeat(64)}"`), /refusing to install/);
      assert.deepEqual(await listInstalled(pluginsDir).catch(() => []), [], 'nothing installed by a refused package');

      await writeFile(join(pkgDir, 'plugin.toml'), text.replace(entryLine, (l) => `${l}\nchecksum = "sha256:${sum}"`));
      const installed = await installPackage(await readPackage(pkgDir), options);
      assert.equal(installed.sha256, sum);
      const listed = await listInstalled(pluginsDir);
      assert.equal(listed.length, 1);
      const p = await host.load(`inst-${shape}`, { path: listed[0]?.wasmPath ?? '' });
      assert.equal(p.sha256, sum);
    });
  }
});
