import { EXIT_OK, UsageError, type CliIo } from '../io.js';
import type { DevicesResult } from '../../control/protocol.js';
import { COMMON_HELP, cliPaths, clientFor, parseCli, reportError } from '../../control/cli-support.js';

const USAGE = `usage: midimon devices [options]

Every MIDI port the running box sees now: its name, ALSA client:port, sound
card, USB socket path and serial (where the device reports one), whether it is
open and which [devices.midi] entry claims it. Two identical controllers have
the same name: tell them apart in the config with usb_port = "<path shown
here>" (or serial) and give each its own alias.

options:
${COMMON_HELP}`;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {});
  if (values.help) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'\n${USAGE}`);
  try {
    const r = await clientFor(await cliPaths(io, values), io).request({ cmd: 'devices' });
    io.stdout(values.json ? `${JSON.stringify(r, null, 2)}\n` : formatDevices(r));
    return EXIT_OK;
  } catch (err) {
    return reportError(io, 'devices', err, values.json);
  }
}

export function formatDevices(r: DevicesResult): string {
  if (r.ports.length === 0) return `no MIDI ports (backend: ${r.backend})\n`;
  const rows = r.ports.map((p) => [
    p.direction === 'input' ? 'in' : 'out',
    p.name,
    p.client ?? '-',
    p.usb_port ?? '-',
    p.serial ?? '-',
    p.matched === null ? 'not configured' : `${p.open ? 'open' : 'not open'} as ${p.matched}`,
  ]);
  const head = ['dir', 'name', 'client', 'usb_port', 'serial', 'config'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}
