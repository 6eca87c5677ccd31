//! The smallest MIDIMon plugin: metadata, one no-op `execute`, and the
//! `alloc`/`dealloc` pair the host uses to pass the request in.
//!
//! Differences from the guide's listing (which does not compile):
//! - `core::alloc::System` does not exist in `no_std`; instead of a global
//!   allocator, `alloc` hands out bytes from linear memory itself (a bump
//!   pointer that rewinds once every block has been given back, which is what
//!   the host does after each `execute`). No dependencies, no imports.
//! - `init` returns the metadata pointer/length packed in an `i64`.
#![no_std]

use core::arch::wasm32;

static METADATA: &[u8] = br#"{
  "name": "wasm-minimal",
  "version": "0.1.0",
  "description": "The smallest MIDIMon plugin: accepts any action and does nothing",
  "author": "midimon-box",
  "license": "MIT",
  "type": "action",
  "capabilities": []
}"#;

const PAGE: usize = 65536;

extern "C" {
    // Provided by the linker: first byte after static data and the stack.
    static __heap_base: u8;
}

static mut NEXT: usize = 0;
static mut LIVE: usize = 0;

/// High 32 bits: pointer to the metadata JSON, low 32 bits: its length.
#[no_mangle]
pub extern "C" fn init() -> u64 {
    let ptr = METADATA.as_ptr() as u32;
    let len = METADATA.len() as u32;
    ((ptr as u64) << 32) | (len as u64)
}

/// Accepts every request and returns 0 (success).
#[no_mangle]
pub extern "C" fn execute(_ptr: u32, _len: u32) -> i32 {
    0
}

/// Returns `size` writable bytes, or 0 when memory cannot grow.
#[no_mangle]
pub unsafe extern "C" fn alloc(size: u32) -> *mut u8 {
    if NEXT == 0 {
        NEXT = &__heap_base as *const u8 as usize;
    }
    let start = (NEXT + 7) & !7;
    let end = match start.checked_add(size as usize) {
        Some(e) => e,
        None => return core::ptr::null_mut(),
    };
    let have = wasm32::memory_size(0) * PAGE;
    if end > have {
        let pages = (end - have + PAGE - 1) / PAGE;
        if wasm32::memory_grow(0, pages) == usize::MAX {
            return core::ptr::null_mut();
        }
    }
    NEXT = end;
    LIVE += 1;
    start as *mut u8
}

/// Gives a block back; when none are outstanding the heap rewinds.
#[no_mangle]
pub unsafe extern "C" fn dealloc(_ptr: *mut u8, _size: u32) {
    if LIVE > 0 {
        LIVE -= 1;
        if LIVE == 0 {
            NEXT = &__heap_base as *const u8 as usize;
        }
    }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    // `unreachable` traps: the host discards the instance and reports it.
    core::arch::wasm32::unreachable()
}
