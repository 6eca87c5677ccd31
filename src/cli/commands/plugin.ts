import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { argError } from '../arg-errors.js';
import { pino } from 'pino';
import { MidimonError, toMidimonError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { PluginHost } from '../../plugins/host.js';
import { isProfileName } from '../../plugins/limits.js';
import { isCapability, type Capability, type HostCall, type JsonValue, type PluginLimits } from '../../plugins/types.js';
import { inspectModule } from '../../plugins/wasm/instrument.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo, type CommandRunner } from '../io.js';

/**
 * `midimon plugin <sub>`: one entry per subcommand; each loads its code only
 * when used. Other subcommands (new, pack) add one line here.
 */
const SUBCOMMANDS: Readonly<Record<string, { readonly summary: string; readonly load: () => Promise<CommandRunner> }>> = {
  inspect: { summary: 'FILE.wasm: metadata, capabilities, imports/exports, size, SHA-256', load: async () => runInspect },
  run: { summary: 'FILE.wasm [ACTION ...]: load once and run each action in the sandbox', load: async () => runRun },
  new: { summary: 'NAME [--lang rust|assemblyscript] [--dir DIR]: scaffold a plugin from the templates', load: async () => (await import('./plugin-new.js')).run },
  pack: { summary: 'DIR [--out STICK] [--sign KEY]: check in the sandbox, checksum, lay out for the USB stick', load: async () => (await import('./plugin-pack.js')).run },
  list: { summary: 'plugins of the running box: state, version, capabilities', load: async () => (await import('./plugin-service.js')).serviceCommand('list') },
  enable: { summary: 'NAME: load it in the running box (persists)', load: async () => (await import('./plugin-service.js')).serviceCommand('enable') },
  disable: { summary: 'NAME: unload it from the running box (persists)', load: async () => (await import('./plugin-service.js')).serviceCommand('disable') },
  grant: { summary: 'NAME CAP: grant a capability to this build', load: async () => (await import('./plugin-service.js')).serviceCommand('grant') },
  revoke: { summary: 'NAME CAP: revoke a granted capability', load: async () => (await import('./plugin-service.js')).serviceCommand('revoke') },
  install: { summary: '[DIR]: list packages on USB sticks, or verify and install one', load: async () => (await import('./plugin-service.js')).serviceCommand('install') },
};

const USAGE = (): string =>
  `usage: midimon plugin <subcommand> [args]\n\nsubcommands:\n${Object.entries(SUBCOMMANDS)
    .map(([n, s]) => `  ${n.padEnd(10)} ${s.summary}`)
    .join('\n')}\n\n` +
  `run options: --velocity N --note N --channel N --param KEY=VALUE (repeatable) --mode N --fuel N --memory-mb N --timeout-ms N --profile pi|desktop\n` +
  `             --grant CAP (repeatable) --lane isolated|realtime --state-dir DIR --json\n` +
  `exit status: 0 every action returned 0, 1 otherwise, 2 usage error\n`;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout(USAGE());
    return sub === undefined ? 2 : EXIT_OK;
  }
  const entry = SUBCOMMANDS[sub];
  if (entry === undefined) throw new UsageError(`unknown subcommand '${sub}'\n${USAGE()}`);
  return (await entry.load())(rest, io);
}

/** Plugin logs go to stderr so that stdout stays one JSON object per line. */
function stderrLogger(io: CliIo): Logger {
  return pino({ name: 'midimon', level: io.env['MIDIMON_LOG_LEVEL'] ?? 'warn' }, pino.destination({ fd: 2, sync: true }));
}

function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw argError(err, 'plugin');
  }
}

