//! The query clients' compatibility checks shared by the `quiver serve` and cluster tests:
//! the ADBC Flight SQL driver end to end, and a token that may read one database only,
//! denied on another through every query path (tests/python/query_clients.py).
//!
//! ```text
//! v2 write (operator) cpu rows ──► db A, db B
//! query_clients.py adbc      (database A) ──► rows, bound parameters, objects, schema, info
//! query_clients.py scoped A B ──► token(read A) ──► influxdb3-python, pyarrow.flight DoGet,
//!     ADBC statement / prepared statement / table schema: A answers, B denied
//! ```

use serde_json::{Value, json};

use crate::{python_script_env, write_acked};

/// Rows of table `cpu` in database A: host a twice (usage 1 and 7, idle on the first), b once.
const CPU_A: &str = "cpu,host=a usage=1,idle=10 1\ncpu,host=a usage=7 2\ncpu,host=b usage=2 1\n";
/// One row in database B.
const CPU_B: &str = "cpu,host=z usage=3 1\n";

/// Points `dup,host=h{i % 7} v={v}i,k={i}i` at time 1 000 + i for `i` in `range`: written twice
/// with different `v`, they must come back once with the last `v` (the dedup tests).
pub fn dup_body(range: std::ops::Range<u64>, v: i64) -> String {
    range
        .map(|i| format!("dup,host=h{} v={v}i,k={i}i {}\n", i % 7, 1_000 + i))
        .collect()
}

fn run(
    write_url: &str,
    query_url: &str,
    token: &str,
    db: &str,
    action: &str,
    args: &[&str],
) -> Value {
    python_script_env(
        "query_clients.py",
        action,
        args,
        write_url,
        token,
        db,
        &[("QUIVER_QUERY_URL", query_url)],
    )
}

/// Writes `cpu` into databases `a` and `b` through `write_url` with the operator `token`, then
/// checks the ADBC driver and a read-`a`-only token against the Flight port `query_url`.
pub async fn check_flight_clients(write_url: &str, query_url: &str, token: &str, a: &str, b: &str) {
    write_acked(write_url, a, token, CPU_A).await;
    write_acked(write_url, b, token, CPU_B).await;

    let adbc = run(write_url, query_url, token, a, "adbc", &[]);
    for auth in ["bearer", "basic"] {
        check_adbc_session(&adbc[auth], &format!("{auth}: {adbc}"));
    }

    let scoped = run(write_url, query_url, token, a, "scoped", &[a, b]);
    let paths = [
        "influxdb3",
        "do_get",
        "adbc_statement",
        "adbc_prepared",
        "adbc_table_schema",
    ];
    for path in paths {
        let readable = &scoped[a][path];
        let expected = if path == "adbc_table_schema" {
            json!({"ok": ["host", "idle", "usage", "time"]})
        } else {
            json!({"ok": 3})
        };
        assert_eq!(readable, &expected, "{path} on {a}: {scoped}");
        let denied = &scoped[b][path];
        let message = denied["message"].as_str().unwrap_or_default();
        assert!(
            denied.get("ok").is_none()
                && message.contains(&format!("token may not read database '{b}'")),
            "{path} on {b} must be denied: {scoped}"
        );
    }
}

/// Checks the report of one ADBC session (`adbc_client.py`, `query_clients.py adbc`) over
/// table `cpu` holding [`CPU_A`]: rows and Influx metadata, bound parameters (twice), table
/// types, vendor, table schema and the objects listing. `label` says where it came from.
pub fn check_adbc_session(ok: &Value, label: &str) {
    assert!(ok.is_object(), "{label}");
    assert_eq!(ok["query"]["host"], json!(["a", "a", "b"]), "{label}");
    assert_eq!(ok["query"]["usage"], json!([1.0, 7.0, 2.0]), "{label}");
    assert_eq!(
        ok["query_meta"]["host"]["iox::column::type"], "iox::column_type::tag",
        "{label}"
    );
    assert_eq!(ok["bound"]["usage"], json!([7.0]), "{label}");
    assert_eq!(ok["bound_again"]["usage"], json!([2.0]), "{label}");
    assert_eq!(ok["table_types"], json!(["BASE TABLE", "VIEW"]), "{label}");
    assert_eq!(ok["info"]["vendor_name"], "Quiver", "{label}");
    assert_eq!(
        ok["table_schema"],
        json!([
            ["host", "string", "iox::column_type::tag"],
            ["idle", "double", "iox::column_type::field::float"],
            ["usage", "double", "iox::column_type::field::float"],
            ["time", "timestamp[ns]", "iox::column_type::timestamp"]
        ]),
        "{label}"
    );
    assert_eq!(
        ok["objects"]["public"]["iox"]["cpu"],
        json!(["host", "idle", "usage", "time"]),
        "{label}"
    );
}
