"""Docker's .dockerignore matching, re-implemented from its specification so that tests can check a
build context without Docker.

The rules (https://docs.docker.com/build/concepts/context/#dockerignore-files, and the code that
implements them: moby/patternmatcher `ignorefile.ReadAll`, `Pattern.compile`,
`PatternMatcher.MatchesOrParentMatches`):

- A line starting with `#` is a comment; each line is trimmed, blank lines are skipped; a leading `!`
  makes an exception (re-includes). Each pattern is cleaned with Go's `filepath.Clean` (`./a/`,
  `a//b/..` become `a`) and a leading `/` is dropped: the context root is both `/` and `.`.
- A pattern is Go's `filepath.Match` glob (`*` and `?` never match `/`, `[...]` classes, `\\` escapes)
  plus `**`, which matches any number of directories, none included (`**/` eats its slash, a trailing
  `**` matches everything below).
- A path is excluded when the last pattern that matches it, or matches one of its parent
  directories (`dags` covers `dags/x.py`), is not an exception: the last match wins.

This is NOT gitignore (pathspec's `gitwildmatch`): there `*.pyc` matches at any depth and `!` cannot
re-include below an excluded directory; in Docker `*.pyc` is the root only and `!` always can.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pattern:
    text: str  # cleaned, without the `!`
    exception: bool
    regex: re.Pattern[str]


def _clean(path: str) -> str:
    """Go's filepath.Clean on a slash path (posixpath.normpath keeps a leading `//`, Go does not)."""
    cleaned = posixpath.normpath(path) if path else "."
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def _compile(pattern: str) -> re.Pattern[str]:
    """moby's Pattern.compile: the glob as one anchored regular expression."""
    out, i = "^", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i + 1 : i + 2] == "*":
                i += 1
                if pattern[i + 1 : i + 2] == "/":
                    i += 1
                out += ".*" if i + 1 == len(pattern) else "(.*/)?"
            else:
                out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "\\":
            if i + 1 < len(pattern):
                i += 1
                out += re.escape(pattern[i])
            else:
                out += "\\\\"
        elif ch in "[]":
            out += ch
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out + "$")


def parse(text: str) -> list[Pattern]:
    patterns = []
    for line in text.lstrip("\ufeff").splitlines():
        if line.startswith("#"):
            continue
        line = line.strip()
        if not line:
            continue
        exception = line.startswith("!")
        if exception:
            line = line[1:].strip()
            if not line:
                raise ValueError('illegal exclusion pattern: "!"')
        cleaned = _clean(line)
        if len(cleaned) > 1 and cleaned.startswith("/"):
            cleaned = cleaned[1:]
        patterns.append(Pattern(cleaned, exception, _compile(cleaned)))
    return patterns


def excluded(path: str, patterns: list[Pattern]) -> bool:
    """Whether the context-relative slash path is left out of the build context."""
    path = _clean(path)
    parents = path.split("/")[:-1]
    candidates = [path] + ["/".join(parents[: i + 1]) for i in range(len(parents))]
    matched = False
    for pattern in patterns:
        if pattern.exception != matched:  # only a later exception can undo an exclusion
            continue
        if any(pattern.regex.match(candidate) for candidate in candidates):
            matched = not pattern.exception
    return matched


def ignore_file_for(dockerfile: Path, context: Path) -> Path | None:
    """BuildKit reads `<Dockerfile name>.dockerignore` beside the Dockerfile first, then the context's
    `.dockerignore` (docs: "Filename-specific ignore files")."""
    for candidate in (dockerfile.with_name(dockerfile.name + ".dockerignore"), context / ".dockerignore"):
        if candidate.is_file():
            return candidate
    return None
