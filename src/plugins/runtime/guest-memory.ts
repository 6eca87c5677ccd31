/**
 * Bounds-checked access to a plugin's linear memory. Views are rebuilt on
 * every access because memory.grow detaches the old ArrayBuffer.
 */
export class GuestMemory {
  #memory: WebAssembly.Memory | undefined;

  bind(memory: WebAssembly.Memory): void {
    this.#memory = memory;
  }

  get size(): number {
    return this.#memory?.buffer.byteLength ?? 0;
  }

  inBounds(ptr: number, len: number): boolean {
    return ptr >= 0 && len >= 0 && ptr + len <= this.size;
  }

  /** A live view of [ptr, ptr+len), or undefined when any byte is outside memory. */
  bytes(ptr: number, len: number): Uint8Array | undefined {
    const p = ptr >>> 0;
    const l = len >>> 0;
    if (this.#memory === undefined || !this.inBounds(p, l)) return undefined;
    return new Uint8Array(this.#memory.buffer, p, l);
  }

  /** A DataView covering [ptr, ptr+len), or undefined when out of bounds. */
  view(ptr: number, len: number): DataView | undefined {
    const p = ptr >>> 0;
    if (this.#memory === undefined || !this.inBounds(p, len)) return undefined;
    return new DataView(this.#memory.buffer, p, len);
  }

  /** UTF-8 string at [ptr, ptr+len), or undefined when out of bounds or not valid UTF-8. */
  string(ptr: number, len: number): string | undefined {
    const b = this.bytes(ptr, len);
    if (b === undefined) return undefined;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return undefined;
    }
  }
}
