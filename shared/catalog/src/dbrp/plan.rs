//! The mapping rules as pure functions: current mappings + an operation ──► the changes, or the
//! error that refuses it. Every backend plans with these (under its lock, or against a read at
//! one etcd revision that its transaction then compares).
//!
//! ```text
//! current ──► Draft (a copy) ──► operation edits it ──► one default per touched v1 database
//!         ──► diff against current ──► DbrpChanges { put, deleted }
//! ```

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Dbrp, DbrpChanges, DbrpId, DbrpUpdate, MAX_DBRP_NAME_BYTES, MAX_DBRPS_PER_DATABASE, NewDbrp,
};
use crate::{CatalogError, DatabaseId};

/// Mappings by id.
pub(crate) type Dbrps = BTreeMap<DbrpId, Dbrp>;

/// Checks a v1 database or retention policy name: 1–256 bytes of printable text other than
/// `.` and `..`, without `/` or `\` (InfluxDB 2's rule, plus a length bound).
pub(crate) fn check_name(role: &str, name: &str) -> Result<(), CatalogError> {
    let reason = if name.is_empty() {
        Some("must not be empty".to_owned())
    } else if name.len() > MAX_DBRP_NAME_BYTES {
        Some(format!(
            "must be at most {MAX_DBRP_NAME_BYTES} bytes long, got {}",
            name.len()
        ))
    } else if name == "." || name == ".." {
        Some(format!("must not be {name:?}"))
    } else if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || matches!(c, '/' | '\\'))
    {
        Some(format!("must not contain {c:?}"))
    } else {
        None
    };
    match reason {
        Some(reason) => Err(CatalogError::InvalidDbrp {
            reason: format!("{role} {name:?} {reason}"),
        }),
        None => Ok(()),
    }
}

/// Creates mapping `id`. The caller checks that `new.target` is a live database.
pub(crate) fn create(
    current: &Dbrps,
    id: DbrpId,
    new: NewDbrp,
) -> Result<(Dbrp, DbrpChanges), CatalogError> {
    check_name("database", &new.database)?;
    check_name("retention policy", &new.retention_policy)?;
    if let Some(taken) = find(current.values(), &new.database, &new.retention_policy) {
        return Err(already_exists(taken));
    }
    let naming_target = current.values().filter(|d| d.target == new.target).count();
    if naming_target >= MAX_DBRPS_PER_DATABASE {
        return Err(CatalogError::DbrpLimit {
            target: new.target.0,
            limit: MAX_DBRPS_PER_DATABASE,
        });
    }
    let mut draft = Draft::new(current);
    let dbrp = Dbrp {
        id,
        database: new.database,
        retention_policy: new.retention_policy,
        default: false,
        target: new.target,
    };
    let database = dbrp.database.clone();
    draft.after.insert(id, dbrp);
    if new.default {
        draft.make_default(id);
    }
    draft.touch(&database);
    let changes = draft.changes();
    let created = changes
        .put
        .iter()
        .find(|d| d.id == id)
        .cloned()
        .ok_or_else(|| CatalogError::Internal(format!("planned mapping {id:?} vanished")))?;
    Ok((created, changes))
}

/// Updates mapping `id`; the result may be empty (nothing changes).
pub(crate) fn update(
    current: &Dbrps,
    id: DbrpId,
    update: &DbrpUpdate,
) -> Result<(Dbrp, DbrpChanges), CatalogError> {
    let old = current
        .get(&id)
        .ok_or(CatalogError::DbrpNotFound { id: id.0 })?;
    let mut draft = Draft::new(current);
    if let Some(rp) = update
        .retention_policy
        .as_ref()
        .filter(|rp| **rp != old.retention_policy)
    {
        check_name("retention policy", rp)?;
        if let Some(taken) = find(current.values(), &old.database, rp) {
            return Err(already_exists(taken));
        }
        if let Some(dbrp) = draft.after.get_mut(&id) {
            dbrp.retention_policy.clone_from(rp);
        }
    }
    match update.default {
        Some(true) => draft.make_default(id),
        Some(false) => draft.demote(id),
        None => {}
    }
    draft.touch(&old.database);
    let changes = draft.changes();
    let updated = draft_result(current, &changes, id)?;
    Ok((updated, changes))
}

