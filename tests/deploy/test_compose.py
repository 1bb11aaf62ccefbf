"""deploy/compose.yaml, checked without a container engine: what it runs, in which order, with
settings reader knows and an nginx config Debian's nginx accepts."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from reader.cli import build_parser
from reader.config import Settings
from tests.deploy.nginx import check_config, local_replicas_config

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
WEB = ["web-1", "web-2"]
INTERPOLATED = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?+][^}]*)?\}")


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def reader_environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    assert isinstance(environment, dict), "environment as a mapping, so each name is checked"
    return {str(name): str(value) for name, value in environment.items()}


def command_of(name: str) -> list[str]:
    """What the service runs: its own command, or the command of the image it is built as."""
    service = services()[name]
    if "command" in service:
        return [str(part) for part in service["command"]]
    dockerfile = (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).read_text()
    found = re.findall(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert found, f"{name} runs the image's command, and the Dockerfile has none"
    return [str(part) for part in json.loads(found[-1])]


def test_it_runs_redis_the_store_two_replicas_and_nginx() -> None:
    assert set(services()) == {"redis", "seaweedfs", "nginx", *WEB}
    for name in WEB:
        assert command_of(name)[:2] == ["reader", "serve"]


@pytest.mark.parametrize("name", WEB)
def test_every_reader_command_it_runs_is_one_reader_has(name: str) -> None:
    command = command_of(name)
    assert command[0] == "reader"
    build_parser().parse_args(command[1:])  # exits (SystemExit) on an unknown command or option


@pytest.mark.parametrize("name", ["redis", "seaweedfs", "nginx", *WEB])
def test_every_image_is_pinned_or_built_from_this_repository(name: str) -> None:
    service = services()[name]
    image = service["image"]
    repository, _, tag = image.partition(":")
    assert repository and tag, f"{name}: {image!r} has no tag"
    if "build" in service:
        context = (DEPLOY / service["build"]["context"]).resolve()
        assert context == REPO
        assert (context / service["build"]["dockerfile"]).is_file()
    else:
        assert tag != "latest" and re.match(r"\d", tag), f"{name}: {image!r} is not pinned"


def healthy_when_asked(name: str) -> bool:
    service = services()[name]
    check = service.get("healthcheck")
    if check is not None:
        if check.get("disable"):
            return False
        test = check["test"]
        assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, f"{name}: {test!r}"
        return True
    if "build" in service:  # the image's own HEALTHCHECK
        return "HEALTHCHECK" in (REPO / service["build"]["dockerfile"]).read_text()
    return False


def test_dependencies_exist_and_wait_for_health_checks_that_exist() -> None:
    names = set(services())
    for name, service in services().items():
        for needed, how in service.get("depends_on", {}).items():
            assert needed in names and needed != name, f"{name} depends on {needed}"
            if how.get("condition") == "service_healthy":
                assert healthy_when_asked(needed), f"{name} waits for {needed}'s health check"
    for name in WEB:
        assert {"redis", "seaweedfs"} <= set(services()[name]["depends_on"]), name
    assert set(services()["nginx"]["depends_on"]) == set(WEB)
    order: list[str] = []
    for _ in range(len(names)):  # a start order exists: no cycle
        ready = [
            name
            for name in sorted(names - set(order))
            if set(services()[name].get("depends_on", {})) <= set(order)
        ]
        order += ready[:1]
    assert set(order) == names


@pytest.mark.parametrize("name", WEB)
def test_every_reader_setting_it_names_exists(name: str) -> None:
    known = {f"READER_{field.upper()}" for field in Settings.model_fields}
    environment = reader_environment(services()[name])
    named = {key for key in environment if key.startswith("READER_")}
    named |= {
        found
        for value in environment.values()
        for found in INTERPOLATED.findall(value)
        if found.startswith("READER_")
    }
    assert named, f"{name} names no READER_ setting"
    assert named <= known, f"{name}: {sorted(named - known)} are not settings of reader"


@pytest.mark.parametrize("name", WEB)
def test_its_settings_are_accepted_and_shared(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    environment = reader_environment(services()[name])
    for key, value in environment.items():
        value = INTERPOLATED.sub("an-editor-token-long-enough", value)
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.redis_url is not None
    assert settings.redis_url.get_secret_value().startswith("redis://redis:")
    assert settings.s3_endpoint is not None and "//seaweedfs:" in settings.s3_endpoint
    assert settings.s3_bucket in services()["seaweedfs"]["command"][-1]
    mounts = [volume.split(":") for volume in services()[name]["volumes"]]
    assert [settings.content_dir.as_posix()] == [to for _, to in mounts], "one shared content dir"
    identities = json.loads((DEPLOY / "s3.json").read_text())["identities"]
    keys = [(c["accessKey"], c["secretKey"]) for one in identities for c in one["credentials"]]
    assert settings.s3_access_key_id and settings.s3_secret_access_key
    pair = (
        settings.s3_access_key_id.get_secret_value(),
        settings.s3_secret_access_key.get_secret_value(),
    )
    assert pair in keys, "the replicas' key is one the store knows"


def test_every_replica_runs_with_the_same_settings() -> None:
    environments = [reader_environment(services()[name]) for name in WEB]
    assert all(environment == environments[0] for environment in environments)


def test_the_store_sends_no_telemetry_and_the_port_is_loopback_only() -> None:
    assert "-master.telemetry=false" in services()["seaweedfs"]["command"]
    for name, service in services().items():
        for published in service.get("ports", []):
            assert str(published).startswith("127.0.0.1:"), f"{name} publishes {published}"


def test_volumes_it_mounts_exist() -> None:
    declared = set(compose().get("volumes", {}))
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts {source}"
            else:
                assert source in declared, f"{name} mounts undeclared volume {source}"


def nginx_mounts() -> dict[str, Path]:
    """Where each deploy/ file nginx mounts goes in its container."""
    mounts: dict[str, Path] = {}
    for volume in services()["nginx"]["volumes"]:
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            mounts[target] = DEPLOY / source
    return mounts


def test_the_nginx_config_it_mounts_is_the_one_it_runs_and_names_the_replicas() -> None:
    mounts = nginx_mounts()
    command = services()["nginx"]["command"]
    config = mounts[command[command.index("-c") + 1]]
    assert config.is_file()
    text = config.read_text()
    upstream = re.search(r"upstream reader \{(.*?)\}", text, re.DOTALL)
    assert upstream is not None
    assert re.findall(r"server ([\w.-]+):8000", upstream.group(1)) == WEB
    for name in WEB:
        assert command_of(name)[-2:] == ["--port", "8000"]
    cache = re.search(r"proxy_cache_path (\S+)", text)
    assert cache is not None
    volume_targets = [v.split(":")[1] for v in services()["nginx"]["volumes"]]
    assert cache.group(1) in volume_targets, "nginx's audio cache is on a volume"
    assert "proxy_next_upstream error timeout" in text


def test_the_nginx_config_it_mounts_passes_nginx_t_on_loopback() -> None:
    for config in nginx_mounts().values():
        root = Path(tempfile.mkdtemp(prefix="reader-compose-nginx-"))
        root.chmod(0o755)
        try:
            text = local_replicas_config(config.read_text(), root, [18001, 18002], 18080)
            assert not re.search(r"\b(?!127\.0\.0\.1)\d+\.\d+\.\d+\.\d+\b", text)
            checked = check_config(root, text)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        assert checked.returncode == 0, checked.stderr
        assert "test is successful" in checked.stderr
