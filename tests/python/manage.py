"""Drives the management API of a Quiver endpoint with the real influxdb-client.

Called by tests/tests/manage_*.rs; prints ONE JSON document on stdout describing what the
client saw (the client's own parsing of our JSON is the compatibility check). Configuration
from the environment: QUIVER_URL, QUIVER_TOKEN (an operator token), QUIVER_DB (bucket name).

Actions (first argument):
  lifecycle   orgs, buckets (create, find, paginate, update retention, delete) and
              authorizations (create, write with it, list redacted, deactivate, reactivate,
              delete), with a write attempt after each step
  write       one point to QUIVER_DB with QUIVER_TOKEN; reports the status
"""
import json
import os
import sys

URL = os.environ["QUIVER_URL"]
TOKEN = os.environ.get("QUIVER_TOKEN", "")
DB = os.environ.get("QUIVER_DB", "e2e")


def emit(doc):
    print(json.dumps(doc))


def client_for(token):
    from influxdb_client import InfluxDBClient

    return InfluxDBClient(url=URL, token=token, org="quiver", timeout=30_000)


def write_status(token, bucket, value=1):
    """204 on success, else the HTTP status of the ApiException. No timestamp: the server
    stamps the point with its clock, so retention never rejects it."""
    from influxdb_client.client.write_api import SYNCHRONOUS
    from influxdb_client.rest import ApiException

    with client_for(token) as client:
        try:
            client.write_api(write_options=SYNCHRONOUS).write(
                bucket=bucket, record=f"m,src=py f={value}i"
            )
            return 204
        except ApiException as e:
            return e.status


def lifecycle():
    from influxdb_client import BucketRetentionRules, Permission, PermissionResource
    from influxdb_client.domain.authorization import Authorization
    from influxdb_client.rest import ApiException

    doc = {}
    client = client_for(TOKEN)
    orgs = client.organizations_api().find_organizations()
    doc["orgs"] = [{"id": o.id, "name": o.name, "status": o.status} for o in orgs]
    org_id = orgs[0].id

    buckets = client.buckets_api()
    # org="quiver" is a name: the client resolves it through GET /api/v2/orgs?org=quiver.
    created = buckets.create_bucket(
        bucket_name=DB,
        retention_rules=BucketRetentionRules(type="expire", every_seconds=3600),
        org="quiver",
    )
    doc["created"] = {
        "id": created.id,
        "name": created.name,
        "org_id": created.org_id,
        "type": created.type,
        "every_seconds": [r.every_seconds for r in created.retention_rules],
        "created_at_year": created.created_at.year,
    }
    buckets.create_bucket(bucket_name=DB + "_other", org_id=org_id)
    try:
        buckets.create_bucket(bucket_name=DB, org_id=org_id)
        doc["duplicate"] = None
    except ApiException as e:
        doc["duplicate"] = {"status": e.status, "body": json.loads(e.body)}

    found = buckets.find_bucket_by_name(DB)
    doc["found_by_name"] = found.id
    doc["missing_by_name"] = buckets.find_bucket_by_name("no_such_bucket")
    doc["all_names"] = [b.name for b in buckets.find_buckets().buckets]
    page = buckets.find_buckets(limit=1, offset=1)
    doc["page"] = {"names": [b.name for b in page.buckets], "next": page.links.next}
    doc["iterated"] = [b.name for b in buckets.find_buckets_iter(limit=1)]

    found.retention_rules = [BucketRetentionRules(type="expire", every_seconds=7200)]
    updated = buckets.update_bucket(found)
    doc["updated_every_seconds"] = [r.every_seconds for r in updated.retention_rules]

    auths = client.authorizations_api()
    write_perm = Permission(
        action="write",
        resource=PermissionResource(type="buckets", id=created.id, org_id=org_id),
    )
    auth = auths.create_authorization(
        authorization=Authorization(
            org_id=org_id, permissions=[write_perm], description="python writer"
        )
    )
    token = auth.token
    doc["auth"] = {
        "id": auth.id,
        "token_prefix": token[:4],
        "status": auth.status,
        "description": auth.description,
        "permissions": [
            {"action": p.action, "type": p.resource.type, "id": p.resource.id,
             "name": p.resource.name}
            for p in auth.permissions
        ],
    }
    doc["write_granted"] = write_status(token, DB, 1)
    doc["write_other"] = write_status(token, DB + "_other", 1)
    listed = auths.find_authorizations()
    doc["listed_tokens"] = sorted({a.token for a in listed})
    doc["listed_ids_contain_new"] = any(a.id == auth.id for a in listed)
    doc["value_in_listing"] = any(a.token == token for a in listed)

    auth.status = "inactive"
    doc["deactivated_status"] = auths.update_authorization(auth).status
    doc["write_inactive"] = write_status(token, DB, 2)
    auth.status = "active"
    doc["reactivated_status"] = auths.update_authorization(auth).status
    doc["write_reactivated"] = write_status(token, DB, 3)
    auths.delete_authorization(auth)
    doc["write_deleted"] = write_status(token, DB, 4)
    doc["listed_after_delete"] = any(a.id == auth.id for a in auths.find_authorizations())

    buckets.delete_bucket(found)
    doc["found_after_delete"] = buckets.find_bucket_by_name(DB)
    doc["write_deleted_bucket"] = write_status(TOKEN, DB, 5)
    client.close()
    return doc


def main():
    action = sys.argv[1]
    if action == "lifecycle":
        emit(lifecycle())
    elif action == "write":
        emit({"status": write_status(TOKEN, DB, 1)})
    else:
        sys.exit(f"unknown action {action!r}")


if __name__ == "__main__":
    main()
