//! The sandbox's error type.

use std::path::Path;

use thiserror::Error;

/// Why the sandbox could not start or an operation on its data failed.
#[derive(Debug, Error)]
pub enum SandboxError {
    /// A file or directory could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        message: String,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {message}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// The OS error.
        message: String,
    },
    /// TLS material could not be generated, read or used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The SQLite database failed.
    #[error("database: {0}")]
    Db(String),
    /// The stored data is inconsistent (a damaged or foreign database).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Signing (registry, merchant payload) failed.
    #[error("signing: {0}")]
    Signing(String),
    /// The system random generator failed.
    #[error("the system random generator failed")]
    Random,
    /// No merchant with this id.
    #[error("no merchant {0:?}")]
    UnknownMerchant(String),
    /// No merchant key with this id.
    #[error("no merchant key {0:?}")]
    UnknownKey(String),
    /// A request to the data API is not acceptable.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The server's runtime could not be started.
    #[error("runtime: {0}")]
    Runtime(String),
}

impl SandboxError {
    pub(crate) fn io(path: &Path, e: std::io::Error) -> SandboxError {
        SandboxError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

impl From<rusqlite::Error> for SandboxError {
    fn from(e: rusqlite::Error) -> SandboxError {
        SandboxError::Db(e.to_string())
    }
}

impl From<scanpay_core::trust::issue::IssueError> for SandboxError {
    fn from(e: scanpay_core::trust::issue::IssueError) -> SandboxError {
        SandboxError::Signing(e.to_string())
    }
}
