"""The classifier against hand labels: `python -m socialpulse classify` and `make eval`.

A labelled file is a CSV with a `text` column, optionally `previous_message` (the message before
it in the thread), and the labels `request` (y/n), `intent`, `negative` (y/n) and `language`
(tests/data/labelled-messages/RUBRIC.md says how they were made).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from socialpulse.classify import classify

PREDICTED = ("pred_request", "pred_intent", "pred_negative", "pred_language")


class LabelledFileError(ValueError):
    """A CSV the classifier cannot read; the message names the file, row and column."""


def _yn(value: bool) -> str:
    return "y" if value else "n"


def predict(row: Mapping[str, str]) -> dict[str, str]:
    """The four predicted columns for one row with `text` (and maybe `previous_message`)."""
    c = classify(row.get("text") or "", row.get("previous_message") or None)
    return {
        "pred_request": _yn(c.is_request),
        "pred_intent": c.intent,
        "pred_negative": _yn(c.is_negative),
        "pred_language": c.language or "",
    }


def read_rows(path: str | os.PathLike[str]) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a CSV that has a `text` column."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = list(reader.fieldnames or [])
            if "text" not in header:
                raise LabelledFileError(
                    f"{path}: no 'text' column (columns: {', '.join(header) or 'none'}); "
                    "the file needs a header row with a 'text' column, and optionally 'previous_message'"
                )
            return header, list(reader)
    except UnicodeDecodeError as exc:
        raise LabelledFileError(f"{path}: not UTF-8 text ({exc}); save the CSV as UTF-8") from exc


def classify_file(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> int:
    """Write the rows of `source` to `target` with the predicted columns added; returns the row count."""
    header, rows = read_rows(source)
    out_header = header + [c for c in PREDICTED if c not in header]
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=out_header)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, **predict(row)})
    tmp.replace(target)
    return len(rows)


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.3f}  recall {self.recall:.3f}  F1 {self.f1:.3f}  (n={self.support})"
        )


def binary_scores(truth: Sequence[bool], predicted: Sequence[bool]) -> Scores:
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, sum(truth))


@dataclass(frozen=True)
class Evaluation:
    rows: int
    request: Scores
    negative: Scores
    intent_accuracy: float
    language_accuracy: float

    def lines(self) -> list[str]:
        return [
            f"rows              {self.rows}",
            f"request           {self.request}",
            f"negative          {self.negative}",
            f"intent accuracy   {self.intent_accuracy:.3f}",
            f"language accuracy {self.language_accuracy:.3f}  (undetermined counts as wrong unless the label is empty)",
        ]


def evaluate(rows: Iterable[Mapping[str, str]]) -> Evaluation:
    """Scores of the classifier on labelled rows."""
    rows = list(rows)
    for i, row in enumerate(rows):
        for column in ("request", "negative"):
            if row.get(column) not in ("y", "n"):
                raise LabelledFileError(f"row {i}: column '{column}' is {row.get(column)!r}, expected y or n")
    predictions = [predict(r) for r in rows]
    return Evaluation(
        rows=len(rows),
        request=binary_scores(
            [r["request"] == "y" for r in rows], [p["pred_request"] == "y" for p in predictions]
        ),
        negative=binary_scores(
            [r["negative"] == "y" for r in rows], [p["pred_negative"] == "y" for p in predictions]
        ),
        intent_accuracy=sum(r["intent"] == p["pred_intent"] for r, p in zip(rows, predictions, strict=True))
        / max(len(rows), 1),
        language_accuracy=sum(
            (r.get("language") or "") == p["pred_language"] for r, p in zip(rows, predictions, strict=True)
        )
        / max(len(rows), 1),
    )


def report(path: str | os.PathLike[str]) -> list[str]:
    """The figures of `make eval`: the whole file, then each half (even and odd rows) on its own."""
    _, rows = read_rows(path)
    lines = [f"{path}:", *evaluate(rows).lines()]
    for name, half in (("even rows", rows[0::2]), ("odd rows", rows[1::2])):
        e = evaluate(half)
        lines.append(
            f"  {name}: request P {e.request.precision:.3f} R {e.request.recall:.3f}, "
            f"negative P {e.negative.precision:.3f} R {e.negative.recall:.3f}, intent {e.intent_accuracy:.3f}"
        )
    return lines
