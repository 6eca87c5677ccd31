import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { main as cli } from '../../../src/cli/main.js';

/** Runs `midimon ARGV --socket DIR/control.sock` in-process against a daemon started in DIR. */
export async function midimonIn(dir: string, argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await cli([...argv, '--socket', join(dir, 'control.sock')], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, cwd: dir });
  return { code, out, err };
}

/**
 * Bounded polling of a real process until `probe` gives a value; no timing is
 * asserted. `detail` adds what the daemon said to the failure message.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { tries = 400, stepMs = 50, detail }: { tries?: number; stepMs?: number; detail?: () => string } = {},
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(stepMs);
  }
  assert.fail(`timed out waiting for ${what}${detail === undefined ? '' : `; the daemon said: ${detail()}`}`);
}
