import { EXIT_OK, type CliIo } from '../io.js';
import { noExtraArguments } from '../arg-errors.js';
import { formatIssue } from '../../config/issues.js';
import type { StatusResult } from '../../control/protocol.js';
import { formatTempo } from './tempo.js';
import { formatPosition } from './setlist.js';
import { COMMON_HELP, cliPaths, clientFor, parseCli, reportError } from '../../control/cli-support.js';

const USAGE = `usage: midimon status [options]

What the running box is doing: mode, devices, plugins, recent errors,
uptime, and whether it runs the config file as it is on disk.

options:
${COMMON_HELP}`;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {}, 'status');
  noExtraArguments(positionals, 0, 'status');
  if (values.help) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  try {
    const status = await clientFor(await cliPaths(io, values), io).request({ cmd: 'status' });
    io.stdout(values.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    return EXIT_OK;
  } catch (err) {
    return reportError(io, 'status', err, values.json);
  }
}

function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d > 0 ? `${d}d` : '', h > 0 ? `${h}h` : '', `${m}m`, `${Math.floor(s % 60)}s`].filter(Boolean).join(' ');
}

export function formatStatus(s: StatusResult): string {
  const out: string[] = [];
  out.push(`midimon-box ${s.version}${s.simulated ? ' (simulated)' : ''}, pid ${s.pid}, up ${duration(s.uptime_s)}`);
  out.push(`mode:    ${s.mode === null ? '(none)' : `${s.mode.name} (${s.mode.index + 1}/${s.mode.count})`}`);
  if (s.tempo != null) out.push(`tempo:   ${formatTempo(s.tempo)}`);
  if (s.setlist != null) out.push(`setlist: ${formatPosition(s.setlist)}`);
  const c = s.config;
  const state = c.up_to_date ? 'applied' : c.applied_origin === 'builtin' ? 'NOT applied: running the built-in default' : 'NOT applied: the running config differs from the file';
  out.push(`config:  ${c.path} (${state}${c.applied_hash === null ? '' : `, running ${c.applied_hash}`})`);
  if (c.last_error !== null) {
    out.push(`         last edit rejected at ${c.last_error.at}: ${c.last_error.message}`);
    for (const issue of c.last_error.issues) out.push(`           ${formatIssue(issue)}`);
  }
  for (const d of s.degraded ?? []) out.push(`DEGRADED ${d.device} (${d.name}): ${d.reason}`);
  out.push('devices:');
  if (s.devices.length === 0) out.push('  (none)');
  for (const d of s.devices) out.push(`  ${d.connected ? '+' : '-'} ${d.kind.padEnd(10)} ${d.name}${d.detail === undefined ? '' : `  ${d.detail}`}`);
  out.push('plugins:');
  if (s.plugins.length === 0) out.push('  (none)');
  for (const p of s.plugins) {
    const flags = [p.enabled ? (p.loaded ? 'loaded' : 'not loaded') : 'disabled', p.capabilities_granted.length > 0 ? `grants ${p.capabilities_granted.join(',')}` : ''].filter(Boolean).join(', ');
    out.push(`  ${p.name}${p.version === undefined ? '' : ` ${p.version}`}: ${flags}${p.error === undefined ? '' : `; error: ${p.error}`}`);
  }
  const sticks = s.usb?.sticks ?? [];
  if (sticks.length > 0) {
    out.push('usb sticks:');
    for (const u of sticks) out.push(`  ${u.mount}: ${u.state === 'scanned' ? `${u.packages} package${u.packages === 1 ? '' : 's'}${u.refused > 0 ? `, ${u.refused} refused` : ''}` : u.state}`);
  }
  out.push('recent errors:');
  if (s.recent_errors.length === 0) out.push('  (none)');
  for (const e of s.recent_errors) out.push(`  ${e.at} ${e.kind}${e.source === undefined ? '' : ` [${e.source}]`}: ${e.message}`);
  return `${out.join('\n')}\n`;
}
