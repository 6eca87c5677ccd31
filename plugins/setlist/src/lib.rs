//! Setlist plugin: steps through the songs of a setlist and sends, for each,
//! the bank select / program change / control changes it needs and switches
//! the box's mode. The setlist lives in the plugin's own data directory
//! (Filesystem capability) as `setlist.json`; the current position is kept
//! beside it in `position`, so it survives restarts and fresh instances.
//!
//! Actions: `next`, `prev` (params: `wrap` bool), `goto` (params: `index`
//! 0-based or `name`), `current` (re-send the current song).
//! Return codes: 0 ok, 1 invalid memory read, 2 invalid request JSON,
//! 3 unknown action, 4 invalid params (or song not found), 5 host refused a
//! MIDI / mode call, 6 no data directory (Filesystem not granted),
//! 7 setlist.json missing, 8 setlist.json invalid, 9 position not saved.

pub mod host;
mod setlist;
mod wasi_fs;

use serde::Deserialize;
use serde_json::{Map, Value};
use setlist::Setlist;
use wasi_fs::FsError;

static METADATA: &[u8] = br#"{
  "name": "setlist",
  "version": "0.1.0",
  "description": "Steps through a setlist: program change, CCs and mode per song, position remembered",
  "author": "midimon-box",
  "license": "MIT",
  "type": "action",
  "capabilities": ["Filesystem"]
}"#;

const SETLIST_FILE: &str = "setlist.json";
const POSITION_FILE: &str = "position";
const SETLIST_MAX_BYTES: usize = 256 * 1024;

const OK: i32 = 0;
const ERR_MEMORY: i32 = 1;
const ERR_JSON: i32 = 2;
const ERR_ACTION: i32 = 3;
const ERR_PARAMS: i32 = 4;
const ERR_HOST: i32 = 5;
const ERR_NO_DATA_DIR: i32 = 6;
const ERR_NO_SETLIST: i32 = 7;
const ERR_BAD_SETLIST: i32 = 8;
const ERR_SAVE: i32 = 9;

#[derive(Deserialize)]
struct Request {
    action: String,
    #[serde(default)]
    params: Option<Map<String, Value>>,
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
    let params = request.params.unwrap_or_default();
    match run(&request.action, &params) {
        Ok(()) => OK,
        Err(code) => code,
    }
}

fn run(action: &str, params: &Map<String, Value>) -> Result<(), i32> {
    if !matches!(action, "next" | "prev" | "goto" | "current") {
        return Err(ERR_ACTION);
    }
    let list = load_setlist()?;
    let last = list.songs.len() - 1;
    let current = load_position().map(|p| p.min(last));
    let wrap = match params.get("wrap") {
        None => false,
        Some(v) => v.as_bool().ok_or(ERR_PARAMS)?,
    };
    let target = match action {
        "next" => match current {
            None => 0,
            Some(p) if p < last => p + 1,
            Some(_) if wrap => 0,
            Some(p) => p,
        },
        "prev" => match current {
            None => 0,
            Some(p) if p > 0 => p - 1,
            Some(_) if wrap => last,
            Some(p) => p,
        },
        "current" => current.unwrap_or(0),
        _ => goto_target(&list, params)?,
    };
    save_position(target)?;
    send_song(&list, target)
}

fn goto_target(list: &Setlist, params: &Map<String, Value>) -> Result<usize, i32> {
    if let Some(v) = params.get("index") {
        let i = v.as_u64().ok_or(ERR_PARAMS)? as usize;
        return if i < list.songs.len() { Ok(i) } else { Err(ERR_PARAMS) };
    }
    if let Some(v) = params.get("name") {
        return list.find(v.as_str().ok_or(ERR_PARAMS)?).ok_or(ERR_PARAMS);
    }
    Err(ERR_PARAMS)
}

fn fs_code(e: FsError, missing: i32) -> i32 {
    match e {
        FsError::NoDataDir => ERR_NO_DATA_DIR,
        FsError::NotFound => missing,
        FsError::Errno(_) => ERR_BAD_SETLIST,
    }
}

fn load_setlist() -> Result<Setlist, i32> {
    let bytes = wasi_fs::read(SETLIST_FILE, SETLIST_MAX_BYTES).map_err(|e| fs_code(e, ERR_NO_SETLIST))?;
    let list: Setlist = match serde_json::from_slice(&bytes) {
        Ok(l) => l,
        Err(e) => {
            host::log(host::LOG_ERROR, &format!("{}: {}", SETLIST_FILE, e));
            return Err(ERR_BAD_SETLIST);
        }
    };
    if let Err(why) = list.validate() {
        host::log(host::LOG_ERROR, &format!("{}: {}", SETLIST_FILE, why));
        return Err(ERR_BAD_SETLIST);
    }
    Ok(list)
}

/// The saved position; a missing or unreadable file means "before the first song".
fn load_position() -> Option<usize> {
    let bytes = wasi_fs::read(POSITION_FILE, 32).ok()?;
    std::str::from_utf8(&bytes).ok()?.trim().parse().ok()
}

fn save_position(index: usize) -> Result<(), i32> {
    wasi_fs::write_atomic(POSITION_FILE, format!("{}\n", index).as_bytes()).map_err(|e| match e {
        FsError::NoDataDir => ERR_NO_DATA_DIR,
        _ => ERR_SAVE,
    })
}

fn send_song(list: &Setlist, index: usize) -> Result<(), i32> {
    let song = &list.songs[index];
    host::log(host::LOG_INFO, &format!("song {}/{}: {}", index + 1, list.songs.len(), song.name));
    for msg in list.messages(index) {
        if host::midi_send(&msg) != 0 {
            return Err(ERR_HOST);
        }
    }
    if let Some(mode) = &song.mode {
        if host::set_mode(mode) != 0 {
            return Err(ERR_HOST);
        }
    }
    Ok(())
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
