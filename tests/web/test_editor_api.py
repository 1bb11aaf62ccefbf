"""The editor API over HTTP: tokens, publishing with validation and rollback, jobs, the lexicon,
the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from reader.config import Settings
from reader.web.app import create_app
from tests.disks import full_disk
from tests.editor.apps import (
    AUTH,
    FOREBYG,
    ONE_WORD,
    ONE_WORD_SENTENCE,
    OTHER_TOKEN,
    POLITIK,
    TOKEN,
    editor_settings,
    engines,
    fast_engine,
)
from tests.fakes.engines import ToneEngine
from tests.web.conftest import client_for

pytestmark = pytest.mark.anyio

__all__ = ["full_disk"]  # a fixture used by name

EDITED = "Heldigvis trives langt de fleste børn og unge i Danmark."
EDIT = "Heldigvis trives næsten alle børn og unge i Danmark."


@pytest.fixture
def engine() -> ToneEngine:
    return fast_engine()


@pytest.fixture
def esettings(settings: Settings) -> Settings:
    return editor_settings(settings)


@pytest.fixture
def editor_app(esettings: Settings, engine: ToneEngine) -> FastAPI:
    return create_app(esettings, engines=engines(engine))


@pytest.fixture
async def api(editor_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(editor_app) as client:
        client.headers.update(AUTH)
        yield client


async def finish(api: httpx.AsyncClient, job: dict[str, Any]) -> dict[str, Any]:
    for _ in range(100):
        response = await api.get(f"/api/jobs/{job['id']}", params={"wait": 30})
        assert response.status_code == 200
        job = response.json()
        if job["state"] in ("done", "failed"):
            return job
    raise AssertionError(f"job {job['id']} did not end")


async def build(api: httpx.AsyncClient, slug: str) -> dict[str, Any]:
    response = await api.post(f"/api/pages/{slug}/regenerate")
    assert response.status_code == 202
    assert response.headers["location"] == f"/api/jobs/{response.json()['id']}"
    return await finish(api, response.json())


def page_html(esettings: Settings, slug: str) -> str:
    return (esettings.pages_dir / f"{slug}.html").read_text(encoding="utf-8")


# --- tokens ------------------------------------------------------------------------------------

EDITOR_ROUTES = [
    ("GET", "/api/whoami"),
    ("GET", "/api/status"),
    ("GET", f"/api/pages/{POLITIK}/script"),
    ("PUT", f"/api/pages/{POLITIK}"),
    ("DELETE", f"/api/pages/{POLITIK}"),
    ("GET", f"/api/pages/{POLITIK}/versions"),
    ("POST", f"/api/pages/{POLITIK}/rollback"),
    ("POST", f"/api/pages/{POLITIK}/regenerate"),
    ("POST", "/api/regenerate"),
    ("GET", "/api/jobs"),
    ("GET", "/api/jobs/abc"),
    ("POST", "/api/jobs/abc/cancel"),
    ("GET", "/api/lexicon"),
    ("POST", "/api/lexicon/preview"),
    ("POST", "/api/lexicon/entries"),
    ("PUT", "/api/lexicon/entries/taastrup"),
    ("DELETE", "/api/lexicon/entries/taastrup"),
    ("GET", "/api/audit"),
    ("GET", "/api/site/pages"),
    ("POST", f"/api/site/pages/{POLITIK}/refetch"),
]


def test_the_list_of_editor_routes_is_complete(editor_app: FastAPI) -> None:
    schema = editor_app.openapi()
    editor_operations = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "editor" in operation.get("tags", [])
    }
    listed = {
        (method, path.replace(POLITIK, "{slug}").replace("/abc", "/{job_id}"))
        for method, path in EDITOR_ROUTES
    }
    listed = {(m, p.replace("entries/taastrup", "entries/{written}")) for m, p in listed}
    assert editor_operations == listed
    assert schema["components"]["securitySchemes"]["EditorToken"]["scheme"] == "bearer"


@pytest.mark.parametrize(("method", "path"), EDITOR_ROUTES)
@pytest.mark.parametrize(
    ("authorization", "challenge"),
    [
        pytest.param(None, 'Bearer realm="reader"', id="none"),
        pytest.param(f"Basic {TOKEN}", 'Bearer realm="reader"', id="basic"),
        pytest.param("Bearer ", 'Bearer realm="reader"', id="empty"),
        pytest.param(
            "Bearer wrong-token-0123456789",
            'Bearer realm="reader", error="invalid_token"',
            id="wrong",
        ),
    ],
)
async def test_every_editor_route_wants_a_right_token(
    editor_app: FastAPI,
    esettings: Settings,
    method: str,
    path: str,
    authorization: str | None,
    challenge: str,
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    before = page_html(esettings, POLITIK)
    async with client_for(editor_app) as client:
        response = await client.request(method, path, headers=headers, content=b"<h1>x</h1>")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge
    assert response.json()["error"]["status"] == 401
    assert page_html(esettings, POLITIK) == before


async def test_without_a_token_setting_editor_routes_refuse_and_say_how(
    settings: Settings,
) -> None:
    async with client_for(create_app(settings)) as client:
        for method, path in EDITOR_ROUTES:
            response = await client.request(method, path, headers=AUTH)
            assert response.status_code == 403, path
            assert "READER_ADMIN_TOKEN" in response.json()["error"]["message"]


@pytest.mark.parametrize(("token", "label"), [(TOKEN, "anna"), (OTHER_TOKEN, "bo")])
async def test_the_token_names_the_editor(api: httpx.AsyncClient, token: str, label: str) -> None:
    response = await api.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {"label": label}


# --- publishing --------------------------------------------------------------------------------

LIMIT = 2_000

BAD_PAGES = [
    pytest.param(
        b"<html><body><p>" + b"x" * LIMIT + b"</p></body></html>", 413, "bytes", id="oversize"
    ),
    pytest.param(b"", 422, "empty", id="empty"),
    pytest.param(b"   \n  ", 422, "empty", id="blank"),
    pytest.param("Bare tekst uden opmærkning.".encode(), 422, "no HTML", id="not-html"),
    pytest.param(b'{"title": "JSON"}', 422, "no HTML", id="json"),
    pytest.param(
        b"<html><head><script>alert(1)</script></head><body><script>x()</script></body></html>",
        422,
        "no readable text",
        id="only-scripts",
    ),
    pytest.param(
        b'<html><head><meta charset="utf-8"></head><body><h1>\xc3\x28 \xff</h1></body></html>',
        422,
        "not valid utf-8",
        id="broken-encoding",
    ),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 422, "NUL", id="binary"),
    pytest.param(b"<nav><a href='/'>Forside</a></nav>", 422, "no readable text", id="only-chrome"),
]


@pytest.mark.parametrize(("body", "status", "words"), BAD_PAGES)
async def test_a_bad_page_is_refused_with_the_reason_and_nothing_changes(
    settings: Settings, engine: ToneEngine, body: bytes, status: int, words: str
) -> None:
    small = editor_settings(settings, max_page_bytes=LIMIT)
    before = page_html(small, POLITIK)
    async with client_for(create_app(small, engines=engines(engine))) as api:
        api.headers.update(AUTH)
        response = await api.put(
            f"/api/pages/{POLITIK}", content=body, headers={"Content-Type": "text/html"}
        )
        assert response.status_code == status
        assert words.lower() in response.json()["error"]["message"].lower()
        assert (await api.get(f"/api/pages/{POLITIK}/versions")).json() == []
        assert (await api.get("/api/audit")).json() == []
    assert page_html(small, POLITIK) == before


async def test_an_oversize_body_is_refused_before_it_is_read_whole(
    settings: Settings, engine: ToneEngine
) -> None:
    small = editor_settings(settings, max_page_bytes=LIMIT)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(1000):
            yield b"<p>" + b"x" * 1000 + b"</p>"

    async with client_for(create_app(small, engines=engines(engine))) as api:
        response = await api.put(f"/api/pages/{POLITIK}", content=chunks(), headers=AUTH)
    assert response.status_code == 413


async def test_a_page_over_the_sentence_limit_is_a_422_that_names_limit_and_count(
    settings: Settings, engine: ToneEngine
) -> None:
    strict = editor_settings(settings, max_page_sentences=3)
    before = page_html(strict, POLITIK)
    paragraphs = "".join(f"<p>Sætning {number}.</p>" for number in range(1, 8))
    body = f"<html lang='da'><body><main><h1>Ny</h1>{paragraphs}</main></body></html>"
    async with client_for(create_app(strict, engines=engines(engine))) as api:
        api.headers.update(AUTH)
        response = await api.put(f"/api/pages/{POLITIK}", content=body.encode())
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["title"] == "Siden har for mange sætninger"
        assert "8 sætninger" in error["message"] and "højst udgives 3" in error["message"]
        assert (await api.get(f"/api/pages/{POLITIK}/versions")).json() == []
        assert (await api.get("/api/audit")).json() == []
    assert page_html(strict, POLITIK) == before


async def test_an_edit_keeps_old_audio_playing_until_the_new_is_made(
    api: httpx.AsyncClient, esettings: Settings, engine: ToneEngine
) -> None:
    await build(api, FOREBYG)
    old = (await api.get(f"/api/pages/{FOREBYG}")).json()["audio"]["page"]["audio_url"]
    calls = engine.calls
    edited = page_html(esettings, FOREBYG).replace(EDITED, EDIT)
    response = await api.put(f"/api/pages/{FOREBYG}", content=edited.encode())
    assert response.status_code == 200
    body = response.json()
    assert body["changed"] and not body["created"] and body["to_synthesise"] == 1
    assert body["kept"]["bytes"] > 0
    done = await finish(api, body["job"])
    assert done["state"] == "done" and done["synthesised"] == 1
    assert engine.texts[calls:] == [EDIT]
    new = (await api.get(f"/api/pages/{FOREBYG}")).json()["audio"]
    assert new["state"] == "fresh" and new["page"]["audio_url"] != old
    # The old file is still served to whoever is listening to it.
    played = await api.get(old.removeprefix(esettings.base_url))
    assert played.status_code == 200 and played.headers["content-type"] == "audio/mpeg"


async def test_a_new_page_is_created_and_gets_audio(
    api: httpx.AsyncClient, engine: ToneEngine
) -> None:
    html = "<html lang='da'><body><main><h1>Ny side</h1><p>Den er ny.</p></main></body></html>"
    response = await api.put("/api/pages/ny-side", content=html.encode())
    assert response.status_code == 201
    assert response.json()["created"] and response.json()["title"] == "Ny side"
    assert (await finish(api, response.json()["job"]))["state"] == "done"
    assert (await api.get("/api/pages/ny-side")).json()["audio"]["state"] == "fresh"
    again = await api.put("/api/pages/ny-side", content=html.encode())
    assert again.status_code == 200 and not again.json()["changed"]


async def test_rollback_brings_back_the_previous_page_and_its_audio_without_speaking(
    api: httpx.AsyncClient, esettings: Settings, engine: ToneEngine
) -> None:
    original = page_html(esettings, FOREBYG)
    await build(api, FOREBYG)
    first = (await api.get(f"/api/pages/{FOREBYG}")).json()["audio"]["page"]["audio_url"]
    put = await api.put(f"/api/pages/{FOREBYG}", content=original.replace(EDITED, EDIT).encode())
    await finish(api, put.json()["job"])
    calls = engine.calls
    response = await api.post(f"/api/pages/{FOREBYG}/rollback")
    assert response.status_code == 200
    assert page_html(esettings, FOREBYG) == original
    await finish(api, response.json()["job"])
    assert engine.calls == calls
    audio = (await api.get(f"/api/pages/{FOREBYG}")).json()["audio"]
    assert audio["page"]["audio_url"] == first
    versions = (await api.get(f"/api/pages/{FOREBYG}/versions")).json()
    assert len(versions) == 2
    named = await api.post(f"/api/pages/{FOREBYG}/rollback", json={"version": "nope"})
    assert named.status_code == 404


async def test_a_deleted_page_is_gone_until_it_is_rolled_back(
    api: httpx.AsyncClient, esettings: Settings
) -> None:
    original = page_html(esettings, POLITIK)
    assert (await api.delete(f"/api/pages/{POLITIK}")).status_code == 200
    assert (await api.get(f"/api/pages/{POLITIK}")).status_code == 404
    assert (await api.delete(f"/api/pages/{POLITIK}")).status_code == 404
    assert (await api.post(f"/api/pages/{POLITIK}/rollback")).status_code == 200
    assert page_html(esettings, POLITIK) == original


async def test_a_page_edited_on_disk_is_stale_at_once(
    api: httpx.AsyncClient, esettings: Settings
) -> None:
    await build(api, FOREBYG)
    path = esettings.pages_dir / f"{FOREBYG}.html"
    path.write_text(page_html(esettings, FOREBYG).replace(EDITED, EDIT), encoding="utf-8")
    rows = {row["slug"]: row for row in (await api.get("/api/status")).json()}
    assert rows[FOREBYG]["audio"] == "stale"
    assert rows[FOREBYG]["to_synthesise"] == 1


async def test_the_watcher_thread_notices_an_edit_on_disk(
    settings: Settings, engine: ToneEngine
) -> None:
    watching = editor_settings(settings, watch_interval=0.01)
    async with client_for(create_app(watching, engines=engines(engine))) as api:
        api.headers.update(AUTH)
        path = watching.pages_dir / f"{FOREBYG}.html"
        path.write_text(page_html(watching, FOREBYG).replace(EDITED, EDIT), encoding="utf-8")
        for _ in range(5000):
            logged = (await api.get("/api/audit", params={"target": FOREBYG})).json()
            if any(entry["action"] == "audio.done" for entry in logged):
                break
            await anyio.sleep(0.01)
        actions = [entry["action"] for entry in logged]
        assert actions == ["audio.done", "page.changed_on_disk"]
        assert logged[0]["who"] == "disk"


# --- jobs --------------------------------------------------------------------------------------


async def test_regenerating_every_stale_page_and_following_the_job(
    api: httpx.AsyncClient, esettings: Settings
) -> None:
    response = await api.post("/api/regenerate", json={"states": ["missing"]})
    assert response.status_code == 202
    done = await finish(api, response.json())
    assert sorted(page["slug"] for page in done["pages"]) == [FOREBYG, POLITIK]
    assert done["done"] == done["total"] > 0
    listed = (await api.get("/api/jobs")).json()
    assert listed[0]["id"] == done["id"]
    nothing = await finish(api, (await api.post("/api/regenerate")).json())
    assert nothing["pages"] == [] and nothing["state"] == "done"


async def test_a_section_can_be_regenerated_and_an_unknown_one_is_404(
    api: httpx.AsyncClient,
) -> None:
    response = await api.post(
        f"/api/pages/{POLITIK}/regenerate", json={"section": "integrationsraadet"}
    )
    assert response.status_code == 202 and response.json()["section"] == "integrationsraadet"
    assert (await finish(api, response.json()))["state"] == "done"
    missing = await api.post(f"/api/pages/{POLITIK}/regenerate", json={"section": "findes-ikke"})
    assert missing.status_code == 404
    assert (await api.post("/api/pages/findes-ikke/regenerate")).status_code == 404
    assert (await api.get("/api/jobs/findes-ikke")).status_code == 404


async def test_a_failed_job_says_why_and_the_old_audio_stays(
    api: httpx.AsyncClient, esettings: Settings, engine: ToneEngine
) -> None:
    await build(api, FOREBYG)
    before = (await api.get(f"/api/pages/{FOREBYG}")).json()["audio"]["page"]["audio_url"]
    engine.fail = True
    edited = page_html(esettings, FOREBYG).replace(EDITED, EDIT)
    put = (await api.put(f"/api/pages/{FOREBYG}", content=edited.encode())).json()
    failed = await finish(api, put["job"])
    assert failed["state"] == "failed" and "Prøv igen senere" in failed["error"]
    audio = (await api.get(f"/api/pages/{FOREBYG}")).json()["audio"]
    assert audio["state"] == "stale" and audio["page"]["audio_url"] == before
    rows = {row["slug"]: row for row in (await api.get("/api/status")).json()}
    assert rows[FOREBYG]["state"] == "failed"


# --- lexicon -----------------------------------------------------------------------------------


async def test_the_lexicon_preview_shows_the_change_and_plays_it_without_saving(
    api: httpx.AsyncClient, esettings: Settings, engine: ToneEngine
) -> None:
    before = esettings.lexicon_path.read_text(encoding="utf-8")
    response = await api.post("/api/lexicon/preview", json={"action": "add", **ONE_WORD})
    assert response.status_code == 200
    impact = response.json()
    assert (impact["sentences"], impact["to_synthesise"]) == (1, 1)
    (page,) = impact["pages"]
    (sentence,) = page["sentences"]
    assert page["slug"] == POLITIK and ONE_WORD_SENTENCE in sentence["text"]
    assert sentence["before"] != sentence["after"]
    preview = impact["preview"]
    assert preview["spoken"] == sentence["after"] and engine.texts == [sentence["after"]]
    clip = await api.get(preview["audio_url"].removeprefix(esettings.base_url))
    assert clip.status_code == 200 and clip.headers["content-type"] == "audio/mpeg"
    assert esettings.lexicon_path.read_text(encoding="utf-8") == before


async def test_lexicon_entries_are_added_changed_and_deleted_with_their_impact(
    api: httpx.AsyncClient, esettings: Settings, engine: ToneEngine
) -> None:
    await build(api, POLITIK)
    calls = engine.calls
    added = await api.post("/api/lexicon/entries", json=ONE_WORD)
    assert added.status_code == 201
    assert [page["slug"] for page in added.json()["pages"]] == [POLITIK]
    for job in added.json()["jobs"]:
        assert (await finish(api, job))["synthesised"] == 1
    assert engine.calls - calls == 1
    text = esettings.lexicon_path.read_text(encoding="utf-8")
    assert text.splitlines()[-1] == "integrationsråd = integrations-råd"
    assert text.startswith("# Udtaleleksikon")
    entries = (await api.get("/api/lexicon")).json()["entries"]
    assert [e["written"] for e in entries] == ["taastrup", "integrationsråd"]

    changed = await api.put(
        "/api/lexicon/entries/integrationsråd",
        json={"written": "integrationsråd", "spoken": "integrations råd"},
    )
    assert changed.status_code == 200 and changed.json()["sentences"] == 1
    for job in changed.json()["jobs"]:
        await finish(api, job)

    deleted = await api.delete("/api/lexicon/entries/integrationsråd")
    assert deleted.status_code == 200
    for job in deleted.json()["jobs"]:
        await finish(api, job)
    assert "integrationsråd" not in esettings.lexicon_path.read_text(encoding="utf-8")
    logged = [e["action"] for e in (await api.get("/api/audit?target=lexicon")).json()]
    assert logged == ["lexicon.deleted", "lexicon.changed", "lexicon.added"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/api/lexicon/entries", {"written": "taastrup", "spoken": "x"}, 409),
        ("POST", "/api/lexicon/entries", {"written": "a=b", "spoken": "x"}, 422),
        ("POST", "/api/lexicon/entries", {"written": "ord"}, 422),
        ("PUT", "/api/lexicon/entries/findes", {"written": "findes", "spoken": "x"}, 404),
        ("DELETE", "/api/lexicon/entries/findes", None, 404),
        ("POST", "/api/lexicon/preview", {"action": "rename", "written": "x"}, 422),
    ],
)
async def test_lexicon_changes_that_cannot_be_made_are_refused(
    api: httpx.AsyncClient,
    esettings: Settings,
    method: str,
    path: str,
    body: dict[str, str] | None,
    status: int,
) -> None:
    before = esettings.lexicon_path.read_text(encoding="utf-8")
    response = await api.request(method, path, json=body)
    assert response.status_code == status
    assert response.json()["error"]["message"]
    assert esettings.lexicon_path.read_text(encoding="utf-8") == before


# --- the script and the audit log --------------------------------------------------------------


async def test_the_script_and_readability_of_a_page(api: httpx.AsyncClient) -> None:
    script = (await api.get(f"/api/pages/{POLITIK}/script")).json()
    assert script["title"] == "Politikker og Råd"
    spoken = {s["text"]: s["spoken"] for sec in script["sections"] for s in sec["sentences"]}
    assert spoken["T: 43 59 10 00."].startswith("Telefon: treogfyrre")
    section = next(s for s in script["sections"] if s["id"] == "integrationsraadet")
    assert section["readability"]["lix"] > 0
    assert section["readability"]["long_sentences"]


async def test_the_audit_log_names_who_did_what(api: httpx.AsyncClient) -> None:
    as_bo = {"Authorization": f"Bearer {OTHER_TOKEN}"}
    await api.post(f"/api/pages/{POLITIK}/regenerate", headers=as_bo)
    await api.post("/api/lexicon/entries", json=ONE_WORD)
    logged = (await api.get("/api/audit")).json()
    requested = next(e for e in logged if e["action"] == "audio.requested")
    assert requested["who"] == "bo" and requested["target"] == POLITIK
    added = next(e for e in logged if e["action"] == "lexicon.added")
    assert added["who"] == "anna" and "integrationsråd" in added["summary"]
    assert (await api.get("/api/audit", params={"limit": 0})).status_code == 422


async def test_on_a_full_data_directory_a_change_is_refused_whole_then_made_and_audited(
    esettings: Settings, engine: ToneEngine, full_disk: Path
) -> None:
    app = create_app(esettings.model_copy(update={"data_dir": full_disk}), engines=engines(engine))
    page = esettings.pages_dir / f"{FOREBYG}.html"
    before = page.read_bytes()
    lexicon_before = esettings.lexicon_path.read_bytes() if esettings.lexicon_path.exists() else b""
    edited = before.decode().replace(EDITED, EDIT).encode()
    async with client_for(app) as api:
        api.headers.update(AUTH)
        refused = await api.put(f"/api/pages/{FOREBYG}", content=edited)
        assert refused.status_code == 503
        assert "disken er fuld" in refused.json()["error"]["message"]
        assert page.read_bytes() == before
        word = await api.post("/api/lexicon/entries", json=ONE_WORD)
        assert word.status_code == 503
        after = esettings.lexicon_path.read_bytes() if esettings.lexicon_path.exists() else b""
        assert after == lexicon_before
        (full_disk / "filler").unlink()  # the operator frees space; the retry is a change
        retried = await api.put(f"/api/pages/{FOREBYG}", content=edited)
        assert retried.status_code == 200 and retried.json()["changed"]
        logged = (await api.get("/api/audit", params={"target": FOREBYG})).json()
    assert [entry["action"] for entry in logged][-1] == "page.published"
