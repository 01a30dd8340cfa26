//! Credential extraction: which token(s) a request presents.
//!
//! Accepted, in order of precedence:
//! - `Authorization: Token X` and `Authorization: Bearer X` (scheme case-insensitive);
//! - `Authorization: Basic base64(user:X)` — the password is the token, the user is ignored;
//! - the v1 `p=X` query parameter (used when there is no `Authorization` header).
//!
//! `Token user:pass` (influxdb-client's v1-compatibility form) yields two candidates: the whole
//! value, then the part after the first `:`.

use std::fmt;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::Token;

/// Standard base64, with or without `=` padding: Arrow Flight's Go client (the ADBC Flight SQL
/// driver's Handshake) sends `Basic` credentials unpadded (`RawStdEncoding`).
const BASIC: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The candidate tokens a request presents, most specific first. `Debug` redacts them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    candidates: Vec<Token>,
}

impl Credentials {
    /// Candidates to look up, in order; the first one found in the catalog wins.
    pub fn candidates(&self) -> &[Token] {
        &self.candidates
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Credentials({} candidate(s), <redacted>)",
            self.candidates.len()
        )
    }
}

/// A malformed `Authorization` header. Messages never contain the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Header bytes are not visible ASCII/UTF-8.
    #[error("malformed Authorization header: not valid UTF-8")]
    NotUtf8,
    /// A scheme other than Token, Bearer or Basic.
    #[error(
        "unsupported authorization scheme \"{0}\": use `Token <token>`, `Bearer <token>` or `Basic base64(user:<token>)`"
    )]
    UnsupportedScheme(String),
    /// Scheme without a value.
    #[error("malformed Authorization header: the {0} scheme needs a value")]
    MissingValue(&'static str),
    /// Basic credentials that are not base64.
    #[error("malformed Basic credentials: not valid base64")]
    BasicNotBase64,
    /// Basic credentials that do not decode to `user:password` UTF-8.
    #[error("malformed Basic credentials: expected base64 of `user:password`")]
    BasicNoColon,
}

/// Extracts the presented credentials from the raw `Authorization` header value and the v1
/// `p` query parameter. `Ok(None)` means the request presented no credentials at all.
pub fn extract_credentials(
    authorization: Option<&[u8]>,
    p_param: Option<&str>,
) -> Result<Option<Credentials>, CredentialError> {
    if let Some(raw) = authorization {
        let value = std::str::from_utf8(raw)
            .map_err(|_| CredentialError::NotUtf8)?
            .trim();
        if !value.is_empty() {
            return parse_header(value).map(Some);
        }
    }
    Ok(p_param.filter(|p| !p.is_empty()).map(|p| Credentials {
        candidates: vec![Token::new(p)],
    }))
}

fn parse_header(value: &str) -> Result<Credentials, CredentialError> {
    let (scheme, rest) = match value.split_once(char::is_whitespace) {
        Some((scheme, rest)) => (scheme, rest.trim()),
        None => (value, ""),
    };
    let candidates = if scheme.eq_ignore_ascii_case("token") {
        non_empty(rest, "Token")?;
        match rest.split_once(':') {
            Some((_, pass)) if !pass.is_empty() => vec![Token::new(rest), Token::new(pass)],
            _ => vec![Token::new(rest)],
        }
    } else if scheme.eq_ignore_ascii_case("bearer") {
        non_empty(rest, "Bearer")?;
        vec![Token::new(rest)]
    } else if scheme.eq_ignore_ascii_case("basic") {
        non_empty(rest, "Basic")?;
        let decoded = BASIC
            .decode(rest)
            .map_err(|_| CredentialError::BasicNotBase64)?;
        let decoded = String::from_utf8(decoded).map_err(|_| CredentialError::BasicNoColon)?;
        let (_user, pass) = decoded
            .split_once(':')
            .ok_or(CredentialError::BasicNoColon)?;
        vec![Token::new(pass)]
    } else {
        // Only the scheme is echoed back, never the value.
        let shown: String = scheme.chars().take(32).collect();
        return Err(CredentialError::UnsupportedScheme(shown));
    };
    Ok(Credentials { candidates })
}

