// The midimon-box service. On a Pi, systemd runs it (bin/midimon-daemon.js);
// `npm start` runs the same box in simulation on any computer.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MidimonBox } from './box/box.js';
import { plugSimulatedDevices, seedSimulation, SimulatedKeyboard, TerminalOled } from './box/simulation.js';
import { resolveServicePaths } from './config/paths.js';
import { toMidimonError } from './errors.js';
import { createLogger } from './log.js';
import { SystemdNotifier } from './system/sd-notify.js';
import { stickSourceFromEnv } from './usb/stick-source.js';
import { installTestHooks } from './system/test-hooks.js';
import { hangupAction } from './system/hangup.js';

const USAGE = `usage: midimon-daemon [--simulate] [--config FILE] [--socket PATH] [--log-level LEVEL] [--no-oled]

  --simulate     run on simulated MIDI ports, footswitches (keyboard) and OLED (terminal);
                 files go to ./.sim/ unless --config / MIDIMON_* say otherwise
  --config FILE  config file (default: MIDIMON_CONFIG or /etc/midimon/config.toml)
  --socket PATH  control socket (default: MIDIMON_SOCKET or $RUNTIME_DIRECTORY/control.sock)
  --no-oled      in simulation, do not draw the OLED in the terminal
`;

const { values } = parseArgs({
  options: {
    simulate: { type: 'boolean', default: false },
    config: { type: 'string' },
    socket: { type: 'string' },
    'log-level': { type: 'string' },
    'no-oled': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const env = values.simulate ? { ...process.env, MIDIMON_SIMULATE: '1' } : process.env;
const log = createLogger(values['log-level'] === undefined ? {} : { level: values['log-level'] });
const paths = await resolveServicePaths({ configFlag: values.config, socketFlag: values.socket, env, cwd: process.cwd() });
const simulate = values.simulate || paths.simulated;
if (simulate) await seedSimulation(paths.configPath, paths.stateDir, log);

const notifier = new SystemdNotifier(log);
let stopping = false;
const box = new MidimonBox({
  paths,
  log,
  simulate,
  version,
  // MIDIMON_MEDIA_ROOT / MIDIMON_MOUNTINFO: the documented seam that offers folders as sticks.
  ...stickSourceFromEnv(process.env),
  onRestart: () => void shutdown('restart requested', 0),
});

installTestHooks(process.env, log, box.plugins);

let keyboard: SimulatedKeyboard | null = null;
let oled: TerminalOled | null = null;

async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, 'midimon-box stopping');
  notifier.stopping();
  keyboard?.stop();
  oled?.stop();
  try {
    await box.stop();
  } catch (err) {
    log.error({ err }, 'error while stopping');
    code = 1;
  }
  log.flush();
  process.exit(code);
}

process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
process.on('SIGINT', () => void shutdown('SIGINT', 0));
// A terminal hangup ends an interactive simulation; under systemd SIGHUP is `systemctl reload`.
const onHangup = hangupAction({ simulate, interactive: process.stdin.isTTY === true || process.stdout.isTTY === true });
process.on('SIGHUP', () => (onHangup === 'stop' ? void shutdown('terminal closed (SIGHUP)', 0) : void box.config.reload('SIGHUP')));
// Last line of defence: a bug must not take the MIDI box down silently.
process.on('uncaughtException', (err) => log.fatal({ err }, 'uncaught exception (please report it)'));
process.on('unhandledRejection', (reason) => log.error({ err: toMidimonError(reason) }, 'unhandled promise rejection (please report it)'));

// [logging] level applies on every reload unless --log-level pinned it.
if (values['log-level'] === undefined) box.config.onApplied((ctx) => (log.level = ctx.next.config.logging.level));

try {
  await box.start();
} catch (err) {
  log.fatal({ err: toMidimonError(err) }, 'midimon-box could not start');
  await box.stop().catch(() => undefined);
  process.exit(1);
}

const mode = box.modeInfo();
log.info({ version, config: paths.configPath, state: paths.stateDir, socket: paths.socketPath, simulated: simulate }, `midimon-box ${version} running${mode === null ? '' : `, mode ${mode.index + 1}: ${mode.name}`}`);
notifier.ready(mode === null ? 'running' : `mode ${mode.index + 1}: ${mode.name}`);

if (simulate) {
  const config = box.config.current?.config;
  const inputs = config === undefined ? [] : plugSimulatedDevices(box, config, log);
  if (process.stdin.isTTY === true) {
    keyboard = new SimulatedKeyboard({ box, log, input: process.stdin, onInterrupt: () => void shutdown('Ctrl-C', 0) });
    log.info(keyboard.start(inputs[0] ?? null));
  }
  if (!values['no-oled'] && process.stdout.isTTY === true) {
    oled = new TerminalOled(box, process.stdout);
    oled.start();
  }
  log.info(`simulation: try 'npm run midimon -- status --socket ${paths.socketPath}' in another terminal`);
}

