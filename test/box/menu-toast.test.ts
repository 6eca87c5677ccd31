// A refused menu toggle (a grant the config file fixes) answers with a toast:
// a short message over the menu that goes away by itself, never a banner or an
// entry on the Errors page. Checked on the real box (example config, real
// plugins) and on the display controller with a manual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { refusalText, runMenuEffect, type MenuEffectTarget } from '../../src/box/menu-effects.js';
import { Problems } from '../../src/box/problems.js';
import { DisplayController } from '../../src/display/display-controller.js';
import { DEMO_STATUS } from '../../src/display/demo-views.js';
import { MidimonError } from '../../src/errors.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';
import { exampleBox } from './helpers/example-box.js';
import { choose } from './helpers/menu.js';

test('the real box: toggling a grant the config fixes shows a toast, leaves no banner and no recent error', async () => {
  const { box, clock, close } = await exampleBox();
  try {
    const problemsBefore = box.problems.recent().length;
    box.menu.input('enter', clock.now());
    choose(box, clock.now(), 'Plugins');
    choose(box, clock.now(), 'setlist');
    choose(box, clock.now(), 'Permissions');
    choose(box, clock.now(), 'Filesystem');
    for (let i = 0; i < 500 && box.display?.toastText === null; i++) await sleep(10);
    assert.equal(box.display?.toastText, 'Refused: Filesystem is set in the config file');
    assert.equal(box.problems.recent().length, problemsBefore, 'not an error');
    assert.equal(box.problems.banner(), undefined, 'no banner');
    assert.ok(box.menu.open, 'the menu stays where it was');
  } finally {
    await close();
  }
});

test('menu effects: a refused toggle toasts a short reason; other failures stay problems', async () => {
  const toasts: string[] = [];
  const problems = new Problems();
  const denied = new MidimonError('permission_denied', "Network is granted to 'arp' in /etc/midimon/config.toml ([plugins.arp].capabilities): remove it there");
  const target: MenuEffectTarget = {
    log: silentLogger(),
    problems,
    now: () => 0,
    pluginSet: { setEnabled: () => Promise.reject(new MidimonError('not_found', 'no plugin')), setGrant: () => Promise.reject(denied) },
    setMode: () => undefined,
    selectSong: () => undefined,
    panic: () => undefined,
    install: () => Promise.reject(new MidimonError('signature_invalid', 'bad signature')),
    refresh: () => undefined,
    onRestart: undefined,
    onShutdown: undefined,
    simulated: true,
    tempo: () => undefined,
    toast: (t) => toasts.push(t),
  };
  runMenuEffect({ type: 'plugin-grant', name: 'arp', capability: 'Network', granted: false }, target);
  runMenuEffect({ type: 'plugin-enable', name: 'ghost', enabled: true }, target);
  runMenuEffect({ type: 'usb-install', path: '/media/x', name: 'x' }, target);
  await sleep(0);
  assert.deepEqual(toasts, ['Refused: Network is set in the config file', 'Refused: ghost is not loaded']);
  assert.deepEqual(problems.recent().map((p) => p.key), ['menu:usb'], 'a failed install is still an error');
  assert.equal(refusalText({ type: 'plugin-enable', name: 'a', enabled: true }, new Error('disk full')), 'disk full');
});

test('display: the toast covers the lower half of the current screen and goes away by itself', async () => {
  const timers = new ManualScheduler();
  const ctl = new DisplayController({ display: null, log: silentLogger(), timers });
  await ctl.start();
  ctl.setStatus(DEMO_STATUS);
  const plain = ctl.framebuffer();
  ctl.toast('Refused: Network is set in the config file', 3000);
  const shown = ctl.framebuffer();
  assert.ok(!shown.equals(plain));
  assert.ok(shown.get(0, 63) && shown.get(127, 63), 'framed at the bottom');
  for (let x = 0; x < 128; x++) assert.equal(shown.get(x, 0), plain.get(x, 0), 'the mode header above stays as it was');
  timers.advance(2999);
  assert.equal(ctl.toastText, 'Refused: Network is set in the config file');
  timers.advance(1);
  assert.equal(ctl.toastText, null);
  assert.ok(ctl.framebuffer().equals(plain), 'gone: exactly the screen it covered');
  await ctl.stop();
});
