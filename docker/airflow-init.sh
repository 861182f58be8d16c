#!/usr/bin/env bash
# One-off set-up run by the airflow-init service before anything else starts: the metadata
# database, the UI's admin password, the pools that keep tasks within the networks' rate limits,
# and a check that the accounts file is valid. Safe to run again: every step is idempotent.
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

# One pool for every call to a network's API: its size is how many extractions may hit the APIs
# at once, whichever DAG (daily extract or backfill) they come from. See docs/production.md.
airflow pools set socialpulse_api "${SOCIALPULSE_API_POOL_SLOTS:-4}" "Social Pulse: concurrent extractions against the networks' APIs"

echo "Checking the accounts file ${SOCIALPULSE_CONFIG}"
python -c "from socialpulse.config import load_config; c = load_config(); print(f'{len(c.accounts)} account(s), lake at {c.lake_root}')"
