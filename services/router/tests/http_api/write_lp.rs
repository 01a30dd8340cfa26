//! `POST /api/v3/write_lp` (InfluxDB 3): what lands in the log, `precision=auto` and the
//! precision words, partial writes by default, and rejected lines in InfluxDB 3's
//! `{"error","data"}` shape.

use serde_json::json;

use crate::common::*;

async fn write_lp(s: &TestServer, query: &str, body: &str) -> Answer {
    s.send(
        "POST",
        &format!("/api/v3/write_lp?{query}"),
        &[("authorization", "Bearer op-token")],
        body.to_owned(),
    )
    .await
}

#[tokio::test]
async fn auto_precision_reads_each_lines_unit() {
    let s = TestServer::start().await;
    let body = "cpu,host=s v=1 1708976567\ncpu,host=ms v=2 1708976567123\n\
                cpu,host=us v=3 1708976567123456\ncpu,host=ns v=4 1708976567123456789\n";
    let a = write_lp(&s, "db=mydb", body).await;
    assert_eq!((a.status, a.body.as_str()), (204, ""), "{a:?}");
    assert_eq!(
        s.rows("mydb"),
        [
            "cpu: host=s v=1.0 time=1708976567000000000",
            "cpu: host=ms v=2.0 time=1708976567123000000",
            "cpu: host=us v=3.0 time=1708976567123456000",
            "cpu: host=ns v=4.0 time=1708976567123456789",
        ]
    );
    let a = write_lp(
        &s,
        "db=mydb&precision=auto&no_sync=true",
        "mem v=1 1708976567",
    )
    .await;
    assert_eq!(a.status, 204, "{a:?}");
    assert_eq!(s.rows("mydb")[4], "mem: v=1.0 time=1708976567000000000");
}

#[tokio::test]
async fn precision_words_and_short_forms_scale_timestamps() {
    let s = TestServer::start().await;
    for (precision, mult) in [
        ("nanosecond", 1),
        ("ns", 1),
        ("n", 1),
        ("microsecond", 1_000),
        ("us", 1_000),
        ("u", 1_000),
        ("millisecond", 1_000_000),
        ("ms", 1_000_000),
        ("second", 1_000_000_000i64),
        ("s", 1_000_000_000),
    ] {
        let db = format!("p_{precision}");
        let a = write_lp(&s, &format!("db={db}&precision={precision}"), "cpu v=1 2").await;
        assert_eq!(a.status, 204, "{precision}: {a:?}");
        assert_eq!(
            s.rows(&db),
            [format!("cpu: v=1.0 time={}", 2 * mult)],
            "{precision}"
        );
    }
}

#[tokio::test]
async fn lines_without_a_timestamp_get_the_time_cut_to_the_precision() {
    let s = TestServer::start().await;
    let a = write_lp(&s, "db=mydb&precision=second", "cpu v=1").await;
    assert_eq!(a.status, 204, "{a:?}");
    let row = &s.rows("mydb")[0];
    let time: i64 = row.rsplit_once("time=").unwrap().1.parse().unwrap();
    assert_eq!(time % 1_000_000_000, 0, "{row}");
    assert!(time > 1_700_000_000_000_000_000, "{row}");
}

#[tokio::test]
async fn partial_writes_are_the_default_and_report_every_bad_line() {
    let s = TestServer::start().await;
    let body = "cpu v=1 1\ncpu,host=a val= 123\ncpu v=2 2\ncpu v=\"s\" 3\n";
    let a = write_lp(&s, "db=mydb&precision=ns", body).await;
    assert_eq!(a.status, 400, "{a:?}");
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(
        a.body,
        "{\"error\":\"partial write of line protocol occurred\",\"data\":[\
            {\"error_message\":\"field 'val' has no value\",\"line_number\":2,\"original_line\":\"cpu,host=a val= 123\"},\
            {\"error_message\":\"schema conflict: table cpu, column v is type f64 but write has type string\",\"line_number\":4,\"original_line\":\"cpu v=\\\"s\\\" 3\"}]}"
    );
    assert_eq!(s.rows("mydb"), ["cpu: v=1.0 time=1", "cpu: v=2.0 time=2"]);
    assert_eq!(a.header("x-influxdb-error"), None);

    // Nothing valid: the same shape, nothing written.
    let a = write_lp(&s, "db=other", "cpu,host=a\n").await;
    assert_eq!(a.status, 400, "{a:?}");
    assert_eq!(
        a.json(),
        json!({"error": "partial write of line protocol occurred", "data": [
            {"error_message": "No fields were provided", "line_number": 1, "original_line": "cpu,host=a"}
        ]})
    );
    assert!(s.rows("other").is_empty());
}

