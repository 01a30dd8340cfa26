//! Tokens, their hashes, permissions, and credential extraction from HTTP requests.
//!
//! ```text
//! generate_token() ──► Token (secret, shown once) ──► TokenHash (SHA-256, the only thing stored)
//!
//! request: Authorization header / v1 `p=` ──► extract_credentials() ──► Credentials
//!          (candidate tokens, in order)          │
//!                                                ▼
//!          catalog lookup by TokenHash ──► Authorization { operator, permissions }
//!                                                ▼
//!                                 allows(Action::Write, "db") ?
//! ```
//!
//! Token values never appear in `Debug` output: [`Token`] and [`Credentials`] redact them.

mod credentials;
mod permission;
mod token;

pub use credentials::{CredentialError, Credentials, extract_credentials};
pub use permission::{Action, Authorization, Permission, Resource};
pub use token::{TOKEN_PREFIX, Token, TokenHash, TokenHashParseError, generate_token};
