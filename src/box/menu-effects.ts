/**
 * What the OLED menu's choices do on the box: switch mode, toggle a plugin
 * or a grant, install from a stick, restart or power off. A refused toggle
 * is a toast; other failures become problems on the banner (the menu itself
 * has no error path).
 */
import { spawn } from 'node:child_process';
import { MidimonError, toMidimonError } from '../errors.js';
import type { Logger } from '../log.js';
import type { MenuEffect } from '../menu/index.js';
import { isCapability } from '../plugins/types.js';
import type { TempoCommand } from '../engine/types.js';
import type { PluginSet } from './plugin-set.js';
import type { Problems } from './problems.js';
import type { Learn } from './learn.js';

/** The parts of the box a menu choice acts on. */
export interface MenuEffectTarget {
  readonly log: Logger;
  readonly problems: Problems;
  readonly now: () => number;
  readonly pluginSet: Pick<PluginSet, 'setEnabled' | 'setGrant'>;
  readonly setMode: (name: string) => void;
  readonly panic: () => void;
  readonly install: (packageDir: string) => Promise<unknown>;
  /** Redraws after an asynchronous change. */
  readonly refresh: () => void;
  /** The process owner decides what these mean; undefined: SIGTERM ourselves / `systemctl poweroff`. */
  readonly onRestart: (() => void) | undefined;
  readonly onShutdown: (() => void) | undefined;
  /** In simulation "Shut down" must not power off the computer it runs on. */
  readonly simulated: boolean;
  /** Tempo page: tap, nudge, start/stop, source. */
  readonly tempo: (command: TempoCommand) => void;
  /** Setlist page: select song N (1 = the first). */
  readonly selectSong: (song: number) => void;
  /** A short on-screen message that goes away by itself (a refused toggle). */
  readonly toast: (text: string) => void;
  /** MIDI learn pages (absent in boxes built without it). */
  readonly learn?: Pick<Learn, 'menuStart' | 'menuCancel' | 'menuSave'>;
}

/** What a refused plugin toggle says on the OLED: short, the full reason goes to the log. */
export function refusalText(effect: Extract<MenuEffect, { type: 'plugin-enable' | 'plugin-grant' }>, err: unknown): string {
  const e = toMidimonError(err);
  if (e.kind === 'permission_denied' && effect.type === 'plugin-grant') return `${effect.capability} is set in the config file`;
  if (e.kind === 'not_found') return `${effect.name} is not loaded`;
  return e.message;
}

export function runMenuEffect(effect: MenuEffect, box: MenuEffectTarget): void {
  const fail = (what: string) => (err: unknown) => {
    const e = toMidimonError(err);
    box.problems.report({ key: `menu:${what}`, at: box.now(), severity: 'error', kind: e.kind, message: e.message, source: 'menu' });
  };
  // A refused toggle is the answer to a press, not a fault of the box: a toast, and the log has the details.
  const refused = (e: Extract<MenuEffect, { type: 'plugin-enable' | 'plugin-grant' }>) => (err: unknown) => {
    box.log.warn({ err: toMidimonError(err), plugin: e.name }, 'menu: plugin change refused');
    box.toast(`Refused: ${refusalText(e, err)}`);
    box.refresh();
  };
  switch (effect.type) {
    case 'switch-mode':
      box.setMode(effect.name);
      break;
    case 'plugin-enable':
      box.pluginSet.setEnabled(effect.name, effect.enabled).then(() => box.refresh(), refused(effect));
      break;
    case 'plugin-grant':
      if (!isCapability(effect.capability)) return;
      box.pluginSet.setGrant(effect.name, effect.capability, effect.granted).then(() => box.refresh(), refused(effect));
      break;
    case 'panic':
      box.panic();
      break;
    case 'usb-install':
      box.install(effect.path).catch(fail('usb'));
      break;
    case 'tempo-tap':
      box.tempo({ kind: 'tap' });
      break;
    case 'tempo-nudge':
      box.tempo({ kind: 'nudge', by: effect.by });
      break;
    case 'clock-toggle':
      box.tempo({ kind: 'transport', command: 'toggle' });
      break;
    case 'clock-source':
      box.tempo({ kind: 'source', source: effect.source });
      break;
    case 'setlist-goto':
      box.selectSong(effect.song);
      break;
    case 'learn-start':
      box.learn?.menuStart(effect.mode);
      break;
    case 'learn-cancel':
      box.learn?.menuCancel();
      break;
    case 'learn-save':
      // menuSave reports success and failure on the banner itself.
      void box.learn?.menuSave(effect.mode, effect.choice);
      break;
    case 'restart':
      box.log.warn('restart requested from the menu');
      (box.onRestart ?? (() => process.kill(process.pid, 'SIGTERM')))();
      break;
    case 'shutdown':
      box.log.warn('shutdown requested from the menu');
      if (box.onShutdown !== undefined) box.onShutdown();
      else if (!box.simulated) {
        spawn('systemctl', ['poweroff'], { stdio: 'ignore' })
          .on('error', fail('shutdown'))
          .on('exit', (code) => {
            if (code !== 0) fail('shutdown')(new MidimonError('permission_denied', `systemctl poweroff failed (exit ${code ?? 'signal'}): is provisioning/polkit/50-midimon.rules installed?`));
          });
      }
      break;
  }
}
