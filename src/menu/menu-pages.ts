import type { MenuContext, MenuError, MenuTempo } from './menu-context.js';
import type { ConfirmSpec, MenuEffect, MenuFrame, MenuLearnChoice } from './menu-types.js';

/** What selecting a row does. */
export type ItemAction =
  | { readonly kind: 'go'; readonly frame: MenuFrame; readonly effect?: MenuEffect }
  | { readonly kind: 'effect'; readonly effect: MenuEffect; readonly close: boolean }
  | { readonly kind: 'confirm'; readonly confirm: ConfirmSpec }
  | { readonly kind: 'back'; readonly effect?: MenuEffect }
  | { readonly kind: 'none' };

export interface PageItem {
  readonly label: string;
  readonly value?: string;
  readonly current?: boolean;
  readonly action: ItemAction;
}

export type Page =
  | { readonly kind: 'list'; readonly title: string; readonly items: readonly PageItem[] }
  | { readonly kind: 'text'; readonly title: string; readonly lines: readonly string[] }
  | { readonly kind: 'confirm'; readonly confirm: ConfirmSpec };

const BACK: PageItem = { label: '< Back', action: { kind: 'back' } };
const go = (page: MenuFrame['page'], param?: string): ItemAction => ({ kind: 'go', frame: param === undefined ? { page, selected: 0 } : { page, selected: 0, param } });
const info = (label: string, value?: string): PageItem => (value === undefined ? { label, action: { kind: 'none' } } : { label, value, action: { kind: 'none' } });
const box = (on: boolean) => (on ? '[x]' : '[ ]');
const SEV = { error: 'E', warning: 'W', info: 'i' } as const;

