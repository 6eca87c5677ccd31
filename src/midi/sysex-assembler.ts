/**
 * Turns what an input port delivers into whole messages before the engine
 * sees them. RtMidi's ALSA backend already joins the sequencer's 256-byte
 * SysEx events into one message, with one gap: a realtime event (clock,
 * active sensing) arriving mid-dump is appended to the partial SysEx and the
 * rest of the dump then arrives as a message that starts with data bytes.
 * Other backends (and other RtMidi versions) may hand over chunks. So, per
 * input port:
 * - realtime bytes (F8-FF) inside a SysEx are taken out and delivered on
 *   their own, before the SysEx (as on the wire);
 * - a message that starts with data bytes continues the open SysEx;
 * - a SysEx cut short (another status byte before its F7) or growing past
 *   the size limit is dropped whole with a problem, never passed on
 *   truncated; the rest of the dump is discarded up to its F7.
 * Non-SysEx messages pass through untouched (one comparison on the hot path).
 */

export type AssemblerProblem =
  | { readonly kind: 'too_large'; readonly bytes: number; readonly limit: number }
  | { readonly kind: 'interrupted'; readonly bytes: number; readonly by: number }
  | { readonly kind: 'stray_data'; readonly bytes: number };

export class SysexAssembler {
  #maxBytes: number;
  /** The open SysEx, or null. */
  #pending: number[] | null = null;
  /** Bytes of an oversized SysEx discarded so far (-1: not discarding). */
  #discarding = -1;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  set maxBytes(n: number) {
    this.#maxBytes = n;
  }

  /** True while a SysEx has started and not ended. */
  get open(): boolean {
    return this.#pending !== null || this.#discarding >= 0;
  }

  /** Feeds one delivered message; calls `emit` for each whole message and `problem` for each drop. */
  feed(bytes: readonly number[], emit: (message: number[]) => void, problem: (p: AssemblerProblem) => void): void {
    const first = bytes[0];
    if (first === undefined) return;
    if (!this.open && first !== 0xf0) {
      if (first < 0x80) problem({ kind: 'stray_data', bytes: bytes.length });
      else emit(bytes as number[]);
      return;
    }
    // Fast path: one whole, clean SysEx delivered at once (RtMidi on ALSA, the fake backend).
    if (!this.open && bytes[bytes.length - 1] === 0xf7 && cleanSysex(bytes)) {
      if (bytes.length > this.#maxBytes) problem({ kind: 'too_large', bytes: bytes.length, limit: this.#maxBytes });
      else emit(bytes as number[]);
      return;
    }
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i] as number;
      if (b >= 0xf8) {
        emit([b]);
        continue;
      }
      if (b === 0xf0) {
        this.#interrupt(b, problem);
        this.#pending = [b];
        continue;
      }
      if (b === 0xf7) {
        if (this.#discarding >= 0) {
          problem({ kind: 'too_large', bytes: this.#discarding + 1, limit: this.#maxBytes });
          this.#discarding = -1;
        } else if (this.#pending !== null) {
          this.#pending.push(b);
          const whole = this.#pending;
          this.#pending = null;
          emit(whole);
        } else problem({ kind: 'stray_data', bytes: 1 });
        continue;
      }
      if (b >= 0x80) {
        // Any other status ends the SysEx unfinished; the rest of this delivery is one ordinary message.
        this.#interrupt(b, problem);
        emit(bytes.slice(i) as number[]);
        return;
      }
      if (this.#discarding >= 0) this.#discarding++;
      else if (this.#pending !== null) {
        if (this.#pending.length + 1 >= this.#maxBytes) {
          // The F7 still to come would take it over the limit: stop buffering now (memory stays bounded).
          this.#discarding = this.#pending.length + 1;
          this.#pending = null;
        } else this.#pending.push(b);
      } else {
        problem({ kind: 'stray_data', bytes: bytes.length - i });
        return;
      }
    }
  }

  /** The port closed (unplugged): an unfinished SysEx is lost; say so. */
  reset(problem: (p: AssemblerProblem) => void): void {
    this.#interrupt(-1, problem);
  }

  #interrupt(by: number, problem: (p: AssemblerProblem) => void): void {
    if (this.#pending !== null) problem({ kind: 'interrupted', bytes: this.#pending.length, by });
    else if (this.#discarding >= 0) problem({ kind: 'too_large', bytes: this.#discarding, limit: this.#maxBytes });
    this.#pending = null;
    this.#discarding = -1;
  }
}

function cleanSysex(bytes: readonly number[]): boolean {
  for (let i = 1; i < bytes.length - 1; i++) if ((bytes[i] as number) > 0x7f) return false;
  return true;
}

export function describeProblem(p: AssemblerProblem, device: string): string {
  switch (p.kind) {
    case 'too_large':
      return `SysEx from "${device}" dropped: ${p.bytes} bytes is over sysex.max_bytes = ${p.limit} (dropped whole, not truncated)`;
    case 'interrupted':
      return p.by < 0
        ? `SysEx from "${device}" lost: the input closed after ${p.bytes} bytes, before its F7`
        : `SysEx from "${device}" dropped: status byte ${p.by.toString(16).toUpperCase()} arrived after ${p.bytes} bytes, before its F7`;
    case 'stray_data':
      return `${p.bytes} data byte${p.bytes === 1 ? '' : 's'} from "${device}" outside any message dropped (a SysEx whose start was lost?)`;
  }
}
