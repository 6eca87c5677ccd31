import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOSED_MENU, reduceMenu, type MenuEffect, type MenuState } from '../../src/menu/index.js';
import { GrantStore } from '../../src/plugins/grants.js';
import { isCapability } from '../../src/plugins/types.js';
import { silentLogger } from '../../src/log.js';
import { richContext } from './fixtures.js';

/**
 * The wiring the composition root does for a 'plugin-grant' effect: the menu
 * only says what the operator chose; the plugin host's GrantStore persists it
 * (keyed by name + the installed build's SHA-256).
 */
async function applyGrant(store: GrantStore, sha256: string, effect: MenuEffect): Promise<void> {
  if (effect.type !== 'plugin-grant' || !isCapability(effect.capability)) return;
  const current = store.get(effect.name, sha256);
  const next = effect.granted ? [...current, effect.capability] : current.filter((c) => c !== effect.capability);
  await store.set(effect.name, sha256, next);
}

test('a capability granted from the menu survives a restart (GrantStore reload)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-grants-'));
  try {
    const sha = 'a'.repeat(64);
    const store = new GrantStore(dir, silentLogger());
    await store.load();
    await store.set('arp', sha, ['Midi']);
    const ctx = richContext();
    let state: MenuState = CLOSED_MENU;
    const effects: MenuEffect[] = [];
    // root -> Plugins -> arp -> Permissions -> Network -> select
    for (const type of ['enter', 'next', 'select', 'select', 'next', 'select', 'next', 'select'] as const) {
      const r = reduceMenu(state, { type, at: 0 }, ctx);
      state = r.state;
      effects.push(...r.effects);
    }
    assert.equal(effects.length, 1);
    for (const e of effects) await applyGrant(store, sha, e);
    const reloaded = new GrantStore(dir, silentLogger());
    await reloaded.load();
    assert.deepEqual([...reloaded.get('arp', sha)].sort(), ['Midi', 'Network']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