/// Deletes mapping `id`.
pub(crate) fn delete(current: &Dbrps, id: DbrpId) -> Result<(Dbrp, DbrpChanges), CatalogError> {
    let old = current
        .get(&id)
        .cloned()
        .ok_or(CatalogError::DbrpNotFound { id: id.0 })?;
    let mut draft = Draft::new(current);
    draft.after.remove(&id);
    draft.touch(&old.database);
    Ok((old, draft.changes()))
}

/// Deletes every mapping naming `target` (the database is being deleted).
pub(crate) fn delete_target(current: &Dbrps, target: DatabaseId) -> DbrpChanges {
    let mut draft = Draft::new(current);
    let gone: Vec<Dbrp> = current
        .values()
        .filter(|d| d.target == target)
        .cloned()
        .collect();
    for dbrp in &gone {
        draft.after.remove(&dbrp.id);
    }
    for dbrp in &gone {
        draft.touch(&dbrp.database);
    }
    draft.changes()
}

/// The changes that bring a copy of the mappings (`current`, a cache's) in line with a record
/// the backend wrote: the record, and its v1 database's default settled as the backend did.
pub(crate) fn settle_written(current: &Dbrps, written: &Dbrp) -> DbrpChanges {
    let mut draft = Draft::new(current);
    draft.after.insert(written.id, written.clone());
    if written.default {
        draft.make_default(written.id);
    } else {
        draft.demote(written.id);
    }
    draft.touch(&written.database);
    draft.changes()
}

/// [`settle_written`] for a record the backend deleted.
pub(crate) fn settle_deleted(current: &Dbrps, deleted: &Dbrp) -> DbrpChanges {
    let mut draft = Draft::new(current);
    draft.after.remove(&deleted.id);
    draft.touch(&deleted.database);
    let mut changes = draft.changes();
    if !changes.deleted.contains(&deleted.id) {
        // Not in the copy yet (the feed has not brought it): still gone.
        changes.deleted.push(deleted.id);
    }
    changes
}

/// The mapping of (`database`, `retention_policy`), if any.
pub(crate) fn find<'a>(
    dbrps: impl IntoIterator<Item = &'a Dbrp>,
    database: &str,
    retention_policy: &str,
) -> Option<&'a Dbrp> {
    dbrps
        .into_iter()
        .find(|d| d.database == database && d.retention_policy == retention_policy)
}

fn already_exists(taken: &Dbrp) -> CatalogError {
    CatalogError::DbrpAlreadyExists {
        database: taken.database.clone(),
        retention_policy: taken.retention_policy.clone(),
    }
}

/// The record `id` after `changes` (changed, or as it was).
fn draft_result(current: &Dbrps, changes: &DbrpChanges, id: DbrpId) -> Result<Dbrp, CatalogError> {
    changes
        .put
        .iter()
        .find(|d| d.id == id)
        .or_else(|| current.get(&id))
        .cloned()
        .ok_or(CatalogError::DbrpNotFound { id: id.0 })
}

/// A copy of the mappings being edited, the v1 databases whose default must be settled, and
/// the mappings that just gave the default up (chosen again only when nothing else is left).
struct Draft<'a> {
    before: &'a Dbrps,
    after: Dbrps,
    touched: BTreeSet<String>,
    demoted: BTreeSet<DbrpId>,
}

impl<'a> Draft<'a> {
    fn new(before: &'a Dbrps) -> Self {
        Self {
            before,
            after: before.clone(),
            touched: BTreeSet::new(),
            demoted: BTreeSet::new(),
        }
    }

    /// `id` stops being the default (another mapping of its v1 database takes it, if any).
    fn demote(&mut self, id: DbrpId) {
        if let Some(dbrp) = self.after.get_mut(&id) {
            dbrp.default = false;
            self.demoted.insert(id);
        }
    }

    /// `id` becomes its v1 database's default; the old default stops being it.
    fn make_default(&mut self, id: DbrpId) {
        let Some(database) = self.after.get(&id).map(|d| d.database.clone()) else {
            return;
        };
        for dbrp in self.after.values_mut() {
            if dbrp.database == database {
                dbrp.default = dbrp.id == id;
            }
        }
    }

    /// `database` gets exactly one default when changes are taken.
    fn touch(&mut self, database: &str) {
        self.touched.insert(database.to_owned());
    }

