/**
 * A model of what a systemd unit's sandbox lets the service touch, so a test
 * can check every path the hardware adapters open against the real
 * midimon.service (systemd is not booted here, and the real denial only shows
 * on a Pi). It covers the settings the unit uses or might grow, following
 * systemd.exec(5): ProtectSystem, ProtectHome, ProtectKernelTunables,
 * ProtectControlGroups, ProtectKernelLogs, PrivateDevices, PrivateTmp,
 * DevicePolicy/DeviceAllow, ReadWrite/ReadOnly/InaccessiblePaths,
 * State/Runtime/Cache/LogsDirectory, User/Group/SupplementaryGroups.
 */

/** One file or device an adapter opens; adapters export lists of these. */
export interface HostPathUse {
  /** Absolute path as the adapter opens it. */
  readonly path: string;
  readonly access: 'read' | 'write';
  readonly kind: 'file' | 'dir' | 'device';
  /** Group that owns it on Raspberry Pi OS (udev rules); the service must hold it. */
  readonly group?: string;
  /** For devices under DeviceAllow=: the /proc/devices class (char-i2c, char-alsa, char-gpiochip). */
  readonly deviceClass?: string;
  /** Who opens it and why (shown when the sandbox denies it). */
  readonly by: string;
}

/** The [Service] section: key -> values in file order (a key may repeat). */
export type UnitProperties = ReadonlyMap<string, readonly string[]>;

export function parseUnitService(text: string): UnitProperties {
  const props = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) {
      section = header[1] ?? '';
      continue;
    }
    if (section !== 'Service') continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    // An empty assignment resets a list setting, as in systemd.
    if (value === '') props.set(key, []);
    else props.set(key, [...(props.get(key) ?? []), value]);
  }
  return props;
}

type Mode = 'rw' | 'ro' | 'none';
interface Rule {
  readonly path: string;
  readonly mode: Mode;
  readonly from: string;
}

const RANK: Readonly<Record<Mode, number>> = { rw: 0, ro: 1, none: 2 };
const API_FS = ['/dev', '/proc', '/sys'];
/** What PrivateDevices=yes leaves in /dev. */
const PRIVATE_DEV_NODES = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/ptmx', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/hugepages', '/dev/log', '/dev/stdin', '/dev/stdout', '/dev/stderr', '/dev/fd'];

