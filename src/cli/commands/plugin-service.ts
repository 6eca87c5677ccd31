/**
 * `midimon plugin list|enable|disable|grant|revoke|install`: the plugin
 * commands that change the running box, over its control socket.
 */
import { resolve } from 'node:path';
import { EXIT_OK, UsageError, type CliIo } from '../io.js';
import { noExtraArguments } from '../arg-errors.js';
import { COMMON_HELP, cliPaths, clientFor, parseCli, reportError } from '../../control/cli-support.js';
import type { ControlRequest } from '../../control/protocol.js';
import { isCapability } from '../../plugins/types.js';
import { ControlClient } from '../../control/client.js';

const LOAD_TIMEOUT_MS = 120_000;

const HELP: Readonly<Record<string, string>> = {
  list: 'list: configured and installed plugins with state, version and capabilities',
  enable: 'enable NAME: load it (persists across restarts)',
  disable: 'disable NAME: unload it (persists across restarts)',
  grant: 'grant NAME CAPABILITY: Network | Filesystem | Process | Midi, for this build (name + SHA-256)',
  revoke: 'revoke NAME CAPABILITY',
  install: 'install [DIR]: without DIR, list the packages on mounted USB sticks; with a stick root (holding midimon-plugins/), list its packages and whether each verifies; with a package folder, verify and install it',
};

function usage(sub: string): string {
  return `usage: midimon plugin ${HELP[sub] ?? sub}\n\noptions:\n${COMMON_HELP}`;
}

/** One runner per subcommand name, so plugin.ts's table can point at it. */
export function serviceCommand(sub: keyof typeof HELP & string) {
  return async (argv: readonly string[], io: CliIo): Promise<number> => {
    const { values, positionals } = parseCli(argv, {}, `plugin ${sub}`);
    if (values.help) {
      io.stdout(usage(sub));
      return EXIT_OK;
    }
    const request = toRequest(sub, positionals, io.cwd);
    try {
      const paths = await cliPaths(io, values);
      // Loading a plugin on a Pi (compile, init, fsync to the SD card) can take well over the default 10 s.
      const client = sub === 'list' || io.env['MIDIMON_TIMEOUT_MS'] !== undefined ? clientFor(paths, io) : new ControlClient({ socketPath: paths.socketPath, timeoutMs: LOAD_TIMEOUT_MS });
      const result = await client.request(request);
      if (values.json) {
        io.stdout(`${JSON.stringify(result)}\n`);
        return EXIT_OK;
      }
      io.stdout(render(result));
      return EXIT_OK;
    } catch (err) {
      return reportError(io, `plugin ${sub}`, err, values.json);
    }
  };
}

function toRequest(sub: string, args: readonly string[], cwd: string): ControlRequest {
  const [name, cap] = args;
  const need = (n: number) => {
    if (args.length !== n) throw new UsageError(usage(sub));
  };
  switch (sub) {
    case 'list':
      need(0);
      return { cmd: 'plugin.list' };
    case 'enable':
    case 'disable':
      need(1);
      return { cmd: sub === 'enable' ? 'plugin.enable' : 'plugin.disable', name: name ?? '' };
    case 'grant':
    case 'revoke':
      need(2);
      if (!isCapability(cap)) throw new UsageError(`unknown capability '${cap ?? ''}' (Network, Filesystem, Process, Midi)`);
      return { cmd: sub === 'grant' ? 'plugin.grant' : 'plugin.revoke', name: name ?? '', capability: cap };
    case 'install':
      noExtraArguments(args, 1, 'plugin install');
      // The service resolves nothing relative to its own cwd: send an absolute path.
      return name === undefined ? { cmd: 'plugin.install' } : { cmd: 'plugin.install', path: resolve(cwd, name) };
    default:
      throw new UsageError(`unknown subcommand '${sub}'`);
  }
}

function render(result: unknown): string {
  const r = result as Record<string, unknown>;
  if (Array.isArray(r['plugins'])) {
    const rows = r['plugins'] as Array<{ name: string; version?: string; enabled: boolean; loaded: boolean; lane?: string; capabilities_granted: string[]; capabilities_requested?: string[]; capabilities_unavailable?: string[]; error?: string }>;
    if (rows.length === 0) return 'no plugins configured or installed\n';
    return rows
      .map((p) => {
        const state = !p.enabled ? 'disabled' : p.loaded ? 'loaded' : p.error !== undefined ? 'error' : 'loading';
        const denied = (p.capabilities_requested ?? []).filter((c) => !p.capabilities_granted.includes(c));
        return `${p.name} ${p.version ?? ''}: ${state}${p.lane === 'realtime' ? ' (realtime lane)' : ''}; granted ${p.capabilities_granted.join(',') || '-'}${denied.length > 0 ? `; requested but not granted ${denied.join(',')}` : ''}${(p.capabilities_unavailable ?? []).length > 0 ? `; asks for ${(p.capabilities_unavailable ?? []).join(',')}, never granted on this box` : ''}${p.error === undefined ? '' : `\n  ${p.error}`}`;
      })
      .join('\n')
      .concat('\n');
  }
  if (r['installed'] === true) return `installed ${String(r['name'])} ${String(r['version'])} (sha256 ${String(r['sha256'])})\n`;
  if (r['installed'] === false) {
    const pkgs = r['packages'] as Array<{ path: string; name: string; version: string; verifies?: boolean; reason?: string; signed_by?: string }>;
    if (typeof r['stick'] === 'string') return renderStick(r['stick'], pkgs, typeof r['note'] === 'string' ? r['note'] : undefined);
    if (pkgs.length === 0) return 'no plugin packages on mounted USB sticks\n';
    return `${pkgs.map((p) => `${p.name} ${p.version}  ${p.path}`).join('\n')}\ninstall one with: midimon plugin install PATH\n`;
  }
  return `${String(r['name'])}: ${r['enabled'] === true ? 'enabled' : 'disabled'}; granted ${(r['capabilities_granted'] as string[]).join(',') || '-'}\n`;
}

/** A stick root's listing: one line per package, whether it verifies or why not. */
function renderStick(stick: string, pkgs: ReadonlyArray<{ path: string; name: string; version: string; verifies?: boolean; reason?: string; signed_by?: string }>, note: string | undefined): string {
  if (pkgs.length === 0) return `no plugin packages on ${stick}${note === undefined ? '' : ` (${note})`}\n`;
  const ok = pkgs.filter((p) => p.verifies === true).length;
  const lines = pkgs.map((p) => {
    const what = p.version === '' ? p.name : `${p.name} ${p.version}`;
    const verdict = p.verifies === true ? `verifies (checksum ok, ${p.signed_by === undefined ? 'unsigned' : `signed by ${p.signed_by}`})` : `refused: ${p.reason ?? 'unknown reason'}`;
    return `${what}: ${verdict}\n  ${p.path}`;
  });
  const tail = ok > 0 ? 'install one with: midimon plugin install PATH (it is loaded in the sandbox before it is installed)\n' : '';
  return `${stick}: ${pkgs.length} package folder${pkgs.length === 1 ? '' : 's'}, ${ok} verif${ok === 1 ? 'ies' : 'y'}${note === undefined ? '' : `; ${note}`}\n${lines.join('\n')}\n${tail}`;
}
