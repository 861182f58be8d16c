"""Real processes against the Delta lake: a full disk, a read-only lake and four concurrent writers.

A publish that cannot write leaves the table it was writing exactly as it was and says which table,
account and interval failed and why. Four writers at once (two accounts, two days each, as a
backfill runs them) lose and duplicate nothing, on a local disk and in S3 (moto's server).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fakes.object_store import s3_bucket

from socialpulse import model
from socialpulse.lake import Lake
from socialpulse.paths import REPO_ROOT

# argv: root, account_id, first day (YYYY-MM-DD), days, seed, [start-signal file], [storage options JSON]
PUBLISH = textwrap.dedent(
    """
    import datetime as dt, json, os, sys, time
    from socialpulse.lake import Lake, PublishError
    from socialpulse.domain import Account, Interval
    from socialpulse.networks.simulated import SimulatedNetwork

    root, account_id, first, days, seed = sys.argv[1:6]
    start_file = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] else None
    options = json.loads(sys.argv[7]) if len(sys.argv) > 7 else None
    account = Account("simulated", account_id, f"@{account_id}", "service", "UTC", options={"requests_per_day": 150})
    start = dt.datetime.fromisoformat(first).replace(tzinfo=dt.timezone.utc)
    interval = Interval(start, start + dt.timedelta(days=int(days)))
    tables = SimulatedNetwork(seed=int(seed)).extract(account, interval)
    lake = Lake(root, options)
    if start_file:
        print("ready", flush=True)
    while start_file and not os.path.exists(start_file):
        time.sleep(0.001)
    try:
        print(json.dumps(lake.publish(account, interval, tables)), flush=True)
    except PublishError as exc:
        print(exc, file=sys.stderr, flush=True)
        sys.exit(3)
    """
)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT / "plugins")}


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PUBLISH, *args],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
        **kwargs,
    )


def _contents(lake: Lake) -> dict[str, list]:
    return {
        name: lake.read(name).sort_by([(c, "ascending") for c in spec.key]).to_pylist()
        for name, spec in model.TABLES.items()
    }


def _limit_file_size() -> None:  # in the child: no file may grow past 32 KiB, as on a full disk
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails (EFBIG) instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, 32 * 1024))


def test_a_full_disk_fails_the_publish_naming_the_table_and_leaves_the_table_as_it_was(tmp_path):
    root = tmp_path / "lake"
    assert _run([str(root), "care", "2026-03-01", "20", "3"]).returncode == 0
    before, versions = _contents(Lake(root)), Lake(root).versions()

    full = _run([str(root), "care", "2026-03-01", "20", "4"], preexec_fn=_limit_file_size)
    assert full.returncode == 3, full.stderr[-3000:]
    message = full.stderr.strip().splitlines()[-1]
    assert "publishing " in message and "simulated/care" in message and str(root) in message
    assert "table is unchanged" in message
    failed = message.split("publishing ", 1)[1].split(" ", 1)[0]
    assert failed in model.TABLES
    after = _contents(Lake(root))
    assert after[failed] == before[failed] and Lake(root).versions()[failed] == versions[failed]
    # tables committed before the failing one hold the whole new interval, the others the old one
    for name in model.TABLES:
        assert after[name] == before[name] or Lake(root).versions()[name] == versions[name] + 1

    assert _run([str(root), "care", "2026-03-01", "20", "4"]).returncode == 0  # disk freed: the rerun
    assert Lake(root).read("messages").num_rows > 0


def _read_only(root: Path) -> list[str]:
    """A command prefix that runs its command with the lake mounted read-only (a user namespace)."""
    unshare = shutil.which("unshare")
    probe = subprocess.run(
        [unshare or "unshare", "--user", "--map-root-user", "--mount", "true"],
        capture_output=True,
        check=False,
    )
    if not unshare or probe.returncode:
        pytest.skip(f"no user namespaces here to mount the lake read-only: {probe.stderr.decode()[:200]}")
    return [
        unshare,
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        f'mount --bind -o ro "{root}" "{root}" && exec "$@"',
        "sh",
    ]


def test_a_read_only_lake_fails_the_publish_with_the_cause_and_changes_nothing(tmp_path):
    root = tmp_path / "lake"
    assert _run([str(root), "care", "2026-03-01", "5", "3"]).returncode == 0
    before, versions = _contents(Lake(root)), Lake(root).versions()
    files = sorted(p for p in root.rglob("*"))

    command = [*_read_only(root), sys.executable, "-c", PUBLISH, str(root), "care", "2026-03-01", "5", "4"]
    done = subprocess.run(command, capture_output=True, text=True, env=_env(), check=False)
    assert done.returncode == 3, done.stderr[-3000:]
    message = done.stderr.strip().splitlines()[-1]
    assert (
        "Read-only file system" in message and "simulated/care" in message and "table is unchanged" in message
    )
    assert _contents(Lake(root)) == before and Lake(root).versions() == versions
    assert sorted(p for p in root.rglob("*")) == files  # not even an orphaned file


WRITERS = [("care", "2026-03-01"), ("care", "2026-03-04"), ("deals", "2026-03-01"), ("deals", "2026-03-04")]


def _four_writers_at_once(root: str, start_file: Path, options: str | None = None) -> None:
    extra = [options] if options else []
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", PUBLISH, root, account, day, "3", "3", str(start_file), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for account, day in WRITERS
    ]
    for writer in writers:  # every writer has its data and waits for the start signal
        assert writer.stdout.readline().strip() == "ready"
    start_file.touch()
    for writer in writers:
        _, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err[-3000:]
    start_file.unlink()


def _expected(tmp_path: Path) -> dict[str, list]:
    """The same four publishes one after the other."""
    serial = tmp_path / "serial"
    for account, day in WRITERS:
        assert _run([str(serial), account, day, "3", "3"]).returncode == 0
    return _contents(Lake(serial))


def _no_lost_or_duplicated_rows(lake: Lake, expected: dict[str, list]) -> None:
    got = _contents(lake)
    for name, spec in model.TABLES.items():
        keys = [tuple(r[c] for c in spec.key) for r in got[name]]
        assert len(keys) == len(set(keys)), f"{name}: duplicated rows"
        assert got[name] == expected[name], f"{name}: {len(got[name])} rows, expected {len(expected[name])}"


def test_four_concurrent_writers_on_a_local_disk_lose_and_duplicate_nothing(tmp_path):
    expected = _expected(tmp_path)
    root = tmp_path / "lake"
    for _ in range(2):  # on an empty lake (all create the tables), then all replacing their rows
        _four_writers_at_once(str(root), tmp_path / "go")
        _no_lost_or_duplicated_rows(Lake(root), expected)


def test_four_concurrent_writers_in_s3_lose_and_duplicate_nothing(tmp_path):
    import json

    expected = _expected(tmp_path)
    with s3_bucket() as store:
        options = store.storage_options()
        for _ in range(2):
            _four_writers_at_once(store.url("concurrent"), tmp_path / "go", json.dumps(options))
            _no_lost_or_duplicated_rows(Lake(store.url("concurrent"), options), expected)
        assert any(
            k.endswith("_delta_log/00000000000000000007.json")
            for k in store.keys("concurrent/lake/messages/")
        )