    /// One default per touched v1 database (when none is left: the lowest id, a demoted one
    /// only as the last resort), then the diff.
    fn changes(mut self) -> DbrpChanges {
        for database in &self.touched {
            let ids: Vec<DbrpId> = self
                .after
                .values()
                .filter(|d| d.database == *database)
                .map(|d| d.id)
                .collect();
            let preferred = ids.iter().find(|id| !self.demoted.contains(id));
            let Some(first) = preferred.or(ids.first()).copied() else {
                continue;
            };
            let has_default = self
                .after
                .values()
                .any(|d| d.database == *database && d.default);
            if !has_default && let Some(dbrp) = self.after.get_mut(&first) {
                dbrp.default = true;
            }
        }
        let put = self
            .after
            .values()
            .filter(|d| self.before.get(&d.id) != Some(*d))
            .cloned()
            .collect();
        let deleted = self
            .before
            .keys()
            .filter(|id| !self.after.contains_key(id))
            .copied()
            .collect();
        DbrpChanges { put, deleted }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(db: &str, rp: &str, default: bool, target: u64) -> NewDbrp {
        NewDbrp {
            database: db.into(),
            retention_policy: rp.into(),
            default,
            target: DatabaseId(target),
        }
    }

    fn apply(map: &mut Dbrps, changes: &DbrpChanges) {
        changes.apply_to(map);
    }

    /// Creates and applies a mapping.
    fn add(map: &mut Dbrps, id: u64, dbrp: NewDbrp) {
        let (_, changes) = create(map, DbrpId(id), dbrp).unwrap();
        changes.apply_to(map);
    }

    fn defaults(map: &Dbrps, db: &str) -> Vec<u64> {
        map.values()
            .filter(|d| d.database == db && d.default)
            .map(|d| d.id.0)
            .collect()
    }

    #[test]
    fn the_first_mapping_is_the_default_and_a_new_default_takes_over() {
        let mut map = Dbrps::new();
        let (a, c) = create(&map, DbrpId(1), new("db", "a", false, 10)).unwrap();
        assert!(a.default, "the first mapping of a database is its default");
        apply(&mut map, &c);
        let (b, c) = create(&map, DbrpId(2), new("db", "b", false, 10)).unwrap();
        assert!(!b.default);
        assert_eq!(c.put.len(), 1, "only the new record");
        apply(&mut map, &c);
        let (c3, c) = create(&map, DbrpId(3), new("db", "c", true, 11)).unwrap();
        assert!(c3.default);
        assert_eq!(c.put.len(), 2, "the new default and the old one cleared");
        apply(&mut map, &c);
        assert_eq!(defaults(&map, "db"), [3]);
        let (other, _) = create(&map, DbrpId(4), new("other", "a", false, 10)).unwrap();
        assert!(other.default, "defaults are per v1 database");
    }

    #[test]
    fn duplicates_bad_names_and_the_limit_are_refused() {
        let mut map = Dbrps::new();
        add(&mut map, 1, new("db", "rp", false, 1));
        assert_eq!(
            create(&map, DbrpId(2), new("db", "rp", true, 2)).unwrap_err(),
            CatalogError::DbrpAlreadyExists {
                database: "db".into(),
                retention_policy: "rp".into()
            }
        );
        for (db, rp, reason) in [
            ("", "rp", "database \"\" must not be empty"),
            ("a/b", "rp", "database \"a/b\" must not contain '/'"),
            ("db", "..", "retention policy \"..\" must not be \"..\""),
            (
                "db",
                "r\\p",
                "retention policy \"r\\\\p\" must not contain '\\\\'",
            ),
            (
                "db",
                "a\nb",
                "retention policy \"a\\nb\" must not contain '\\n'",
            ),
        ] {
            assert_eq!(
                create(&map, DbrpId(3), new(db, rp, false, 1)).unwrap_err(),
                CatalogError::InvalidDbrp {
                    reason: reason.into()
                },
                "{db:?} {rp:?}"
            );
        }
        let long = "x".repeat(MAX_DBRP_NAME_BYTES + 1);
        assert!(create(&map, DbrpId(3), new(&long, "rp", false, 1)).is_err());
        assert!(create(&map, DbrpId(3), new("my.db", "autogen", false, 1)).is_ok());
        for i in 1..MAX_DBRPS_PER_DATABASE as u64 {
            let (_, c) =
                create(&map, DbrpId(10 + i), new("db", &format!("r{i}"), false, 1)).unwrap();
            apply(&mut map, &c);
        }
        assert_eq!(
            create(&map, DbrpId(999), new("db", "one-more", false, 1)).unwrap_err(),
            CatalogError::DbrpLimit {
                target: 1,
                limit: MAX_DBRPS_PER_DATABASE
            }
        );
    }

    #[test]
    fn un_defaulting_and_deleting_hand_the_default_to_the_lowest_id() {
        let mut map = Dbrps::new();
        for (id, rp) in [(5, "a"), (3, "b"), (9, "c")] {
            add(&mut map, id, new("db", rp, false, 1));
        }
        assert_eq!(defaults(&map, "db"), [5], "the first created");
        let (only, c) = update(
            &map,
            DbrpId(9),
            &DbrpUpdate {
                retention_policy: None,
                default: Some(true),
            },
        )
        .unwrap();
        assert!(only.default);
        apply(&mut map, &c);
        assert_eq!(defaults(&map, "db"), [9]);
        let (was, c) = update(
            &map,
            DbrpId(9),
            &DbrpUpdate {
                retention_policy: None,
                default: Some(false),
            },
        )
        .unwrap();
        assert!(!was.default);
        apply(&mut map, &c);
        assert_eq!(defaults(&map, "db"), [3], "the lowest id takes over");
        let (_, c) = update(
            &map,
            DbrpId(3),
            &DbrpUpdate {
                retention_policy: None,
                default: Some(false),
            },
        )
        .unwrap();
        let mut demoted = map.clone();
        apply(&mut demoted, &c);
        assert_eq!(
            defaults(&demoted, "db"),
            [5],
            "the lowest id other than the demoted one"
        );
        let settled = settle_written(&map, &demoted[&DbrpId(3)]);
        assert_eq!(
            settled, c,
            "a cache settles a backend's answer the same way"
        );
        let (_, c) = delete(&map, DbrpId(3)).unwrap();
        assert_eq!(c.deleted, [DbrpId(3)]);
        apply(&mut map, &c);
        assert_eq!(defaults(&map, "db"), [5]);
        let (_, c) = delete(&map, DbrpId(9)).unwrap();
        apply(&mut map, &c);
        let (alone, c) = update(
            &map,
            DbrpId(5),
            &DbrpUpdate {
                retention_policy: None,
                default: Some(false),
            },
        )
        .unwrap();
        assert!(alone.default, "a database's only mapping stays its default");
        assert!(c.is_empty());
        assert_eq!(
            delete(&map, DbrpId(9)).unwrap_err(),
            CatalogError::DbrpNotFound { id: 9 }
        );
    }

    #[test]
    fn renaming_keeps_pairs_unique_and_deleting_a_target_takes_its_mappings() {
        let mut map = Dbrps::new();
        for (id, db, rp, target) in [(1, "a", "x", 7), (2, "a", "y", 8), (3, "b", "x", 7)] {
            add(&mut map, id, new(db, rp, false, target));
        }
        let rename = |rp: &str| DbrpUpdate {
            retention_policy: Some(rp.into()),
            default: None,
        };
        assert!(matches!(
            update(&map, DbrpId(2), &rename("x")),
            Err(CatalogError::DbrpAlreadyExists { .. })
        ));
        let (same, c) = update(&map, DbrpId(2), &rename("y")).unwrap();
        assert!(c.is_empty(), "renaming to the same name changes nothing");
        assert_eq!(same.retention_policy, "y");
        let (renamed, c) = update(&map, DbrpId(2), &rename("z")).unwrap();
        assert_eq!(renamed.retention_policy, "z");
        apply(&mut map, &c);

        let c = delete_target(&map, DatabaseId(7));
        assert_eq!(c.deleted, [DbrpId(1), DbrpId(3)]);
        assert_eq!(c.put.len(), 1, "a's default moves to its remaining mapping");
        apply(&mut map, &c);
        assert_eq!(defaults(&map, "a"), [2]);
        assert!(delete_target(&map, DatabaseId(99)).is_empty());
    }
}