const last = (p: UnitProperties, key: string): string | undefined => p.get(key)?.at(-1);
const list = (p: UnitProperties, key: string): string[] => (p.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter((v) => v !== '');
const yes = (v: string | undefined): boolean => v !== undefined && /^(1|yes|true|on)$/i.test(v);
/** "-/media" and "+/x" prefixes only change error handling. */
const bare = (p: string): string => p.replace(/^[-+]+/, '');

function mountRules(p: UnitProperties): Rule[] {
  const rules: Rule[] = [];
  const add = (path: string, mode: Mode, from: string) => rules.push({ path: path.replace(/\/+$/, '') || '/', mode, from });
  const system = last(p, 'ProtectSystem') ?? 'no';
  if (system === 'strict') {
    add('/', 'ro', 'ProtectSystem=strict');
    for (const api of API_FS) add(api, 'rw', 'ProtectSystem=strict leaves API filesystems writable');
  } else if (system === 'full' || yes(system)) {
    for (const d of ['/usr', '/boot', '/efi']) add(d, 'ro', `ProtectSystem=${system}`);
    if (system === 'full') add('/etc', 'ro', 'ProtectSystem=full');
  }
  const home = last(p, 'ProtectHome') ?? 'no';
  if (yes(home) || home === 'tmpfs') for (const d of ['/home', '/root', '/run/user']) add(d, 'none', `ProtectHome=${home}`);
  else if (home === 'read-only') for (const d of ['/home', '/root', '/run/user']) add(d, 'ro', 'ProtectHome=read-only');
  if (yes(last(p, 'ProtectKernelTunables'))) {
    for (const d of ['/sys', '/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/acpi', '/proc/fs']) add(d, 'ro', 'ProtectKernelTunables=yes');
  }
  if (yes(last(p, 'ProtectControlGroups'))) add('/sys/fs/cgroup', 'ro', 'ProtectControlGroups=yes');
  if (yes(last(p, 'ProtectKernelLogs'))) for (const d of ['/proc/kmsg', '/dev/kmsg']) add(d, 'none', 'ProtectKernelLogs=yes');
  if (yes(last(p, 'PrivateTmp'))) for (const d of ['/tmp', '/var/tmp']) add(d, 'rw', 'PrivateTmp=yes');
  for (const [key, base] of [['StateDirectory', '/var/lib'], ['RuntimeDirectory', '/run'], ['CacheDirectory', '/var/cache'], ['LogsDirectory', '/var/log']] as const) {
    for (const d of list(p, key)) add(`${base}/${d.split(':')[0] ?? d}`, 'rw', key);
  }
  for (const d of list(p, 'ReadWritePaths')) add(bare(d), 'rw', 'ReadWritePaths');
  for (const d of list(p, 'ReadOnlyPaths')) add(bare(d), 'ro', 'ReadOnlyPaths');
  for (const d of list(p, 'InaccessiblePaths')) add(bare(d), 'none', 'InaccessiblePaths');
  return rules;
}

const under = (path: string, dir: string): boolean => dir === '/' || path === dir || path.startsWith(`${dir}/`);

/** The effective mount mode at `path`: the most specific rule wins; on the same path the stricter one. */
function mountMode(rules: readonly Rule[], path: string): Rule | undefined {
  let best: Rule | undefined;
  for (const r of rules) {
    if (!under(path, r.path)) continue;
    if (best === undefined || r.path.length > best.path.length || (r.path.length === best.path.length && RANK[r.mode] > RANK[best.mode])) best = r;
  }
  return best;
}

/** Why the unit would deny `use`, or null if it allows it. */
export function sandboxDenial(unit: UnitProperties, use: HostPathUse): string | null {
  const what = `${use.by} ${use.access === 'write' ? 'writes' : 'reads'} ${use.path}`;
  const rule = mountMode(mountRules(unit), use.path);
  if (rule?.mode === 'none') return `${what}, but ${rule.from} makes ${rule.path} inaccessible`;
  if (use.access === 'write' && rule?.mode === 'ro') return `${what}, but ${rule.from} makes ${rule.path} read-only`;
  if (use.kind === 'device') {
    if (yes(last(unit, 'PrivateDevices')) && !PRIVATE_DEV_NODES.some((n) => under(use.path, n))) return `${what}, but PrivateDevices=yes hides it`;
    const allow = unit.get('DeviceAllow') ?? [];
    const policy = last(unit, 'DevicePolicy') ?? 'auto';
    if (allow.length > 0 || policy !== 'auto') {
      const need = use.access === 'write' ? 'rw' : 'r';
      const ok = allow.some((entry) => {
        const [spec = '', perms = 'rwm'] = entry.split(/\s+/);
        const matches = spec === use.path || (use.deviceClass !== undefined && (spec === use.deviceClass || (spec.endsWith('*') && use.deviceClass.startsWith(spec.slice(0, -1)))));
        return matches && [...need].every((c) => perms.includes(c));
      });
      if (!ok) return `${what}, but DeviceAllow= (${allow.join('; ') || `DevicePolicy=${policy}`}) does not list ${use.deviceClass ?? use.path} with ${need}`;
    }
  }
  if (use.group !== undefined) {
    const groups = [last(unit, 'Group'), ...list(unit, 'SupplementaryGroups')];
    if (!groups.includes(use.group)) return `${what}, which needs group ${use.group}, but the unit runs with ${groups.filter(Boolean).join(', ') || 'no groups'}`;
  }
  return null;
}

/** Every denial for `uses`, one line each. */
export function sandboxDenials(unit: UnitProperties, uses: readonly HostPathUse[]): string[] {
  return uses.map((u) => sandboxDenial(unit, u)).filter((d): d is string => d !== null);
}

/** The sandbox settings as `systemd-run -p` arguments, to run a command under the unit's sandbox (hw-tests). */
export const SANDBOX_KEYS = [
  'User', 'Group', 'SupplementaryGroups', 'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'NoNewPrivileges', 'ProtectKernelTunables', 'ProtectKernelModules',
  'ProtectKernelLogs', 'ProtectControlGroups', 'PrivateDevices', 'DevicePolicy', 'DeviceAllow', 'RestrictSUIDSGID', 'LockPersonality', 'RestrictRealtime',
  'ReadWritePaths', 'ReadOnlyPaths', 'InaccessiblePaths', 'StateDirectory', 'RuntimeDirectory', 'ConfigurationDirectory', 'Environment',
] as const;

export function systemdRunProperties(unit: UnitProperties): string[] {
  const out: string[] = [];
  for (const key of SANDBOX_KEYS) for (const v of unit.get(key) ?? []) out.push('-p', `${key}=${v}`);
  return out;
}
