//! Ids of the management API: catalog ids as 16 lower-case hex characters (the v2 id format),
//! and the one organization every bucket and token belongs to.
//!
//! ```text
//! DatabaseId(42) / TokenId(42) ──► format_id ──► "000000000000002a" ──► parse_id ──► 42
//! ```

use super::super::error::ApiError;

/// Name of the one organization.
pub const ORG_NAME: &str = "quiver";

/// Id of the one organization ("quiver" in ASCII hex, then `0001`).
pub const ORG_ID: &str = "7175697665720001";

/// A catalog id as a v2 id.
pub(super) fn format_id(id: u64) -> String {
    format!("{id:016x}")
}

/// A v2 id (exactly 16 hex digits, either case) back to a catalog id.
pub(super) fn parse_id(text: &str) -> Result<u64, ApiError> {
    if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::InvalidId(text.to_owned()));
    }
    u64::from_str_radix(text, 16).map_err(|_| ApiError::InvalidId(text.to_owned()))
}

/// Checks an `org`/`orgID` given in a query or a body: absent or the one organization.
pub(super) fn check_org(org: Option<&str>, org_id: Option<&str>) -> Result<(), ApiError> {
    if let Some(name) = org.filter(|n| *n != ORG_NAME) {
        return Err(ApiError::OrganizationNotFound(format!("name {name:?}")));
    }
    if let Some(id) = org_id {
        parse_id(id)?;
        if !id.eq_ignore_ascii_case(ORG_ID) {
            return Err(ApiError::OrganizationNotFound(format!("id {id:?}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_forms() {
        assert_eq!(format_id(42), "000000000000002a");
        assert_eq!(parse_id("000000000000002a").unwrap(), 42);
        assert_eq!(parse_id("000000000000002A").unwrap(), 42);
        assert_eq!(parse_id(&format_id(u64::MAX)).unwrap(), u64::MAX);
        for bad in [
            "2a",
            "",
            "000000000000002g",
            "+00000000000002a",
            "0000000000000002a",
        ] {
            assert_eq!(parse_id(bad), Err(ApiError::InvalidId(bad.into())), "{bad}");
        }
        assert_eq!(parse_id(ORG_ID).unwrap(), 0x7175_6976_6572_0001);
    }

    #[test]
    fn org_checks() {
        assert!(check_org(None, None).is_ok());
        assert!(check_org(Some("quiver"), Some(ORG_ID)).is_ok());
        assert_eq!(
            check_org(Some("other"), None),
            Err(ApiError::OrganizationNotFound("name \"other\"".into()))
        );
        assert_eq!(
            check_org(None, Some("0000000000000001")),
            Err(ApiError::OrganizationNotFound(
                "id \"0000000000000001\"".into()
            ))
        );
        assert_eq!(
            check_org(None, Some("x")),
            Err(ApiError::InvalidId("x".into()))
        );
    }
}
