#!/usr/bin/env bash
# One-off set-up run by the airflow-init service before anything else starts: the metadata
# database, the UI's admin password, the pools that keep tasks within the networks' rate limits,
# and a check of the accounts file and its connections (python -m socialpulse airflow-setup).
# Safe to run again: every step is idempotent.
set -euo pipefail

echo "Airflow $(airflow version); migrating the metadata database"
airflow db migrate

# SimpleAuthManager reads passwords from this file; the api-server sees it on the shared volume.
passwords_file="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?}"
python - "$passwords_file" <<'PY'
import json, os, sys
with open(sys.argv[1], "w") as passwords:
    json.dump({"admin": os.environ["SOCIALPULSE_ADMIN_PASSWORD"]}, passwords)
PY
chmod 600 "$passwords_file"

# The pools (one for every call to a network's API: its size, SOCIALPULSE_API_POOL_SLOTS, is how
# many extractions may hit the APIs at once, whichever DAG they come from; docs/production.md), and a
# check of the accounts file and of every connection it names, printing how to add a missing one.
echo "Setting up Airflow for the accounts file ${SOCIALPULSE_CONFIG}"
python -m socialpulse airflow-setup
