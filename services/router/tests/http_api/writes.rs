//! Successful writes: what lands in the write log, precision, v1 rp mapping, partial writes,
//! auto-creation, schema conflicts across requests.

use crate::common::*;

#[tokio::test]
async fn v2_write_lands_in_the_log_exactly() {
    let s = TestServer::start().await;
    let a = s
        .write(
            "/api/v2/write?org=o&bucket=mydb&precision=ns",
            OPERATOR,
            "cpu,host=a,region=us usage=1.5,idle=2i 1700000000000000000\ncpu,host=b usage=3 1700000000000000001\nmem free=10u,ok=true,note=\"hi\" 5",
        )
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(a.body, "");
    assert_eq!(
        s.rows("mydb"),
        [
            "cpu: host=a region=us idle=2 usage=1.5 time=1700000000000000000",
            "cpu: host=b usage=3.0 time=1700000000000000001",
            "mem: free=10 note=hi ok=true time=5",
        ]
    );
}

#[tokio::test]
async fn every_precision_scales_timestamps() {
    let s = TestServer::start().await;
    let v2 = [
        ("ns", 1),
        ("us", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000i64),
        ("h", 3_600_000_000_000),
    ];
    for (p, mult) in v2 {
        let a = s
            .write(
                &format!("/api/v2/write?bucket=v2_{p}&precision={p}"),
                OPERATOR,
                "cpu v=1 2",
            )
            .await;
        assert_eq!(a.status, 204, "{p}: {}", a.body);
        assert_eq!(
            s.rows(&format!("v2_{p}")),
            [format!("cpu: v=1.0 time={}", 2 * mult)],
            "v2 {p}"
        );
    }
    let v1 = [
        ("n", 1),
        ("ns", 1),
        ("u", 1_000),
        ("us", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000i64),
        ("h", 3_600_000_000_000),
    ];
    for (p, mult) in v1 {
        let a = s
            .write(
                &format!("/write?db=v1_{p}&precision={p}"),
                OPERATOR,
                "cpu v=1 2\n",
            )
            .await;
        assert_eq!(a.status, 204, "{p}: {}", a.body);
        assert_eq!(
            s.rows(&format!("v1_{p}")),
            [format!("cpu: v=1.0 time={}", 2 * mult)],
            "v1 {p}"
        );
    }
    // No precision: nanoseconds.
    assert_eq!(
        s.write("/write?db=none", OPERATOR, "cpu v=1 2")
            .await
            .status,
        204
    );
    assert_eq!(s.rows("none"), ["cpu: v=1.0 time=2"]);
}

#[tokio::test]
async fn lines_without_timestamp_get_the_server_time() {
    let s = TestServer::start().await;
    let before = router::time::now_ns();
    assert_eq!(
        s.write("/api/v2/write?bucket=mydb&precision=s", OPERATOR, "cpu v=1")
            .await
            .status,
        204
    );
    let after = router::time::now_ns();
    let row = &s.rows("mydb")[0];
    let time: i64 = row.rsplit_once("time=").unwrap().1.parse().unwrap();
    assert!(
        before <= time && time <= after,
        "{before} <= {time} <= {after}"
    );
}

#[tokio::test]
async fn v1_retention_policy_maps_to_db_slash_rp() {
    let s = TestServer::start().await;
    for (query, database) in [
        ("db=mydb", "mydb"),
        ("db=mydb&rp=", "mydb"),
        ("db=mydb&rp=autogen", "mydb"),
        ("db=mydb&rp=Default", "mydb"),
        ("db=mydb&rp=weekly", "mydb/weekly"),
        ("db=mydb&consistency=all&u=x&rp=AUTOGEN", "mydb"),
    ] {
        let before = s.rows(database).len();
        let a = s
            .write(&format!("/write?{query}"), OPERATOR, "cpu v=1 1")
            .await;
        assert_eq!(a.status, 204, "{query}: {}", a.body);
        assert_eq!(
            s.rows(database).len(),
            before + 1,
            "{query} lands in {database}"
        );
    }
    // v2 takes the bucket verbatim, `db/rp` included.
    assert_eq!(
        s.write("/api/v2/write?bucket=mydb%2Fweekly", OPERATOR, "cpu v=2 2")
            .await
            .status,
        204
    );
    assert_eq!(
        s.rows("mydb/weekly"),
        ["cpu: v=1.0 time=1", "cpu: v=2.0 time=2"]
    );
    let names: Vec<String> = catalog::Catalog::list_databases(s.catalog.as_ref())
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name.to_string())
        .collect();
    assert_eq!(names, ["mydb", "mydb/weekly"]);
}

