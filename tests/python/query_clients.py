"""Query-side client checks, driven by the Rust end-to-end tests.

Environment: QUIVER_URL (http://127.0.0.1:PORT, writes AND Flight on that port), QUIVER_TOKEN,
QUIVER_DB; QUIVER_QUERY_URL when queries go elsewhere (a cluster's querier: influxdb3-python's
query_port_overwrite). Prints one JSON document on the last stdout line.

  read_after_write N START : influxdb3-python InfluxDBClient3 writes point START+i, then at once
                             queries count(*) and max(v) over SQL (Flight DoGet); every answer
                             must show every point written so far, exactly once
  count TABLE              : influxdb3-python SQL `SELECT count(*) AS n, … FROM TABLE`
  try_count TABLE          : the same, or {"error": message} when the query fails
  flight_sql SQL           : pyarrow.flight DoGet with the JSON ticket, rows as JSON
  adbc                     : the ADBC Flight SQL driver (adbc_client.session: connect with Bearer
                             and with Basic→Handshake, query, bound parameters, get_objects,
                             table schema/types, info) on table cpu of QUIVER_DB
  scoped A B               : creates (v2 API, operator QUIVER_TOKEN) a token that may read bucket
                             A only, then queries A and B with it through every path:
                             influxdb3-python, pyarrow.flight JSON ticket, ADBC statement,
                             ADBC prepared statement with a parameter, ADBC table schema
"""

import json
import os
import sys
import time

URL = os.environ["QUIVER_URL"]
QUERY_URL = os.environ.get("QUIVER_QUERY_URL") or URL
TOKEN = os.environ["QUIVER_TOKEN"]
DB = os.environ["QUIVER_DB"]
BASE_NS = 1_700_000_000_000_000_000


def client():
    from influxdb_client_3 import InfluxDBClient3

    query_port = int(QUERY_URL.rsplit(":", 1)[1])
    return InfluxDBClient3(host=URL, token=TOKEN, database=DB, query_port_overwrite=query_port)


def emit(doc):
    print(json.dumps(doc))


def read_after_write(n, start):
    c = client()
    misses = []
    latencies = []
    writes = []
    for i in range(start, start + n):
        began = time.monotonic()
        c.write(record=f"raw,host=h{i % 10} v={i}i {BASE_NS + i}")
        writes.append((time.monotonic() - began) * 1000)
        began = time.monotonic()
        table = c.query("SELECT count(*) AS n, max(v) AS mx, count(DISTINCT v) AS d FROM raw")
        latencies.append((time.monotonic() - began) * 1000)
        got = (table.column("n")[0].as_py(), table.column("mx")[0].as_py(),
               table.column("d")[0].as_py())
        want = (i + 1, i, i + 1)
        if got != want:
            misses.append({"i": i, "got": got, "want": want})
    latencies.sort()
    writes.sort()
    emit({
        "write_ms_p50": writes[len(writes) // 2] if writes else None,
        "write_ms_max": writes[-1] if writes else None,
        "iterations": n,
        "misses": misses[:20],
        "miss_count": len(misses),
        "query_ms_p50": latencies[len(latencies) // 2] if latencies else None,
        "query_ms_max": latencies[-1] if latencies else None,
    })


def count(table):
    t = client().query(f"SELECT count(*) AS n, count(DISTINCT v) AS d, min(v) AS lo, max(v) AS hi FROM {table}")
    emit({k: t.column(k)[0].as_py() for k in ("n", "d", "lo", "hi")})


def try_count(table):
    try:
        count(table)
    except Exception as e:  # the test tells retryable errors from wrong answers
        emit({"error": str(e)})


def flight_sql(sql):
    from pyarrow import flight

    host = QUERY_URL.replace("http://", "grpc+tcp://")
    fc = flight.FlightClient(host)
    options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {TOKEN}".encode())])
    ticket = flight.Ticket(json.dumps({"database": DB, "sql_query": sql, "query_type": "sql"}).encode())
    table = fc.do_get(ticket, options).read_all()
    emit({"rows": table.to_pylist()})


def query_port():
    return QUERY_URL.rsplit(":", 1)[1]


def adbc():
    import adbc_client

    emit({auth: adbc_client.session(query_port(), auth, TOKEN, DB) for auth in ("bearer", "basic")})


def read_only_token(bucket_name):
    from influxdb_client import InfluxDBClient, Permission, PermissionResource
    from influxdb_client.domain.authorization import Authorization

    with InfluxDBClient(url=URL, token=TOKEN, org="quiver", timeout=30_000) as mgmt:
        org_id = mgmt.organizations_api().find_organizations()[0].id
        bucket = mgmt.buckets_api().find_bucket_by_name(bucket_name)
        if bucket is None:
            raise SystemExit(f"bucket {bucket_name} not found")
        read = Permission(
            action="read",
            resource=PermissionResource(type="buckets", id=bucket.id, org_id=org_id),
        )
        auth = mgmt.authorizations_api().create_authorization(
            authorization=Authorization(org_id=org_id, permissions=[read],
                                        description=f"read {bucket_name} only")
        )
        return auth.token


def outcome(run):
    """{"ok": value} or {"error": exception class, "message": text}."""
    try:
        return {"ok": run()}
    except Exception as e:  # each client maps gRPC codes to its own exception classes
        return {"error": type(e).__name__, "message": str(e)}


def scoped(readable, other):
    import adbc_client
    from influxdb_client_3 import InfluxDBClient3
    from pyarrow import flight

    token = read_only_token(readable)
    sql = "SELECT count(*) AS n FROM cpu"
    port = query_port()
    result = {}
    for db in (readable, other):
        def influxdb3():
            c = InfluxDBClient3(host=URL, token=token, database=db,
                                query_port_overwrite=int(port))
            return c.query(sql).column("n")[0].as_py()

        def do_get():
            fc = flight.FlightClient(QUERY_URL.replace("http://", "grpc+tcp://"))
            options = flight.FlightCallOptions(
                headers=[(b"authorization", f"Bearer {token}".encode())])
            ticket = flight.Ticket(json.dumps({"database": db, "sql_query": sql}).encode())
            return fc.do_get(ticket, options).read_all().column("n")[0].as_py()

        def adbc_query(query, parameters=None):
            conn = adbc_client.connect(port, "bearer", token, db)
            try:
                cur = conn.cursor()
                cur.execute(query, parameters=parameters)
                return cur.fetch_arrow_table().column(0)[0].as_py()
            finally:
                conn.close()

        def adbc_schema():
            conn = adbc_client.connect(port, "bearer", token, db)
            try:
                return [f.name for f in conn.adbc_get_table_schema("cpu")]
            finally:
                conn.close()

        result[db] = {
            "influxdb3": outcome(influxdb3),
            "do_get": outcome(do_get),
            "adbc_statement": outcome(lambda: adbc_query(sql)),
            "adbc_prepared": outcome(
                lambda: adbc_query("SELECT count(*) AS n FROM cpu WHERE usage > $1", (0.0,))),
            "adbc_table_schema": outcome(adbc_schema),
        }
    emit(result)


def main():
    action = sys.argv[1]
    if action == "read_after_write":
        read_after_write(int(sys.argv[2]), int(sys.argv[3]))
    elif action == "count":
        count(sys.argv[2])
    elif action == "try_count":
        try_count(sys.argv[2])
    elif action == "flight_sql":
        flight_sql(sys.argv[2])
    elif action == "adbc":
        adbc()
    elif action == "scoped":
        scoped(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    main()
