//! `quiver admin token create|list|revoke`. Only the hash of a token is stored; its value is
//! printed once by `create` and never again.
//!
//! ```text
//! create --read DB… --write DB… [--operator] ──► grants ──► generate_token ──► create_token(hash)
//!                                             ──► prints id + value (once)
//! list        ──► list_tokens ──► id, active, operator, grants, description (no values)
//! revoke ID   ──► token_by_id ──► revoke_token
//! ```

use auth::{Action, Permission, Resource, generate_token};
use catalog::{Catalog, DatabaseName, NewToken, TokenId, TokenRecord};
use config::TokenCommand;
use serde_json::{Value, json};

use super::error::AdminError;
use super::output::{Output, table};
use super::rfc3339;

/// Runs one token command.
pub(super) async fn run(
    catalog: &dyn Catalog,
    command: TokenCommand,
) -> Result<Output, AdminError> {
    match command {
        TokenCommand::Create {
            read,
            write,
            description,
            operator,
            ..
        } => {
            let permissions = grants(&read, &write)?;
            match (operator, permissions.is_empty()) {
                (true, false) => return Err(AdminError::OperatorWithGrants),
                (false, true) => return Err(AdminError::NoGrant),
                _ => {}
            }
            let token = generate_token();
            let record = catalog
                .create_token(NewToken {
                    hash: token.hash(),
                    description,
                    operator,
                    permissions,
                })
                .await?;
            let mut json = to_json(&record);
            json["token"] = Value::String(token.expose().to_owned());
            Ok(Output {
                json,
                text: format!(
                    "token id: {}\ntoken: {}\nThis is the only time the token is shown: store it now (only its hash is kept).",
                    format_id(record.id),
                    token.expose()
                ),
            })
        }
        TokenCommand::List { .. } => {
            let tokens = catalog.list_tokens().await?;
            let rows: Vec<Vec<String>> = tokens
                .iter()
                .map(|t| {
                    vec![
                        format_id(t.id),
                        if t.revoked { "revoked" } else { "active" }.to_owned(),
                        grants_text(t),
                        rfc3339(t.created_at_ns),
                        t.description.clone(),
                    ]
                })
                .collect();
            Ok(Output {
                json: Value::Array(tokens.iter().map(to_json).collect()),
                text: table(&["ID", "STATUS", "GRANTS", "CREATED", "DESCRIPTION"], &rows),
            })
        }
        TokenCommand::Revoke { id, .. } => {
            let id = parse_id(&id)?;
            let existing = catalog
                .token_by_id(id)
                .await?
                .ok_or_else(|| AdminError::TokenNotFound(format_id(id)))?;
            let record = catalog.revoke_token(id).await?;
            let note = if existing.revoked {
                " (it was already revoked)"
            } else {
                ""
            };
            Ok(Output {
                json: to_json(&record),
                text: format!("token {} revoked{note}", format_id(id)),
            })
        }
    }
}

/// `--read`/`--write` values → permissions (`*` = every database), duplicates dropped.
fn grants(read: &[String], write: &[String]) -> Result<Vec<Permission>, AdminError> {
    let mut out: Vec<Permission> = Vec::new();
    for (action, names) in [(Action::Read, read), (Action::Write, write)] {
        for name in names {
            let p = if name == "*" {
                Permission::all_databases(action)
            } else {
                Permission::database(action, DatabaseName::new(name.clone())?.to_string())
            };
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

fn format_id(id: TokenId) -> String {
    format!("{:016x}", id.0)
}

/// 1 to 16 hex digits (the listing shows 16).
fn parse_id(text: &str) -> Result<TokenId, AdminError> {
    let valid = (1..=16).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit());
    valid
        .then(|| u64::from_str_radix(text, 16).ok())
        .flatten()
        .map(TokenId)
        .ok_or_else(|| AdminError::InvalidTokenId(text.to_owned()))
}

fn grant_text(p: &Permission) -> String {
    let action = match p.action {
        Action::Read => "read",
        Action::Write => "write",
    };
    match &p.resource {
        Resource::AllDatabases => format!("{action}:*"),
        Resource::Database(name) => format!("{action}:{name}"),
    }
}

fn grants_text(t: &TokenRecord) -> String {
    if t.operator {
        return "operator".to_owned();
    }
    t.permissions
        .iter()
        .map(grant_text)
        .collect::<Vec<_>>()
        .join(",")
}

fn to_json(t: &TokenRecord) -> Value {
    json!({
        "id": format_id(t.id),
        "description": t.description,
        "operator": t.operator,
        "permissions": t.permissions.iter().map(grant_text).collect::<Vec<_>>(),
        "active": !t.revoked,
        "created_at": rfc3339(t.created_at_ns),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_map_star_and_dedup() {
        let g = grants(&["a".into(), "*".into(), "a".into()], &["b".into()]).unwrap();
        assert_eq!(
            g,
            vec![
                Permission::database(Action::Read, "a"),
                Permission::all_databases(Action::Read),
                Permission::database(Action::Write, "b"),
            ]
        );
        assert!(matches!(
            grants(&["a b".into()], &[]),
            Err(AdminError::InvalidName(_))
        ));
    }

    #[test]
    fn ids_parse_with_or_without_leading_zeros() {
        assert_eq!(parse_id("000000000000002a").unwrap(), TokenId(42));
        assert_eq!(parse_id("2A").unwrap(), TokenId(42));
        for bad in ["", "xyz", "00000000000000002a", "-1"] {
            assert!(
                matches!(parse_id(bad), Err(AdminError::InvalidTokenId(_))),
                "{bad}"
            );
        }
    }
}