#[tokio::test]
async fn partial_writes_store_the_valid_lines() {
    let s = TestServer::start().await;
    let body = "cpu v=1 1\ncpu,host=a\ncpu v=2 2\ncpu v=\"s\" 3\n";
    for path in [
        "/api/v2/write?bucket=mydb&accept_partial=true",
        "/write?db=mydb&accept_partial=true",
    ] {
        let before = s.rows("mydb").len();
        let a = s.write(path, OPERATOR, body).await;
        assert_eq!(a.status, 400, "{path}");
        assert_eq!(
            a.json(),
            error_body(
                "invalid",
                "partial write: 2 line(s) written, 2 rejected; errors encountered on line(s):\nerror parsing line 2 (1-based): No fields were provided\nerror parsing line 4 (1-based): schema conflict: table cpu, column v is type f64 but write has type string",
                Some(2)
            ),
            "{path}"
        );
        assert_eq!(
            s.rows("mydb")[before..],
            ["cpu: v=1.0 time=1", "cpu: v=2.0 time=2"],
            "{path}"
        );
    }
    // All valid with accept_partial → 204.
    assert_eq!(
        s.write(
            "/api/v2/write?bucket=mydb&accept_partial=true",
            OPERATOR,
            "cpu v=3 3"
        )
        .await
        .status,
        204
    );
    // accept_partial=false is the default: nothing written.
    let a = s
        .write(
            "/api/v2/write?bucket=mydb&accept_partial=false",
            OPERATOR,
            "cpu v=4 4\ncpu,host=a",
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(s.rows("mydb").len(), 5);
}

#[tokio::test]
async fn at_most_100_line_errors_are_listed() {
    let s = TestServer::start().await;
    let body: String = (0..105).map(|_| "cpu,host=a\n").collect::<String>() + "cpu v=1 1";
    let a = s.write("/api/v2/write?bucket=mydb", OPERATOR, &body).await;
    assert_eq!(a.status, 400);
    let json = a.json();
    assert_eq!(json["line"], 1);
    let message = json["message"].as_str().unwrap();
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 102, "{message}");
    assert_eq!(lines[0], "no data written, errors encountered on line(s):");
    assert_eq!(
        lines[100],
        "error parsing line 100 (1-based): No fields were provided"
    );
    assert_eq!(lines[101], "... and 5 more");
    assert!(s.log.is_empty());
    let metrics = s.send("GET", "/metrics", &[], "").await.body;
    assert!(
        metrics.contains("quiver_write_rejected_lines_total 105\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn empty_bodies_write_nothing_and_create_nothing() {
    let s = TestServer::start().await;
    for body in ["", "\n\n", "# a comment\n"] {
        let a = s.write("/api/v2/write?bucket=fresh", OPERATOR, body).await;
        assert_eq!((a.status, a.body.as_str()), (204, ""), "{body:?}");
    }
    let gz = gzip(b"");
    let a = s
        .send(
            "POST",
            "/write?db=fresh",
            &[
                ("authorization", "Token op-token"),
                ("content-encoding", "gzip"),
            ],
            gz,
        )
        .await;
    assert_eq!(a.status, 204);
    assert!(s.log.is_empty());
    assert!(
        catalog::Catalog::list_databases(s.catalog.as_ref())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn auto_creation_off_requires_an_existing_database() {
    let s = TestServer::with_settings(router::RouterSettings::default()).await;
    let a = s
        .write("/api/v2/write?bucket=mydb", OPERATOR, "cpu v=1 1")
        .await;
    assert_eq!(a.status, 404);
    s.create_database("mydb", catalog::DatabaseOptions::default())
        .await;
    let a = s
        .write("/api/v2/write?bucket=mydb", OPERATOR, "cpu v=1 1")
        .await;
    assert_eq!(a.status, 204, "{}", a.body);
    assert_eq!(s.rows("mydb"), ["cpu: v=1.0 time=1"]);
}

#[tokio::test]
async fn concurrent_first_writes_create_one_database() {
    let s = TestServer::start().await;
    let writes = (0..16).map(|i| {
        let body = format!("cpu,w={i} v={i} {i}");
        let s = &s;
        async move {
            s.write("/api/v2/write?bucket=racy", OPERATOR, &body)
                .await
                .status
        }
    });
    let statuses = futures::future::join_all(writes).await;
    assert!(statuses.iter().all(|&st| st == 204), "{statuses:?}");
    assert_eq!(
        catalog::Catalog::list_databases(s.catalog.as_ref())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(s.rows("racy").len(), 16);
}

#[tokio::test]
async fn schema_grows_across_requests_and_conflicts_are_rejected() {
    let s = TestServer::start().await;
    assert_eq!(
        s.write("/api/v2/write?bucket=mydb", OPERATOR, "cpu,host=a v=1 1")
            .await
            .status,
        204
    );
    assert_eq!(
        s.write("/api/v2/write?bucket=mydb", OPERATOR, "cpu,dc=x w=2i 2")
            .await
            .status,
        204
    );
    let db = catalog::Catalog::database_by_name(
        s.catalog.as_ref(),
        &catalog::DatabaseName::new("mydb").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let schema = catalog::Catalog::database_schema(s.catalog.as_ref(), db.id)
        .await
        .unwrap();
    let columns: Vec<(String, String)> = schema.tables["cpu"]
        .columns
        .iter()
        .map(|(name, c)| (name.clone(), c.column_type.to_string()))
        .collect();
    let expect = [
        ("dc", "tag"),
        ("host", "tag"),
        ("time", "time"),
        ("v", "f64"),
        ("w", "i64"),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(columns, expect);

    // A field may not become a tag, in either direction, across requests.
    for (body, message) in [
        (
            "cpu,v=x w=1i 3",
            "schema conflict: table cpu, column v is type f64 but write has type tag",
        ),
        (
            "cpu host=1.5 3",
            "schema conflict: table cpu, column host is type tag but write has type f64",
        ),
        (
            "cpu w=1u 3",
            "schema conflict: table cpu, column w is type i64 but write has type u64",
        ),
    ] {
        let a = s.write("/write?db=mydb", OPERATOR, body).await;
        assert_eq!(a.json(), error_body("invalid", message, None), "{body}");
    }
    assert_eq!(s.rows("mydb").len(), 2, "rejected writes append nothing");
}

#[tokio::test]
async fn a_full_write_log_answers_503_and_keeps_what_it_has() {
    let s = TestServer::with(Options {
        log_budget: 2048,
        ..Options::default()
    })
    .await;
    let mut accepted = 0;
    let mut refused = None;
    for i in 0..100 {
        let a = s
            .write(
                "/api/v2/write?bucket=mydb",
                OPERATOR,
                &format!("cpu,host=h{i} v={i} {i}"),
            )
            .await;
        match a.status {
            204 => accepted += 1,
            _ => {
                refused = Some(a);
                break;
            }
        }
    }
    let a = refused.expect("the 2 KiB budget runs out within 100 writes");
    assert!(accepted > 0, "at least one write fits");
    assert_eq!(a.status, 503);
    assert_eq!(a.header("retry-after"), Some("1"));
    let json = a.json();
    assert_eq!(json["code"], "unavailable");
    let message = json["message"].as_str().unwrap();
    assert!(
        message.starts_with("write log memory budget exceeded: ")
            && message.contains(" of 2048 bytes in use, this write needs "),
        "{message}"
    );
    assert_eq!(
        s.rows("mydb").len(),
        accepted,
        "every acknowledged write is kept, the refused one is not"
    );
}
