"""The image can be built: every file the Dockerfile copies is in the build context that the ignore
file leaves (Docker's matching rules, tests/dockerignore.py, no Docker needed), and docker-compose.yml
is a valid Compose file (the Compose Specification's JSON schema, vendored in tests/data/compose-spec)."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from dockerignore import excluded, ignore_file_for, parse

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO_ROOT / "docker" / "Dockerfile"


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, with continuation lines joined and comments dropped."""
    result, current = [], ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, arguments = current.partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        current = ""
    return result


def copy_sources(dockerfile: Path) -> list[str]:
    """The context paths of every COPY/ADD (not those copied from another stage, nor ADD's URLs)."""
    sources = []
    for keyword, arguments in instructions(dockerfile):
        if keyword not in ("COPY", "ADD"):
            continue
        words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
        flags = [w for w in words if w.startswith("--")]
        if any(flag.startswith("--from=") for flag in flags):
            continue
        paths = [w for w in words if not w.startswith("--")][:-1]
        sources += [p for p in paths if "://" not in p]
    return sources


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, check=True, capture_output=True, text=True
    ).stdout
    return [name for name in listed.split("\0") if name]


def files_of(source: str, files: list[str]) -> list[str]:
    source = source.rstrip("/")
    return [name for name in files if name == source or name.startswith(source + "/")]


# The documented examples (docs.docker.com, "dockerignore files"), as Docker applies them.
@pytest.mark.parametrize(
    ("ignore", "path", "is_excluded"),
    [
        ("*/temp*", "somedir/temporary.txt", True),
        ("*/temp*", "somedir/temp/file", True),
        ("*/temp*", "temporary.txt", False),
        ("*/*/temp*", "somedir/subdir/temporary.txt", True),
        ("temp?", "tempa", True),
        ("temp?", "dir/tempa", False),
        ("**/*.go", "main.go", True),
        ("**/*.go", "a/b/c.go", True),
        ("*.pyc", "a/b.pyc", False),  # not gitignore: a pattern without ** is anchored at the root
        ("*.md\n!README.md", "README.md", False),
        ("*.md\n!README.md", "CHANGES.md", True),
        ("*.md\n!README*.md\nREADME-secret.md", "README-secret.md", True),
        ("*.md\nREADME-secret.md\n!README*.md", "README-secret.md", False),  # the last match wins
        ("*\n!dags/", "dags/socialpulse_extract.py", False),  # an exception re-includes a folder
        ("*\n!dags/\ndags/**/*.pyc", "dags/__pycache__/x.pyc", True),
        ("/lake", "lake/a.parquet", True),
        ("# comment\n./lake/", "lake", True),
        ("lake", "imports/lake", False),
    ],
)
def test_docker_matching_rules(ignore, path, is_excluded):
    assert excluded(path, parse(ignore)) is is_excluded


def test_the_dockerfile_copies_what_we_expect():
    sources = copy_sources(DOCKERFILE)
    assert "requirements-runtime.lock" in sources and "plugins/" in sources and "include/" in sources


def test_every_file_the_dockerfile_copies_is_in_the_build_context():
    ignore_file = ignore_file_for(DOCKERFILE, REPO_ROOT)
    assert ignore_file == REPO_ROOT / "docker" / "Dockerfile.dockerignore"
    patterns = parse(ignore_file.read_text())
    files = tracked_files()
    for source in copy_sources(DOCKERFILE):
        wanted = files_of(source, files)
        assert wanted, f"docker/Dockerfile copies {source}, which is not in the repository"
        left_out = [name for name in wanted if excluded(name, patterns)]
        assert not left_out, (
            f"docker/Dockerfile copies {source} but {ignore_file.name} leaves out {left_out[:5]}: "
            f"add !{source} to it"
        )


