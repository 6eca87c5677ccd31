//! Files in the plugin's own data directory, through WASI preview1 directly.
//! The host preopens that directory as fd 3 only when the user granted the
//! Filesystem capability; without it every path call returns ENOTCAPABLE
//! (and the host logs which capability was denied). Calling WASI ourselves (rather than
//! `std::fs`) makes that dependency explicit and independent of how the
//! toolchain's libc discovers preopens.

const DATA_DIR_FD: u32 = 3;
const OFLAGS_CREAT: u32 = 1;
const OFLAGS_TRUNC: u32 = 8;
const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_SEEK: u64 = 1 << 2;
const RIGHT_FD_SYNC: u64 = 1 << 4;
const RIGHT_FD_TELL: u64 = 1 << 5;
const RIGHT_FD_WRITE: u64 = 1 << 6;
pub const ERRNO_NOENT: u16 = 44;

#[repr(C)]
struct Iovec {
    buf: *const u8,
    len: usize,
}

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    fn path_open(
        dirfd: u32,
        dirflags: u32,
        path: *const u8,
        path_len: usize,
        oflags: u32,
        rights_base: u64,
        rights_inheriting: u64,
        fdflags: u32,
        out_fd: *mut u32,
    ) -> u16;
    fn fd_read(fd: u32, iovs: *const Iovec, iovs_len: usize, nread: *mut usize) -> u16;
    fn fd_write(fd: u32, iovs: *const Iovec, iovs_len: usize, nwritten: *mut usize) -> u16;
    fn fd_sync(fd: u32) -> u16;
    fn fd_close(fd: u32) -> u16;
    fn path_rename(fd: u32, old: *const u8, old_len: usize, new_fd: u32, new: *const u8, new_len: usize) -> u16;
}

/// Why a file operation failed.
pub enum FsError {
    /// No data directory: the Filesystem capability was not granted.
    NoDataDir,
    /// The file does not exist.
    NotFound,
    /// Any other WASI errno.
    Errno(u16),
}

fn check(errno: u16) -> Result<(), FsError> {
    match errno {
        0 => Ok(()),
        ERRNO_NOENT => Err(FsError::NotFound),
        // ENOTCAPABLE (not granted) or EBADF (no preopen at fd 3).
        76 | 8 => Err(FsError::NoDataDir),
        e => Err(FsError::Errno(e)),
    }
}

fn open(name: &str, oflags: u32, rights: u64) -> Result<u32, FsError> {
    let mut fd = 0u32;
    let errno = unsafe { path_open(DATA_DIR_FD, 0, name.as_ptr(), name.len(), oflags, rights, 0, 0, &mut fd) };
    check(errno).map(|_| fd)
}

/// Reads a whole file of at most `max` bytes.
pub fn read(name: &str, max: usize) -> Result<Vec<u8>, FsError> {
    let fd = open(name, 0, RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_TELL)?;
    let mut out = Vec::new();
    let mut chunk = [0u8; 1024];
    let result = loop {
        let iov = Iovec { buf: chunk.as_mut_ptr(), len: chunk.len() };
        let mut n = 0usize;
        if let Err(e) = check(unsafe { fd_read(fd, &iov, 1, &mut n) }) {
            break Err(e);
        }
        if n == 0 {
            break Ok(());
        }
        if out.len() + n > max {
            break Err(FsError::Errno(0));
        }
        out.extend_from_slice(&chunk[..n]);
    };
    unsafe { fd_close(fd) };
    result.map(|_| out)
}

/// Replaces a file atomically: write a temporary file, sync, rename over.
pub fn write_atomic(name: &str, data: &[u8]) -> Result<(), FsError> {
    let tmp = format!("{}.tmp", name);
    let fd = open(&tmp, OFLAGS_CREAT | OFLAGS_TRUNC, RIGHT_FD_WRITE | RIGHT_FD_SYNC | RIGHT_FD_SEEK)?;
    let mut written = 0usize;
    let mut result = Ok(());
    while written < data.len() {
        let iov = Iovec { buf: data[written..].as_ptr(), len: data.len() - written };
        let mut n = 0usize;
        if let Err(e) = check(unsafe { fd_write(fd, &iov, 1, &mut n) }) {
            result = Err(e);
            break;
        }
        if n == 0 {
            result = Err(FsError::Errno(0));
            break;
        }
        written += n;
    }
    if result.is_ok() {
        result = check(unsafe { fd_sync(fd) });
    }
    unsafe { fd_close(fd) };
    result?;
    check(unsafe { path_rename(DATA_DIR_FD, tmp.as_ptr(), tmp.len(), DATA_DIR_FD, name.as_ptr(), name.len()) })
}