#[tokio::test]
async fn accept_partial_false_rejects_the_whole_body_with_the_first_bad_line() {
    let s = TestServer::start().await;
    let body = "cpu v=1 1\ncpu,host=a\ncpu,host=a,host=b v=1 3\ncpu v=2 2\n";
    let a = write_lp(&s, "db=mydb&accept_partial=false", body).await;
    assert_eq!(a.status, 400, "{a:?}");
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(
        a.json(),
        json!({"error": "line protocol parsing error", "data":
            {"error_message": "No fields were provided", "line_number": 2, "original_line": "cpu,host=a"}
        })
    );
    assert!(s.log.is_empty(), "nothing written");
}

#[tokio::test]
async fn original_lines_are_cut_to_20_bytes_and_at_most_100_are_listed() {
    let s = TestServer::start().await;
    let long = "a_rather_long_measurement_name,host=é v 1\n";
    let a = write_lp(&s, "db=mydb", long).await;
    assert_eq!(a.json()["data"][0]["original_line"], "a_rather_long_measur");
    let accented = "éééééééééééééééééééé v\n"; // 2 bytes each: 10 fit in 20 bytes
    let a = write_lp(&s, "db=mydb", accented).await;
    assert_eq!(a.json()["data"][0]["original_line"], "éééééééééé");

    let body: String = (0..105).map(|_| "cpu,host=a\n").collect::<String>() + "cpu v=1 1";
    let a = write_lp(&s, "db=mydb", &body).await;
    assert_eq!(a.status, 400);
    let data = a.json()["data"].as_array().unwrap().clone();
    assert_eq!(data.len(), 100);
    assert_eq!(data[99]["line_number"], 100);
    assert_eq!(
        s.rows("mydb"),
        ["cpu: v=1.0 time=1000000000"],
        "auto: 1 is one second"
    );
}

#[tokio::test]
async fn token_schemes_and_permissions() {
    let s = TestServer::start().await;
    for auth in ["Token op-token", "Bearer op-token", "Bearer mydb-writer"] {
        let a = s
            .send(
                "POST",
                "/api/v3/write_lp?db=mydb",
                &[("authorization", auth)],
                "cpu v=1 1".to_owned(),
            )
            .await;
        assert_eq!(a.status, 204, "{auth}: {a:?}");
    }
    let metrics = s.send("GET", "/metrics", &[], "").await.body;
    assert!(
        metrics.contains(
            "quiver_http_requests_total{endpoint=\"/api/v3/write_lp\",status=\"204\"} 3\n"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn v3_databases_are_names_not_dbrp_mappings() {
    use catalog::{Catalog, DatabaseName, DatabaseOptions, NewDbrp};
    let s = TestServer::start().await;
    let metrics = s
        .catalog
        .create_database(
            &DatabaseName::new("metrics").unwrap(),
            DatabaseOptions::default(),
        )
        .await
        .unwrap();
    s.catalog
        .create_dbrp(NewDbrp {
            database: "telegraf".into(),
            retention_policy: "autogen".into(),
            default: true,
            target: metrics.id,
        })
        .await
        .unwrap();
    assert_eq!(write_lp(&s, "db=telegraf", "cpu v=1 1").await.status, 204);
    assert_eq!(s.rows("telegraf").len(), 1);
    assert!(s.rows("metrics").is_empty());
}