def test_the_build_context_leaves_out_secrets_tests_and_local_state():
    patterns = parse(ignore_file_for(DOCKERFILE, REPO_ROOT).read_text())
    for path in (
        ".env",
        ".venv/bin/python",
        ".demo/lake/x.parquet",
        "tests/data/twcs-sample/sample.csv",
        ".git/config",
        "plugins/socialpulse/__pycache__/cli.cpython-311.pyc",
        "lake/posts/a.parquet",
    ):
        assert excluded(path, patterns), f"{path} must not be sent to the image build"


def compose_schema() -> dict:
    return json.loads((REPO_ROOT / "tests" / "data" / "compose-spec" / "compose-spec.json").read_text())


def test_docker_compose_follows_the_compose_specification():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    errors = sorted(
        jsonschema.Draft7Validator(compose_schema()).iter_errors(compose), key=lambda e: list(e.path)
    )
    assert not errors, "\n".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_the_schema_rejects_a_misspelt_service_key():
    broken = {"services": {"web": {"image": "nginx", "enviroment": {"A": "1"}}}}
    assert list(jsonschema.Draft7Validator(compose_schema()).iter_errors(broken))


def test_every_long_running_service_has_a_healthcheck():
    """docs/production.md says so; the one-off init services and the CLI profile exit instead."""
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    lacking = [
        name
        for name, service in compose["services"].items()
        if service.get("restart") == "always" and "healthcheck" not in service
    ]
    assert not lacking, f"services without a healthcheck: {lacking}"


def compose_file(name: str = "docker-compose.yml") -> dict:
    return yaml.safe_load((REPO_ROOT / name).read_text())


def secrets_in(service: dict) -> str:
    """Everything a service is handed: its environment (with ${...} references) and env files."""
    return json.dumps({"environment": service.get("environment"), "env_file": service.get("env_file")})


def test_the_dev_override_follows_the_compose_specification_and_mounts_the_checkout():
    override = compose_file("docker/compose.dev.yml")
    errors = list(jsonschema.Draft7Validator(compose_schema()).iter_errors(override))
    assert not errors, [e.message for e in errors]
    base = compose_file()
    copied = {"/opt/airflow/dags", "/opt/airflow/plugins", "/opt/airflow/include", "/opt/airflow/config"}
    for name, service in base["services"].items():
        if service.get("image", "").startswith("${AIRFLOW_IMAGE_NAME") and name != "flower":
            targets = {volume.rsplit(":", 1)[1] for volume in override["services"][name]["volumes"]}
            assert copied <= targets, name


def test_airflow_containers_run_as_a_configurable_uid():
    for name, service in compose_file()["services"].items():
        if service.get("image", "").startswith("${AIRFLOW_IMAGE_NAME"):
            assert service["user"].startswith("${AIRFLOW_UID:-50000}"), name


def test_each_service_gets_only_the_secrets_it_uses():
    services = compose_file()["services"]
    for name, service in services.items():
        env_files = [f["path"] if isinstance(f, dict) else f for f in service.get("env_file", [])]
        assert ".env" not in env_files, f"{name} must not read every secret from .env"
    root = {name for name, s in services.items() if "MINIO_ROOT_PASSWORD" in secrets_in(s)}
    assert root == {"minio", "minio-init"}
    admin = {name for name, s in services.items() if "SOCIALPULSE_ADMIN_PASSWORD" in secrets_in(s)}
    assert admin == {"airflow-init"}
    task_runners = {"airflow-worker", "airflow-cli", "airflow-init"}
    for secret in ("docker/connections.env", "AIRFLOW_CONN_SOCIALPULSE_LAKE", "AIRFLOW_CONN_SMTP_DEFAULT"):
        holders = {name for name, s in services.items() if secret in secrets_in(s)}
        assert holders == task_runners, (secret, holders)
    # Redis, MinIO and Mailpit never see Airflow's keys or PostgreSQL's password
    for name in ("redis", "minio", "minio-init", "mailpit"):
        assert "POSTGRES_PASSWORD" not in secrets_in(services[name])
        assert "FERNET" not in secrets_in(services[name])
