"""The project's own promises: two README commands, CI runs the test one, a sane Dockerfile."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    block = readme.split("## Two commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]


def test_the_readme_gives_exactly_two_commands_that_exist() -> None:
    commands = _readme_commands()
    assert commands == ["scripts/serve", "scripts/test"]
    for command in commands:
        assert (REPO / command).stat().st_mode & 0o111, f"{command} is not executable"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert ci.startswith("#!")
    assert re.search(r"^exec scripts/test\b", ci, re.MULTILINE)


def test_the_dockerfile_runs_unprivileged_with_a_healthcheck_and_both_voices() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1\d-slim", dockerfile, re.MULTILINE)
    assert "espeak-ng" in dockerfile and "ffmpeg" in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert '"reader", "serve", "--host", "0.0.0.0"' in dockerfile


def test_generated_files_are_ignored() -> None:
    ignored = (REPO / ".gitignore").read_text().split()
    assert "/var/" in ignored and "/.venv/" in ignored
