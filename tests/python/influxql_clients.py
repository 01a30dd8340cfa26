"""InfluxQL client checks (v1 `/query`), driven by the Rust end-to-end tests.

Environment: QUIVER_URL (http://127.0.0.1:PORT), QUIVER_TOKEN, QUIVER_DB (holding the oracle
dataset: measurements cpu and mem). Prints one JSON document on the last stdout line.

  influxdb  : the `influxdb` 1.x Python client (InfluxDBClient, token as the password):
              get_list_database, query (plain, epoch, chunked with JSON, bind params), create_database,
              a statement error raised as InfluxDBClientError
  influxdb3 : influxdb3-python's query(language="influxql") over Flight: columns, rows (time
              as ns), the group-key schema metadata; a statement error's message
  grafana   : the requests Grafana's InfluxQL data source sends (GET /query, epoch=ms,
              $timeFilter in ms, GROUP BY time($__interval), "tag" fill(null), SHOW TAG VALUES
              WITH KEY, SHOW MEASUREMENTS LIMIT 100, SHOW FIELD KEYS FROM), raw answers
"""

import json
import os
import sys
import urllib.parse
import urllib.request

URL = os.environ["QUIVER_URL"]
TOKEN = os.environ["QUIVER_TOKEN"]
DB = os.environ["QUIVER_DB"]


def emit(doc):
    print(json.dumps(doc))


def influxdb():
    from influxdb import InfluxDBClient
    from influxdb.exceptions import InfluxDBClientError

    host, port = URL.rsplit("//", 1)[1].rsplit(":", 1)
    c = InfluxDBClient(host=host, port=int(port), username="quiver", password=TOKEN, database=DB)
    out = {}
    out["databases"] = [d["name"] for d in c.get_list_database()]
    rs = c.query("SELECT count(usage_user) FROM cpu")
    out["count"] = list(rs.get_points())
    rs = c.query("SELECT usage_user FROM cpu WHERE host = 'server01' LIMIT 3", epoch="ms")
    out["epoch_ms"] = list(rs.get_points())
    rs = c.query("SELECT usage_user FROM cpu WHERE host = 'server01' LIMIT 2")
    out["rfc3339"] = list(rs.get_points())
    # chunked=True needs JSON: the client unpacks a msgpack body as one document, and a chunked
    # answer is several (InfluxDB 1.x fails the same way with the client's default Accept).
    cj = InfluxDBClient(host=host, port=int(port), username="quiver", password=TOKEN,
                        database=DB, headers={"Accept": "application/json"})
    parts = list(cj.query("SELECT usage_user FROM cpu", chunked=True, chunk_size=100))
    out["chunks"] = len(parts)
    out["chunked_rows"] = sum(len(list(p.get_points())) for p in parts)
    try:
        list(c.query("SELECT usage_user FROM cpu", chunked=True, chunk_size=100))
        out["msgpack_chunked"] = "ok"
    except Exception as e:  # noqa: BLE001 - the client's own failure, reported as text
        out["msgpack_chunked"] = type(e).__name__
    rs = c.query(
        "SELECT count(usage_user) FROM cpu WHERE host = $host AND cores = $cores",
        bind_params={"host": "server03", "cores": 16},
    )
    out["bind"] = list(rs.get_points())
    rs = c.query("SELECT mean(usage_user) FROM cpu GROUP BY host", epoch="s")
    out["group_by"] = {str(k): list(v) for k, v in rs.items()}
    c.create_database("created_by_client")
    out["after_create"] = [d["name"] for d in c.get_list_database()]
    try:
        c.query("SELECT nope(usage_user) FROM cpu")
        out["error"] = None
    except InfluxDBClientError as e:
        out["error"] = str(e.content)
    try:
        c.query("SELEC 1")
        out["parse_error"] = None
    except InfluxDBClientError as e:
        out["parse_error"] = [e.code, str(e.content)]
    emit(out)


def get(params):
    q = urllib.parse.urlencode(params)
    req = urllib.request.Request(f"{URL}/query?{q}", headers={"Authorization": f"Token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def grafana():
    # 2026-11-21T00:00:00Z .. 04:00:00Z, as Grafana renders $timeFilter with epoch=ms.
    start, end = 1795219200000, 1795233600000
    time_filter = f"time >= {start}ms and time <= {end}ms"
    out = {}
    out["graph"] = get({
        "db": DB, "epoch": "ms",
        "q": f'SELECT mean("usage_user") FROM "cpu" WHERE {time_filter} '
             f'GROUP BY time(1h), "host" fill(null)',
    })
    out["tag_values"] = get({"db": DB, "epoch": "ms", "q": 'SHOW TAG VALUES WITH KEY = "host"'})
    out["measurements"] = get({"db": DB, "epoch": "ms", "q": "SHOW MEASUREMENTS LIMIT 100"})
    out["field_keys"] = get({"db": DB, "epoch": "ms", "q": 'SHOW FIELD KEYS FROM "cpu"'})
    out["tag_keys"] = get({"db": DB, "epoch": "ms", "q": 'SHOW TAG KEYS FROM "cpu"'})
    out["retention"] = get({"db": DB, "epoch": "ms", "q": "SHOW RETENTION POLICIES on " + DB})
    emit(out)


def influxdb3():
    from influxdb_client_3 import InfluxDBClient3

    c = InfluxDBClient3(host=URL, token=TOKEN, database=DB)
    out = {}
    t = c.query("SELECT mean(usage_user) FROM cpu GROUP BY host", language="influxql")
    out["columns"] = t.column_names
    out["rows"] = [[v.value if hasattr(v, "value") else v.as_py() for v in row]
                   for row in zip(*[t.column(i) for i in range(t.num_columns)])]
    meta = t.schema.metadata or {}
    out["group_key"] = json.loads(meta.get(b"iox::influxql::group_key::metadata", b"null"))
    t = c.query("SHOW MEASUREMENTS", language="influxql")
    out["measurements"] = t.to_pylist()
    try:
        c.query("SELECT nope(usage_user) FROM cpu", language="influxql")
        out["error"] = None
    except Exception as e:  # noqa: BLE001 - the client's error, reported as text
        out["error"] = str(e)
    emit(out)


if __name__ == "__main__":
    {"influxdb": influxdb, "influxdb3": influxdb3, "grafana": grafana}[sys.argv[1]](*sys.argv[2:])
