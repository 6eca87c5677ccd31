// MIDIMon plugin template in AssemblyScript: the same ABI as the Rust
// plugins (init(): i64, execute, alloc, dealloc, exported memory) and no
// imports beyond the host's "midimon" module (built with `--runtime stub
// --use abort=`, so there is no `env.abort` either).
//
// The stub runtime never frees anything but the newest block, so execute()
// reads the request in place instead of building strings: memory use stays
// flat however many times the box calls it.
//
// Return codes: 0 ok, 1 invalid memory read, 2 invalid request (no "action"
// string), 3 unknown action, 5 the host refused a call.

@external("midimon", "midi_send")
declare function midi_send(ptr: usize, len: i32): i32;

@external("midimon", "log")
declare function host_log(level: i32, ptr: usize, len: i32): void;

const OK: i32 = 0;
const ERR_MEMORY: i32 = 1;
const ERR_JSON: i32 = 2;
const ERR_ACTION: i32 = 3;
const ERR_HOST: i32 = 5;
const LOG_INFO: i32 = 1;

const METADATA = `{
  "name": "as-template",
  "version": "0.1.0",
  "description": "Starting point for MIDIMon plugins in AssemblyScript",
  "author": "midimon-box",
  "license": "MIT",
  "type": "action",
  "capabilities": []
}`;

let metadata: ArrayBuffer | null = null;
let helloText: ArrayBuffer | null = null;
const scratch = new StaticArray<u8>(3);

/** High 32 bits: pointer to the metadata JSON (UTF-8), low 32 bits: length. */
export function init(): i64 {
  let m = metadata;
  if (m === null) {
    m = String.UTF8.encode(METADATA);
    metadata = m;
  }
  return (i64(changetype<usize>(m)) << 32) | i64(m.byteLength);
}

export function alloc(size: i32): usize {
  return heap.alloc(<usize>max(size, 1));
}

export function dealloc(ptr: usize, size: i32): void {
  if (ptr != 0) heap.free(ptr);
}

export function execute(ptr: usize, len: i32): i32 {
  if (ptr == 0 || len <= 0) return ERR_MEMORY;
  const end = ptr + <usize>len;
  const action = valueAfterKey(ptr, end, "action");
  if (action == 0 || load<u8>(action) != 0x22 /* " */) return ERR_JSON;
  if (stringIs(action, end, "hello")) {
    let h = helloText;
    if (h === null) {
      h = String.UTF8.encode("hello from as-template");
      helloText = h;
    }
    host_log(LOG_INFO, changetype<usize>(h), h.byteLength);
    return OK;
  }
  if (stringIs(action, end, "note")) {
    // Middle C on channel 1 while the key is down: the host calls with
    // "event": "press" and again with "release" for mappings fired by a
    // note-on; end what you start (the host releases leftovers anyway).
    const event = valueAfterKey(ptr, end, "event");
    const release = event != 0 && stringIs(event, end, "release");
    let velocity: i32 = 100;
    const v = valueAfterKey(ptr, end, "velocity");
    if (v != 0 && isDigit(load<u8>(v))) velocity = max(min(parseUint(v, end), 127), 1);
    store<u8>(changetype<usize>(scratch), release ? 0x80 : 0x90);
    store<u8>(changetype<usize>(scratch) + 1, 60);
    store<u8>(changetype<usize>(scratch) + 2, release ? 0 : <u8>velocity);
    return midi_send(changetype<usize>(scratch), 3) == 0 ? OK : ERR_HOST;
  }
  return ERR_ACTION;
}

function isDigit(c: u8): bool {
  return c >= 0x30 && c <= 0x39;
}

function isSpace(c: u8): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

function parseUint(p: usize, end: usize): i32 {
  let n: i32 = 0;
  while (p < end && isDigit(load<u8>(p)) && n < 100000) {
    n = n * 10 + i32(load<u8>(p) - 0x30);
    p++;
  }
  return n;
}

/** True when the bytes at p are `"<ascii>"`. */
function stringIs(p: usize, end: usize, ascii: string): bool {
  const n = <usize>ascii.length;
  if (p + n + 2 > end) return false;
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(p + 1 + i) != <u32>ascii.charCodeAt(<i32>i)) return false;
  }
  return load<u8>(p + 1 + n) == 0x22;
}

/**
 * Address of the first non-space byte after `"key":` anywhere in the
 * request, or 0. Good enough for the host's flat, generated JSON; a plugin
 * that needs nested lookups should bring a JSON library.
 */
function valueAfterKey(start: usize, end: usize, key: string): usize {
  for (let p = start; p < end; p++) {
    if (load<u8>(p) != 0x22 || !stringIs(p, end, key)) continue;
    let q = p + <usize>key.length + 2;
    while (q < end && isSpace(load<u8>(q))) q++;
    if (q >= end || load<u8>(q) != 0x3a /* : */) continue;
    q++;
    while (q < end && isSpace(load<u8>(q))) q++;
    return q < end ? q : 0;
  }
  return 0;
}
