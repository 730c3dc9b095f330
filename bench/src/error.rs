//! One error type for the whole bench: a message meant for the person running it.

use std::fmt;

/// What went wrong, in words (with the request and response when the server answered oddly).
#[derive(Debug)]
pub struct BenchError(pub String);

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

impl From<std::io::Error> for BenchError {
    fn from(e: std::io::Error) -> Self {
        BenchError(format!("I/O error: {e}"))
    }
}

pub type Result<T> = std::result::Result<T, BenchError>;

/// Return early with a formatted [`BenchError`].
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::BenchError(format!($($arg)*)))
    };
}
