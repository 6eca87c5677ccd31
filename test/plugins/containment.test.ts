// Containment: a fatal V8 error in plugin code (here: a wasm table grown until
// V8 reports "Reached heap limit" and aborts) ends the plugin process, not the
// host. MIDI keeps flowing through the engine meanwhile, nothing is lost, and
// the plugin's process is restarted and the plugin reloaded.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';
import { FakeMidiBackend } from '../../src/midi/fake-midi-backend.js';
import { MidiDevices } from '../../src/midi/midi-devices.js';
import { PluginHost, type PluginFault } from '../../src/plugins/host.js';
import { PLUGIN_PROCESS_TEST_HOOKS } from '../../src/plugins/lanes/protocol.js';
import { EngineLoop } from '../../src/runtime/engine-loop.js';
import { pluginHostCaller } from '../../src/runtime/ports.js';
import { parseConfig } from '../engine/rig.js';
import { fixture } from './helpers/wat.js';

// Inherited by the plugin process and its workers: arms the fatal-error hook there.
process.env[PLUGIN_PROCESS_TEST_HOOKS] = '1';

test('a V8 fatal error in a plugin kills only the plugin process: a MIDI flood passes untouched, the process restarts', async () => {
  const faults: PluginFault[] = [];
  let loop: EngineLoop | null = null;
  const host = new PluginHost({
    log: silentLogger(), stateDir: mkdtempSync(join(tmpdir(), 'midimon-contain-')), profile: 'desktop', isolation: 'process',
    onHostCall: (plugin, call) => loop?.hostCall(plugin, call),
    onPluginFault: (plugin, f) => {
      if (plugin === 'victim') faults.push(f);
    },
  });
  const scheduler = new ManualScheduler(1_705_612_800_000);
  const backend = new FakeMidiBackend({ inputs: ['Keys 20:0'], outputs: ['Synth 21:0'] });
  const devices = new MidiDevices({ backend, scheduler, log: silentLogger(), inputs: [], outputs: [], pollIntervalMs: 1000, onMessage: (e) => loop?.dispatch(e), onDevice: () => {} });
  try {
    // A long deadline: on a loaded machine V8's last GCs before the fatal error take seconds, and a
    // timeout would terminate the thread first.
    await host.load('victim', { bytes: fixture('healthy', { name: 'victim' }) }, { limits: { timeoutMs: 120_000 } });
    await host.load('bystander', { bytes: fixture('healthy', { name: 'bystander' }) });
    const first = host.processInfo();
    assert.ok(first?.pid !== undefined);
    loop = new EngineLoop({
      config: parseConfig({ modes: [{ name: 'Live' }], routes: [{ name: 'thru', from: 'Keys', to: 'Synth' }] }),
      scheduler, midi: devices, plugins: pluginHostCaller(host), log: silentLogger(),
    });
    loop.start();
    devices.start();

    let sent = 0;
    const flood = (n: number): void => {
      for (let i = 0; i < n; i++, sent++) backend.inject('Keys 20:0', [0x90 | (sent % 16), sent % 128, 1 + (sent % 127)]);
    };
    flood(200);
    host.testProvokeFatal('victim');
    // A call in flight when the process dies gets an error, never a hang or a rejection.
    const inFlight = host.execute('victim', 'ping');
    // Keep the flood going, turn after turn, until the new process runs the plugin again.
    const restarted = (): boolean => {
      const p = host.processInfo();
      return p !== undefined && p.generation > first.generation && host.status().every((s) => s.state === 'ready');
    };
    // (Bounded generously: on a loaded machine a new process under tsx takes seconds to boot.)
    for (const giveUp = Date.now() + 240_000; Date.now() < giveUp && !restarted(); ) {
      flood(20);
      await new Promise((r) => setTimeout(r, 5));
    }
    flood(200);
    assert.ok(restarted(), 'the plugin process was restarted and the plugins reloaded');
    const r = await inFlight;
    assert.equal(r.status, 'error');
    assert.match(r.status === 'error' ? r.error.message : '', /plugin process died \(signal SIGABRT\)/);
    // Every message that went in came out, in order, unchanged.
    const out = backend.sent('Synth 21:0');
    assert.equal(out.length, sent);
    for (let i = 0; i < sent; i++) assert.deepEqual(out[i], [0x90 | (i % 16), i % 128, 1 + (i % 127)]);
    assert.notEqual(host.processInfo()?.pid, first.pid);
    assert.equal(faults[0]?.reason, 'crashed');
    // Both plugins (the one that died and its neighbour in the same process) work again.
    for (const name of ['victim', 'bystander']) {
      const ok = await host.execute(name, 'ping');
      assert.equal(ok.status === 'returned' && ok.code, 0, `${name}: ${JSON.stringify(ok)}`);
    }
  } finally {
    loop?.stop();
    devices.stop();
    await host.stop();
  }
});
