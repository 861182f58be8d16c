"""Social Pulse: social media engagement analytics, as plain Python that Airflow DAGs call."""

__version__ = "0.1.0"  # as in pyproject.toml
