"""Customer Support on Twitter ("twcs", the Kaggle dataset's CSV) -> messages.

Columns: tweet_id, author_id, inbound, created_at, text, response_tweet_id, in_response_to_tweet_id.
The same reader takes the dataset itself, its published sample, and filtered extracts such as the
SpotifyCares requests file (inbound rows only, ids written as floats like '848.0').
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from socialpulse import model
from socialpulse.domain import Account
from socialpulse.exports.base import Column, ExportError, read_csv_export, staff_signatures, strings, table

log = logging.getLogger(__name__)

COLUMNS = [
    Column("tweet_id", ("tweet_id",), required=True),
    Column("author_id", ("author_id",), required=True),
    Column("inbound", ("inbound",), required=True),
    Column("created_at", ("created_at",), required=True),
    Column("text", ("text",), required=True),
    Column("response_tweet_id", ("response_tweet_id",)),
    Column("in_response_to_tweet_id", ("in_response_to_tweet_id",), required=True),
]
# extraction_issues of an import: where the gap is, and which kind
ENDPOINT = "twcs export"
CREATED_AT_FORMATS = ("%a %b %d %H:%M:%S %z %Y",)  # Tue Oct 31 22:10:47 +0000 2017
_ID_LIST = r"\d+(?:\.0+)?(?:\s*,\s*\d+(?:\.0+)?)*"


def company_author_id(account: Account) -> str:
    """The dataset's author_id of the account's company: options.company_author_id, else the handle."""
    return str(account.options.get("company_author_id", account.handle.lstrip("@")))


def read_twcs(path: Path, account: Account, date_order: str | None = None) -> dict[str, pa.Table]:
    """The conversations of `path` that involve the account's company, as canonical messages."""
    _, export = read_csv_export(path, {"twcs": COLUMNS}, date_order)

    # The filtered extracts carry a few rows that hold nothing but (at most) an id: the residue of
    # a third party's filtering, not data. They are skipped and logged; any other gap is an error.
    hollow = pd.Series(True, index=export.frame.index)
    for key in ("author_id", "inbound", "created_at", "text"):
        hollow &= export.cells(key) == ""
    if hollow.any():
        lines = [export.line_of(row) for row in export.frame.index[hollow.to_numpy()][:10]]
        log.warning(
            "%s: skipped %d row(s) without author, time or text (lines %s)", path, hollow.sum(), lines
        )
        export.drop_rows(hollow)

    tweet_ids = export.ids("tweet_id")
    ids = pd.Series(tweet_ids.to_pylist(), index=export.frame.index)
    # a tweet id twice is the import gate's to reject (the messages suite's uniqueness)
    author_ids = pd.Series(export.required_text("author_id").to_pylist(), index=export.frame.index)
    flags = export.cells("inbound").str.casefold()
    export.first_bad((flags != "true") & (flags != "false"), "inbound", "is not True or False")
    inbound = flags == "true"
    created_at = export.timestamps("created_at", CREATED_AT_FORMATS)
    parents = export.ids("in_response_to_tweet_id", required=False)
    responses = export.cells("response_tweet_id")
    export.first_bad(
        (responses != "") & ~responses.str.fullmatch(_ID_LIST),
        "response_tweet_id",
        "is not a list of tweet ids",
    )
    texts = export.text("text")

    threads = pd.Series(
        thread_roots(ids.tolist(), parents.to_pylist(), responses.tolist()), index=export.frame.index
    )

    company = company_author_id(account)
    ours = (author_ids.str.casefold() == company.casefold()) & ~inbound
    mention = rf"(?i)(?:^|[^\w@])@{re.escape(company)}\b"
    text_cells = export.cells("text")
    mentions_us = inbound & text_cells.str.contains(mention)
    involved = threads.isin(set(threads[ours | mentions_us]))
    # Other companies' replies inside a thread we are part of are not ours to count as outbound.
    keep = involved & (inbound | ours)
    if len(ids) and not keep.any():
        raise ExportError(
            f"{path}: no conversation involves the company author_id '{company}' (from the account "
            f"{account.key} handle); set the account's options.company_author_id to the author_id "
            "its tweets carry in this file"
        )

    mask = pa.array(keep.to_numpy())
    kept_texts = texts.filter(mask)
    is_ours = pa.array(ours[keep].to_numpy())
    no_text = pa.scalar(None, pa.string())
    messages = table(
        "messages",
        {
            "network": account.network,
            "account_id": account.account_id,
            "message_id": tweet_ids.filter(mask),
            "thread_id": strings(threads[keep]),
            "parent_id": parents.filter(mask),
            "created_at": created_at.filter(mask),
            "direction": pc.if_else(is_ours, "outbound", "inbound"),
            "channel": "mention",
            "author_id": strings(author_ids[keep]),
            # customers stay the dataset's anonymised number: no handle is stored for them
            "author_handle": pc.if_else(is_ours, account.handle, no_text),
            # only the company's tweets are signed by staff
            "staff_member": staff_signatures(pc.if_else(is_ours, kept_texts, no_text)),
            "text": kept_texts,
        },
        int(keep.sum()),
    )
    tables = {"messages": messages}
    absent = absent_replies(
        account,
        ids[keep & inbound],
        responses[keep & inbound],
        set(ids),
        created_at.filter(pa.array((keep & inbound).to_numpy())),
    )
    if absent.num_rows:
        log.warning(
            "%s: %d repl(ies) listed in response_tweet_id of %s's requests are not in the file; "
            "response figures of those requests are incomplete (recorded in extraction_issues as %s)",
            path,
            absent.num_rows,
            account.key,
            model.REPLY_ABSENT,
        )
        tables["extraction_issues"] = absent
    return tables


