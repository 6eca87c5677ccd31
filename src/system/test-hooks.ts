/**
 * Hooks that only tests switch on (MIDIMON_TEST_HOOKS=1; never set by the
 * unit or install.sh). SIGUSR2 blocks the event loop for MIDIMON_TEST_BLOCK_MS
 * (default 3000), as a hung plugin call or a sync bug would, so a test can see
 * the watchdog keep-alives stop while the loop is stuck. The start and end are
 * written to MIDIMON_TEST_HOOK_DIR (ms since the epoch) for the test to compare.
 * SIGURG makes an isolated plugin's worker provoke a real V8 fatal error, which
 * ends the plugin process (the plugin side obeys only with
 * MIDIMON_PLUGIN_TEST_HOOKS=1 in its environment too).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';

/** The part of the plugin host the fatal-error hook needs. */
export interface FatalTarget {
  status(): ReadonlyArray<{ readonly name: string; readonly lane: string }>;
  testProvokeFatal(name: string): void;
}

export function installTestHooks(env: Readonly<Record<string, string | undefined>>, log: Logger, plugins?: () => FatalTarget): void {
  if (env['MIDIMON_TEST_HOOKS'] !== '1') return;
  const dir = env['MIDIMON_TEST_HOOK_DIR'];
  const ms = Number(env['MIDIMON_TEST_BLOCK_MS'] ?? 3000);
  log.warn('test hooks enabled (MIDIMON_TEST_HOOKS=1): SIGUSR2 blocks the event loop, SIGURG aborts the plugin process');
  process.on('SIGUSR2', () => {
    const start = Date.now();
    if (dir !== undefined) writeFileSync(join(dir, 'blocked-start'), `${start}\n`);
    while (Date.now() - start < ms) {
      // Busy on purpose: nothing else may run on this thread now.
    }
    if (dir !== undefined) writeFileSync(join(dir, 'blocked-end'), `${Date.now()}\n`);
  });
  if (plugins === undefined) return;
  process.on('SIGURG', () => {
    // One isolated plugin is enough: they all share the plugin process.
    const host = plugins();
    const victim = host.status().find((p) => p.lane === 'isolated');
    log.warn({ plugin: victim?.name ?? null }, 'test hook: provoking a V8 fatal error in an isolated plugin');
    if (victim !== undefined) host.testProvokeFatal(victim.name);
  });
}
