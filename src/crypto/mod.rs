//! Key material and the keyed primitives built on it (RustCrypto family only).

pub mod field;
pub mod keys;
pub mod random;
pub mod reseal;
pub mod subjects;

pub use keys::Keys;
