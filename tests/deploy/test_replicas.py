"""Three ``reader serve`` replicas sharing Redis, SeaweedFS and a content directory, behind
Debian's nginx with deploy/nginx-replicas.conf: any replica answers, and one going away is not
seen by listeners."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.deploy.cluster import TOKEN, Cluster, cluster
from tests.web.live import http_request

pytestmark = pytest.mark.slow

SLUG = "forebyggelsesstrategi"
SPEAK_LIMIT = 4
ROUNDS = 3
"""Requests of each kind through nginx after a replica died: each replica is asked at least
once in a round-robin of three."""
SENTENCE = "Kommunen læser siden højt for alle borgere."
NEW_PAGE = """<!doctype html><html lang="da"><head><title>Ny side om affald</title></head>
<body><main><h1>Ny side om affald</h1><p>Affaldet hentes hver anden uge.</p></main></body></html>
"""


@pytest.fixture(scope="module")
def three() -> Iterator[Cluster]:
    with cluster(3, speak_per_minute=str(SPEAK_LIMIT)) as running:
        yield running


def test_a_page_put_on_one_replica_is_served_by_the_others(three: Cluster) -> None:
    a, *others = three.replicas
    put = httpx.put(
        f"{a.base_url}/api/pages/ny-side-om-affald",
        content=NEW_PAGE.encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/html"},
        timeout=60,
    )
    assert put.status_code == 201, put.text
    for other in others:
        page = httpx.get(f"{other.base_url}/pages/ny-side-om-affald", timeout=60)
        assert page.status_code == 200 and "Affaldet hentes hver anden uge." in page.text
        listed = httpx.get(f"{other.base_url}/api/pages", timeout=60).json()
        assert "ny-side-om-affald" in str(listed)


def test_the_speak_limit_holds_across_replicas_behind_nginx(three: Cluster) -> None:
    nginx = f"http://127.0.0.1:{three.nginx_port}"
    statuses = [
        httpx.post(f"{nginx}/api/speak", json={"text": SENTENCE}, timeout=60).status_code
        for _ in range(SPEAK_LIMIT + 1)
    ]
    # Spread over three replicas, none of them saw more than two of these by itself.
    assert statuses == [200] * SPEAK_LIMIT + [429]
    for replica in three.replicas:
        refused = httpx.post(f"{replica.base_url}/api/speak", json={"text": SENTENCE}, timeout=60)
        assert refused.status_code == 429


def audio_path(three: Cluster) -> str:
    """The page's track, the same on every replica (its clips are in the shared store)."""
    locations = set()
    for replica in three.replicas:
        answer = httpx.get(f"{replica.base_url}/api/pages/{SLUG}/audio", timeout=120)
        assert answer.status_code == 307
        locations.add(answer.headers["location"])
    assert len(locations) == 1
    return locations.pop()


AUDIO_HEADERS = ("content-type", "content-length", "content-range", "cache-control", "etag")


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", {}),
        ("HEAD", {}),
        ("GET", {"Range": "bytes=0-1"}),
        ("GET", {"Range": "bytes=1000-65535"}),
        ("GET", {"Range": "bytes=-500"}),
        ("GET", {"Range": "bytes=99999999-"}),
        ("GET", {"If-None-Match": "HASH"}),
        ("GET", {"If-None-Match": "W/HASH"}),
        ("GET", {"If-None-Match": '"someone-else"'}),
        ("GET", {"If-Match": "HASH"}),
        ("GET", {"If-Match": '"someone-else"'}),
        ("HEAD", {"If-Match": '"someone-else"'}),
        ("GET", {"Origin": "https://www.htk.dk"}),
        ("GET", {"Origin": "https://www.htk.dk", "Range": "bytes=0-99"}),
        ("GET", {"Origin": "https://elsewhere.example"}),
        ("OPTIONS", {}),
        (
            "OPTIONS",
            {
                "Origin": "https://www.htk.dk",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "range",
            },
        ),
    ],
)
def test_audio_through_nginx_answers_as_a_replica_does(
    three: Cluster, method: str, headers: dict[str, str]
) -> None:
    path = audio_path(three)
    digest = path.rsplit("/", 1)[1].removesuffix(".mp3")
    headers = {name: value.replace("HASH", f'"{digest}"') for name, value in headers.items()}
    replica = ("127.0.0.1", three.replicas[-1].port)
    # Twice through nginx: the first may fetch the file from a replica, the second is answered
    # from nginx's audio cache.
    for _ in range(2):
        ours = http_request(replica, method, path, headers)
        theirs = http_request(three.nginx, method, path, headers)
        assert ours[0] == theirs[0]
        if ours[0] not in (412, 416):  # nginx explains these in an HTML body; reader sends none
            assert ours[2] == theirs[2]
        for name in AUDIO_HEADERS if method != "OPTIONS" else ():
            if ours[0] in (304, 412, 416) and name in ("content-length", "content-type"):
                continue  # no body: either may leave these out
            assert ours[1].get(name) == theirs[1].get(name), name
        for name in ("access-control-allow-origin", "access-control-allow-headers", "allow"):
            assert ours[1].get(name) == theirs[1].get(name), name


def test_killing_a_replica_leaves_pages_and_audio_answered(three: Cluster) -> None:
    path = audio_path(three)
    whole = httpx.get(f"{three.replicas[0].base_url}{path}", timeout=60)
    assert whole.status_code == 200 and len(whole.content) > 65536
    three.replicas[0].kill()
    for _ in range(ROUNDS):
        for page in ["/", f"/pages/{SLUG}", f"/api/pages/{SLUG}", "/healthz"]:
            assert http_request(three.nginx, "GET", page)[0] == 200, page
        # From another site's page: always answered by a replica, never by nginx's cache.
        status, headers, body = http_request(
            three.nginx, "GET", path, {"Origin": "https://www.htk.dk"}
        )
        assert status == 200 and body == whole.content
        assert headers["access-control-allow-origin"] == "https://www.htk.dk"
        status, headers, body = http_request(
            three.nginx, "GET", path, {"Range": "bytes=1000-66535"}
        )
        assert status == 206 and body == whole.content[1000:66536]
        assert headers["etag"] == whole.headers["etag"]
        status, _, body = http_request(three.nginx, "HEAD", path)
        assert status == 200 and body == b""
