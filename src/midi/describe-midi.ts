import { parseMidi } from '../engine/midi-message.js';

export function hex(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** One short human line for a MIDI message, as the monitor and the simulation log print it. Channels are 1-16. */
export function describeMidi(bytes: readonly number[]): string {
  const m = parseMidi(bytes);
  switch (m.kind) {
    case 'note_on':
      return `note_on ch${m.channel} ${m.note} vel ${m.velocity}`;
    case 'note_off':
      return `note_off ch${m.channel} ${m.note}${bytes[0] !== undefined && (bytes[0] & 0xf0) === 0x90 ? ' (note_on vel 0)' : ''}`;
    case 'poly_aftertouch':
      return `poly_aftertouch ch${m.channel} ${m.note} = ${m.value}`;
    case 'cc':
      return `cc ch${m.channel} #${m.cc} = ${m.value}`;
    case 'program_change':
      return `program_change ch${m.channel} ${m.program}`;
    case 'channel_aftertouch':
      return `aftertouch ch${m.channel} ${m.value}`;
    case 'pitch_bend':
      return `pitch_bend ch${m.channel} ${m.value}`;
    case 'sysex':
      return `sysex ${bytes.length} bytes`;
    case 'clock':
      return ({ 0xf8: 'clock', 0xfa: 'start', 0xfb: 'continue', 0xfc: 'stop' } as Record<number, string>)[bytes[0] ?? 0] ?? 'clock';
    case 'active_sensing':
      return 'active_sensing';
    case 'system':
      return `system ${hex(bytes.slice(0, 1))}`;
    case 'invalid':
      return `invalid ${hex(bytes.slice(0, 8))}`;
  }
}

/** A few characters for the OLED Monitor page (20 columns): "n60 v100 c1", "cc74=127 c1", "bend-2000 c1". */
export function shortMidi(bytes: readonly number[]): string {
  const m = parseMidi(bytes);
  switch (m.kind) {
    case 'note_on':
      return `n${m.note} v${m.velocity} c${m.channel}`;
    case 'note_off':
      return `off${m.note} c${m.channel}`;
    case 'poly_aftertouch':
      return `pat${m.note}=${m.value} c${m.channel}`;
    case 'cc':
      return `cc${m.cc}=${m.value} c${m.channel}`;
    case 'program_change':
      return `pc${m.program} c${m.channel}`;
    case 'channel_aftertouch':
      return `at${m.value} c${m.channel}`;
    case 'pitch_bend':
      return `bend${m.value} c${m.channel}`;
    case 'sysex':
      return `sysex ${bytes.length}B`;
    default:
      return describeMidi(bytes);
  }
}
