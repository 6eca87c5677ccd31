//! MIDIMon plugin template: the guide's JSON-enabled template, corrected so it
//! builds. Copy this directory (or run `midimon plugin new NAME`) and replace
//! the actions in `run_action`.
//!
//! Why `std` and not the guide's `no_std`: on Rust < 1.68 (Debian 12 ships
//! 1.63) a `no_std` crate using `alloc` needs the unstable
//! `#[alloc_error_handler]`, and `std` brings a real allocator and the memory
//! intrinsics (no "unknown import: env::memcmp"). The price is ~30 KB and
//! four WASI imports (`fd_write`, `environ_get`, `environ_sizes_get`,
//! `proc_exit`) that the host provides; a panic message goes to the box's log.
//!
//! Return codes of `execute` (0-3 are the guide's, 4+ this plugin's):
//!   0 ok, 1 invalid memory read (null pointer or empty request),
//!   2 invalid JSON (or missing `action` / `context`), 3 unknown action,
//!   4 invalid params, 5 the host refused a call (e.g. capability denied).

pub mod host;

use serde::Deserialize;
use serde_json::{Map, Value};

static METADATA: &[u8] = br#"{
  "name": "wasm-template",
  "version": "0.1.0",
  "description": "Starting point for MIDIMon plugins: JSON request, action routing, return codes",
  "author": "midimon-box",
  "license": "MIT",
  "type": "action",
  "capabilities": []
}"#;

pub const OK: i32 = 0;
pub const ERR_MEMORY: i32 = 1;
pub const ERR_JSON: i32 = 2;
pub const ERR_ACTION: i32 = 3;
pub const ERR_PARAMS: i32 = 4;
pub const ERR_HOST: i32 = 5;

/// The request the host writes into our memory before calling `execute`.
/// Unknown fields (newer hosts add context entries) are ignored.
#[derive(Deserialize)]
struct Request {
    action: String,
    context: Context,
    /// Present when the mapping that triggered the action configured parameters.
    #[serde(default)]
    params: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct Context {
    velocity: Option<u8>,
    current_mode: Option<u64>,
    #[serde(default)]
    timestamp: u64,
    /// "press" / "release" for mappings fired by a key (note-on): the host
    /// calls again with "release" when that key is let go. Absent otherwise.
    #[serde(default)]
    event: Option<String>,
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
    let bytes = unsafe { core::slice::from_raw_parts(ptr as *const u8, len as usize) };
    let request: Request = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(_) => return ERR_JSON,
    };
    let empty = Map::new();
    let params = request.params.as_ref().unwrap_or(&empty);
    run_action(&request.action, &request.context, params)
}

fn run_action(action: &str, ctx: &Context, params: &Map<String, Value>) -> i32 {
    match action {
        // Logs what it received: a quick way to see the request on the box.
        "hello" => {
            let text = format!(
                "hello: velocity={:?} mode={:?} timestamp={} params={}",
                ctx.velocity,
                ctx.current_mode,
                ctx.timestamp,
                params.len()
            );
            host::log(host::LOG_INFO, &text);
            OK
        }
        // Plays a note while the key is down: note-on on "press" (or for a
        // trigger that is not a key), note-off on "release". Params `note`
        // (0-127, default 60), `channel` (1-16, default 1); velocity from
        // the trigger (default 100). End what you start: the host releases
        // any note still held after the release call, but a plugin that ends
        // its own notes keeps control of how (release velocity, tails).
        "note" => {
            let note = match u7_param(params, "note", 60) {
                Some(n) => n,
                None => return ERR_PARAMS,
            };
            let channel = match params.get("channel") {
                None => 1,
                Some(v) => match v.as_u64() {
                    Some(c) if (1..=16).contains(&c) => c as u8,
                    _ => return ERR_PARAMS,
                },
            };
            let msg: Vec<u8> = if ctx.event.as_deref() == Some("release") {
                [0x80 | (channel - 1), note, 0].to_vec()
            } else {
                let velocity = ctx.velocity.unwrap_or(100).clamp(1, 127);
                [0x90 | (channel - 1), note, velocity].to_vec()
            };
            if host::midi_send(&msg) != 0 {
                return ERR_HOST;
            }
            OK
        }
        _ => ERR_ACTION,
    }
}

/// A 0-127 integer parameter; `None` when present but out of range.
fn u7_param(params: &Map<String, Value>, key: &str, default: u8) -> Option<u8> {
    match params.get(key) {
        None => Some(default),
        Some(v) => v.as_u64().filter(|n| *n <= 127).map(|n| n as u8),
    }
}

#[no_mangle]
pub extern "C" fn alloc(size: u32) -> *mut u8 {
    let mut buf: Vec<u8> = Vec::with_capacity(size as usize);
    let ptr = buf.as_mut_ptr();
    core::mem::forget(buf);
    ptr
}

#[no_mangle]
pub extern "C" fn dealloc(ptr: *mut u8, size: u32) {
    unsafe {
        drop(Vec::from_raw_parts(ptr, 0, size as usize));
    }
}

