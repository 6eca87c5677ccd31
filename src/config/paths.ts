import { access, constants, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/**
 * Where the box keeps things. On the Pi: /etc/midimon/config.toml,
 * /var/lib/midimon (systemd StateDirectory), /run/midimon (RuntimeDirectory).
 * On a dev machine (`npm start` as a normal user) those are not writable, so
 * everything not explicitly set goes under ./.sim/ of the working directory.
 */
export interface MidimonPaths {
  readonly configPath: string;
  readonly stateDir: string;
  readonly runtimeDir: string;
  readonly socketPath: string;
  /** true when the ./.sim/ layout is used (dev machine, or MIDIMON_SIMULATE=1). */
  readonly simulated: boolean;
}

export const DEFAULT_CONFIG_PATH = '/etc/midimon/config.toml';
export const DEFAULT_STATE_DIR = '/var/lib/midimon';
export const DEFAULT_RUNTIME_DIR = '/run/midimon';
export const SOCKET_NAME = 'control.sock';

export interface PathInputs {
  /** `--config PATH` */
  readonly configFlag?: string | undefined;
  /** `--socket PATH` */
  readonly socketFlag?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The system layout (tests point it somewhere harmless). */
  readonly system?: MidimonPaths;
}

/** The ./.sim/ layout under `cwd`. */
export function simulatedPaths(cwd: string): MidimonPaths {
  const root = join(cwd, '.sim');
  return { configPath: join(root, 'config.toml'), stateDir: join(root, 'state'), runtimeDir: join(root, 'run'), socketPath: join(root, 'run', SOCKET_NAME), simulated: true };
}

/** systemd passes directories as colon-separated lists; the first is ours. */
function firstDir(value: string | undefined): string | undefined {
  const first = value?.split(':')[0];
  return first === undefined || first === '' ? undefined : first;
}

interface Explicit {
  readonly config?: string;
  readonly state?: string;
  readonly runtime?: string;
  readonly socket?: string;
}

function explicitPaths(inputs: PathInputs): Explicit {
  const { env, cwd } = inputs;
  const abs = (p: string | undefined) => (p === undefined || p === '' ? undefined : resolve(cwd, p));
  const configDir = firstDir(env['CONFIGURATION_DIRECTORY']);
  const config = abs(inputs.configFlag) ?? abs(env['MIDIMON_CONFIG']) ?? (configDir === undefined ? undefined : join(configDir, 'config.toml'));
  const state = abs(env['MIDIMON_STATE_DIR']) ?? abs(firstDir(env['STATE_DIRECTORY']));
  const runtime = abs(firstDir(env['RUNTIME_DIRECTORY']));
  const socket = abs(inputs.socketFlag) ?? abs(env['MIDIMON_SOCKET']);
  return {
    ...(config === undefined ? {} : { config }),
    ...(state === undefined ? {} : { state }),
    ...(runtime === undefined ? {} : { runtime }),
    ...(socket === undefined ? {} : { socket }),
  };
}

function compose(x: Explicit, base: MidimonPaths): MidimonPaths {
  const runtimeDir = x.runtime ?? (x.socket === undefined ? base.runtimeDir : dirname(x.socket));
  return {
    configPath: x.config ?? base.configPath,
    stateDir: x.state ?? base.stateDir,
    runtimeDir,
    socketPath: x.socket ?? (x.runtime === undefined ? base.socketPath : join(x.runtime, SOCKET_NAME)),
    simulated: base.simulated,
  };
}

export const SYSTEM_PATHS: MidimonPaths = {
  configPath: DEFAULT_CONFIG_PATH,
  stateDir: DEFAULT_STATE_DIR,
  runtimeDir: DEFAULT_RUNTIME_DIR,
  socketPath: join(DEFAULT_RUNTIME_DIR, SOCKET_NAME),
  simulated: false,
};

/** Can this process create/write `dir` (creating it if needed)? */
async function writableDir(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Readable existing config, or a directory we could create the default in. */
async function usableConfig(path: string): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  if (st !== undefined) return access(path, constants.R_OK).then(() => true, () => false);
  return writableDir(dirname(path));
}

/**
 * The service's paths (called once by the composition root). Explicit
 * settings (flags, MIDIMON_*, systemd's *_DIRECTORY) always win; for the rest
 * the system defaults are used when usable, else the whole ./.sim/ layout.
 * Directories are created as needed.
 */
export async function resolveServicePaths(inputs: PathInputs): Promise<MidimonPaths> {
  const x = explicitPaths(inputs);
  const forceSim = inputs.env['MIDIMON_SIMULATE'] === '1';
  const system = inputs.system ?? SYSTEM_PATHS;
  let base = forceSim ? simulatedPaths(inputs.cwd) : system;
  if (!forceSim) {
    const ok =
      (x.config !== undefined || (await usableConfig(system.configPath))) &&
      (x.state !== undefined || (await writableDir(system.stateDir))) &&
      (x.runtime !== undefined || x.socket !== undefined || (await writableDir(system.runtimeDir)));
    if (!ok) base = simulatedPaths(inputs.cwd);
  }
  const paths = compose(x, base);
  await mkdir(paths.stateDir, { recursive: true });
  await mkdir(paths.runtimeDir, { recursive: true });
  await mkdir(dirname(paths.configPath), { recursive: true });
  return paths;
}

/**
 * The CLI's view: the same explicit settings; otherwise the system socket if
 * a service is there, else the ./.sim/ one if a simulated box runs from this
 * directory. Creates nothing.
 */
export async function resolveCliPaths(inputs: PathInputs): Promise<MidimonPaths> {
  const x = explicitPaths(inputs);
  const sim = simulatedPaths(inputs.cwd);
  const exists = (p: string) => stat(p).then(() => true, () => false);
  const system = inputs.system ?? SYSTEM_PATHS;
  let base = system;
  if (inputs.env['MIDIMON_SIMULATE'] === '1' || (!(await exists(system.socketPath)) && !(await exists(system.configPath)) && ((await exists(sim.socketPath)) || (await exists(sim.configPath))))) {
    base = sim;
  }
  return compose(x, base);
}
