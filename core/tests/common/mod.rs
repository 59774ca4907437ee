//! Helpers shared by the integration tests (`mod common;` in each test file).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A unique SQLite database path under the temp dir, removed (with its WAL,
/// shared-memory and rollback-journal files) on drop.
pub struct TempDb(PathBuf);

impl TempDb {
    /// A fresh path, unique per process, call and instant; `tag` names the
    /// test in the file name so a leftover file says where it came from.
    pub fn new(tag: &str) -> TempDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "scanpay-test-{tag}-{}-{}-{nanos}.db",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let p = std::env::temp_dir().join(name);
        let _ = std::fs::remove_file(&p);
        TempDb(p)
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut s = self.0.clone().into_os_string();
            s.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(s));
        }
    }
}
