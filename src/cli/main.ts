import { EXIT_USAGE, UsageError, type CliIo, type CommandRunner } from './io.js';

/**
 * `midimon <group> ...`: each group lives in src/cli/commands/<group>.ts and is
 * loaded only when used, so `midimon status` over SSH does not pay for the
 * WASM instrumenter or the display renderer.
 */
const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<CommandRunner> }>> = {
  plugin: { summary: 'inspect, run, new, pack plugins', load: async () => (await import('./commands/plugin.js')).run },
  status: { summary: 'mode, devices, plugins, errors, config state of the running box', load: async () => (await import('./commands/status.js')).run },
  config: { summary: 'check, show, schema, path of the config file', load: async () => (await import('./commands/config.js')).run },
  reload: { summary: 're-read the config file now', load: async () => (await import('./commands/reload.js')).run },
  mode: { summary: 'show or switch the mode: NAME, next, prev', load: async () => (await import('./commands/mode.js')).run },
  logs: { summary: 'follow the service log (journalctl -u midimon -f)', load: async () => (await import('./commands/logs.js')).run },
  send: { summary: 'inject MIDI or a footswitch gesture as if a device sent it', load: async () => (await import('./commands/send.js')).run },
  monitor: { summary: 'live stream of MIDI in/out, triggers, plugin calls, modes', load: async () => (await import('./commands/monitor.js')).run },
  devices: { summary: 'MIDI ports the box sees, with USB socket and serial', load: async () => (await import('./commands/devices.js')).run },
  screenshot: { summary: 'save what the OLED shows as a PNG (or a demo screen)', load: async () => (await import('./commands/screenshot.js')).run },
  panic: { summary: 'all notes off + sustain off on every output channel the box used', load: async () => (await import('./commands/panic.js')).run },
  learn: { summary: 'print (or --add) the mapping for the next control you move', load: async () => (await import('./commands/learn.js')).run },
  tempo: { summary: 'show or set the MIDI clock: BPM, +N/-N, tap, start, stop, source', load: async () => (await import('./commands/tempo.js')).run },
  setlist: { summary: 'show the setlist, or select a song: next, prev, N, NAME', load: async () => (await import('./commands/setlist.js')).run },
};

const USAGE = () =>
  `usage: midimon <command> [args]\n\ncommands:\n${Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`)
    .join('\n')}\n\nRun 'midimon <command> --help' for details.\n`;

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(USAGE());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`midimon: unknown command '${name}'\n${USAGE()}`);
    return EXIT_USAGE;
  }
  try {
    return await (await command.load())(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`midimon ${name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

