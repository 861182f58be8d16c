"""One module per network, all behind socialpulse.networks.base.Connector."""

from socialpulse.networks.base import (  # noqa: F401
    NETWORKS,
    Connector,
    ConnectorError,
    Credentials,
    connector_class,
)
