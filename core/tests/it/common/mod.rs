//! Helpers shared by the integration tests (a module of the `it` test binary, `crate::common`).
// A helper that cannot set up fails the test that called it, as in the tests.
#![allow(clippy::panic)]

use std::path::{Path, PathBuf};

/// A SQLite database path in a fresh temp directory; the directory goes,
/// with the WAL, shared-memory and rollback-journal files beside the
/// database, when this is dropped.
pub struct TempDb {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl TempDb {
    /// A fresh path; `tag` names the test in the directory name so a
    /// leftover (from a killed run) says where it came from.
    pub fn new(tag: &str) -> TempDb {
        let dir = tempfile::Builder::new()
            .prefix(&format!("scanpay-test-{tag}-"))
            .tempdir()
            .unwrap_or_else(|e| panic!("temp dir for {tag}: {e}"));
        let path = dir.path().join("test.db");
        TempDb { _dir: dir, path }
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
