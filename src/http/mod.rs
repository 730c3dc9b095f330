//! HTTP plumbing shared by every route: request context (id, logging, metrics, panics, security
//! headers), extractor configuration, and the ETag/If-Match helpers.

pub mod client_ip;
pub mod context;
pub mod csv;
pub mod etag;
pub mod extract;
pub mod middleware;
pub mod negotiate;
