"""The Airflow pool that keeps extractions within the networks' rate limits.

Every task that calls a network's API (the daily extract and the API backfill) takes a slot of
this one pool, whichever DAG it comes from, so its size bounds the calls in flight across all
Celery workers. docker/airflow-init.sh and the local demo create it; docs/production.md sizes it.
"""

API_POOL = "socialpulse_api"
API_POOL_DEFAULT_SLOTS = 4
API_POOL_DESCRIPTION = "Social Pulse: concurrent extractions against the networks' APIs"
