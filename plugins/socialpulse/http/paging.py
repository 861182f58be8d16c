"""How an API says where its next page is: each network declares one of these."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from socialpulse.http.fields import Fields


class Paging(ABC):
    """How an API says where the next page is. next_request() returns (url, params) or None when done."""

    @abstractmethod
    def next_request(
        self, page: Mapping[str, Any], url: str, params: dict[str, Any], fields: Fields
    ) -> tuple[str, dict[str, Any]] | None:
        """`fields` reads the page, so that a malformed cursor fails naming the endpoint and the field."""

    def cursor(self, url: str, params: Mapping[str, Any]) -> str:
        """What identifies a page request; seeing one twice means the API is looping."""
        return url + "?" + urlencode(sorted((k, str(v)) for k, v in params.items()))


@dataclasses.dataclass(frozen=True)
class TokenPaging(Paging):
    """An opaque token in the body sent back as a parameter: X (meta.next_token -> pagination_token),
    YouTube (nextPageToken -> pageToken). Done when the body has no token."""

    token_field: str
    param: str

    def next_request(self, page, url, params, fields):
        token = fields.string(page, self.token_field, required=False)
        if not token:
            return None
        return url, {**params, self.param: token}


@dataclasses.dataclass(frozen=True)
class NextUrlPaging(Paging):
    """A full URL of the next page in the body: Meta's Graph API (paging.next), as its docs advise."""

    url_field: str = "paging.next"

    def next_request(self, page, url, params, fields):
        next_url = fields.string(page, self.url_field, required=False)
        if next_url and urlsplit(next_url).netloc not in ("", urlsplit(url).netloc):
            # the client would send the token along: follow the API's own host only
            raise fields.error(page, self.url_field, "points to another host than the API's")
        return (next_url, {}) if next_url else None


@dataclasses.dataclass(frozen=True)
class OffsetPaging(Paging):
    """start/count offsets: LinkedIn's Rest.li collections. Done when a page comes back short."""

    items_field: str = "elements"
    start_param: str = "start"
    count_param: str = "count"

    def next_request(self, page, url, params, fields):
        count = int(params[self.count_param])
        items = fields.objects(page, self.items_field)
        start = int(params.get(self.start_param, 0))
        total = fields.count(page, "paging.total")
        if len(items) < count or (total is not None and start + count >= total):
            return None
        return url, {**params, self.start_param: start + count}
