//! Bounded reads of input files: scenarios, manifests, hint files and the results folder's own
//! files. A read takes at most its limit + 1 byte from the path, whatever the file's metadata
//! says, so a device (`/dev/zero`), a pipe or a file that grows while being read is refused
//! after that many bytes instead of being read whole. The path `-` is standard input, read
//! the same way. What it leaves out: a pipe whose writer
//! never writes blocks the read, as any reader would.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// Largest scenario TOML or import hints file read (10 MiB, the importer's per-file limit).
pub const MAX_SCENARIO_BYTES: u64 = 10 << 20;

/// Largest file of a results folder read back (`runs.csv`, `grid.json`, its `scenario.toml`):
/// 1 GiB, far above what the budget lets a grid write.
pub const MAX_RESULTS_FILE_BYTES: u64 = 1 << 30;

/// Why a bounded read failed.
#[derive(Debug)]
pub enum ReadError {
    /// The open or the read failed.
    Io(std::io::Error),
    /// More than `limit` bytes were there (only `limit` + 1 were read).
    TooLarge {
        /// The limit in bytes.
        limit: u64,
        /// What the limit applies to, e.g. "scenario file".
        what: &'static str,
    },
    /// The bytes are not UTF-8 text.
    NotUtf8(std::string::FromUtf8Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "cannot read: {e}"),
            ReadError::TooLarge { limit, what } => write!(
                f,
                "input is larger than the {limit} byte ({}) limit of a {what}",
                crate::units::format_bytes(*limit)
            ),
            ReadError::NotUtf8(e) => write!(f, "not UTF-8 text: {e}"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(e) => Some(e),
            ReadError::NotUtf8(e) => Some(e),
            ReadError::TooLarge { .. } => None,
        }
    }
}

/// Read at most `limit` bytes of `path` (`-`: standard input); more is
/// [`ReadError::TooLarge`].
pub fn read_bytes(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    let cap = limit.saturating_add(1);
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(cap)
            .read_to_end(&mut bytes)
            .map_err(ReadError::Io)?;
    } else {
        let file = std::fs::File::open(path).map_err(ReadError::Io)?;
        file.take(cap)
            .read_to_end(&mut bytes)
            .map_err(ReadError::Io)?;
    }
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit, what });
    }
    Ok(bytes)
}

/// [`read_bytes`] as UTF-8 text.
pub fn read_text(path: &Path, limit: u64, what: &'static str) -> Result<String, ReadError> {
    String::from_utf8(read_bytes(path, limit, what)?).map_err(ReadError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_at_the_limit_is_read_and_one_byte_more_is_refused() {
        let dir = std::env::temp_dir().join(format!("argosim-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("f");
        std::fs::write(&p, b"abcd").unwrap();
        assert_eq!(read_text(&p, 4, "test file").unwrap(), "abcd");
        let e = read_text(&p, 3, "test file").unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { limit: 3, .. }), "{e}");
        std::fs::write(&p, [0xff, 0xfe]).unwrap();
        assert!(matches!(
            read_text(&p, 4, "test file"),
            Err(ReadError::NotUtf8(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_endless_device_is_refused_after_the_limit() {
        let zero = Path::new("/dev/zero");
        if zero.exists() {
            let e = read_bytes(zero, 1 << 20, "test file").unwrap_err();
            assert!(e.to_string().contains("1048576 byte (1.00 MiB)"), "{e}");
        }
    }
}
