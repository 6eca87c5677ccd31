// The midimon-box service. On a Pi, systemd runs it (bin/midimon-daemon.js);
// `npm start` runs the same box in simulation on any computer.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MidimonBox } from './box/box.js';
import { seedSimulation } from './box/simulation.js';
import { SimSession, type SimBoxHooks } from './box/sim-session.js';
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
// Simulation: the box lives in a session that can restart it in-process (System > Restart).
let sim: SimSession | null = null;
function createBox(hooks?: SimBoxHooks): MidimonBox {
  const created = new MidimonBox({
    paths,
    log,
    simulate,
    version,
    // MIDIMON_MEDIA_ROOT / MIDIMON_MOUNTINFO: the documented seam that offers folders as sticks.
    ...stickSourceFromEnv(process.env),
    // On a Pi a restart is an exit that systemd answers with a new process; in simulation the session restarts in-process.
    ...(hooks ?? { onRestart: () => void shutdown('restart requested', 0) }),
  });
  // [logging] level applies on every reload unless --log-level pinned it.
  if (values['log-level'] === undefined) created.config.onApplied((ctx) => (log.level = ctx.next.config.logging.level));
  return created;
}
if (simulate) {
  sim = new SimSession({
    log,
    createBox,
    input: process.stdin,
    output: process.stdout,
    noOled: values['no-oled'],
    onInterrupt: () => void shutdown('Ctrl-C', 0),
    onShutdown: () => void shutdown('shut down from the menu', 0),
    onFatal: (err) => {
      log.fatal({ err: toMidimonError(err) }, 'the simulated box could not restart');
      void shutdown('restart failed', 1);
    },
    socketPath: paths.socketPath,
  });
}
const box = sim?.box ?? createBox();
const current = (): MidimonBox => sim?.box ?? box;
installTestHooks(process.env, log, () => current().plugins);

async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, 'midimon-box stopping');
  notifier.stopping();
  try {
    await (sim !== null ? sim.stop() : current().stop());
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
process.on('SIGHUP', () => (onHangup === 'stop' ? void shutdown('terminal closed (SIGHUP)', 0) : void current().config.reload('SIGHUP')));
// Last line of defence: a bug must not take the MIDI box down silently.
process.on('uncaughtException', (err) => log.fatal({ err }, 'uncaught exception (please report it)'));
process.on('unhandledRejection', (reason) => log.error({ err: toMidimonError(reason) }, 'unhandled promise rejection (please report it)'));

try {
  await (sim !== null ? sim.start() : box.start());
} catch (err) {
  log.fatal({ err: toMidimonError(err) }, 'midimon-box could not start');
  await (sim !== null ? sim.stop() : box.stop()).catch(() => undefined);
  process.exit(1);
}

const mode = box.modeInfo();
log.info({ version, config: paths.configPath, state: paths.stateDir, socket: paths.socketPath, simulated: simulate }, `midimon-box ${version} running${mode === null ? '' : `, mode ${mode.index + 1}: ${mode.name}`}`);
notifier.ready(mode === null ? 'running' : `mode ${mode.index + 1}: ${mode.name}`);

