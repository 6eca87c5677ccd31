//! A plugin written the way desktop MIDIMon's own plugins are, kept here to
//! prove they run on the box unchanged (docs/plugins.md, "Compatibility"):
//!
//! - capabilities in lowercase ("midi", "audio"), metadata name with `_`
//!   while plugin.toml says `-`;
//! - `alloc` but no `dealloc` (desktop MIDIMon never calls it);
//! - parameters read from the request's top-level `"parameters"` list and
//!   from `context.metadata`, which this request type requires (a host that
//!   leaves it out gets code 2 for every call);
//! - plugin.toml in MIDIMon's template shape (`entry_point`, `[[actions]]`).
//!
//! Output goes to stdout with println!, as in MIDIMon's examples; the box
//! sends it to its log.

use serde::Deserialize;
use std::collections::HashMap;

static METADATA: &[u8] = br#"{"name":"desktop_compat","version":"0.1.0","description":"A plugin in desktop MIDIMon's conventions","author":"midimon-box","license":"MIT","type":"action","capabilities":["midi","audio"]}"#;

#[derive(Deserialize)]
struct ActionRequest {
    action: String,
    context: TriggerContext,
    #[serde(default)]
    parameters: Vec<String>,
}

#[derive(Deserialize)]
struct TriggerContext {
    velocity: Option<u8>,
    current_mode: Option<usize>,
    timestamp: u64,
    metadata: HashMap<String, String>,
}

#[no_mangle]
pub extern "C" fn init() -> u64 {
    ((METADATA.as_ptr() as u64) << 32) | METADATA.len() as u64
}

#[no_mangle]
pub extern "C" fn alloc(size: u32) -> *mut u8 {
    let mut buf: Vec<u8> = Vec::with_capacity(size as usize);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

#[no_mangle]
pub extern "C" fn execute(ptr: u32, len: u32) -> i32 {
    let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, len as usize) };
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => return 1,
    };
    let request: ActionRequest = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(_) => return 2,
    };
    match run(&request) {
        Ok(()) => 0,
        Err(why) => {
            eprintln!("{}: {}", request.action, why);
            3
        }
    }
}

fn run(r: &ActionRequest) -> Result<(), String> {
    let c = &r.context;
    match r.action.as_str() {
        "hello" => {
            println!("hello: velocity={:?} mode={:?} timestamp={}", c.velocity, c.current_mode, c.timestamp);
            Ok(())
        }
        // MIDIMon's template: a name from context.metadata, "World" without one.
        "greet" => {
            let name = c.metadata.get("name").map(|s| s.as_str()).unwrap_or("World");
            println!("Hello, {}!", name);
            Ok(())
        }
        // MIDIMon's system-utils style: positional parameters, failing when one is missing.
        "notify" => {
            let title = r.parameters.get(0).ok_or("missing title parameter")?;
            let message = r.parameters.get(1).ok_or("missing message parameter")?;
            println!("notify: {} / {}", title, message);
            Ok(())
        }
        other => Err(format!("unknown action {}", other)),
    }
}
