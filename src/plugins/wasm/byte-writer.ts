/** Growable output buffer with the LEB128 encoders the rewriter needs. */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  constructor(capacity = 1024) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
  }

  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  u8(b: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = b;
  }

  u32(v: number): void {
    this.#reserve(5);
    let x = v >>> 0;
    do {
      let b = x & 0x7f;
      x >>>= 7;
      if (x !== 0) b |= 0x80;
      this.#buf[this.#len++] = b;
    } while (x !== 0);
  }

  /** Signed LEB128 of an integer-valued JS number (|v| < 2^53). */
  sleb(v: number): void {
    this.#reserve(10);
    let x = v;
    for (;;) {
      const b = ((x % 128) + 128) % 128;
      x = Math.floor(x / 128);
      const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
      this.#buf[this.#len++] = done ? b : b | 0x80;
      if (done) return;
    }
  }

  /** Signed LEB128 of a bigint (i64 range). */
  slebBig(v: bigint): void {
    this.#reserve(10);
    let x = v;
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      const done = (x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0);
      this.#buf[this.#len++] = done ? b : b | 0x80;
      if (done) return;
    }
  }

  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.#reserve(n);
    const buf = this.#buf;
    if (n < 32) {
      // Short runs dominate (the code between two edits): a loop beats subarray + set.
      let o = this.#len;
      for (let i = start; i < end; i++) buf[o++] = src[i] as number;
    } else {
      buf.set(src.subarray(start, end), this.#len);
    }
    this.#len += n;
  }

  /** Forgets the content, keeping the buffer (for reuse as scratch). */
  reset(): void {
    this.#len = 0;
  }

  /** A copy of the written bytes. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  /** A view of the written bytes (valid until the next write). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}

export function u32Size(v: number): number {
  let n = 1;
  let x = v >>> 7;
  while (x !== 0) {
    n++;
    x >>>= 7;
  }
  return n;
}
