import { z } from 'zod';
import { REALTIME_FUEL_PER_EXECUTE, REALTIME_FUEL_PER_INIT } from '../plugins/limits.js';
import { LANES } from '../plugins/types.js';
import { engineConfigShape } from './mappings-schema.js';

/**
 * The box's config file schema. Every object is strict so a misspelt key is
 * an error, not a silently ignored setting. Nested sections use `prefault`
 * (zod 4) so an absent section still gets its inner defaults applied.
 * Descriptions feed `midimon config schema` and docs/configuration.md.
 */

export const CAPABILITIES = ['Network', 'Filesystem', 'Process', 'Midi'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const LIMIT_PROFILES = ['auto', 'pi', 'desktop'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const PLUGIN_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** `/regex/flags` patterns must compile; anything else is a case-insensitive substring. */
const portPattern = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    const m = /^\/(.*)\/([a-z]*)$/s.exec(value);
    if (m === null) return;
    try {
      new RegExp(m[1] ?? '', m[2]);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `invalid regular expression ${value}: ${(err as Error).message}`, input: value });
    }
  })
  .meta({ description: 'Port name pattern: a case-insensitive substring, a * / ? glob over the whole name, or /regex/flags. The ALSA " client:port" suffix is ignored.' });

const midiPort = z.strictObject({
  name: portPattern,
  alias: z.string().min(1).max(32).optional().meta({ description: 'Short name shown on the display and used by routes.' }),
  usb_port: z
    .string()
    .regex(/^\d+-\d+(\.\d+)*$/, { error: 'usb_port must be a USB port path like "1-1.2" (see `midimon devices`)' })
    .optional()
    .meta({ description: 'Only the device plugged into this USB socket (port path as `midimon devices` shows it, e.g. "1-1.2"): tells two identical controllers apart. Give each an alias.' }),
  serial: z.string().min(1).max(128).optional().meta({ description: 'Only the device with this USB serial number (`midimon devices` shows it where the device reports one).' }),
});

const uniqueBy = <T>(items: readonly T[], key: (t: T) => string | number | undefined, field: string, ctx: z.RefinementCtx, primitive = false) => {
  const seen = new Map<string | number, number>();
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: primitive ? [i] : [i, field], message: `duplicate ${field} ${JSON.stringify(k)} (already used by entry ${first})`, input: k });
    else seen.set(k, i);
  });
};

const midiPorts = z
  .array(midiPort)
  .default([])
  .superRefine((ports, ctx) => uniqueBy(ports, (p) => p.alias, 'alias', ctx));

const footswitch = z.strictObject({
  name: z.string().min(1).max(32).meta({ description: 'Name used by footswitch triggers in mappings.' }),
  pin: z.number().int().min(0).max(27).meta({ description: 'BCM GPIO number (not the physical header pin).' }),
  active_low: z.boolean().default(true).meta({ description: 'true when pressing connects the pin to ground (the usual wiring).' }),
  pull: z.enum(['up', 'down', 'none']).default('up').meta({ description: 'Pull resistor to expect; set it in /boot/firmware/config.txt (gpio=17=ip,pu).' }),
});

