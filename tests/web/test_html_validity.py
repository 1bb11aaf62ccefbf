"""Every HTML page the service makes, and the CMS pages it reads, pass the W3C checker (vnu)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from reader.config import Settings
from tests.web.pages import REAL_SLUGS, REPO, SAMPLE_SLUG, add_sample_page

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

# Read at import: the shared fixtures clear READER_* variables before each test runs.
VNU_JAR = Path(
    os.environ.get("READER_VNU_JAR")
    or REPO / "tests" / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)


def vnu_errors(files: list[Path]) -> list[str]:
    """Run the checker once over all ``files`` (it is slow to start) and return its errors."""
    if not VNU_JAR.is_file():
        pytest.fail(
            f"the W3C HTML checker is missing at {VNU_JAR}: run scripts/test, which installs it "
            "(npm install --prefix tests/.tools vnu-jar), or set READER_VNU_JAR"
        )
    command = ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]
    result = subprocess.run(
        [*command, *map(str, files)], capture_output=True, text=True, timeout=300
    )
    report = json.loads(result.stderr or result.stdout)
    messages = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}"
        for m in report["messages"]
    ]
    assert result.returncode == (1 if messages else 0), result.stderr
    return messages


async def test_every_page_the_service_makes_is_valid_html(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    add_sample_page(settings.pages_dir)
    paths = {
        "index": "/",
        **{slug: f"/pages/{slug}" for slug in [*REAL_SLUGS, SAMPLE_SLUG]},
        "not-found": "/pages/findes-ikke",
        "no-route": "/findes/ikke",
    }
    files: list[Path] = []
    for name, path in paths.items():
        response = await client.get(path)
        assert response.headers["content-type"].startswith("text/html"), path
        file = tmp_path / f"{name}.html"
        file.write_text(response.text, encoding="utf-8")
        files.append(file)
    assert vnu_errors(files) == []


def test_the_cms_pages_in_the_repository_are_valid_html() -> None:
    sources = sorted((REPO / "content" / "pages").glob("*.html"))
    assert [path.stem for path in sources] == REAL_SLUGS
    assert vnu_errors(sources) == []
