"""Ships documents to `vigil serve` with Elastic's Python client (7.x).

Usage: ship.py URL KEY_ID KEY WRONG_KEY < documents.ndjson

Reads one JSON document a line, indexes them with helpers.bulk under
api_key=(KEY_ID, KEY), then tries es.bulk with api_key=(KEY_ID, WRONG_KEY).
Prints one JSON object: the server version the client read, how many
documents were indexed, the bulk errors, and what the wrong key got.
"""
import json
import sys

from elasticsearch import AuthenticationException, Elasticsearch, helpers

url, key_id, key, wrong_key = sys.argv[1:5]
docs = [json.loads(line) for line in sys.stdin if line.strip()]

es = Elasticsearch([url], api_key=(key_id, key))
version = es.info()["version"]["number"]
actions = [
    {"_op_type": "create", "_index": "logs-azure.activitylogs-default", "_source": d}
    for d in docs
]
indexed, errors = helpers.bulk(es, actions, raise_on_error=False)

wrong = Elasticsearch([url], api_key=(key_id, wrong_key))
try:
    wrong.bulk(body=[{"create": {"_index": "a"}}, {"n": 1}])
    refused = "accepted"
except AuthenticationException as e:
    refused = "AuthenticationException %s %s" % (e.status_code, e.error)

print(json.dumps({"version": version, "indexed": indexed, "errors": errors, "wrong_key": refused}))