const devices = z.strictObject({
  midi: z
    .strictObject({
      inputs: midiPorts.meta({ description: 'MIDI inputs to open. Empty: open every input found.' }),
      outputs: midiPorts.meta({ description: 'MIDI outputs to open. Empty: open every output found.' }),
      poll_interval_ms: z.number().int().min(200).max(10_000).default(1000).meta({ description: 'How often to look for plugged/unplugged devices.' }),
    })
    .prefault({}),
  footswitches: z
    .array(footswitch)
    .default([])
    .superRefine((fs, ctx) => {
      uniqueBy(fs, (f) => f.name, 'name', ctx);
      uniqueBy(fs, (f) => f.pin, 'pin', ctx);
    }),
  footswitch_timing: z
    .strictObject({
      debounce_ms: z.number().int().min(0).max(200).default(20),
      long_press_ms: z.number().int().min(100).max(5000).default(600).meta({ description: 'Held at least this long: a long press.' }),
      double_press_ms: z.number().int().min(50).max(2000).default(300).meta({ description: 'Second press within this window: a double press (0 disables waiting).' }),
    })
    .prefault({}),
  display: z
    .strictObject({
      controller: z.enum(['ssd1306', 'sh1106', 'none']).default('ssd1306').meta({ description: 'OLED controller chip; "none" runs without a display.' }),
      width: z.literal(128).default(128),
      height: z.literal([64, 32]).default(64),
      bus: z.number().int().min(0).max(10).default(1).meta({ description: 'I2C bus number (/dev/i2c-N).' }),
      address: z.number().int().min(0x03).max(0x77).default(0x3c).meta({ description: 'I2C address (write 0x3C or 0x3D).' }),
      rotation: z.literal([0, 180]).default(0),
      brightness: z.number().int().min(0).max(255).default(200),
      dim_after_s: z.number().int().min(0).max(86_400).default(60).meta({ description: 'Dim after this many idle seconds (0: never).' }),
      screensaver: z.boolean().default(false).meta({ description: 'Blank the display after dim_after_s to spare the OLED.' }),
    })
    .prefault({}),
});

const menuControl = z
  .strictObject({
    control: z.enum(['enter', 'next', 'prev', 'select', 'back']).meta({ description: 'Menu input: enter opens the menu (inside it: back).' }),
    switch: z.string().min(1).optional().meta({ description: 'Footswitch name, with gesture.' }),
    gesture: z.enum(['press', 'long', 'double']).default('press'),
    note: z.number().int().min(0).max(127).optional().meta({ description: 'MIDI note (note-on with velocity > 0).' }),
    cc: z.number().int().min(0).max(127).optional().meta({ description: 'MIDI CC number (value >= 64).' }),
    channel: z.number().int().min(1).max(16).optional().meta({ description: 'MIDI channel; any when absent.' }),
  })
  .refine((c) => [c.switch, c.note, c.cc].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of switch, note or cc',
  });

const plugin = z.strictObject({
  path: z.string().min(1).meta({ description: 'The .wasm file, relative to the config file directory or absolute.' }),
  enabled: z.boolean().default(true),
  profile: z.enum(LIMIT_PROFILES).optional().meta({ description: 'Limits profile for this plugin (default: limits.profile).' }),
  fuel: z.number().int().min(1000).max(10_000_000_000).optional().meta({ description: 'Fuel (instructions) per action; overrides the profile.' }),
  init_fuel: z.number().int().min(1000).max(10_000_000_000).optional().meta({ description: 'Fuel for init(); overrides the profile.' }),
  memory_mb: z.number().int().min(1).max(512).optional().meta({ description: 'Linear memory cap in MiB; overrides the profile.' }),
  timeout_ms: z.number().int().min(1).max(60_000).optional().meta({ description: 'Wall-clock limit per call (isolated lane); overrides the profile.' }),
  capabilities: z
    .array(z.enum(CAPABILITIES))
    .default([])
    .superRefine((caps, ctx) => uniqueBy(caps, (c) => c, 'capability', ctx, true))
    .meta({ description: 'Capabilities granted to the plugin (it gets only these, whatever it requests).' }),
  signature: z.enum(['required', 'if-present', 'off']).default('if-present').meta({ description: 'Signature policy: refuse unsigned plugins, check when present, or skip.' }),
  lane: z
    .enum(LANES)
    .default('isolated')
    .meta({
      description: `"isolated": own thread, wall-clock timeout, a runaway plugin never delays MIDI. "realtime": runs on the MIDI thread with no thread hop, for note-generating plugins; fuel at most ${REALTIME_FUEL_PER_EXECUTE} per action, no Filesystem.`,
    }),
}).superRefine((p, ctx) => {
  if (p.lane !== 'realtime') return;
  const why = 'in the realtime lane (the plugin runs on the MIDI thread); use lane = "isolated" for more';
  if (p.fuel !== undefined && p.fuel > REALTIME_FUEL_PER_EXECUTE) ctx.addIssue({ code: 'custom', path: ['fuel'], message: `at most ${REALTIME_FUEL_PER_EXECUTE} ${why}` });
  if (p.init_fuel !== undefined && p.init_fuel > REALTIME_FUEL_PER_INIT) ctx.addIssue({ code: 'custom', path: ['init_fuel'], message: `at most ${REALTIME_FUEL_PER_INIT} ${why}` });
  if (p.timeout_ms !== undefined) ctx.addIssue({ code: 'custom', path: ['timeout_ms'], message: 'has no effect in the realtime lane (nothing can pre-empt the MIDI thread; capped fuel bounds each call); remove it or use lane = "isolated"' });
  if (p.capabilities.includes('Filesystem')) ctx.addIssue({ code: 'custom', path: ['capabilities'], message: 'Filesystem is not available in the realtime lane (file I/O would stall MIDI); use lane = "isolated"' });
});

