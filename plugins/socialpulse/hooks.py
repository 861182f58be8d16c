"""The hook classes behind Social Pulse's connection types (socialpulse.provider). The connectors read
the connections themselves (socialpulse.pipeline.airflow_credentials, socialpulse.lake); these
classes only name the types, as Airflow's provider registry requires a hook per connection type."""

from __future__ import annotations

from airflow.sdk import BaseHook


class _SocialPulseHook(BaseHook):
    conn_name_attr = "conn_id"
    default_conn_name = ""  # each connection type's subclass names its own

    def __init__(self, conn_id: str = "", **kwargs):
        super().__init__(**kwargs)
        self.conn_id = conn_id or self.default_conn_name

    def get_conn(self):
        return self.get_connection(self.conn_id)


def _hook(network: str, name: str) -> type[_SocialPulseHook]:
    return type(
        f"{network.capitalize()}Hook",
        (_SocialPulseHook,),
        {
            "conn_type": f"socialpulse_{network}",
            "default_conn_name": f"socialpulse_{network}",
            "hook_name": f"Social Pulse: {name}",
            "__module__": __name__,
        },
    )


XHook = _hook("x", "X (Twitter)")
FacebookHook = _hook("facebook", "Facebook Page")
InstagramHook = _hook("instagram", "Instagram professional account")
LinkedinHook = _hook("linkedin", "LinkedIn Page")
YoutubeHook = _hook("youtube", "YouTube channel")
LakeHook = _hook("lake", "lake object store (S3, MinIO)")