fn non_empty(rest: &str, scheme: &'static str) -> Result<(), CredentialError> {
    if rest.is_empty() {
        Err(CredentialError::MissingValue(scheme))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(c: Option<Credentials>) -> Vec<String> {
        c.map(|c| {
            c.candidates()
                .iter()
                .map(|t| t.expose().to_owned())
                .collect()
        })
        .unwrap_or_default()
    }

    #[test]
    fn token_and_bearer_schemes() {
        assert_eq!(
            values(extract_credentials(Some(b"Token abc"), None).unwrap()),
            ["abc"]
        );
        assert_eq!(
            values(extract_credentials(Some(b"token  abc "), None).unwrap()),
            ["abc"]
        );
        assert_eq!(
            values(extract_credentials(Some(b"Bearer xyz"), None).unwrap()),
            ["xyz"]
        );
        assert_eq!(
            values(extract_credentials(Some(b"BEARER xyz"), None).unwrap()),
            ["xyz"]
        );
    }

    #[test]
    fn token_user_pass_tries_whole_then_password() {
        assert_eq!(
            values(extract_credentials(Some(b"Token user:secret"), None).unwrap()),
            ["user:secret", "secret"]
        );
        assert_eq!(
            values(extract_credentials(Some(b"Token user:"), None).unwrap()),
            ["user:"]
        );
    }

    #[test]
    fn basic_uses_the_password() {
        // base64("root:qvr_t") = cm9vdDpxdnJfdA==
        assert_eq!(
            values(extract_credentials(Some(b"Basic cm9vdDpxdnJfdA=="), None).unwrap()),
            ["qvr_t"]
        );
        // Unpadded, as Arrow Flight's Go client sends it.
        assert_eq!(
            values(extract_credentials(Some(b"Basic cm9vdDpxdnJfdA"), None).unwrap()),
            ["qvr_t"]
        );
        // base64("u:a:b") = dTphOmI= : only the first colon splits.
        assert_eq!(
            values(extract_credentials(Some(b"Basic dTphOmI="), None).unwrap()),
            ["a:b"]
        );
        assert_eq!(
            extract_credentials(Some(b"Basic !!!"), None),
            Err(CredentialError::BasicNotBase64)
        );
        // base64("nocolon") = bm9jb2xvbg==
        assert_eq!(
            extract_credentials(Some(b"Basic bm9jb2xvbg=="), None),
            Err(CredentialError::BasicNoColon)
        );
    }

    #[test]
    fn p_param_is_used_without_header_and_header_wins() {
        assert_eq!(
            values(extract_credentials(None, Some("ptok")).unwrap()),
            ["ptok"]
        );
        assert_eq!(
            values(extract_credentials(Some(b"Token h"), Some("ptok")).unwrap()),
            ["h"]
        );
        assert_eq!(extract_credentials(None, Some("")), Ok(None));
        assert_eq!(extract_credentials(None, None), Ok(None));
        assert_eq!(extract_credentials(Some(b"  "), None), Ok(None));
    }

    #[test]
    fn malformed_headers() {
        assert_eq!(
            extract_credentials(Some(b"Digest abc"), None),
            Err(CredentialError::UnsupportedScheme("Digest".into()))
        );
        assert_eq!(
            extract_credentials(Some(b"Token"), None),
            Err(CredentialError::MissingValue("Token"))
        );
        assert_eq!(
            extract_credentials(Some(b"Bearer \xff"), None),
            Err(CredentialError::NotUtf8)
        );
    }

    #[test]
    fn debug_redacts() {
        let c = extract_credentials(Some(b"Token topsecret"), None)
            .unwrap()
            .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("topsecret"), "{shown}");
    }
}
