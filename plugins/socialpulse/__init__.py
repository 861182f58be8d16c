"""Social Pulse: social media engagement analytics, as plain Python that Airflow DAGs call."""
