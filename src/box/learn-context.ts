import type { BoxConfig } from '../config/schema.js';
import type { Action } from '../config/mappings-schema.js';

/**
 * Plugin actions the config already uses (plugin + action name, once each):
 * what the menu's Learn page offers as "plugin action" choices, since the
 * box cannot know which action names a plugin accepts until it is called.
 */
export function configuredPluginActions(config: BoxConfig | undefined): { plugin: string; action: string }[] {
  if (config === undefined) return [];
  const seen = new Map<string, { plugin: string; action: string }>();
  const visit = (a: Action | undefined): void => {
    if (a === undefined) return;
    switch (a.type) {
      case 'Plugin':
        seen.set(`${a.plugin}\u0000${a.action}`, { plugin: a.plugin, action: a.action });
        break;
      case 'Sequence':
        a.actions.forEach(visit);
        break;
      case 'Repeat':
        visit(a.action);
        break;
      case 'Conditional':
        visit(a.then);
        visit(a.else);
        break;
      default:
        break;
    }
  };
  for (const m of [...config.global_mappings, ...config.modes.flatMap((mode) => mode.mappings)]) visit(m.action);
  return [...seen.values()];
}
