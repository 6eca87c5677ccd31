import { resolve } from 'node:path';
import { noExtraArguments } from '../arg-errors.js';
import { isMidimonError } from '../../errors.js';
import { EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from '../io.js';
import { COMMON_HELP, cliPaths, clientFor, parseCli, reportError } from '../../control/cli-support.js';
import { writeFileAtomic } from '../../util/atomic-write.js';

const SCREENS = ['status', 'menu', 'error'] as const;
type Screen = (typeof SCREENS)[number];

const USAGE = `usage: midimon screenshot FILE.png [options]

Saves what the OLED shows now, asked from the running service. With
--simulate, or when no service runs, renders a demo screen instead.

options:
  --simulate         do not ask the service; render a demo screen
  --screen NAME      demo screen: status (default), menu, error
  --height 64|32     demo panel height (default 64)
  --scale N          pixels per OLED pixel in the demo PNG (default 4)
  --look white|blue  demo colours (default white)
${COMMON_HELP}`;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    simulate: { type: 'boolean', default: false },
    screen: { type: 'string' },
    height: { type: 'string' },
    scale: { type: 'string' },
    look: { type: 'string' },
  }, 'screenshot');
  noExtraArguments(positionals, 1, 'screenshot');
  if (values.help || positionals.length !== 1) {
    io.stdout(USAGE);
    return values.help ? EXIT_OK : EXIT_USAGE;
  }
  const file = resolve(io.cwd, positionals[0] as string);
  const screen = (values.screen ?? 'status') as Screen;
  if (!SCREENS.includes(screen)) throw new UsageError(`--screen must be one of ${SCREENS.join(', ')}`);
  const height = Number(values.height ?? '64');
  if (height !== 64 && height !== 32) throw new UsageError('--height must be 64 or 32');
  const scale = Number(values.scale ?? '4');
  if (!Number.isInteger(scale) || scale < 1 || scale > 16) throw new UsageError('--scale must be an integer 1..16');
  const look = values.look ?? 'white';
  if (look !== 'white' && look !== 'blue') throw new UsageError('--look must be white or blue');

  try {
    if (!values.simulate) {
      try {
        const shot = await clientFor(await cliPaths(io, values), io).request({ cmd: 'screenshot' });
        await writeFileAtomic(file, Buffer.from(shot.png_base64, 'base64'));
        if (values.screen !== undefined) io.stderr('midimon screenshot: --screen applies to --simulate only; saved what the box shows now\n');
        io.stdout(values.json ? `${JSON.stringify({ file, width: shot.width, height: shot.height, source: 'service' })}\n` : `${file} (${shot.width}x${shot.height}, from the running box)\n`);
        return EXIT_OK;
      } catch (err) {
        // Only "no service" falls back; a service that answers with an error is reported.
        if (!isMidimonError(err, 'not_found')) throw err;
        io.stderr(`midimon screenshot: ${err.message}; rendering the demo '${screen}' screen instead\n`);
      }
    }
    // Loaded only here: the renderer is not needed to ask the service.
    const { renderDemoPng } = await import('../../display/demo-png.js');
    const png = renderDemoPng(screen, height, { scale, look });
    await writeFileAtomic(file, png);
    io.stdout(values.json ? `${JSON.stringify({ file, width: 128, height, source: 'simulated', screen })}\n` : `${file} (128x${height} ${screen}, simulated)\n`);
    return EXIT_OK;
  } catch (err) {
    return reportError(io, 'screenshot', err, values.json);
  }
}
