import { MidimonError } from '../../errors.js';

const EXPORT_SECTION = 7;
const START_SECTION = 8;
export const START_EXPORT = '__midimon_start';

function readLeb(bytes: Uint8Array, pos: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    const b = bytes[pos + i];
    if (b === undefined) break;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return { value, next: pos + i + 1 };
  }
  throw new MidimonError('invalid_module', `malformed LEB128 at byte ${pos}`);
}

function leb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/**
 * Turns the start section into an export. The instrumenter's fuel global
 * starts at 0, and the host can only set it once the instance exists; a
 * start function would otherwise run unmetered-but-empty (trapping at once).
 * Hoisted, it runs right after instantiation under the init budget and the
 * same timeout, before any other export: the plugin cannot tell the difference.
 * Adding an export and dropping the start section shift no index.
 */
export function hoistStart(bytes: Uint8Array, takenNames: ReadonlySet<string>): { bytes: Uint8Array; startExport: string | null } {
  const sections: Array<{ id: number; start: number; payload: number; end: number }> = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos] as number;
    const size = readLeb(bytes, pos + 1);
    const end = size.next + size.value;
    if (end > bytes.length) throw new MidimonError('invalid_module', `section ${id} at byte ${pos} runs past the end`);
    sections.push({ id, start: pos, payload: size.next, end });
    pos = end;
  }
  const start = sections.find((s) => s.id === START_SECTION);
  const exp = sections.find((s) => s.id === EXPORT_SECTION);
  if (start === undefined || exp === undefined) return { bytes, startExport: null };
  const func = readLeb(bytes, start.payload).value;
  let name = START_EXPORT;
  for (let i = 1; takenNames.has(name); i++) name = `${START_EXPORT}_${i}`;
  const count = readLeb(bytes, exp.payload);
  const entry = [...leb(name.length), ...new TextEncoder().encode(name), 0x00, ...leb(func)];
  const payload = [...leb(count.value + 1), ...bytes.subarray(count.next, exp.end), ...entry];
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const s of sections) {
    if (s.id === START_SECTION) continue;
    if (s.id === EXPORT_SECTION) parts.push(Uint8Array.from([EXPORT_SECTION, ...leb(payload.length), ...payload]));
    else parts.push(bytes.subarray(s.start, s.end));
  }
  return { bytes: Buffer.concat(parts), startExport: name };
}
