import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Names of the plugins installed from sticks (`<state>/plugins/NAME/plugin.toml`),
 * read-only: `midimon config check` accepts mappings to them, as the box does,
 * without touching the state directory (it may run as another user).
 */
export async function installedPluginNames(stateDir: string): Promise<string[]> {
  const dir = join(stateDir, 'plugins');
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const name of entries.sort()) {
    const manifest = await stat(join(dir, name, 'plugin.toml')).catch(() => undefined);
    if (manifest?.isFile() === true) names.push(name);
  }
  return names;
}
