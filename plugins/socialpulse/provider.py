"""Social Pulse as an Airflow provider: the `apache_airflow_provider` entry point (pyproject.toml)
returns this, so that an installed socialpulse gives each network its own connection type, with the
fields it needs labelled in the connection form (token, OAuth keys, ...) instead of hand-typed JSON.

How Airflow 3.3 reads it (airflow/provider.yaml.schema.json and providers_manager.py in 3.3.2;
https://airflow.apache.org/docs/apache-airflow/stable/howto/connection.html, "Custom connection
types"): `connection-types` maps each `connection-type` to a `hook-class-name`, and declares the form
without importing the hook: `conn-fields` are extra fields (stored in the connection's extra, a
`"format": "password"` one masked), `ui-field-behaviour` hides or relabels the standard fields.
"""

from __future__ import annotations

from typing import Any

from socialpulse import __version__


def _secret(label: str, description: str) -> dict[str, Any]:
    return {
        "label": label,
        "description": description,
        "schema": {"type": ["string", "null"], "format": "password"},
    }


def _text(label: str, description: str) -> dict[str, Any]:
    return {"label": label, "description": description, "schema": {"type": ["string", "null"]}}


OAUTH_REFRESH = {
    "client_id": _text("OAuth client ID", "of the app the account owner authorized"),
    "client_secret": _secret("OAuth client secret", "of the same app"),
    "refresh_token": _secret("Refresh token", "the connector gets fresh access tokens with it"),
}
HIDE = ["host", "port", "schema", "login"]

# network -> (name in the form, the Password field's label, extra fields)
NETWORKS: dict[str, tuple[str, str, dict[str, dict[str, Any]]]] = {
    "x": (
        "X (Twitter)",
        "App bearer token (or leave empty and give the OAuth 1.0a keys)",
        {
            "api_key": _text("API key (consumer key)", "OAuth 1.0a, from X's developer console"),
            "api_key_secret": _secret("API key secret", "OAuth 1.0a"),
            "access_token": _text("Access token", "OAuth 1.0a, of the account (user context: DMs)"),
            "access_token_secret": _secret("Access token secret", "OAuth 1.0a"),
        },
    ),
    "facebook": ("Facebook Page", "Long-lived Page access token", {}),
    "instagram": ("Instagram professional account", "Facebook User or Page access token", {}),
    "linkedin": ("LinkedIn Page", "Access token of a Page admin (or the OAuth refresh below)", OAUTH_REFRESH),
    "youtube": ("YouTube channel", "Access token (better: the OAuth refresh below)", OAUTH_REFRESH),
}


def connection_type(network: str) -> str:
    return f"socialpulse_{network}"


def get_provider_info() -> dict[str, Any]:
    types = [
        {
            "connection-type": connection_type(network),
            "hook-class-name": f"socialpulse.hooks.{network.capitalize()}Hook",
            "hook-name": f"Social Pulse: {name}",
            "ui-field-behaviour": {"hidden-fields": HIDE, "relabeling": {"password": password_label}},
            **({"conn-fields": fields} if fields else {}),
        }
        for network, (name, password_label, fields) in NETWORKS.items()
    ]
    # The lake's object store: works whether or not the Amazon provider (its "aws" type) is installed.
    types.append(
        {
            "connection-type": "socialpulse_lake",
            "hook-class-name": "socialpulse.hooks.LakeHook",
            "hook-name": "Social Pulse: lake object store (S3, MinIO)",
            "ui-field-behaviour": {
                "hidden-fields": ["host", "port", "schema"],
                "relabeling": {"login": "Access key ID", "password": "Secret access key"},
            },
            "conn-fields": {
                "endpoint_url": _text(
                    "Endpoint URL", "an S3-compatible store (MinIO: http://minio:9000); empty for AWS"
                ),
                "region_name": _text("Region", "e.g. eu-west-1"),
            },
        }
    )
    return {
        "package-name": "socialpulse",
        "name": "Social Pulse",
        "description": "Social media engagement analytics: connection types for the networks and the lake.",
        "versions": [__version__],
        "connection-types": types,
    }


def plain_extra(extra: dict[str, Any] | None) -> dict[str, Any]:
    """A connection's extra with form fields under their own names: a form may store a field as
    `extra__<connection type>__<field>` (the prefix Airflow gives form widgets); empty fields dropped."""
    plain: dict[str, Any] = {}
    for key, value in (extra or {}).items():
        if key.startswith("extra__") and key.count("__") >= 2:
            key = key.split("__", 2)[2]
        if value not in (None, ""):
            plain[key] = value
    return plain