/** Builds the page a frame shows from the current context (never cached: lists follow the box live). */
export function buildPage(frame: MenuFrame, ctx: MenuContext, columns: number): Page {
  switch (frame.page) {
    case 'root':
      return {
        kind: 'list',
        title: 'Menu',
        items: [
          { label: 'Modes', value: ctx.currentMode, action: go('modes') },
          { label: 'Plugins', value: String(ctx.plugins.length), action: go('plugins') },
          { label: 'MIDI devices', value: String(ctx.devices.filter((d) => d.connected).length), action: go('devices') },
          { label: 'Errors', value: String(ctx.errors.length), action: go('errors') },
          ...(ctx.tempo === undefined ? [] : [{ label: 'Tempo', value: tempoValue(ctx.tempo), action: go('tempo') }]),
          ...(ctx.setlist === undefined ? [] : [{ label: 'Setlist', value: `${ctx.setlist.position ?? '-'}/${ctx.setlist.songs.length}`, action: go('setlist') }]),
          { label: 'System', action: go('system') },
          // Closes the menu: a stuck note is an emergency, the status screen then shows "panic".
          { label: 'Panic: notes off', action: { kind: 'effect', effect: { type: 'panic' }, close: true } },
          { label: 'MIDI learn', action: go('learn') },
          ...(ctx.monitor === undefined ? [] : [{ label: 'MIDI monitor', action: go('monitor') }]),
          { label: 'Exit', action: { kind: 'back' } },
        ],
      };
    case 'modes':
      return {
        kind: 'list',
        title: 'Modes',
        items: [
          ...ctx.modes.map((m): PageItem => ({
            label: `${m.index} ${m.name}`,
            current: m.name === ctx.currentMode,
            action: { kind: 'effect', effect: { type: 'switch-mode', name: m.name }, close: true },
          })),
          BACK,
        ],
      };
    case 'plugins':
      return {
        kind: 'list',
        title: 'Plugins',
        items: [
          ...ctx.plugins.map((p): PageItem => ({ label: p.name, value: p.state, action: go('plugin', p.name) })),
          ...(ctx.usb.present ? [{ label: 'Install from USB', value: String(ctx.usb.packages.length), action: go('usb') }] : []),
          BACK,
        ],
      };
    case 'plugin': {
      const p = ctx.plugins.find((x) => x.name === frame.param);
      if (p === undefined) return { kind: 'text', title: frame.param ?? 'Plugin', lines: ['No longer installed.'] };
      const granted = p.capabilities.filter((c) => c.granted).length;
      return {
        kind: 'list',
        title: p.name,
        items: [
          { label: 'Enabled', value: box(p.enabled), action: { kind: 'effect', effect: { type: 'plugin-enable', name: p.name, enabled: !p.enabled }, close: false } },
          { label: 'Permissions', value: `${granted}/${p.capabilities.length}`, action: go('plugin-caps', p.name) },
          p.error === undefined ? info('State', p.state) : { label: 'Last error', value: p.state, action: { kind: 'go', frame: { page: 'error', selected: 0, param: `plugin:${p.name}` } } },
          BACK,
        ],
      };
    }
    case 'plugin-caps': {
      const p = ctx.plugins.find((x) => x.name === frame.param);
      if (p === undefined) return { kind: 'text', title: frame.param ?? 'Plugin', lines: ['No longer installed.'] };
      return {
        kind: 'list',
        title: `${p.name} perms`,
        items: [
          ...p.capabilities.map((c): PageItem => ({
            label: c.name,
            value: box(c.granted),
            action: { kind: 'effect', effect: { type: 'plugin-grant', name: p.name, capability: c.name, granted: !c.granted }, close: false },
          })),
          BACK,
        ],
      };
    }
    case 'usb':
      return {
        kind: 'list',
        title: 'USB plugins',
        items: [
          ...(ctx.usb.present ? ctx.usb.packages : []).map((pkg): PageItem => ({
            label: pkg.name,
            ...(pkg.version === undefined ? {} : { value: pkg.version }),
            action: { kind: 'confirm', confirm: { title: 'Install', message: `Install ${pkg.name}${pkg.version === undefined ? '' : ` ${pkg.version}`} from the USB stick?`, confirmLabel: 'Install', effect: { type: 'usb-install', path: pkg.path, name: pkg.name } } },
          })),
          ...(ctx.usb.present && ctx.usb.packages.length > 0 ? [] : [info(ctx.usb.present ? '(no plugins found)' : '(no USB stick)')]),
          BACK,
        ],
      };
    case 'devices':
      return {
        kind: 'list',
        title: 'MIDI devices',
        items: [
          ...ctx.devices.map((d): PageItem => ({ label: d.name, value: d.connected ? 'on' : ago(ctx.now, d.lastSeen), action: go('device', d.name) })),
          ...(ctx.devices.length === 0 ? [info('(none)')] : []),
          BACK,
        ],
      };
    case 'device': {
      const d = ctx.devices.find((x) => x.name === frame.param);
      const lines = d === undefined ? ['Not seen any more.'] : [d.name, `Direction: ${d.direction ?? 'in'}`, d.connected ? 'Connected' : 'Disconnected', `Last seen: ${d.lastSeen === undefined ? '-' : `${ago(ctx.now, d.lastSeen)} ago`}`];
      return { kind: 'text', title: 'Device', lines: lines.flatMap((l) => wrap(l, columns)) };
    }
    case 'errors':
      return {
        kind: 'list',
        title: 'Errors',
        items: [
          ...ctx.errors.map((e, i): PageItem => ({ label: `${SEV[e.severity]} ${e.message}`, value: ago(ctx.now, e.at), action: go('error', String(i)) })),
          ...(ctx.errors.length === 0 ? [info('(no errors)')] : []),
          BACK,
        ],
      };
    case 'error':
      return { kind: 'text', title: 'Error', lines: errorLines(frame.param ?? '', ctx, columns) };
    case 'system': {
      const s = ctx.system;
      return {
        kind: 'list',
        title: 'System',
        items: [
          info(`Host ${s.hostname}`),
          ...(s.addresses.length === 0 ? [info('IP (none)')] : s.addresses.map((a) => info(`IP ${a}`))),
          info('Version', s.version),
          ...(s.diskFreeMb === undefined || s.diskFreeMb === null ? [] : [info('Disk free', `${s.diskFreeMb} MB`)]),
          ...(s.memFreeMb === undefined ? [] : [info('Mem free', `${s.memFreeMb}/${s.memTotalMb ?? '?'}M`)]),
          { label: 'Restart service', action: { kind: 'confirm', confirm: { title: 'Restart', message: 'Restart the midimon service? MIDI stops for a few seconds.', confirmLabel: 'Restart', effect: { type: 'restart' } } } },
          { label: 'Shut down', action: { kind: 'confirm', confirm: { title: 'Shut down', message: 'Shut down safely? Unplug power once the screen is dark.', confirmLabel: 'Shut down', effect: { type: 'shutdown' } } } },
          BACK,
        ],
      };
    }
    case 'tempo': {
      const t = ctx.tempo;
      if (t === undefined) return { kind: 'text', title: 'Tempo', lines: ['No clock.'] };
      const internal = t.source === 'internal';
      const stay = (effect: MenuEffect): ItemAction => ({ kind: 'effect', effect, close: false });
      return {
        kind: 'list',
        title: `Tempo ${tempoValue(t)}`,
        items: [
          // Each select is a tap: the box averages the last few (docs/engine.md).
          ...(internal
            ? [
                { label: 'Tap', action: stay({ type: 'tempo-tap' }) },
                { label: '+1 BPM', action: stay({ type: 'tempo-nudge', by: 1 }) },
                { label: '-1 BPM', action: stay({ type: 'tempo-nudge', by: -1 }) },
                { label: t.running ? 'Stop' : 'Start', action: stay({ type: 'clock-toggle' }) },
              ]
            : [info(t.locked ? 'Following' : 'No clock in', t.locked ? (t.running ? 'play' : 'stop') : undefined)]),
          { label: 'Source', value: internal ? 'int' : 'ext', action: stay({ type: 'clock-source', source: internal ? 'external' : 'internal' }) },
          BACK,
        ],
      };
    }
    case 'setlist': {
      const s = ctx.setlist;
      if (s === undefined) return { kind: 'text', title: 'Setlist', lines: ['No setlist.'] };
      return {
        kind: 'list',
        title: 'Setlist',
        items: [
          // Selecting a song closes the menu: the status screen then shows it large.
          ...s.songs.map((song): PageItem => ({
            label: `${song.number} ${song.name}`,
            current: song.number === s.position,
            action: { kind: 'effect', effect: { type: 'setlist-goto', song: song.number }, close: true },
          })),
          BACK,
        ],
      };
    }
    case 'learn':
      return {
        kind: 'list',
        title: 'Learn for mode',
        items: [
          ...ctx.modes.map((m): PageItem => ({
            label: `${m.index} ${m.name}`,
            current: m.name === ctx.currentMode,
            action: { kind: 'go', frame: { page: 'learn-listen', selected: 0, param: m.name }, effect: { type: 'learn-start', mode: m.name } },
          })),
          BACK,
        ],
      };
    case 'learn-listen':
      return learnListenPage(frame.param ?? '', ctx);
    case 'monitor': {
      // Newest first, so the top rows are what just happened; next/prev scroll back, select leaves.
      const lines = (ctx.monitor ?? []).map((m) => `${m.dir === 'in' ? '>' : '<'}${m.device} ${m.text}`);
      return { kind: 'text', title: 'Monitor >in <out', lines: lines.length === 0 ? ['(no MIDI yet)'] : lines };
    }
    case 'confirm':
      return frame.confirm === undefined ? { kind: 'text', title: 'Confirm', lines: [] } : { kind: 'confirm', confirm: frame.confirm };
  }
}

