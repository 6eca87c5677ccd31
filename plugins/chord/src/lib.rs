//! Chord plugin: turns one note into a chord, or steps an arpeggio, through
//! the host's `midi_send`. Everything comes from the mapping's params (and
//! the trigger's note/channel when the host puts them in the context).
//!
//! Actions:
//! - `chord` (alias `play`): note-on for root + each interval. When the host
//!   says the key was let go (`context.event` = "release", sent to mappings
//!   fired by a note-on) or the velocity is 0: the note-offs of that chord,
//!   so one mapping plays the chord while the key is down.
//! - `release`: note-off for root + each interval.
//! - `arp`: one arpeggio step: note-off for the previous step's note, note-on
//!   for the next interval (order `up`, `down` or `updown`).
//! Params: `root` (0-127; default the context's `note`, else 60),
//! `intervals` (semitones, default [0, 4, 7]) or `shape` (a chord name:
//! maj, min, dim, aug, sus2, sus4, 5, 6, m6, 7, maj7, min7, m7b5, dim7, 9,
//! add9), `inversion` (0 = root position; n raises the lowest n notes an
//! octave), `channel` (1-16; default the
//! context's `channel`, else 1), `velocity` (1-127; default the trigger's),
//! `order` (arp only). Notes outside 0-127 are skipped.
//! Return codes: 0 ok, 1 invalid memory read, 2 invalid request JSON,
//! 3 unknown action, 4 invalid params, 5 host refused `midi_send`.

pub mod host;

use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

static METADATA: &[u8] = br#"{
  "name": "chord",
  "version": "0.1.0",
  "description": "One note in, a chord or an arpeggio step out (intervals from the mapping)",
  "author": "midimon-box",
  "license": "MIT",
  "type": "action",
  "capabilities": []
}"#;

const OK: i32 = 0;
const ERR_MEMORY: i32 = 1;
const ERR_JSON: i32 = 2;
const ERR_ACTION: i32 = 3;
const ERR_PARAMS: i32 = 4;
const ERR_HOST: i32 = 5;
const MAX_INTERVALS: usize = 16;

/// Arpeggio state lives in the instance: a fresh instance starts over.
static ARP_STEP: AtomicUsize = AtomicUsize::new(0);
/// Last arpeggio note sounding (with its channel in bits 8..), or -1.
static ARP_SOUNDING: AtomicI32 = AtomicI32::new(-1);

#[derive(Deserialize)]
struct Request {
    action: String,
    context: Map<String, Value>,
    #[serde(default)]
    params: Option<Map<String, Value>>,
}

struct Chord {
    channel: u8,
    velocity: u8,
    notes: Vec<u8>,
    order: Order,
}

#[derive(Clone, Copy)]
enum Order {
    Up,
    Down,
    UpDown,
}

#[no_mangle]
pub extern "C" fn init() -> u64 {
    let ptr = METADATA.as_ptr() as u32;
    let len = METADATA.len() as u32;
    ((ptr as u64) << 32) | (len as u64)
}

#[no_mangle]
pub extern "C" fn execute(ptr: u32, len: u32) -> i32 {
    if ptr == 0 || len == 0 {
        return ERR_MEMORY;
    }
    let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, len as usize) };
    let request: Request = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(_) => return ERR_JSON,
    };
    if !matches!(request.action.as_str(), "chord" | "play" | "release" | "arp") {
        return ERR_ACTION;
    }
    let params = request.params.unwrap_or_default();
    let chord = match parse(&request.context, &params) {
        Some(c) => c,
        None => return ERR_PARAMS,
    };
    let released = request.context.get("event").and_then(|v| v.as_str()) == Some("release");
    let sent = match request.action.as_str() {
        "chord" | "play" if chord.velocity > 0 && !released => send_all(&chord, 0x90, chord.velocity),
        "chord" | "play" | "release" => send_all(&chord, 0x80, 0),
        _ => arp_step(&chord),
    };
    if sent {
        OK
    } else {
        ERR_HOST
    }
}

fn int_in(v: Option<&Value>, lo: i64, hi: i64) -> Option<Option<i64>> {
    match v {
        None | Some(Value::Null) => Some(None),
        Some(v) => v.as_i64().filter(|n| (lo..=hi).contains(n)).map(Some),
    }
}

