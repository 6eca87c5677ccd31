//! The host's own functions (import module "midimon"). Each returns 0 on
//! success; a negative value means the host refused (for example the
//! capability behind it was not granted) and the plugin should say so with
//! its own return code.

#[link(wasm_import_module = "midimon")]
extern "C" {
    #[link_name = "midi_send"]
    fn host_midi_send(ptr: *const u8, len: usize) -> i32;
    #[link_name = "set_mode"]
    fn host_set_mode(ptr: *const u8, len: usize) -> i32;
    #[link_name = "log"]
    fn host_log(level: i32, ptr: *const u8, len: usize);
}

pub const LOG_DEBUG: i32 = 0;
pub const LOG_INFO: i32 = 1;
pub const LOG_WARN: i32 = 2;
pub const LOG_ERROR: i32 = 3;

/// Sends raw MIDI bytes (one or more complete messages) to the box's output.
pub fn midi_send(bytes: &[u8]) -> i32 {
    unsafe { host_midi_send(bytes.as_ptr(), bytes.len()) }
}

/// Switches the box to a mode by name, or "next" / "prev".
pub fn set_mode(name: &str) -> i32 {
    unsafe { host_set_mode(name.as_ptr(), name.len()) }
}

/// Writes a line to the box's log, tagged with the plugin name.
pub fn log(level: i32, text: &str) {
    unsafe { host_log(level, text.as_ptr(), text.len()) }
}
