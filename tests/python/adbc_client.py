"""Drives the real ADBC Flight SQL driver (Go, via adbc_driver_flightsql) against a Flight SQL
port: the querier (services/querier/tests/flight_sql.rs) or `quiver serve` / a cluster's querier
(tests/python/query_clients.py imports it).

Usage:
  adbc_client.py session PORT bearer|basic TOKEN DATABASE
      connect (Bearer header, or username/password ──► Handshake), run a query, a query with
      bound parameters (twice, rebinding), adbc_get_objects / adbc_get_table_schema /
      adbc_get_table_types / adbc_get_info, close.
  adbc_client.py error PORT TOKEN DATABASE SQL
      connect with the token and run SQL; report the error.
Output (one JSON line): {"ok": {...}} or {"error": {"class", "message"}}
"""
import json
import sys

import adbc_driver_flightsql.dbapi as flightsql


def connect(port, auth, token, database):
    kwargs = {"adbc.flight.sql.rpc.call_header.database": database}
    if auth == "basic":
        kwargs["username"] = "user"  # "user:<token>" needs base64 padding with the tests' tokens
        kwargs["password"] = token
    else:
        kwargs["adbc.flight.sql.authorization_header"] = f"Bearer {token}"
    return flightsql.connect(f"grpc://127.0.0.1:{port}", db_kwargs=kwargs, autocommit=True)


def columns(table):
    return {name: col.to_pylist() for name, col in zip(table.column_names, table.columns)}


def field_meta(schema):
    return {f.name: {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
            for f in schema}


def objects(conn):
    """catalog ──► schema ──► table ──► [column names] from adbc_get_objects(depth="all")."""
    out = {}
    for catalog in conn.adbc_get_objects(depth="all").read_all().to_pylist():
        schemas = out.setdefault(catalog["catalog_name"], {})
        for schema in catalog["catalog_db_schemas"] or []:
            tables = schemas.setdefault(schema["db_schema_name"], {})
            for table in schema["db_schema_tables"] or []:
                cols = sorted(table["table_columns"] or [], key=lambda c: c["ordinal_position"] or 0)
                tables[table["table_name"]] = [c["column_name"] for c in cols]
    return out


def session(port, auth, token, database):
    conn = connect(port, auth, token, database)
    try:
        cur = conn.cursor()
        cur.execute("SELECT host, usage FROM cpu ORDER BY host, time")
        table = cur.fetch_arrow_table()
        result = {"query": columns(table), "query_meta": field_meta(table.schema)}

        sql = "SELECT usage FROM cpu WHERE host = $1 AND usage > $2 ORDER BY usage"
        cur.execute(sql, parameters=("a", 1.5))
        result["bound"] = columns(cur.fetch_arrow_table())
        cur.execute(sql, parameters=("b", 0.5))
        result["bound_again"] = columns(cur.fetch_arrow_table())
        cur.close()

        result["objects"] = objects(conn)
        schema = conn.adbc_get_table_schema("cpu")
        result["table_schema"] = [
            [f.name, str(f.type), (f.metadata or {}).get(b"iox::column::type", b"").decode()]
            for f in schema
        ]
        result["table_types"] = conn.adbc_get_table_types()
        info = conn.adbc_get_info()
        result["info"] = {k: v for k, v in info.items() if isinstance(v, (str, int, bool))}
        return result
    finally:
        conn.close()


def error(port, token, database, sql):
    conn = connect(port, "bearer", token, database)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        cur.fetch_arrow_table()
        return None
    finally:
        try:
            conn.close()
        except Exception:  # closing after a failed connect may fail again; the first error counts
            pass


def main():
    mode = sys.argv[1]
    try:
        if mode == "session":
            port, auth, token, database = sys.argv[2:6]
            print(json.dumps({"ok": session(port, auth, token, database)}))
        else:
            port, token, database, sql = sys.argv[2:6]
            error(port, token, database, sql)
            print(json.dumps({"ok": None}))
    except Exception as e:  # the driver maps gRPC codes to DB-API exceptions
        print(json.dumps({"error": {"class": type(e).__name__, "message": str(e)}}))


if __name__ == "__main__":
    main()
