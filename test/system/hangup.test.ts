// Closing the terminal of `npm start` ends the simulated box; the service still reloads on SIGHUP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hangupAction } from '../../src/system/hangup.js';

test('SIGHUP stops an interactive simulation and reloads everywhere else', () => {
  assert.equal(hangupAction({ simulate: true, interactive: true }), 'stop');
  assert.equal(hangupAction({ simulate: true, interactive: false }), 'reload');
  assert.equal(hangupAction({ simulate: false, interactive: true }), 'reload');
  assert.equal(hangupAction({ simulate: false, interactive: false }), 'reload');
});
