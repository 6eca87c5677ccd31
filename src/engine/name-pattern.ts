/**
 * Device name patterns, shared by the engine (routes, trigger device filters)
 * and the MIDI device manager, compatible with [devices.midi] patterns:
 * `/regex/flags` is a regular expression; a pattern with `*` or `?` is a
 * case-insensitive glob over the whole name; anything else matches
 * case-insensitively as a substring ("Keystation" matches "Keystation 49 MK3
 * MIDI 1"). `*` matches everything. Names are compared without the ALSA
 * ` client:port` suffix.
 */
const cache = new Map<string, (name: string) => boolean>();

export function nameMatches(pattern: string, name: string): boolean {
  let fn = cache.get(pattern);
  if (fn === undefined) {
    fn = compile(pattern);
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, fn);
  }
  return fn(name);
}

function compile(pattern: string): (name: string) => boolean {
  if (pattern === '*') return () => true;
  const re = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (re !== null) {
    try {
      const regex = new RegExp(re[1] ?? '', (re[2] ?? '').replace(/[gy]/g, ''));
      return (name) => regex.test(name);
    } catch {
      return () => false; // the config schema rejects bad regexes; never throw here
    }
  }
  if (!/[*?]/.test(pattern)) {
    const needle = pattern.toLowerCase();
    return (name) => name.toLowerCase().includes(needle);
  }
  const src = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const glob = new RegExp(`^${src}$`, 'i');
  return (name) => glob.test(name);
}

/** A pattern matches a device by its name, or by its configured alias (exactly, ignoring case). */
export function deviceMatches(pattern: string, device: string, alias: string | undefined): boolean {
  return nameMatches(pattern, device) || (alias !== undefined && alias.toLowerCase() === pattern.toLowerCase());
}

/** ALSA port names end in ` client:port` (e.g. "nanoKONTROL2 MIDI 1 24:0"); strip it. */
export function stripPortSuffix(portName: string): string {
  return portName.replace(/\s+\d+:\d+$/, '');
}