function int(name: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in ${min}..${max}, got '${String(v)}'`);
  return n;
}

/** The host's name for a plugin run from a file: the file name, made a valid plugin name. */
function pluginName(file: string): string {
  const base = basename(file).replace(/\.wasm$/, '').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
  return /^[A-Za-z0-9]/.test(base) ? base : `p${base.slice(0, 63)}`;
}

function errorFields(err: MidimonError): { kind: string; message: string } {
  return { kind: err.kind, message: err.message };
}

async function withHost<T>(io: CliIo, stateDir: string | undefined, profile: unknown, onHostCall: ((call: HostCall) => void) | undefined, body: (host: PluginHost) => Promise<T>): Promise<T> {
  const dir = stateDir ?? (await mkdtemp(join(tmpdir(), 'midimon-plugin-')));
  const host = new PluginHost({
    log: stderrLogger(io),
    stateDir: dir,
    spareWorker: false,
    // One-shot run: no MIDI to protect, and a child process would only add its boot.
    isolation: 'thread',
    ...(isProfileName(profile) ? { profile } : {}),
    ...(onHostCall === undefined ? {} : { onHostCall: (_p: string, c: HostCall) => onHostCall(c) }),
  });
  try {
    return await body(host);
  } finally {
    await host.stop();
    if (stateDir === undefined) await rm(dir, { recursive: true, force: true });
  }
}

const runInspect: CommandRunner = async (argv, io) => {
  const { values, positionals } = parse({
    args: [...argv],
    allowPositionals: true,
    options: { json: { type: 'boolean' }, profile: { type: 'string' }, 'state-dir': { type: 'string' } },
  } as const);
  const [file, ...more] = positionals;
  if (file === undefined || more.length > 0) throw new UsageError('usage: midimon plugin inspect FILE.wasm [--json]');
  if (values.profile !== undefined && !isProfileName(values.profile)) throw new UsageError(`--profile must be pi or desktop`);
  const json = values.json === true;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    io.stderr(`cannot read ${file}: ${(err as Error).message}\n`);
    return EXIT_FAILURE;
  }
  const out: Record<string, unknown> = { file: basename(file), size: bytes.length };
  try {
    const info = inspectModule(bytes);
    out['imports'] = info.imports.map((i) => `${i.module}.${i.name} (${i.kind})`);
    out['exports'] = info.exports.map((e) => `${e.name} (${e.kind})`);
  } catch (err) {
    out['error'] = errorFields(toMidimonError(err, 'invalid_module'));
  }
  const ok = await withHost(io, values['state-dir'], values.profile, undefined, async (host) => {
    try {
      const p = await host.load(pluginName(file), { bytes });
      Object.assign(out, { sha256: p.sha256, metadata: p.metadata, capabilities: p.requested, initFuel: p.initFuel, initMicros: p.initMicros });
      return true;
    } catch (err) {
      out['sha256'] = Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
      out['error'] ??= errorFields(toMidimonError(err));
      return false;
    }
  });
  if (json) {
    io.stdout(`${JSON.stringify(out)}\n`);
  } else {
    const lines = Object.entries(out).map(([k, v]) => `${k.padEnd(13)} ${typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v, null, 2).replaceAll('\n', '\n              ')}`);
    io.stdout(`${lines.join('\n')}\n`);
  }
  return ok ? EXIT_OK : EXIT_FAILURE;
};

/**
 * `--param k=v` (repeatable) -> the request's `params`, as a mapping's
 * `params = { ... }` table would give them: a value that reads as JSON
 * (number, true/false, null, "quoted", [..], {..}) is that, anything else a string.
 */
export function parseParams(pairs: readonly string[]): Record<string, JsonValue> | undefined {
  if (pairs.length === 0) return undefined;
  const params: Record<string, JsonValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? '' : pair.slice(0, eq).trim();
    if (eq < 0 || key === '') throw new UsageError(`--param expects KEY=VALUE, got '${pair}'`);
    const raw = pair.slice(eq + 1);
    let value: JsonValue;
    try {
      value = JSON.parse(raw) as JsonValue;
    } catch {
      value = raw;
    }
    params[key] = value;
  }
  return params;
}

const runRun: CommandRunner = async (argv, io) => {
  const { values, positionals } = parse({
    args: [...argv],
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      velocity: { type: 'string' },
      note: { type: 'string' },
      channel: { type: 'string' },
      param: { type: 'string', multiple: true },
      mode: { type: 'string' },
      fuel: { type: 'string' },
      'memory-mb': { type: 'string' },
      'timeout-ms': { type: 'string' },
      profile: { type: 'string' },
      grant: { type: 'string', multiple: true },
      lane: { type: 'string' },
      'state-dir': { type: 'string' },
    },
  } as const);
  const [file, ...actions] = positionals;
  if (file === undefined) throw new UsageError('usage: midimon plugin run FILE.wasm [ACTION ...] [options]');
  if (values.profile !== undefined && !isProfileName(values.profile)) throw new UsageError(`--profile must be pi or desktop, got '${String(values.profile)}'`);
  const lane = values.lane ?? 'isolated';
  if (lane !== 'isolated' && lane !== 'realtime') throw new UsageError(`--lane must be isolated or realtime, got '${lane}'`);
  const velocity = int('velocity', values.velocity, 0, 127);
  const note = int('note', values.note, 0, 127);
  const channel = int('channel', values.channel, 1, 16);
  const params = parseParams(values.param ?? []);
  const mode = int('mode', values.mode, 0, 1_000_000);
  const fuel = int('fuel', values.fuel, 1, Number.MAX_SAFE_INTEGER);
  const memoryMb = int('memory-mb', values['memory-mb'], 1, 4096);
  const timeoutMs = int('timeout-ms', values['timeout-ms'], 1, 3_600_000);
  const grants: Capability[] = [];
  for (const g of values.grant ?? []) {
    if (!isCapability(g)) throw new UsageError(`--grant must be one of Network, Filesystem, Process, Midi, got '${g}'`);
    grants.push(g);
  }
  const limits: Partial<PluginLimits> = {
    ...(fuel === undefined ? {} : { fuelPerExecute: fuel, fuelPerInit: fuel }),
    ...(memoryMb === undefined ? {} : { memoryBytes: memoryMb * 1024 * 1024 }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
  const json = values.json === true;
  const emit = (event: Record<string, unknown>, human: string): void => io.stdout(json ? `${JSON.stringify(event)}\n` : `${human}\n`);
  const onHostCall = (call: HostCall): void =>
    emit({ event: 'host_call', ...call }, `  host call ${call.fn}: ${call.fn === 'midi_send' ? call.bytes.join(' ') : call.fn === 'set_mode' ? call.mode : `[${call.level}] ${call.message}`}`);

  return withHost(io, values['state-dir'], values.profile, onHostCall, async (host) => {
    const name = pluginName(file);
    let loaded;
    try {
      loaded = await host.load(name, { path: file }, { limits, grants, lane });
    } catch (err) {
      const e = toMidimonError(err);
      emit({ event: 'error', stage: 'load', ...errorFields(e) }, `load failed: ${e.kind}: ${e.message}`);
      return EXIT_FAILURE;
    }
    const m = loaded.metadata;
    emit(
      { event: 'loaded', name: m.name, version: m.version, capabilities: loaded.requested, granted: loaded.granted, unavailable: m.unavailable ?? [], sha256: loaded.sha256, fuel: loaded.initFuel, micros: loaded.initMicros },
      `loaded ${m.name} ${m.version} (requests: ${loaded.requested.join(', ') || 'nothing'}; granted: ${loaded.granted.join(', ')}${(m.unavailable ?? []).length > 0 ? `; never granted here: ${(m.unavailable ?? []).join(', ')}` : ''}) init fuel ${loaded.initFuel}, ${loaded.initMicros} us`,
    );
    let allOk = true;
    for (const action of actions) {
      // What a trigger would pass: the guide's fields, plus the documented extras a plugin may read.
      const extra = { note: note ?? null, channel: channel ?? null, trigger: note === undefined ? null : 'Note' };
      const context = { velocity: velocity ?? null, currentMode: mode ?? null, extra };
      const r = params === undefined ? await host.execute(name, action, context) : await host.execute(name, action, context, params);
      if (r.status === 'returned') {
        if (r.code !== 0) allOk = false;
        emit({ event: 'executed', action, code: r.code, fuel: r.fuel, micros: r.micros }, `${action} -> code ${r.code} (${r.meaning}), fuel ${r.fuel}, ${r.micros} us`);
      } else {
        allOk = false;
        emit({ event: 'error', stage: 'execute', action, ...errorFields(r.error), fuel: r.fuel, micros: r.micros }, `${action} -> ${r.error.kind}: ${r.error.message}`);
      }
    }
    return allOk ? EXIT_OK : EXIT_FAILURE;
  });
};
