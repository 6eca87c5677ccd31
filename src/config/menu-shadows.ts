/**
 * Menu controls that take an input away from a mapping. While the menu is
 * closed only its "enter" control listens, but that one input then opens the
 * menu instead of reaching the engine: with the default controls a long press
 * of any switch opens the menu, so a `Footswitch` mapping with
 * `gesture = "long"` never fires. A Note or CC mapping on a note/CC bound to
 * "enter" is shadowed the same way. Reported as warnings (the config is
 * valid, but it does not do what it says) by `config check`, in the log at
 * load, and on the problems board (`midimon status`, OLED).
 */
import type { BoxConfig } from './schema.js';

export type MenuControl = NonNullable<BoxConfig['menu']['controls']>[number];
type Mapping = BoxConfig['global_mappings'][number];

/**
 * Without explicit `[[menu.controls]]`: a long press of any switch opens the
 * menu (inside it, goes back), the first switch steps, the second selects.
 * A one-switch box: press = next, double = select, long = enter/back.
 */
export function defaultMenuControls(switchNames: readonly string[]): MenuControl[] {
  const [first, second] = switchNames;
  if (first === undefined) return [];
  const out: MenuControl[] = switchNames.map((s) => ({ control: 'enter', switch: s, gesture: 'long' }));
  out.push({ control: 'next', switch: first, gesture: 'press' });
  out.push(second === undefined ? { control: 'select', switch: first, gesture: 'double' } : { control: 'select', switch: second, gesture: 'press' });
  return out;
}

/** The controls in force: `[[menu.controls]]`, or the defaults for the configured switches. */
export function menuControlsOf(config: BoxConfig): readonly MenuControl[] {
  return config.menu.controls ?? defaultMenuControls(config.devices.footswitches.map((f) => f.name));
}

export interface MenuShadow {
  /** Key path of the shadowed mapping's trigger, e.g. ['modes', 0, 'mappings', 2, 'trigger']. */
  readonly path: (string | number)[];
  /** `global_mappings[1]` / `modes[0].mappings[2]`. */
  readonly mapping: string;
  /** What the menu takes: `switch "left" long press`, `note 60`, `CC 64`. */
  readonly input: string;
  readonly message: string;
}

const channelsOverlap = (trigger: number | readonly number[] | undefined, control: number | undefined) =>
  trigger === undefined || control === undefined || (typeof trigger === 'number' ? trigger === control : trigger.includes(control));

/** What of `m`'s trigger the "enter" control `c` takes, or undefined. */
function taken(m: Mapping, c: MenuControl, explicit: boolean): string | undefined {
  const t = m.trigger;
  if (t.type === 'Footswitch') {
    if (c.switch !== t.switch || c.gesture !== t.gesture) return undefined;
    return `switch "${t.switch}" ${t.gesture === 'press' ? 'press' : t.gesture === 'long' ? 'long press' : 'double press'}${explicit ? '' : ' (the default menu controls)'}`;
  }
  if (t.type === 'Note' && c.note !== undefined && channelsOverlap(t.channel, c.channel)) {
    return c.note >= t.note && c.note <= (t.note_max ?? t.note) ? `note ${c.note}` : undefined;
  }
  // The menu takes a CC at values >= 64.
  if (t.type === 'CC' && c.cc !== undefined && c.cc === t.cc && t.max_value >= 64 && channelsOverlap(t.channel, c.channel)) return `CC ${c.cc} at values >= 64`;
  return undefined;
}

/** Mappings whose trigger the menu's "enter" control takes while the menu is closed. */
export function menuShadows(config: BoxConfig): MenuShadow[] {
  const explicit = config.menu.controls !== undefined;
  const enter = menuControlsOf(config).filter((c) => c.control === 'enter');
  const out: MenuShadow[] = [];
  const scan = (mappings: readonly Mapping[], base: (string | number)[], where: string) =>
    mappings.forEach((m, i) => {
      for (const c of enter) {
        const input = taken(m, c, explicit);
        if (input === undefined) continue;
        const mapping = `${where}[${i}]`;
        out.push({
          path: [...base, i, 'trigger'],
          mapping,
          input,
          message: `never fires: ${input} opens the menu; bind "enter" to another input under [[menu.controls]] or move this mapping`,
        });
        break;
      }
    });
  scan(config.global_mappings, ['global_mappings'], 'global_mappings');
  config.modes.forEach((mode, i) => scan(mode.mappings, ['modes', i, 'mappings'], `modes[${i}].mappings`));
  return out;
}
