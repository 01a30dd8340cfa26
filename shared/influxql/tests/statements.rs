//! Trees and texts: what the parser builds for representative statements, how they print
//! (1.x's `String()` texts), bind parameters, and 1.x's error texts beyond its own test file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use influxql::ast::*;
use influxql::parser::{parse_expr, parse_query, parse_query_with_params};
use serde_json::json;

fn one(text: &str) -> Statement {
    let mut q = common::assert_round_trip(text);
    assert_eq!(q.statements.len(), 1, "{text}");
    q.statements.remove(0)
}

fn select(text: &str) -> SelectStatement {
    match one(text) {
        Statement::Select(s) => *s,
        other => panic!("{text}: {other:?}"),
    }
}

fn var(name: &str) -> Expr {
    Expr::VarRef {
        name: name.into(),
        data_type: None,
    }
}

fn bin(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
    }
}

fn err(text: &str) -> String {
    parse_query(text).unwrap_err().to_string()
}

#[test]
fn select_clauses() {
    let s = select(
        "SELECT mean(value) AS m, max(\"cpu load\") INTO \"db\".\"rp\".:MEASUREMENT FROM db..cpu, /^m/ \
         WHERE time > now() - 1h AND host =~ /a\\/b/ GROUP BY time(10m, 5m), host, * fill(previous) \
         ORDER BY time DESC LIMIT 10 OFFSET 2 SLIMIT 3 SOFFSET 4 tz('Europe/Paris')",
    );
    assert_eq!(s.fields.len(), 2);
    assert_eq!(s.fields[0].alias.as_deref(), Some("m"));
    assert_eq!(
        s.fields[1].expr,
        Expr::Call {
            name: "max".into(),
            args: vec![var("cpu load")]
        }
    );
    let target = s.target.clone().unwrap();
    assert_eq!(target.database.as_deref(), Some("db"));
    assert_eq!(target.retention_policy.as_deref(), Some("rp"));
    assert!(target.back_reference && target.name.is_none());
    match &s.sources[0] {
        Source::Measurement(m) => {
            assert_eq!(m.database.as_deref(), Some("db"));
            assert_eq!(m.retention_policy, None);
            assert_eq!(m.name, Some(MeasurementName::Name("cpu".into())));
        }
        other => panic!("{other:?}"),
    }
    match &s.sources[1] {
        Source::Measurement(Measurement {
            name: Some(MeasurementName::Regex(r)),
            ..
        }) => assert_eq!(r.source, "^m"),
        other => panic!("{other:?}"),
    }
    match s.condition.clone().unwrap() {
        Expr::Binary {
            op: BinaryOp::And,
            rhs,
            ..
        } => match *rhs {
            Expr::Binary {
                op: BinaryOp::EqRegex,
                rhs,
                ..
            } => match *rhs {
                Expr::Regex(r) => {
                    assert_eq!(r.source, "a/b");
                    assert!(r.regex.is_match("xa/b"));
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(s.dimensions.len(), 3);
    assert_eq!(s.dimensions[2].expr, Expr::Wildcard(None));
    assert_eq!(s.fill, Fill::Previous);
    assert!(!s.time_ascending());
    assert_eq!((s.limit, s.offset, s.slimit, s.soffset), (10, 2, 3, 4));
    assert_eq!(s.location.as_deref(), Some("Europe/Paris"));
}

#[test]
fn precedence_and_unary_minus_as_1x() {
    // a + b * c - d  ==>  (a + (b * c)) - d
    assert_eq!(
        parse_expr("a + b * c - d").unwrap(),
        bin(
            BinaryOp::Sub,
            bin(
                BinaryOp::Add,
                var("a"),
                bin(BinaryOp::Mul, var("b"), var("c"))
            ),
            var("d")
        )
    );
    // OR < AND < comparisons
    assert_eq!(
        parse_expr("a = 1 OR b = 2 AND c = 3").unwrap(),
        bin(
            BinaryOp::Or,
            bin(BinaryOp::Eq, var("a"), Expr::Integer(1)),
            bin(
                BinaryOp::And,
                bin(BinaryOp::Eq, var("b"), Expr::Integer(2)),
                bin(BinaryOp::Eq, var("c"), Expr::Integer(3))
            )
        )
    );
    assert_eq!(parse_expr("-5").unwrap(), Expr::Integer(-5));
    assert_eq!(parse_expr("-1.5").unwrap(), Expr::Number(-1.5));
    assert_eq!(
        parse_expr("-10m").unwrap(),
        Expr::Duration(-600_000_000_000)
    );
    assert_eq!(
        parse_expr("-a").unwrap(),
        bin(BinaryOp::Mul, Expr::Integer(-1), var("a"))
    );
    assert_eq!(
        parse_expr("-9223372036854775808").unwrap(),
        Expr::Integer(i64::MIN)
    );
    assert_eq!(
        parse_expr("18446744073709551615").unwrap(),
        Expr::Unsigned(u64::MAX)
    );
    assert_eq!(
        parse_expr("-9223372036854775809").unwrap_err().to_string(),
        "constant -9223372036854775809 underflows int64"
    );
    // `2 * -a` prints in a form that parses back to the same tree
    let e = parse_expr("2 * -a").unwrap();
    assert_eq!(e.to_string(), "2 * -a");
    assert_eq!(parse_expr(&e.to_string()).unwrap(), e);
    assert_eq!(parse_expr("a::field").unwrap().to_string(), "a::field");
    assert_eq!(
        parse_expr("\"a\"::FLOAT").unwrap(),
        Expr::VarRef {
            name: "a".into(),
            data_type: Some(DataType::Float)
        }
    );
    assert_eq!(
        parse_expr("*::tag").unwrap(),
        Expr::Wildcard(Some(DataType::Tag))
    );
    assert_eq!(
        parse_expr("COUNT(DISTINCT host)").unwrap(),
        Expr::Call {
            name: "count".into(),
            args: vec![Expr::Distinct("host".into())]
        }
    );
}

#[test]
fn prints_as_1x() {
    // TestParseString and the String() tests of 1.x's suite
    for text in [
        r#"SELECT "cpu load" FROM myseries"#,
        r#"SELECT "cpu load" FROM "my series""#,
        r#"SELECT "cpu\"load" FROM myseries"#,
        r#"SELECT "cpu'load" FROM myseries"#,
        r#"SELECT "cpu load" FROM "my\"series""#,
        r#"SELECT "field with spaces" FROM "\"ugly\" db"."\"ugly\" rp"."\"ugly\" measurement""#,
        "SELECT * FROM myseries",
        r#"DROP DATABASE "!""#,
        r#"DROP RETENTION POLICY "my rp" ON "a database""#,
        r#"CREATE RETENTION POLICY "my rp" ON "a database" DURATION 1d REPLICATION 1"#,
        r#"ALTER RETENTION POLICY "my rp" ON "a database" DEFAULT"#,
        r#"SHOW RETENTION POLICIES ON "a database""#,
        r#"SHOW TAG VALUES WITH KEY IN ("a long name", short)"#,
        r#"DROP CONTINUOUS QUERY "my query" ON "my database""#,
        r#"DROP SUBSCRIPTION "ugly \"subscription\" name" ON "\"my\" db"."\"my\" rp""#,
        r#"CREATE SUBSCRIPTION "ugly \"subscription\" name" ON "\"my\" db"."\"my\" rp" DESTINATIONS ALL 'my host', 'my other host'"#,
        "SHOW MEASUREMENTS WITH MEASUREMENT =~ /foo/",
        r#"SHOW MEASUREMENTS WITH MEASUREMENT = "and/or""#,
        r#"DROP USER "user with spaces""#,
        r#"GRANT ALL PRIVILEGES ON "db with spaces" TO "user with spaces""#,
        r#"GRANT ALL PRIVILEGES TO "user with spaces""#,
        r#"SHOW GRANTS FOR "user with spaces""#,
        r#"REVOKE ALL PRIVILEGES ON "db with spaces" FROM "user with spaces""#,
        r#"REVOKE ALL PRIVILEGES FROM "user with spaces""#,
        r#"CREATE DATABASE "db with spaces""#,
        "DELETE FROM src",
        "DELETE FROM src WHERE host = 'hosta.influxdb.org'",
        "DELETE WHERE host = 'hosta.influxdb.org'",
        "DROP SERIES FROM src",
        "DROP SERIES FROM src WHERE host = 'hosta.influxdb.org'",
        "DROP SERIES WHERE host = 'hosta.influxdb.org'",
        "SELECT mean(value) FROM cpu WHERE time > now() - 1h GROUP BY time(10m) fill(none) ORDER BY time DESC LIMIT 1 TZ('America/New_York')",
        "SELECT value * 2.500 FROM cpu",
        "CREATE CONTINUOUS QUERY cq ON db RESAMPLE EVERY 1m FOR 1h BEGIN SELECT mean(value) INTO db.rp.m FROM cpu GROUP BY time(10m) END",
        "EXPLAIN ANALYZE SELECT * FROM cpu",
        "EXPLAIN VERBOSE SELECT * FROM cpu",
        "KILL QUERY 4 ON host1",
        "SHOW TAG KEY EXACT CARDINALITY ON db FROM cpu WHERE a = 'b' GROUP BY c LIMIT 1 OFFSET 2",
        "SHOW SERIES EXACT CARDINALITY",
        "SHOW TAG VALUES CARDINALITY WITH KEY =~ /x/",
        "SHOW STATS FOR 'shard'",
        "SELECT count(DISTINCT value) FROM cpu",
        "SELECT a FROM (SELECT b AS a FROM c)",
    ] {
        let q = parse_query(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(q.to_string(), text);
        common::assert_round_trip(text);
    }
    // passwords are redacted unless the alternate form is asked for
    let q = parse_query("CREATE USER u WITH PASSWORD 'p''; SET PASSWORD FOR u = 'x'").unwrap_err();
    assert!(q.to_string().contains("expected"));
    let q = parse_query(
        "CREATE USER u WITH PASSWORD 'p' WITH ALL PRIVILEGES; SET PASSWORD FOR u = 'x'",
    )
    .unwrap();
    assert_eq!(
        q.to_string(),
        "CREATE USER u WITH PASSWORD [REDACTED] WITH ALL PRIVILEGES;\nSET PASSWORD FOR u = [REDACTED]"
    );
    assert_eq!(
        format!("{q:#}"),
        "CREATE USER u WITH PASSWORD 'p' WITH ALL PRIVILEGES;\nSET PASSWORD FOR u = 'x'"
    );
}

#[test]
fn multiple_statements_comments_and_empty_ones() {
    let q = parse_query(
        "SELECT * FROM cpu; -- read from cpu database\n\n/* create continuous query */\n\
         CREATE CONTINUOUS QUERY cq0 ON db0 BEGIN\n\tSELECT mean(*) INTO db1..:MEASUREMENT FROM cpu GROUP BY time(5m)\nEND;\n\n\
         /* just a multline comment\nwhat is this doing here?\n**/\n\n-- should ignore the trailing multiline comment /*\n\
         SELECT mean(value) FROM gpu;\n-- trailing comment at the end",
    )
    .unwrap();
    assert_eq!(q.statements.len(), 3);
    assert_eq!(
        parse_query(";;SELECT a FROM b;;").unwrap().statements.len(),
        1
    );
    assert_eq!(parse_query("").unwrap().statements.len(), 0);
    assert_eq!(
        err("CREATE DATABASE foo CREATE DATABASE bar"),
        "found CREATE, expected ; at line 1, char 21"
    );
    assert_eq!(
        err("SELECT"),
        "found EOF, expected identifier, string, number, bool at line 1, char 8"
    );
    assert_eq!(
        err("SELECT a\nFROM b WHERE"),
        "found EOF, expected identifier, string, number, bool at line 2, char 14"
    );
}

#[test]
fn fill_tz_order_limit_errors_as_1x() {
    for (text, expected) in [
        (
            "SELECT mean(v) FROM m GROUP BY time(1m) fill",
            "fill must be a function call",
        ),
        (
            "SELECT mean(v) FROM m GROUP BY time(1m) fill()",
            "fill requires an argument, e.g.: 0, null, none, previous, linear",
        ),
        (
            "SELECT mean(v) FROM m GROUP BY time(1m) fill(1, 2)",
            "fill requires an argument, e.g.: 0, null, none, previous, linear",
        ),
        (
            "SELECT mean(v) FROM m GROUP BY time(1m) fill('x')",
            "expected number argument in fill()",
        ),
        ("SELECT v FROM m tz", "tz must be a function call"),
        (
            "SELECT v FROM m tz('a', 'b')",
            "tz requires exactly one argument",
        ),
        ("SELECT v FROM m tz(1)", "expected string argument in tz()"),
        (
            "SELECT v FROM m tz('Mars/Olympus')",
            "unable to find time zone Mars/Olympus",
        ),
        (
            "SELECT v FROM m ORDER BY v",
            "only ORDER BY time supported at this time",
        ),
        (
            "SELECT v FROM m ORDER BY TIME",
            "only ORDER BY time supported at this time",
        ),
        (
            "SELECT v FROM m LIMIT -1",
            "found -, expected integer at line 1, char 23",
        ),
        (
            "SELECT a FROM b WHERE c =~ /(/",
            "error parsing regexp: missing closing ): `(` at line 1, char 27",
        ),
        (
            "SELECT a FROM b WHERE c =~ /[a/",
            "error parsing regexp: missing closing ]: `[a` at line 1, char 27",
        ),
        (
            "SELECT a FROM b WHERE c =~ /x",
            "bad regex:  at line 1, char 27",
        ),
        (
            "SELECT a.b.c.d FROM m",
            r#"too many segments in "a"."b"."c".d at line 1, char 1"#,
        ),
        ("SELECT 1x FROM m", "invalid duration"),
        (
            "ALTER RETENTION POLICY p ON d DURATION 1h REPLICATION 3000000000",
            "invalid value 3000000000: must be 1 <= n <= 2147483647 at line 1, char 55",
        ),
        (
            "CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT count(v) INTO x FROM m END",
            "found m, expected GROUP BY time(...) at line 1, char 68",
        ),
        (
            "SELECT a FROM b WHERE c = 'x",
            "found x, expected identifier, string, number, bool at line 1, char 26",
        ),
        (
            "SELECT 'a\\q' FROM b",
            "found \\q, expected identifier, string, number, bool at line 1, char 11",
        ),
        ("SELECT $x FROM m", "missing parameter: x"),
    ] {
        assert_eq!(err(text), expected, "{text}");
    }
    assert_eq!(
        select("SELECT mean(v) FROM m GROUP BY time(1m) fill(-1)").fill,
        Fill::Integer(-1)
    );
    assert_eq!(
        select("SELECT mean(v) FROM m GROUP BY time(1m) fill(1.0)").fill,
        Fill::Float(1.0)
    );
    assert_eq!(
        select("SELECT mean(v) FROM m GROUP BY time(1m) fill(\"null\")").fill,
        Fill::Null
    );
    assert_eq!(
        select("SELECT v FROM m LIMIT 99999999999999999999").limit,
        i64::MAX as u64
    );
    assert_eq!(
        select("SELECT v FROM m tz('')").location.as_deref(),
        Some("")
    );
}

#[test]
fn show_and_management_trees() {
    match one(
        "SHOW TAG VALUES ON db FROM cpu WITH KEY !~ /^h/ WHERE a = 'b' ORDER BY time DESC LIMIT 2",
    ) {
        Statement::ShowTagValues(s) => {
            assert_eq!(s.database.as_deref(), Some("db"));
            assert!(matches!(s.key, TagKeySelector::NotEqRegex(_)));
            assert_eq!(s.order_by.len(), 1);
            assert_eq!(s.limit, 2);
        }
        other => panic!("{other:?}"),
    }
    match one("CREATE DATABASE db WITH DURATION 1d REPLICATION 2 SHARD DURATION 1h NAME rp") {
        Statement::CreateDatabase(s) => {
            assert_eq!(s.duration, Some(86_400_000_000_000));
            assert_eq!(s.replication, Some(2));
            assert_eq!(s.shard_duration, Some(3_600_000_000_000));
            assert_eq!(s.retention_policy_name.as_deref(), Some("rp"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        one("ALTER RETENTION POLICY DEFAULT ON db DURATION INF"),
        Statement::AlterRetentionPolicy(AlterRetentionPolicyStatement {
            name: "default".into(),
            database: "db".into(),
            duration: Some(0),
            replication: None,
            shard_duration: None,
            default: false,
        })
    );
    assert_eq!(
        one("GRANT READ ON db TO u"),
        Statement::Grant {
            privilege: Privilege::Read,
            database: Some("db".into()),
            user: "u".into()
        }
    );
    assert_eq!(
        one("REVOKE ALL FROM u"),
        Statement::Revoke {
            privilege: Privilege::All,
            database: None,
            user: "u".into()
        }
    );
    assert_eq!(
        one("KILL QUERY 18446744073709551615"),
        Statement::KillQuery {
            query_id: u64::MAX,
            host: None
        }
    );
    assert_eq!(one("DROP SHARD 7"), Statement::DropShard { id: 7 });
    match one("EXPLAIN ANALYZE VERBOSE SELECT * FROM cpu") {
        Statement::Explain(e) => assert!(e.analyze && e.verbose),
        other => panic!("{other:?}"),
    }
    // `verbose` stays an ordinary name
    select("SELECT verbose FROM cpu");
    match one("SHOW MEASUREMENTS ON db WITH MEASUREMENT = cpu WHERE a = 'b' LIMIT 1") {
        Statement::ShowMeasurements(s) => {
            assert_eq!(
                s.with_measurement,
                Some((BinaryOp::Eq, MeasurementName::Name("cpu".into())))
            );
        }
        other => panic!("{other:?}"),
    }
    for text in [
        "SHOW DATABASES",
        "SHOW USERS",
        "SHOW QUERIES",
        "SHOW SHARDS",
        "SHOW SHARD GROUPS",
        "SHOW SUBSCRIPTIONS",
        "SHOW CONTINUOUS QUERIES",
        "SHOW DIAGNOSTICS",
        "SHOW FIELD KEYS ON db FROM m ORDER BY time DESC LIMIT 1 OFFSET 1",
        "SHOW FIELD KEY CARDINALITY",
        "SHOW MEASUREMENT EXACT CARDINALITY ON db",
        "SHOW SERIES ON db FROM cpu WHERE a = 'b' LIMIT 1",
        "SHOW TAG KEYS ON db FROM cpu WHERE a = 'b' LIMIT 1 OFFSET 1 SLIMIT 1 SOFFSET 1",
        "DROP MEASUREMENT cpu",
        "CREATE RETENTION POLICY rp ON db DURATION 2h REPLICATION 1 SHARD DURATION 30m DEFAULT",
    ] {
        common::assert_round_trip(text);
    }
}

#[test]
fn bind_parameters() {
    let params = |v: serde_json::Value| v.as_object().unwrap().clone();
    let q = parse_query_with_params(
        "SELECT count(usage_user) FROM cpu WHERE host = $h AND n > $n AND f < $f AND b = $b",
        &params(json!({"h": "server03", "n": 5, "f": 1.5, "b": true})),
    )
    .unwrap();
    assert_eq!(
        q.to_string(),
        "SELECT count(usage_user) FROM cpu WHERE host = 'server03' AND n > 5 AND f < 1.500 AND b = true"
    );
    let q = parse_query_with_params(
        "SELECT count($value) FROM $m LIMIT $limit",
        &params(json!({
            "value": {"identifier": "my_value"},
            "m": {"identifier": "my_measurement"},
            "limit": {"integer": 10},
        })),
    )
    .unwrap();
    assert_eq!(
        q.to_string(),
        "SELECT count(my_value) FROM my_measurement LIMIT 10"
    );
    let q = parse_query_with_params(
        "SELECT v FROM m WHERE host =~ $re AND time > now() - $d",
        &params(json!({"re": {"regex": "^a"}, "d": {"duration": "1h"}})),
    )
    .unwrap();
    assert_eq!(
        q.to_string(),
        "SELECT v FROM m WHERE host =~ /^a/ AND time > now() - 1h"
    );
    let q = parse_query_with_params(
        "CREATE DATABASE $db",
        &params(json!({"db": {"identifier": "mydb"}})),
    )
    .unwrap();
    assert_eq!(q.to_string(), "CREATE DATABASE mydb");
    for (text, p, expected) in [
        (
            "SELECT v FROM m WHERE h = $h",
            json!({}),
            "missing parameter: h",
        ),
        (
            "SELECT v FROM m WHERE h = $h",
            json!({"h": null}),
            "unable to bind parameter with type <nil>",
        ),
        (
            "SELECT v FROM m WHERE h = $h",
            json!({"h": [1]}),
            "unable to bind parameter with type []interface {}",
        ),
        (
            "SELECT v FROM m WHERE h = $h",
            json!({"h": {"bogus": 1}}),
            "unknown bind object type: bogus",
        ),
        (
            "SELECT * FROM cpu WHERE \"tagkey\" = $$",
            json!({}),
            "empty bound parameter",
        ),
        (
            "SELECT v FROM m LIMIT $n",
            json!({"n": -1}),
            "LIMIT must be >= 0 at line 1, char 23",
        ),
        (
            "$SHOW$DATABASES",
            json!({}),
            "found $SHOW, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1",
        ),
    ] {
        assert_eq!(
            parse_query_with_params(text, &params(p))
                .unwrap_err()
                .to_string(),
            expected,
            "{text}"
        );
    }
}
