import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMidimonError } from '../../src/errors.js';
import { compileDeadline, DEFAULT_COMPILE_TIMEOUT_MS } from '../../src/plugins/lanes/worker-client.js';

test('compile deadline: 30 s unless MIDIMON_COMPILE_DEADLINE_MS says otherwise', () => {
  assert.equal(DEFAULT_COMPILE_TIMEOUT_MS, 30_000);
  assert.equal(compileDeadline(undefined), 30_000);
  assert.equal(compileDeadline(''), 30_000);
  assert.equal(compileDeadline('600000'), 600_000);
});

test('compile deadline: a malformed override is an error naming the variable, never a silent default', () => {
  for (const bad of ['abc', '0', '-5', '1.5', '1e400', ' ']) {
    assert.throws(() => compileDeadline(bad), (err: unknown) => isMidimonError(err) && err.kind === 'config_invalid' && err.message.includes('MIDIMON_COMPILE_DEADLINE_MS') && err.message.includes(`'${bad}'`), bad);
  }
});