/// `None` when a param is present but invalid.
fn parse(ctx: &Map<String, Value>, params: &Map<String, Value>) -> Option<Chord> {
    let root = match int_in(params.get("root"), 0, 127)? {
        Some(r) => r,
        None => int_in(ctx.get("note"), 0, 127).unwrap_or(None).unwrap_or(60),
    };
    let channel = match int_in(params.get("channel"), 1, 16)? {
        Some(c) => c,
        None => int_in(ctx.get("channel"), 1, 16).unwrap_or(None).unwrap_or(1),
    };
    let velocity = match int_in(params.get("velocity"), 1, 127)? {
        Some(v) => v,
        None => int_in(ctx.get("velocity"), 0, 127).unwrap_or(None).unwrap_or(100),
    };
    let intervals: Vec<i64> = match params.get("intervals") {
        None => match params.get("shape") {
            None => vec![0, 4, 7],
            Some(v) => shape(v.as_str()?)?.to_vec(),
        },
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= MAX_INTERVALS => {
            let mut out = Vec::with_capacity(a.len());
            for v in a {
                out.push(v.as_i64().filter(|n| (-127..=127).contains(n))?);
            }
            out
        }
        Some(_) => return None,
    };
    let order = match params.get("order").map(|v| v.as_str()) {
        None | Some(Some("up")) => Order::Up,
        Some(Some("down")) => Order::Down,
        Some(Some("updown")) => Order::UpDown,
        Some(_) => return None,
    };
    let inversion = int_in(params.get("inversion"), 0, MAX_INTERVALS as i64)?.unwrap_or(0) as usize;
    if inversion >= intervals.len().max(1) {
        return None;
    }
    let mut sorted = intervals;
    sorted.sort_unstable();
    for i in sorted.iter_mut().take(inversion) {
        *i += 12;
    }
    sorted.sort_unstable();
    let notes = sorted
        .iter()
        .map(|i| root + i)
        .filter(|n| (0..=127).contains(n))
        .map(|n| n as u8)
        .collect();
    Some(Chord { channel: (channel - 1) as u8, velocity: velocity as u8, notes, order })
}

/// Intervals of the named chords (semitones above the root).
fn shape(name: &str) -> Option<&'static [i64]> {
    Some(match name {
        "maj" | "major" => &[0, 4, 7],
        "min" | "minor" | "m" => &[0, 3, 7],
        "dim" => &[0, 3, 6],
        "aug" => &[0, 4, 8],
        "sus2" => &[0, 2, 7],
        "sus4" => &[0, 5, 7],
        "5" | "power" => &[0, 7, 12],
        "6" => &[0, 4, 7, 9],
        "m6" => &[0, 3, 7, 9],
        "7" => &[0, 4, 7, 10],
        "maj7" => &[0, 4, 7, 11],
        "min7" | "m7" => &[0, 3, 7, 10],
        "m7b5" => &[0, 3, 6, 10],
        "dim7" => &[0, 3, 6, 9],
        "9" => &[0, 4, 7, 10, 14],
        "add9" => &[0, 4, 7, 14],
        _ => return None,
    })
}

fn send_all(chord: &Chord, status: u8, velocity: u8) -> bool {
    chord.notes.iter().all(|n| host::midi_send(&[status | chord.channel, *n, velocity]) == 0)
}

/// Index into the notes for step `step` of the chosen order.
fn arp_index(order: Order, len: usize, step: usize) -> usize {
    match order {
        Order::Up => step % len,
        Order::Down => len - 1 - step % len,
        Order::UpDown if len < 2 => 0,
        Order::UpDown => {
            let period = 2 * len - 2;
            let s = step % period;
            if s < len {
                s
            } else {
                period - s
            }
        }
    }
}

fn arp_step(chord: &Chord) -> bool {
    let previous = ARP_SOUNDING.swap(-1, Ordering::Relaxed);
    if previous >= 0 {
        let (ch, note) = ((previous >> 8) as u8, (previous & 0x7f) as u8);
        if host::midi_send(&[0x80 | ch, note, 0]) != 0 {
            return false;
        }
    }
    if chord.notes.is_empty() || chord.velocity == 0 {
        return true;
    }
    let step = ARP_STEP.fetch_add(1, Ordering::Relaxed);
    let note = chord.notes[arp_index(chord.order, chord.notes.len(), step)];
    if host::midi_send(&[0x90 | chord.channel, note, chord.velocity]) != 0 {
        return false;
    }
    ARP_SOUNDING.store(((chord.channel as i32) << 8) | note as i32, Ordering::Relaxed);
    true
}

#[no_mangle]
pub extern "C" fn alloc(size: u32) -> *mut u8 {
    let mut buf: Vec<u8> = Vec::with_capacity(size as usize);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

#[no_mangle]
pub extern "C" fn dealloc(ptr: *mut u8, size: u32) {
    unsafe { drop(Vec::from_raw_parts(ptr, 0, size as usize)) }
}
