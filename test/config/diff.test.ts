import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffConfig } from '../../src/config/diff.js';
import { boxConfigSchema } from '../../src/config/schema.js';

const cfg = (extra: Record<string, unknown> = {}) => boxConfigSchema.parse({ modes: [{ name: 'A' }], ...extra });

test('identical configs have no changes', () => {
  const d = diffConfig(cfg(), cfg());
  assert.deepEqual(d.keys, []);
  assert.deepEqual(d.sections, []);
  assert.equal(d.has('devices'), false);
  assert.equal(d.initial, false);
});

test('tables are compared one level down, arrays as a whole', () => {
  const a = cfg({ plugins: { looper: { path: 'l.wasm' }, tuner: { path: 't.wasm' } } });
  const b = cfg({
    modes: [{ name: 'A' }, { name: 'B' }],
    devices: { display: { rotation: 180 } },
    plugins: { looper: { path: 'l.wasm', capabilities: ['Midi'] }, tuner: { path: 't.wasm' }, new: { path: 'n.wasm' } },
  });
  const d = diffConfig(a, b);
  assert.deepEqual(d.keys, ['devices.display', 'modes', 'plugins.looper', 'plugins.new']);
  assert.deepEqual(d.sections, ['devices', 'modes', 'plugins']);
  assert.equal(d.has('plugins.tuner'), false);
  assert.equal(d.has('plugins.looper'), true);
  assert.equal(d.has('devices.display.rotation'), true);
  assert.equal(d.has('devices.midi'), false);
});

test('the initial diff lists everything', () => {
  const d = diffConfig(undefined, cfg());
  assert.equal(d.initial, true);
  assert.equal(d.has('devices.midi'), true);
  assert.equal(d.has('modes'), true);
  assert.equal(d.has('plugins'), true);
});
