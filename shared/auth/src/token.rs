//! Token values, generation and hashing. Only [`TokenHash`]es are ever stored.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of every generated token, so leaked tokens are easy to recognise in scans.
pub const TOKEN_PREFIX: &str = "qvr_";

/// Random bytes in a generated token (256 bits).
const TOKEN_RANDOM_BYTES: usize = 32;

/// A token value (a secret). `Debug` and `Display` redact it; use [`Token::expose`] to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token value received from a client or a flag.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Call only to show it to its owner once, or to send it as a client.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 hash under which the token is stored.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Generates a new random, URL-safe token: `qvr_` + 43 base64url characters (256 random bits).
pub fn generate_token() -> Token {
    let mut bytes = [0u8; TOKEN_RANDOM_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    Token(format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// SHA-256 of a token value. Equality is constant-time.
#[derive(Clone, Copy, Eq)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// Hashes a token value.
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// Wraps raw hash bytes (e.g. read back from a catalog).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw hash bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, the form stored in catalogs.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(64);
        for b in self.0 {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        out
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(s: &str) -> Result<Self, TokenHashParseError> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return Err(TokenHashParseError::Length(bytes.len()));
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = hex_value(pair[0]).ok_or(TokenHashParseError::Digit(i * 2))?;
            let lo = hex_value(pair[1]).ok_or(TokenHashParseError::Digit(i * 2 + 1))?;
            out[i] = (hi << 4) | lo;
        }
        Ok(Self(out))
    }
}

impl PartialEq for TokenHash {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::hash::Hash for TokenHash {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({})", self.to_hex())
    }
}

impl serde::Serialize for TokenHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for TokenHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// Why a stored hash could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenHashParseError {
    /// Not 64 characters long.
    #[error("token hash must be 64 hex digits, got {0} characters")]
    Length(usize),
    /// A character that is not a hex digit.
    #[error("token hash has a non-hex character at position {0}")]
    Digit(usize),
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_prefixed_url_safe_and_distinct() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a, b);
        let value = a.expose();
        assert!(value.starts_with("qvr_"), "{value}");
        assert_eq!(value.len(), 4 + 43);
        assert!(
            value[4..]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
            "{value}"
        );
    }

    #[test]
    fn hash_is_sha256_of_the_value() {
        // sha256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            TokenHash::of("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Token::new("abc").hash(), TokenHash::of("abc"));
        assert_ne!(TokenHash::of("abc"), TokenHash::of("abd"));
    }

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        let h = TokenHash::of("x");
        assert_eq!(TokenHash::from_hex(&h.to_hex()), Ok(h));
        assert_eq!(TokenHash::from_hex(&h.to_hex().to_uppercase()), Ok(h));
        assert_eq!(
            TokenHash::from_hex("ab"),
            Err(TokenHashParseError::Length(2))
        );
        let mut bad = h.to_hex();
        bad.replace_range(10..11, "g");
        assert_eq!(
            TokenHash::from_hex(&bad),
            Err(TokenHashParseError::Digit(10))
        );
    }

    #[test]
    fn debug_never_shows_the_token() {
        let t = Token::new("qvr_supersecret");
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
    }
}
