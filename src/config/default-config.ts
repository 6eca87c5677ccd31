import { access } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * The config written on first run: valid as is (a test checks it), every
 * section present with its defaults spelt out, so an owner editing over SSH
 * sees what can be set. Reference: docs/configuration.md.
 */
/** Lines starting `#ex` are examples: commented out in the default, switched on in a test. */
const TEMPLATE = `# midimon-box configuration. Edit, save: the box reloads by itself.
# Check before saving with:  midimon config check
# Every key, type, range and default: docs/configuration.md (or: midimon config schema)
version = 1

[devices.midi]
# Which ports to open, by name: a case-insensitive substring, a * / ? glob or /regex/.
# Leave both lists empty to open every MIDI port found.
# inputs = [{ name = "Launchpad", alias = "pad" }]
# outputs = [{ name = "/^Synth/", alias = "synth" }]
inputs = []
outputs = []
poll_interval_ms = 1000

# Footswitches on GPIO pins (BCM numbering), wired to ground. Pull-ups are set
# in /boot/firmware/config.txt, e.g.  gpio=17,27=ip,pu
#ex [[devices.footswitches]]
#ex name = "left"
#ex pin = 17
#ex
#ex [[devices.footswitches]]
#ex name = "right"
#ex pin = 27

[devices.footswitch_timing]
debounce_ms = 20
long_press_ms = 600
double_press_ms = 300

[devices.display]
controller = "ssd1306"   # "ssd1306", "sh1106" (most 1.3" boards) or "none"
width = 128
height = 64              # 64 or 32
bus = 1
address = 0x3C
rotation = 0             # 0 or 180
brightness = 200         # 0-255
dim_after_s = 60         # 0: never dim
screensaver = false

@@ENGINE@@

# Plugins: one table per plugin; path is relative to this file's directory.
# Installed plugin files must exist (set enabled = false to keep an entry without one).
# [plugins.looper]
# path = "plugins/looper.wasm"
# capabilities = []            # granted: "Network", "Filesystem", "Process", "Midi"
# signature = "if-present"     # "required", "if-present" or "off"
# lane = "isolated"            # "realtime": on the MIDI thread, no thread hop, fuel <= 500000, no Filesystem

[limits]
profile = "auto"   # plugin resource limits: "auto", "pi" or "desktop"

[logging]
level = "info"     # fatal, error, warn, info, debug, trace

[menu]
timeout_s = 30     # leave the menu after this many idle seconds (0: never)
`;

const ENGINE = `# Modes hold mappings (trigger -> action); the display shows the current one.
# Every trigger and action: docs/configuration.md and docs/example-config.toml.
[[modes]]
name = "Default"
#ex
#ex [[modes.mappings]]
#ex description = "right footswitch: next mode"
#ex trigger = { type = "Footswitch", switch = "right" }
#ex action = { type = "ModeChange", mode = "next" }
#ex
#ex [[modes.mappings]]
#ex description = "pad C1 plays a C major chord on the synth"
#ex trigger = { type = "Note", note = 36 }
#ex [modes.mappings.action]
#ex type = "Sequence"
#ex actions = [
#ex   { type = "SendMidi", message = "note", note = 60, output = "synth" },
#ex   { type = "SendMidi", message = "note", note = 64, output = "synth" },
#ex   { type = "SendMidi", message = "note", note = 67, output = "synth" },
#ex ]

# Routes pass MIDI straight through, with filters:
#ex [[routes]]
#ex name = "keys to synth"
#ex from = "Keystation"
#ex to = "synth"
#ex drop_clock = true`;

const SOURCE = TEMPLATE.replace('@@ENGINE@@', ENGINE);

export const DEFAULT_CONFIG_TOML = SOURCE.replace(/^#ex ?/gm, '# ').replace(/^# $/gm, '#');

/** The default with its examples switched on: a test keeps the hints valid. */
export const DEFAULT_CONFIG_EXAMPLES_TOML = SOURCE.replace(/^#ex ?/gm, '');

/** Writes the default config if nothing is at `path` yet; returns true when it did. */
export async function ensureDefaultConfig(path: string): Promise<boolean> {
  try {
    await access(path);
    return false;
  } catch {
    await writeFileAtomic(path, DEFAULT_CONFIG_TOML, 0o664);
    return true;
  }
}
