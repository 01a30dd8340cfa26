//! Every way to present a token, and scoping: a token limited to one database.

use crate::common::*;

#[tokio::test]
async fn token_bearer_basic_and_p_param_all_authenticate() {
    let s = TestServer::start().await;
    // base64("anyuser:op-token") and base64("root:mydb-writer")
    let cases: [(&str, Vec<(&str, &str)>); 8] = [
        (
            "/api/v2/write?bucket=mydb",
            vec![("authorization", "Token op-token")],
        ),
        (
            "/api/v2/write?bucket=mydb",
            vec![("authorization", "Bearer op-token")],
        ),
        (
            "/api/v2/write?bucket=mydb",
            vec![("authorization", "Basic YW55dXNlcjpvcC10b2tlbg==")],
        ),
        (
            "/api/v2/write?bucket=mydb",
            vec![("authorization", "Token someone:op-token")],
        ),
        ("/write?db=mydb&u=whoever&p=op-token", vec![]),
        (
            "/write?db=mydb",
            vec![("authorization", "Basic cm9vdDpteWRiLXdyaXRlcg==")],
        ),
        (
            "/write?db=mydb&rp=autogen",
            vec![("authorization", "Token mydb-writer")],
        ),
        (
            "/api/v2/write?bucket=mydb&org=-",
            vec![("authorization", "token mydb-writer")],
        ),
    ];
    for (i, (path, headers)) in cases.iter().enumerate() {
        let a = s
            .send("POST", path, headers, format!("cpu v={i} {i}"))
            .await;
        assert_eq!(a.status, 204, "{path} {headers:?}: {}", a.body);
    }
    let rows = s.rows("mydb");
    assert_eq!(rows.len(), 8);
    assert_eq!(rows[7], "cpu: v=7.0 time=7");
}

#[tokio::test]
async fn a_scoped_token_writes_only_its_database_and_learns_nothing_else() {
    let s = TestServer::with_settings(router::RouterSettings::default()).await; // no auto-create
    s.create_database("mydb", catalog::DatabaseOptions::default())
        .await;
    s.create_database("otherdb", catalog::DatabaseOptions::default())
        .await;
    assert_eq!(
        s.write("/api/v2/write?bucket=mydb", MYDB_WRITER, "cpu v=1 1")
            .await
            .status,
        204
    );
    // Existing and missing databases answer the same 401: auth comes first.
    for db in ["otherdb", "missing"] {
        let a = s
            .write(
                &format!("/api/v2/write?bucket={db}"),
                MYDB_WRITER,
                "cpu v=1 1",
            )
            .await;
        let message = format!("token is not authorized to write to database \"{db}\"");
        assert_eq!(a.json(), error_body("unauthorized", &message, None), "{db}");
        assert_eq!(a.status, 401);
    }
    assert_eq!(s.rows("otherdb").len(), 0);
    assert_eq!(s.rows("mydb").len(), 1);
}

#[tokio::test]
async fn auth_happens_before_the_body_is_read() {
    let s = TestServer::start().await;
    // A corrupt gzip body would be a 400; without credentials the answer is 401.
    let a = s
        .send(
            "POST",
            "/api/v2/write?bucket=mydb",
            &[("content-encoding", "gzip")],
            "not gzip",
        )
        .await;
    assert_eq!(a.status, 401);
    // An unsupported encoding is only reported to an authenticated client.
    let a = s
        .send(
            "POST",
            "/api/v2/write?bucket=mydb",
            &[("authorization", "Token nope"), ("content-encoding", "br")],
            "x",
        )
        .await;
    assert_eq!(
        a.json(),
        error_body("unauthorized", "unauthorized access", None)
    );
}
