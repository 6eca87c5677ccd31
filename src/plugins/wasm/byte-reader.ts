import { MidimonError } from '../../errors.js';

/**
 * Bounds-checked cursor over a module's bytes. Every read past `end` or any
 * over-long LEB becomes an `invalid_module` MidimonError naming the current
 * section and the byte offset, so hostile input can never surface as a
 * RangeError or a silently wrong value. Padded (non-canonical) LEBs are
 * accepted within the spec's size limits because rustc emits them.
 */
export class ByteReader {
  readonly buf: Uint8Array;
  pos: number;
  end: number;
  /** Human name of what is being decoded, used in error messages. */
  where = 'header';

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  fail(message: string, at = this.pos): never {
    throw new MidimonError('invalid_module', `${this.where}: ${message} at byte offset ${at}`, {
      details: { section: this.where, offset: at },
    });
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end');
    return this.buf[this.pos++] as number;
  }

  /** Unsigned LEB128 of at most 32 bits (5 bytes, unused high bits must be 0). */
  u32(): number {
    const start = this.pos;
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) this.fail('unexpected end in LEB128', start);
      const b = this.buf[this.pos++] as number;
      if (shift === 28) {
        if ((b & 0xf0) !== 0) this.fail('LEB128 u32 too long or out of range', start);
        return (result | (b << 28)) >>> 0;
      }
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  }

  /** Signed LEB128 of at most `bits` bits; returns a JS number (exact up to 2^53). */
  sleb(bits: 32 | 33 | 64): number {
    const start = this.pos;
    const maxBytes = Math.ceil(bits / 7);
    let result = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) this.fail('unexpected end in LEB128', start);
      const b = this.buf[this.pos++] as number;
      if (i === maxBytes - 1) {
        // Last allowed byte: continuation must be clear, unused bits must sign-extend.
        if ((b & 0x80) !== 0) this.fail(`LEB128 s${bits} too long`, start);
        const used = bits - 7 * i; // bits still meaningful in this byte
        const signBit = (b >> (used - 1)) & 1;
        const rest = b >> used;
        const expect = signBit ? (0x7f >> used) : 0;
        if (used < 7 && rest !== expect) this.fail(`LEB128 s${bits} out of range`, start);
      }
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= mul;
        return result;
      }
    }
  }

  /** Unsigned LEB128 up to 64 bits, value discarded (memarg offsets of memory64). */
  skipU64(): void {
    const start = this.pos;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('unexpected end in LEB128', start);
      const b = this.buf[this.pos++] as number;
      if ((b & 0x80) === 0) {
        if (i === 9 && b > 1) this.fail('LEB128 u64 out of range', start);
        return;
      }
    }
    this.fail('LEB128 u64 too long', start);
  }

  skip(n: number): void {
    if (n > this.end - this.pos) this.fail(`${n} bytes needed, ${this.end - this.pos} left`);
    this.pos += n;
  }

  bytes(n: number): Uint8Array {
    const start = this.pos;
    this.skip(n);
    return this.buf.subarray(start, start + n);
  }

  name(): string {
    const len = this.u32();
    const at = this.pos;
    const raw = this.bytes(len);
    try {
      return utf8.decode(raw);
    } catch {
      return this.fail('name is not valid UTF-8', at);
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
