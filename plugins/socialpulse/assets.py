"""The Assets that connect the DAGs: data-aware scheduling instead of clock guessing."""

from airflow.sdk import Asset

# Updated every time an account's validated extraction is published to the lake.
LAKE = Asset("socialpulse://lake/canonical")
# Updated every time the metric marts are recomputed.
MARTS = Asset("socialpulse://lake/marts")
