"""An S3-compatible object store on loopback: moto's server speaks the real S3 wire protocol.

It stands in for MinIO (docker-compose's object store) where Docker does not run. Requests go
over HTTP through s3fs exactly as they would to MinIO or AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

ACCESS_KEY = "AKIASOCIALPULSETEST01"
SECRET_KEY = "s3-secret-do-not-leak-7f3a9c2e"
REGION = "us-east-1"


@dataclass
class ObjectStore:
    endpoint_url: str
    bucket: str
    client: Any  # a boto3 S3 client: the test's own view of the bucket, independent of our code

    def url(self, prefix: str = "lake") -> str:
        return f"s3://{self.bucket}/{prefix}"

    def connection_json(self) -> str:
        """An Airflow connection (AIRFLOW_CONN_<ID>) as docker-compose defines it for MinIO."""
        return json.dumps(
            {
                "conn_type": "aws",
                "login": ACCESS_KEY,
                "password": SECRET_KEY,
                "extra": {"endpoint_url": self.endpoint_url, "region_name": REGION},
            }
        )

    def connection_uri(self) -> str:
        """The same connection in URI form, as docker-compose.yml writes it."""
        from urllib.parse import quote

        return f"aws://{ACCESS_KEY}:{SECRET_KEY}@/?endpoint_url={quote(self.endpoint_url, safe='')}&region_name={REGION}"

    def storage_options(self) -> dict[str, Any]:
        return {
            "key": ACCESS_KEY,
            "secret": SECRET_KEY,
            "client_kwargs": {"endpoint_url": self.endpoint_url, "region_name": REGION},
        }

    def keys(self, prefix: str = "") -> list[str]:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()


@contextmanager
def s3_bucket(bucket: str = "socialpulse-lake") -> Iterator[ObjectStore]:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )
        client.create_bucket(Bucket=bucket)
        yield ObjectStore(endpoint, bucket, client)
    finally:
        server.stop()