const LEARN_CHOICES: readonly { readonly label: string; readonly choice: MenuLearnChoice }[] = [
  { label: 'Mode next', choice: { kind: 'mode-next' } },
  { label: 'Mode prev', choice: { kind: 'mode-prev' } },
  { label: 'Send note', choice: { kind: 'note' } },
  { label: 'Send CC', choice: { kind: 'cc' } },
  { label: 'Send PC', choice: { kind: 'pc' } },
];

/** Listening, then (once a control came in) what it should do; each choice asks before it writes the config. */
function learnListenPage(mode: string, ctx: MenuContext): Page {
  const l = ctx.learn?.mode === mode ? ctx.learn : undefined;
  const cancel: PageItem = { label: 'Cancel', action: { kind: 'back', effect: { type: 'learn-cancel' } } };
  if (l === undefined || l.state === 'waiting') return { kind: 'list', title: `Learn ${mode}`, items: [info('Move a control...'), cancel] };
  if (l.state === 'timeout' || l.label === undefined) {
    return { kind: 'list', title: `Learn ${mode}`, items: [info('Nothing came in'), { label: 'Listen again', action: { kind: 'effect', effect: { type: 'learn-start', mode }, close: false } }, cancel] };
  }
  const label = l.label;
  const choices = [...LEARN_CHOICES, ...l.pluginActions.map((p) => ({ label: `${p.plugin}: ${p.action}`, choice: { kind: 'plugin', plugin: p.plugin, action: p.action } as const }))];
  return {
    kind: 'list',
    title: label,
    items: [
      ...choices.map((c): PageItem => ({
        label: c.label,
        action: { kind: 'confirm', confirm: { title: 'Learn', message: `${label} -> ${c.label} in ${mode}? Writes the config file.`, confirmLabel: 'Save', effect: { type: 'learn-save', mode, choice: c.choice } } },
      })),
      cancel,
    ],
  };
}

function errorLines(param: string, ctx: MenuContext, columns: number): string[] {
  let e: MenuError | undefined;
  if (param.startsWith('plugin:')) {
    const p = ctx.plugins.find((x) => x.name === param.slice(7));
    if (p?.error !== undefined) e = { at: ctx.now, severity: 'error', message: p.error, kind: `plugin ${p.name}` };
  } else e = ctx.errors[Number(param)];
  if (e === undefined) return ['Resolved.'];
  const lines = [`${e.severity.toUpperCase()} ${ago(ctx.now, e.at)} ago`, ...(e.kind === undefined ? [] : [e.kind]), e.message, ...(e.details === undefined ? [] : [e.details])];
  return lines.flatMap((l) => wrap(l, columns));
}

/** "120.0", "e96.0" (following), "ext ?" (no external clock). */
function tempoValue(t: MenuTempo): string {
  if (t.source === 'external') return t.locked ? `e${t.bpm.toFixed(1)}` : 'ext ?';
  return t.bpm.toFixed(1);
}

/** Compact age: 12s, 5m, 3h, 2d. */
export function ago(now: number, at: number | undefined): string {
  if (at === undefined) return '-';
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Word wrap for text pages (the menu stays pure: it knows columns, not pixels). */
export function wrap(text: string, columns: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter((w) => w !== '')) {
      for (let w = word; w.length > 0; ) {
        const piece = w.length > columns ? w.slice(0, columns) : w;
        w = w.slice(piece.length);
        const next = line === '' ? piece : `${line} ${piece}`;
        if (next.length > columns) {
          out.push(line);
          line = piece;
        } else line = next;
      }
    }
    out.push(line);
  }
  return out;
}
