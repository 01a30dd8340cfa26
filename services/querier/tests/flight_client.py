"""Runs one query with a real Python client against the querier's Flight port; prints JSON.

Usage: flight_client.py MODE PORT TOKEN TICKET_OR_SQL [PARAMS_JSON]
  MODE pyarrow    : pyarrow.flight DoGet with the given JSON ticket, `authorization: Bearer TOKEN`
  MODE influxdb3  : influxdb3-python InfluxDBClient3(database="db").query(SQL[, query_parameters])
  MODE influxql   : influxdb3-python query(SQL, language="influxql")
Output: {"ok": {"columns": {...}, "types": {...}, "meta": {...}}} or {"error": {"class", "message"}}
"""
import json
import sys

import pyarrow as pa
import pyarrow.flight as fl


def values(col):
    """Column values as strings; timestamps as their integer nanoseconds."""
    if pa.types.is_timestamp(col.type):
        col = col.cast(pa.int64())
    return [None if v is None else str(v) for v in col.to_pylist()]


def table_json(table):
    columns = {name: values(col) for name, col in zip(table.column_names, table.columns)}
    types = {f.name: str(f.type) for f in table.schema}
    meta = {f.name: {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
            for f in table.schema}
    return {"columns": columns, "types": types, "meta": meta}


def main():
    mode, port, token, text = sys.argv[1:5]
    params = json.loads(sys.argv[5]) if len(sys.argv) > 5 else None
    try:
        if mode == "pyarrow":
            client = fl.FlightClient(f"grpc+tcp://127.0.0.1:{port}")
            headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
            options = fl.FlightCallOptions(headers=headers)
            table = client.do_get(fl.Ticket(text.encode()), options).read_all()
        else:
            from influxdb_client_3 import InfluxDBClient3
            client = InfluxDBClient3(host=f"http://127.0.0.1:{port}", token=token, database="db")
            language = "influxql" if mode == "influxql" else "sql"
            kwargs = {"query_parameters": params} if params else {}
            table = client.query(text, language=language, **kwargs)
        print(json.dumps({"ok": table_json(table)}))
    except Exception as e:  # pyarrow maps gRPC codes to FlightError subclasses and Arrow errors
        print(json.dumps({"error": {"class": type(e).__name__, "message": str(e)}}))


main()
