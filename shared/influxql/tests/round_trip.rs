//! Properties: parsing never panics, and whatever parses prints as text that parses back to the
//! same tree — for random text built from InfluxQL's vocabulary and for generated statements.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use influxql::display::ident_needs_quotes;
use influxql::fuzzing::check_parse_round_trip;
use influxql::parser::parse_query;
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "SLIMIT",
    "SOFFSET",
    "INTO",
    "AS",
    "AND",
    "OR",
    "SHOW",
    "TAG",
    "KEYS",
    "VALUES",
    "WITH",
    "KEY",
    "ON",
    "SERIES",
    "MEASUREMENTS",
    "CARDINALITY",
    "EXACT",
    "DROP",
    "CREATE",
    "DATABASE",
    "RETENTION",
    "POLICY",
    "DURATION",
    "REPLICATION",
    "SHARD",
    "DEFAULT",
    "DELETE",
    "EXPLAIN",
    "ANALYZE",
    "fill",
    "tz",
    "time",
    "now()",
    "mean",
    "count",
    "DISTINCT",
    "cpu",
    "\"m x\"",
    "db",
    "rp",
    "*",
    "::field",
    "::tag",
    "::float",
    "(",
    ")",
    ",",
    ";",
    ".",
    "..",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&",
    "|",
    "^",
    "=",
    "!=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "=~",
    "!~",
    "/re/",
    "/a\\/b/",
    "'str'",
    "'it\\'s'",
    "10",
    "1.5",
    "10m",
    "1h30m",
    "18446744073709551615",
    "true",
    "false",
    "$p",
    ":MEASUREMENT",
    "--c\n",
    "/*c*/",
    "\n",
    "\t",
    "ASC",
    "DESC",
    "none",
    "null",
    "previous",
    "linear",
    "INF",
];

fn vocabulary_text() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(WORDS), prop::bool::ANY), 0..24).prop_map(|words| {
        words
            .into_iter()
            .map(|(w, space)| if space { format!("{w} ") } else { w.to_owned() })
            .collect()
    })
}

fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_]{0,6}".prop_filter("keyword", |s| !ident_needs_quotes(s)),
        "[ -~]{0,6}".prop_map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))),
        Just("\"select\"".to_owned()),
    ]
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        any::<u64>().prop_map(|v| v.to_string()),
        (0u32..100_000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        (
            1u32..10_000,
            prop::sample::select(&["ns", "u", "µ", "ms", "s", "m", "h", "d", "w"][..])
        )
            .prop_map(|(n, u)| format!("{n}{u}")),
        "[ -~]{0,8}".prop_map(|s| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))),
        prop::bool::ANY.prop_map(|b| b.to_string()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![ident(), literal(), Just("now()".to_owned())];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(&["+", "-", "*", "/", "%", "&", "|", "^"][..]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
            inner.clone().prop_map(|a| format!("({a})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            (
                "[a-z]{1,5}".prop_filter("keyword", |s| !ident_needs_quotes(s)),
                prop::collection::vec(inner, 0..3)
            )
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
        ]
    })
}

fn condition() -> impl Strategy<Value = String> {
    let cmp = (
        expr(),
        prop::sample::select(&["=", "!=", "<", "<=", ">", ">="][..]),
        expr(),
    )
        .prop_map(|(a, op, b)| format!("{a} {op} {b}"));
    let re = (ident(), "[a-z.^$]{0,5}").prop_map(|(a, r)| format!("{a} =~ /{r}/"));
    prop::collection::vec(prop_oneof![cmp, re], 1..4).prop_map(|c| c.join(" AND "))
}

fn select() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((expr(), prop::option::of(ident())), 1..4),
        prop::collection::vec(ident(), 1..3),
        prop::option::of(condition()),
        prop::option::of("[1-9][0-9]{0,2}[smhdw]"),
        prop::option::of(prop::sample::select(
            &["none", "null", "previous", "linear", "0", "-1.5"][..],
        )),
        prop::option::of(0u32..1000),
        prop::bool::ANY,
    )
        .prop_map(|(fields, from, cond, every, fill, limit, desc)| {
            let fields: Vec<String> = fields
                .into_iter()
                .map(|(e, a)| match a {
                    Some(a) => format!("{e} AS {a}"),
                    None => e,
                })
                .collect();
            let mut s = format!("SELECT {} FROM {}", fields.join(", "), from.join(", "));
            if let Some(c) = cond {
                s += &format!(" WHERE {c}");
            }
            if let Some(e) = every {
                s += &format!(" GROUP BY time({e}), host");
            }
            if let Some(f) = fill {
                s += &format!(" fill({f})");
            }
            if desc {
                s += " ORDER BY time DESC";
            }
            if let Some(l) = limit {
                s += &format!(" LIMIT {l}");
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_vocabulary_never_panics_and_round_trips(text in vocabulary_text()) {
        check_parse_round_trip(text.as_bytes());
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,64}") {
        check_parse_round_trip(text.as_bytes());
    }

    #[test]
    fn generated_selects_parse_and_round_trip(text in select()) {
        if let Err(e) = parse_query(&text) {
            // only the literal forms 1.x refuses may fail (e.g. -(u64) underflow)
            let msg = e.to_string();
            prop_assert!(msg.contains("underflows int64"), "{text:?}: {msg}");
        }
        check_parse_round_trip(text.as_bytes());
    }
}
