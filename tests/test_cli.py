"""The command line as a person uses it: real processes, one-line errors, non-zero exits."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.content.builders import long_page_html
from tests.disks import full_disk

__all__ = ["full_disk"]  # a fixture used by name


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)  # READER_* cleared by the shared fixtures but a loopback gTTS URL
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "reader", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def workdir(content_dir: Path) -> Path:
    return content_dir.parent


def test_extract_prints_an_outline_of_a_page(workdir: Path) -> None:
    result = run("extract", "politikker-og-raad", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "Politikker og Råd" in result.stdout
    assert "# Integrationsrådet  (integrationsraadet)" in result.stdout
    assert "[list_item] 1. Det første er" in result.stdout


def test_extract_json_is_the_page_structure(workdir: Path) -> None:
    result = run("extract", "forebyggelsesstrategi", "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout)
    assert page["slug"] == "forebyggelsesstrategi"
    assert page["updated"] == "2016-11-28"
    assert [s["heading"] for s in page["sections"]][:3] == [
        "Forebyggelsesstrategi",
        "Børn og unge i udsatte positioner",
        "Sådan forebygger vi",
    ]


def test_extract_into_a_pipe_closed_early_exits_quietly(workdir: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "reader", "extract", "forebyggelsesstrategi", "--json"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(10)  # what "| head -c 10" takes before it leaves
        process.stdout.close()
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=120) == 0
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr


def test_extract_reads_a_file_path(workdir: Path, tmp_path: Path) -> None:
    page = tmp_path / "Min side.html"
    page.write_text(
        "<!doctype html><html lang='da'><title>x</title><main><h1>Én overskrift</h1>"
        "<p>Første sætning. Anden sætning.</p></main></html>",
        encoding="utf-8",
    )
    result = run("extract", str(page), "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["slug"] == "min-side"
    assert data["title"] == "Én overskrift"


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (("extract", "findes-ikke"), {}, 1, "findes ikke"),
        (("extract", "../etc/passwd"), {}, 1, "Ugyldig side"),
        (("extract", "mangler.html"), {}, 1, "no such file"),
        (("extract", "forebyggelsesstrategi"), {"READER_ENGINE": "festival"}, 1, "engine"),
        (("serve", "--port", "70000"), {}, 2, "--port"),
        (("nonsense",), {}, 2, "invalid choice"),
    ],
)
def test_bad_input_gives_one_line_and_a_non_zero_exit(
    workdir: Path, args: tuple[str, ...], env: dict[str, str], code: int, message: str
) -> None:
    result = run(*args, cwd=workdir, env=env)
    assert result.returncode == code
    assert message in result.stderr
    if code == 1:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stdout == ""


def test_an_empty_page_file_is_named_in_the_error(workdir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "tom.html"
    empty.write_bytes(b"")
    result = run("extract", str(empty), cwd=workdir)
    assert result.returncode == 1
    assert "tom.html" in result.stderr


def test_normalize_prints_the_spoken_form(workdir: Path) -> None:
    result = run("normalize", "Mødet", "er", "kl. 10.30, dvs. om", "2", "timer.", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Mødet er klokken ti tredive, det vil sige om 2 timer."


def test_normalize_applies_the_editors_lexicon(workdir: Path, content_dir: Path) -> None:
    (content_dir / "lexicon.txt").write_text("HTK = Høje-Taastrup Kommune\nfejl uden lighedstegn\n")
    result = run("normalize", "HTK svarer.", cwd=workdir)
    assert result.returncode == 0
    assert result.stdout.strip() == "Høje-Taastrup Kommune svarer."
    assert "lexicon line 2" in result.stderr


def test_normalize_without_text_is_refused(workdir: Path) -> None:
    result = run("normalize", "  ", cwd=workdir)
    assert result.returncode == 1
    assert "give the text" in result.stderr


ESPEAK = {"READER_ENGINE": "espeak"}


def test_build_then_status_with_the_offline_voice(workdir: Path) -> None:
    assert run("status", cwd=workdir, env=ESPEAK).stdout.split()[1::2] == ["missing", "missing"]
    built = run("build", cwd=workdir, env=ESPEAK)
    assert built.returncode == 0, built.stderr
    summary = built.stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        r"2 pages: (\d+) sentences, (\d+) clips synthesised, (\d+) clips reused, "
        r"[\d.]+ s of audio, engines used: espeak \(\1\)",
        summary,
    ), summary
    assert "sentences," in built.stderr and "s left" in built.stderr  # the progress bar
    status = run("status", cwd=workdir, env=ESPEAK).stdout.splitlines()
    assert [line.split()[1] for line in status] == ["fresh", "fresh"]
    again = run("build", "forebyggelsesstrategi", cwd=workdir, env=ESPEAK)
    assert re.search(
        r"1 pages: (\d+) sentences, 0 clips synthesised, \1 clips reused", again.stdout
    )


def test_build_shows_the_progress_as_clips_are_made_not_only_at_the_end(workdir: Path) -> None:
    sentences = 120
    page = workdir / "content" / "pages" / "lang-side.html"
    page.write_text(long_page_html(sentences), encoding="utf-8")
    built = run("build", "lang-side", cwd=workdir, env=ESPEAK)
    assert built.returncode == 0, built.stderr
    counts = [
        (int(done), int(total))
        for done, total in re.findall(r"(\d+)/(\d+) sentences", built.stderr)
    ]
    total = counts[-1][1]
    assert total > sentences  # the headings are spoken too
    assert counts[-1] == (total, total)
    assert any(0 < done < total for done, _ in counts), built.stderr


def test_build_refuses_an_unknown_page_before_any_work(workdir: Path) -> None:
    result = run("build", "forebyggelsesstrategi", "findes-ikke", cwd=workdir, env=ESPEAK)
    assert result.returncode == 1
    assert "findes-ikke" in result.stderr
    assert not (workdir / "var" / "manifests").exists()


def test_build_on_a_full_disk_is_one_line_naming_the_disk(workdir: Path, full_disk: Path) -> None:
    result = run(
        "build",
        "forebyggelsesstrategi",
        cwd=workdir,
        env={**ESPEAK, "READER_DATA_DIR": str(full_disk)},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("reader build:")]
    assert len(errors) == 1 and "disken er fuld" in errors[0]


def test_speak_writes_an_mp3(workdir: Path, tmp_path: Path) -> None:
    out = tmp_path / "hej.mp3"
    result = run("speak", "Hej fra Høje-Taastrup.", "-o", str(out), cwd=workdir, env=ESPEAK)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"ID3")
    assert f"{out}:" in result.stdout


@pytest.mark.parametrize("text", ["👍", "...", "—", "\u200b"])
def test_speak_of_nothing_speakable_is_one_line_and_fails(workdir: Path, text: str) -> None:
    result = run("speak", text, "-o", "ud.mp3", cwd=workdir, env=ESPEAK)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "reader speak: Teksten indeholder intet, der kan læses op: skriv mindst ét ord eller tal."
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("speak", "Hej", "-o", "ud.wav"), "must be an .mp3"),
        (("speak", "Hej", "-o", "/findes/ikke/ud.mp3"), "no such directory"),
        (("speak", " ", "-o", "ud.mp3"), "give the text"),
        (("speak", "x" * 5001, "-o", "ud.mp3"), "the limit is 5000"),
    ],
)
def test_speak_refuses_bad_input(workdir: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args, cwd=workdir, env=ESPEAK)
    assert result.returncode == 1
    assert message in result.stderr
