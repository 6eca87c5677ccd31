import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo } from '../io.js';
import { COMMON_HELP, cliPaths, parseCli, reportError } from '../../control/cli-support.js';
import { MONITOR_EVENT_TYPES, type MonitorEvent, type MonitorEventType } from '../../control/monitor-protocol.js';
import { openMonitor } from '../../control/stream-client.js';
import { hex } from '../../midi/describe-midi.js';

const USAGE = `usage: midimon monitor [options]

Streams what the running box sees and does, live: MIDI in (from ports and
'midimon send') and out, footswitch gestures, triggers fired, plugin calls
(result, fuel, microseconds), mode changes and notices. Ctrl-C stops it.
A slow terminal never holds MIDI up: events it cannot take are dropped and
counted ("dropped N events").

options:
  --only TYPES    comma-separated: ${MONITOR_EVENT_TYPES.filter((t) => t !== 'dropped').join(', ')}
  --count N       exit after N events
${COMMON_HELP}
--json prints one object per line (shapes: docs/configuration.md, "midimon monitor").`;

function time(at: number): string {
  const d = new Date(at);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** One line per event, columns: time, what, where, details. */
export function formatEvent(e: MonitorEvent): string {
  const t = time(e.at);
  switch (e.type) {
    case 'midi-in':
      return `${t} in   ${(e.alias ?? e.device).padEnd(14)} ${e.text.padEnd(30)} ${hex(e.bytes)}${e.injected ? '  (send)' : ''}`;
    case 'midi-out':
      return `${t} out  ${e.output.padEnd(14)} ${e.text.padEnd(30)} ${hex(e.bytes)}${e.ports === 0 ? '  (no open port: dropped)' : ''}`;
    case 'footswitch':
      return `${t} sw   ${e.switch.padEnd(14)} ${e.gesture}${e.injected ? '  (send)' : ''}`;
    case 'trigger':
      return `${t} trig ${(e.mode ?? 'global').padEnd(14)} #${e.mapping} ${e.trigger}: ${e.description}`;
    case 'plugin': {
      const cost = [e.fuel === undefined ? '' : `fuel ${e.fuel}`, e.us === undefined ? '' : `${e.us} us`].filter(Boolean).join(', ');
      const result = e.status === 'returned' ? `returned ${e.code ?? '?'}${e.meaning === undefined ? '' : ` (${e.meaning})`}` : `error ${e.error?.kind ?? ''}: ${e.error?.message ?? ''}`;
      return `${t} plug ${e.plugin.padEnd(14)} ${e.action}: ${result}${cost === '' ? '' : `  [${cost}]`}`;
    }
    case 'mode':
      return `${t} mode ${e.name} (${e.number}/${e.count})${e.previous === null ? '' : ` from ${e.previous}`} by ${e.source}`;
    case 'notice':
      return `${t} ${e.level.padEnd(4)} ${e.code}: ${e.message}`;
    case 'dropped':
      return `${t} ---- dropped ${e.count} events (the monitor read too slowly)`;
  }
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, { only: { type: 'string' }, count: { type: 'string' } }, 'monitor');
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}' (see 'midimon monitor --help')`);
  let only: Set<string> | null = null;
  if (values.only !== undefined) {
    const types = values.only.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = types.filter((t) => !(MONITOR_EVENT_TYPES as readonly string[]).includes(t));
    if (unknown.length > 0) throw new UsageError(`unknown event type '${unknown[0] ?? ''}' in --only (types: ${MONITOR_EVENT_TYPES.join(', ')})`);
    only = new Set<MonitorEventType | string>([...types, 'dropped']);
  }
  let left = Number.POSITIVE_INFINITY;
  if (values.count !== undefined) {
    left = Number(values.count);
    if (!Number.isInteger(left) || left < 1) throw new UsageError(`--count must be a whole number >= 1, not '${values.count}'`);
  }
  try {
    const paths = await cliPaths(io, values);
    const conn = openMonitor(paths.socketPath, (e) => {
      if (left <= 0 || (only !== null && !only.has(e.type))) return;
      io.stdout(values.json ? `${JSON.stringify(e)}\n` : `${formatEvent(e)}\n`);
      if (--left <= 0) conn.close();
    });
    await conn.ready;
    if (!values.json) io.stderr(`monitoring ${paths.socketPath} (Ctrl-C stops)\n`);
    await conn.closed;
    if (left <= 0) return EXIT_OK;
    // The service stopped (or restarted): say so; with --count, fewer events than asked is a failure.
    io.stderr('midimon monitor: the box closed the stream\n');
    return left === Number.POSITIVE_INFINITY ? EXIT_OK : EXIT_FAILURE;
  } catch (err) {
    return reportError(io, 'monitor', err, values.json);
  }
}
