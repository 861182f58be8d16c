"""Reading the objects of an API answer: a missing or mistyped field is an error naming the endpoint,
the object and the field; timestamps and ids are checked before they go further."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import quote

from socialpulse.http.errors import MalformedItem
from socialpulse.networks.base import ConnectorError

if TYPE_CHECKING:
    from socialpulse.http.client import ApiClient


UNSAFE_ID = re.compile(r"^\.{1,2}$|[/\\?#%\s]")


def segment(value: str) -> str:
    """An id from an API answer as one URL path segment: '/', '?', '#' and '://' cannot redirect the request,
    and an id that would climb out of its path ('..', '/', '%2F') is refused (Fields.ident skips its item)."""
    if not isinstance(value, str) or not value or UNSAFE_ID.search(value):
        raise ConnectorError(f"refusing an id that would leave its URL path segment: {shown(value)}")
    return quote(value, safe="")


def dig(obj: Any, path: str, default: Any = None) -> Any:
    """obj["a"]["b"] for path "a.b", or default where any step is missing."""
    for part in path.split("."):
        if not isinstance(obj, Mapping) or part not in obj:
            return default
        obj = obj[part]
    return obj


INT64_MAX = 2**63 - 1
MISSING = "is missing"


def object_id_of(obj: Any) -> str | None:
    """How a warning names an object of an answer: its id (LinkedIn: its URN), at most 100 characters."""
    if not isinstance(obj, Mapping):
        return None
    for key in ("id", "$URN", "commentUrn"):
        value = obj.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)[:100]
    return None


# no social network has data from before 1970; beyond 9000 date arithmetic would overflow near year 9999
EARLIEST, LATEST = (
    dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
    dt.datetime(9000, 1, 1, tzinfo=dt.UTC),
)
# a bad value is printed only when it cannot be a secret: digits and the punctuation of dates
_PRINTABLE = re.compile(r"[0-9 :TZ.,+\-]{0,40}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def shown(value: Any) -> str:
    """A value from an API answer as an error may print it: its kind, its text only when that holds no secret."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        text = repr(value)
        return f"the number {text if len(text) <= 30 else text[:30] + '...'}"
    if isinstance(value, str):
        return f"'{value}'" if _PRINTABLE.fullmatch(value) else f"a string of {len(value)} characters"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    return "an object" if isinstance(value, Mapping) else type(value).__name__


@dataclasses.dataclass(frozen=True)
class Fields:
    """Reads the fields of the objects one endpoint answers with. A required field that is missing, or any
    field of the wrong type, becomes a ConnectorError naming the network, the endpoint, the object and the field."""

    client: ApiClient
    endpoint: str  # as printed: path only
    what: str  # the kind of object: "tweet", "comment", ...

    def error(self, obj: Any, path: str, problem: str) -> MalformedItem:
        object_id = object_id_of(obj)
        ident = f" {object_id}" if object_id else ""
        fault = (
            f"lacks the required field '{path}'"
            if problem == MISSING
            else f"has a field '{path}' that {problem}"
        )
        return MalformedItem(
            self.client.scrub(
                f"{self.client.network} GET {self.endpoint}: the {self.what}{ident} {fault}; check the fields "
                f"requested and the token's permissions, and report it if the API changed its format"
            ),
            endpoint=self.endpoint,
            object_id=self.client.scrub(object_id) if object_id else None,
            field=path,
        )

    def need(self, obj: Any, path: str) -> Any:
        """A field the canonical row cannot do without, of any type."""
        value = dig(obj, path)
        if value is None:
            raise self.error(obj, path, MISSING)
        return value

    @overload
    def string(self, obj: Any, path: str, required: Literal[True] = True) -> str: ...
    @overload
    def string(self, obj: Any, path: str, required: bool) -> str | None: ...
    def string(self, obj: Any, path: str, required: bool = True) -> str | None:
        """A text field: ids and authors are required and not empty; texts and names may be absent (None), and
        keep their readable part when they hold half an emoji."""
        value = dig(obj, path)
        if value is None or value == "":
            if required:
                raise self.error(obj, path, MISSING if value is None else "is empty")
            return None
        if not isinstance(value, str):
            raise self.error(obj, path, f"should be a string, not {shown(value)}")
        if _LONE_SURROGATE.search(
            value
        ):  # JSON may escape half an emoji (a text cut short); UTF-8 cannot hold it
            if required:
                raise self.error(obj, path, "is not valid Unicode (it holds half of a surrogate pair)")
            return _LONE_SURROGATE.sub("\ufffd", value)
        return value

    def ident(self, obj: Any, path: str = "id") -> str:
        """A required id that later requests put in a URL path: one that could climb out of it ('..', '/')
        is refused (the item is malformed), never sent."""
        value = self.string(obj, path)
        if UNSAFE_ID.search(value):
            raise self.error(obj, path, "is not an id: it would leave its URL path segment")
        if self.client.scrub(value) != value:
            raise self.error(obj, path, "is not an id: it holds a secret of the connection")
        return value

    def time(self, obj: Any, path: str) -> dt.datetime:
        """A required timestamp (ISO 8601, or epoch milliseconds on LinkedIn), as a UTC datetime."""
        value = self.need(obj, path)
        try:
            moment = parse_time(value)
        except (TypeError, ValueError, AttributeError, OverflowError, OSError):
            raise self.error(obj, path, f"should be a timestamp, not {shown(value)}") from None
        if not EARLIEST <= moment < LATEST:
            raise self.error(obj, path, f"is out of range: {moment.isoformat()}")
        return moment

    def count(self, obj: Any, path: str) -> int | None:
        """A count the API may not expose: None (never a made-up zero), else an integer >= 0 (Google sends digit strings)."""
        value = dig(obj, path)
        if value is None:
            return None
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= INT64_MAX:
            raise self.error(
                obj, path, f"should be a count (an integer from 0 to 2^63-1), not {shown(value)}"
            )
        return value

    def objects(self, obj: Any, path: str) -> list[Mapping[str, Any]]:
        """A list of objects; an absent list is an empty one."""
        value = dig(obj, path)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            raise self.error(obj, path, f"should be a list of objects, not {shown(value)}")
        return value

    def object(self, obj: Any, path: str) -> Mapping[str, Any]:
        """A nested object; an absent one is empty."""
        value = dig(obj, path)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(obj, path, f"should be an object, not {shown(value)}")
        return value


def parse_time(value: str | int | float) -> dt.datetime:
    """An API timestamp as a UTC datetime: ISO 8601 (with Z or +0000) or epoch milliseconds (LinkedIn)."""
    if isinstance(value, bool):
        raise TypeError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value / 1000, dt.UTC)
    text = value.strip().replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):  # Graph API writes +0000
        text = text[:-2] + ":" + text[-2:]
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """RFC 3339 in UTC with a Z, as X and Graph accept it."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
