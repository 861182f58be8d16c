"""The Assets that connect the DAGs: data-aware scheduling instead of clock guessing."""

from airflow.sdk import Asset

# Named, not given a URI: a custom URI scheme makes every DAG parse look up the providers'
# URI handlers (about 0.1 s an asset, paid by the DAG processor on every parse).
# Updated every time an account's validated extraction is published to the lake.
LAKE = Asset(name="socialpulse_lake")
# Updated every time the metric marts are recomputed.
MARTS_ASSET = Asset(name="socialpulse_marts")
