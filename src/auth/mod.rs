//! Authentication and authorization.
//!
//! - Staff sign in with username + password (`POST /auth/login`); the password hash is argon2id
//!   at or above the OWASP floor, verified on the blocking pool behind a semaphore so a login
//!   storm cannot starve reads. Unknown users get a dummy verify (no timing oracle); repeated
//!   failures back off exponentially per account (429 + Retry-After, checked before hashing,
//!   capped, never permanent); `/auth/*` is rate-limited per client IP.
//! - Access tokens are HS256 JWTs (one pinned algorithm) living at most 10 minutes, with `iss`,
//!   `aud`, `exp`, `nbf`, `sub` required and the header exactly `{alg: HS256, typ: at+jwt}` (no
//!   `kid`, `jwk`, `jku`, ...). Refresh tokens are opaque, stored as SHA-256, rotated on every
//!   use; presenting a used one revokes its whole family.
//! - The [`Principal`] extractor loads the user on every request and refuses the token when the
//!   user is disabled or its `token_version` moved (role, unit, status or password changed, or
//!   logout). A role, unit, status or password change also revokes all the user's refresh
//!   tokens in the same transaction; logout revokes its own session's. A refusal is logged as
//!   `auth.token_rejected` with a reason, never the token.
//! - [`policy`] is the one role × operation table; its `Authorized<Op>` extractor is the only role
//!   check, and services take the [`policy::Grant`] it proves. [`scope`] turns the table's scope
//!   column into the query filter of every repository; [`rules`] holds the conditional rules
//!   (assigning, moving, closing) by name.

pub mod handlers;
pub mod password;
pub mod policy;
pub mod principal;
pub mod ratelimit;
pub mod repo;
pub mod role;
pub mod rules;
pub mod scope;
pub mod service;
pub mod throttle;
pub mod tokens;

pub use principal::Principal;
pub use role::Role;