def absent_replies(
    account: Account, request_ids: pd.Series, listed: pd.Series, present: set[str], created_at: pa.Array
) -> pa.Table:
    """extraction_issues rows for the replies the account's requests list but the file lacks.

    A requests-only extract lists the answers' ids without the answers: its requests would read
    as unanswered. One row per absent reply, dated on its request's UTC day, so the report can say
    that the response figures of that account and month are incomplete.
    """
    rows = []
    seen: set[str] = set()
    for request, replies, at in zip(request_ids, listed, created_at.to_pylist(), strict=True):
        for reply in replies.split(",") if replies else ():
            reply = reply.strip().split(".")[0]
            if reply in present or reply in seen:
                continue
            seen.add(reply)
            day = dt.datetime.combine(at.date(), dt.time(), dt.UTC)
            rows.append(
                {
                    "network": account.network,
                    "account_id": account.account_id,
                    "date": at.date(),
                    "interval_start": day,
                    "interval_end": day + dt.timedelta(days=1),
                    "kind": model.REPLY_ABSENT,
                    "endpoint": ENDPOINT,
                    "object_id": reply,
                    "metric": None,
                    "detail": f"listed in response_tweet_id of request {request}, but not in the export",
                }
            )
    return model.table_from_rows("extraction_issues", rows)


def thread_roots(ids: list[str], parents: list[str | None], responses: list[str]) -> list[str]:
    """The thread of each tweet: its earliest ancestor present in the file.

    Ancestors are followed through in_response_to_tweet_id and also across tweets missing from
    the file: when tweet A lists B in response_tweet_id and B is absent, B's parent is A. That
    keeps a customer's follow-ups in one thread even though the company's answers between them
    were filtered out. Broken chains (cycles) stop at the first repeated tweet.
    """
    present = set(ids)
    parent_of: dict[str, str] = {i: p for i, p in zip(ids, parents, strict=True) if p}
    for answered, listed in zip(ids, responses, strict=True):
        for reply in listed.split(",") if listed else ():
            reply = reply.strip().split(".")[0]
            if reply not in present:
                parent_of.setdefault(reply, answered)

    root_of: dict[str, str] = {}
    for start in ids:
        chain: list[str] = []
        seen: set[str] = set()
        node: str | None = start
        top = start
        while node is not None and node not in seen:
            if node in root_of:
                top = root_of[node]
                break
            seen.add(node)
            chain.append(node)
            if node in present:
                top = node
            node = parent_of.get(node)
        for member in chain:
            if member in present:
                root_of[member] = top
    return [root_of[i] for i in ids]
