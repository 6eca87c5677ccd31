import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { z } from 'zod';
import { engineConfigShape, checkEngineReferences, TRIGGER_TYPES, ACTION_TYPES, SEND_MIDI_MESSAGES } from '../../src/config/mappings-schema.js';
import { MidiEngine } from '../../src/engine/engine.js';
import type { Action, Trigger } from '../../src/engine/config-types.js';

const text = readFileSync(new URL('../../docs/example-config.toml', import.meta.url), 'utf8');
const doc = parse(text) as Record<string, unknown>;
const engineKeys = Object.keys(engineConfigShape) as (keyof typeof engineConfigShape)[];
const engineOnly = Object.fromEntries(engineKeys.filter((k) => k in doc).map((k) => [k, doc[k]]));

test('docs/example-config.toml is valid under the engine schema and its references resolve', () => {
  const config = z.strictObject(engineConfigShape).parse(engineOnly);
  const plugins = Object.keys(doc['plugins'] as Record<string, unknown>);
  assert.deepEqual(plugins.sort(), ['chord', 'setlist']);
  assert.deepEqual(checkEngineReferences(config, plugins), []);
  assert.doesNotThrow(() => new MidiEngine(config));
});

test('the example uses every trigger type, every action type and every SendMidi message', () => {
  const config = z.strictObject(engineConfigShape).parse(engineOnly);
  const triggers = new Set<string>();
  const actions = new Set<string>();
  const messages = new Set<string>();
  const walk = (a: Action): void => {
    actions.add(a.type);
    if (a.type === 'SendMidi') messages.add(a.message);
    if (a.type === 'Sequence') a.actions.forEach(walk);
    if (a.type === 'Repeat') walk(a.action);
    if (a.type === 'Conditional') {
      walk(a.then);
      if (a.else !== undefined) walk(a.else);
    }
  };
  for (const m of [...config.modes.flatMap((x) => x.mappings), ...config.global_mappings]) {
    triggers.add((m.trigger as Trigger).type);
    walk(m.action);
  }
  assert.deepEqual([...TRIGGER_TYPES].filter((t) => !triggers.has(t)), []);
  assert.deepEqual([...ACTION_TYPES].filter((t) => !actions.has(t)), []);
  const missing = [...SEND_MIDI_MESSAGES].filter((t) => !messages.has(t));
  assert.deepEqual(missing, []);
});
