"""Drives the real InfluxDB Python clients against a Quiver endpoint.

Called by the Rust end-to-end tests (tests/tests/*.rs); prints ONE JSON document on stdout
describing what the client saw, which the Rust side asserts on. Configuration comes from the
environment: QUIVER_URL (http://127.0.0.1:PORT), QUIVER_TOKEN, QUIVER_DB.

Actions (first argument):
  v2-write MODE COUNT   influxdb-client: MODE = sync | batching | gzip; COUNT points of table
                        `cpu` (see point_fields) written with nanosecond timestamps
  v2-bad-line           influxdb-client: a body whose 2nd line is bad; reports the ApiException
  v2-info               influxdb-client: ping(), version(), health()
  v1-write PREC COUNT   influxdb (1.x client): write_points with time_precision PREC, Basic auth
  v1-bad-token          influxdb (1.x client): write with a wrong password; reports the error
  v1-ping               influxdb (1.x client): ping()
"""
import json
import os
import sys

URL = os.environ["QUIVER_URL"]
TOKEN = os.environ.get("QUIVER_TOKEN", "")
DB = os.environ.get("QUIVER_DB", "e2e")
BASE_NS = 1_700_000_000_000_000_000


def point_fields(i):
    """The tags and fields of point i; the Rust side recomputes them to check every value."""
    return (
        {"host": f"host-{i % 7}", "region": "eu west" if i % 2 else "us,east"},
        {"usage": i + 0.5, "count": i, "ok": i % 3 == 0, "note": f'say "{i}"'},
    )


def emit(doc):
    print(json.dumps(doc))


def v2_write(mode, count):
    from influxdb_client import InfluxDBClient, Point, WritePrecision
    from influxdb_client.client.write_api import SYNCHRONOUS, WriteOptions

    errors, successes = [], []
    client = InfluxDBClient(url=URL, token=TOKEN, org="quiver", enable_gzip=(mode == "gzip"))
    points = []
    for i in range(count):
        tags, fields = point_fields(i)
        p = Point("cpu")
        for k, v in tags.items():
            p = p.tag(k, v)
        for k, v in fields.items():
            p = p.field(k, v)
        points.append(p.time(BASE_NS + i, WritePrecision.NS))
    if mode == "batching":
        def on_success(conf, data):
            successes.append(len(data.decode().splitlines()) if isinstance(data, bytes) else -1)

        def on_error(conf, data, exc):
            errors.append(str(exc))

        api = client.write_api(
            write_options=WriteOptions(batch_size=250, flush_interval=10_000, max_retries=0),
            success_callback=on_success,
            error_callback=on_error,
        )
        api.write(bucket=DB, record=points)
        api.close()
    else:
        api = client.write_api(write_options=SYNCHRONOUS)
        # several requests so that more than one body is sent
        for start in range(0, count, 400):
            api.write(bucket=DB, record=points[start:start + 400])
        successes.append(count)
    client.close()
    emit({"errors": errors, "batches": successes})


def v2_bad_line():
    from influxdb_client import InfluxDBClient
    from influxdb_client.client.write_api import SYNCHRONOUS
    from influxdb_client.rest import ApiException

    client = InfluxDBClient(url=URL, token=TOKEN, org="quiver")
    api = client.write_api(write_options=SYNCHRONOUS)
    try:
        api.write(bucket=DB, record="good,t=a v=1 1\nbad,t=a v= 2\ngood,t=b v=3 3")
        emit({"status": 204})
    except ApiException as e:
        emit({"status": e.status, "body": json.loads(e.body)})
    client.close()


def v2_info():
    from influxdb_client import InfluxDBClient

    client = InfluxDBClient(url=URL, token=TOKEN, org="quiver")
    health = client.health()
    emit({
        "ping": client.ping(),
        "version": client.version(),
        "health_status": health.status,
        "health_name": health.name,
    })
    client.close()


def v1_client(password):
    from influxdb import InfluxDBClient

    host, port = URL.removeprefix("http://").split(":")
    return InfluxDBClient(host=host, port=int(port), username="quiver", password=password, database=DB)


def v1_write(precision, count):
    divisor = {"n": 1, "u": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}[precision]
    points = []
    for i in range(count):
        tags, fields = point_fields(i)
        points.append({"measurement": "mem", "tags": tags, "fields": fields, "time": BASE_NS // divisor + i})
    client = v1_client(TOKEN)
    ok = client.write_points(points, time_precision=precision, batch_size=100)
    emit({"ok": ok})


def v1_bad_token():
    from influxdb.exceptions import InfluxDBClientError

    client = v1_client("not-a-token")
    try:
        client.write_points([{"measurement": "mem", "fields": {"v": 1.0}}])
        emit({"status": 204})
    except InfluxDBClientError as e:
        emit({"status": e.code, "content": e.content if isinstance(e.content, str) else e.content.decode()})


def v1_ping():
    emit({"version": v1_client(TOKEN).ping()})


if __name__ == "__main__":
    action, args = sys.argv[1], sys.argv[2:]
    if action == "v2-write":
        v2_write(args[0], int(args[1]))
    elif action == "v2-bad-line":
        v2_bad_line()
    elif action == "v2-info":
        v2_info()
    elif action == "v1-write":
        v1_write(args[0], int(args[1]))
    elif action == "v1-bad-token":
        v1_bad_token()
    elif action == "v1-ping":
        v1_ping()
    else:
        sys.exit(f"unknown action {action}")