export const boxConfigShape = {
  version: z.literal(1).default(1).meta({ description: 'Config format version (for future migrations).' }),
  devices: devices.prefault({}).meta({ description: 'MIDI ports, footswitches and the display.' }),
  ...engineConfigShape,
  plugins: z
    .record(z.string().regex(PLUGIN_NAME), plugin)
    .default({})
    .meta({ description: 'Plugins by name ([plugins.NAME]); names are lowercase letters, digits, - and _.' }),
  limits: z
    .strictObject({
      profile: z.enum(LIMIT_PROFILES).default('auto').meta({ description: 'Plugin resource limits: "pi" is tight, "desktop" loose, "auto" picks by machine.' }),
    })
    .prefault({})
    .meta({ description: 'Plugin resource limits.' }),
  logging: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info'),
    })
    .prefault({})
    .meta({ description: 'Service log (journalctl -u midimon); applied on reload.' }),
  usb: z
    .strictObject({
      enabled: z.boolean().default(true).meta({ description: 'Offer plugin installs from USB sticks in the OLED menu.' }),
      mount_roots: z.array(z.string().startsWith('/')).min(1).default(['/media']).meta({ description: 'Mount points under these directories are USB sticks (the udev rule mounts them read-only under /media).' }),
      signature: z
        .enum(['required', 'if-present', 'off'])
        .default('if-present')
        .meta({ description: 'Plugins from a stick: refuse unsigned ones, check signatures when present, or skip signatures. The SHA-256 checksum is always checked. Trusted keys: trusted-keys/*.pem beside the config file.' }),
    })
    .prefault({})
    .meta({ description: 'Installing plugins from USB sticks.' }),
  menu: z
    .strictObject({
      timeout_s: z.number().int().min(0).max(3600).default(30).meta({ description: 'Leave the menu after this many idle seconds (0: never).' }),
      controls: z
        .array(menuControl)
        .optional()
        .meta({
          description:
            'What opens and drives the menu. Default with footswitches: a long press of any switch opens the menu (and goes back inside it), the first switch is next, the second select. MIDI notes/CCs work too, for one-switch boxes.',
        }),
    })
    .prefault({})
    .meta({ description: 'The OLED menu driven by the footswitches.' }),
};

export const boxConfigSchema = z.strictObject(boxConfigShape);

/** The validated config with every default applied. */
export type BoxConfig = z.output<typeof boxConfigSchema>;
export type BoxConfigInput = z.input<typeof boxConfigSchema>;
export type PluginConfig = BoxConfig['plugins'][string];

/** JSON Schema (draft 2020-12) of the file as written by a user (defaults optional). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(boxConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://midimon-box.local/config.schema.json', title: 'midimon-box config.toml' };
}
