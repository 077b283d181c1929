"""The Dockerfile and the compose files, parsed and checked against what the code reads.

No container engine can build images here (podman installs, but no base image can be
pulled), so the image's own command is also run outside a container with the image's
environment and paths: see ``test_image_command_serves_health_and_stops_on_its_signal``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from compact_calendar.cli import build_parser
from compact_calendar.config import Settings

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Instruction:
    stage: int
    keyword: str
    argument: str

    @property
    def exec_form(self) -> list[str] | None:
        text = re.sub(r"^--\S+\s+", "", self.argument) if self.keyword == "COPY" else self.argument
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, list) else None


@cache
def _dockerfile() -> tuple[Instruction, ...]:
    """The Dockerfile's instructions, read once: every test asks for some of them."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", text)
    out: list[Instruction] = []
    stage = -1
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, argument = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        out.append(Instruction(stage, keyword, " ".join(argument.split())))
    return tuple(out)


def _final(keyword: str) -> list[Instruction]:
    instructions = _dockerfile()
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last and i.keyword == keyword]


def _image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in _final("ENV"):
        for token in shlex.split(instruction.argument):
            name, _, value = token.partition("=")
            env[name] = value
    return env


def _compose(name: str) -> dict[str, Any]:
    data = yaml.safe_load((REPO / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _calendar_services(compose: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, service in compose["services"].items():
        if service.get("image", "").startswith("compact-calendar"):
            yield name, service


# --- Dockerfile --------------------------------------------------------------------


def test_dockerfile_is_multi_stage_and_copies_the_build_into_a_slim_runtime() -> None:
    instructions = _dockerfile()
    froms = [i for i in instructions if i.keyword == "FROM"]
    assert len(froms) >= 2
    args = {
        i.argument.split("=")[0]: i.argument.split("=", 1)[1]
        for i in instructions
        if i.keyword == "ARG" and i.stage == -1
    }
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", args["PYTHON_IMAGE"])
    build_stage = froms[0].argument.split(" AS ")[-1]
    copies = [i.argument for i in _final("COPY")]
    assert any(c.startswith(f"--from={build_stage} ") for c in copies)
    assert not any(i.keyword == "RUN" and "pip install" in i.argument for i in _final("RUN"))


def test_runtime_runs_as_a_user_it_creates_not_root() -> None:
    (user,) = _final("USER")
    name = user.argument.split(":")[0]
    assert name not in ("root", "0")
    run = " ".join(i.argument for i in _final("RUN"))
    assert re.search(rf"useradd\b[^&]*\b{name}\b", run)
    assert "tzdata" in run


def test_copied_files_exist_and_pass_dockerignore() -> None:
    ignore = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore
    for instruction in _dockerfile():
        if instruction.keyword != "COPY" or instruction.argument.startswith("--from"):
            continue
        *sources, _target = instruction.argument.split()
        for source in sources:
            assert (REPO / source).exists(), source
            assert source.rstrip("/") in allowed, f"{source} is excluded by .dockerignore"


def test_healthcheck_asks_healthz_on_the_exposed_port_and_the_command_serves_there() -> None:
    (expose,) = _final("EXPOSE")
    port = int(expose.argument)
    (health,) = _final("HEALTHCHECK")
    command = health.argument.split(" CMD ", 1)[1]
    assert f"http://127.0.0.1:{port}/healthz" in command
    (entrypoint,) = _final("ENTRYPOINT")
    (cmd,) = _final("CMD")
    assert entrypoint.exec_form == ["compact-calendar"], "exec form lets SIGTERM reach it"
    argv = cmd.exec_form
    assert argv is not None
    args = build_parser(argv[0]).parse_args(argv)
    assert (args.command, args.host, args.port) == ("serve", "0.0.0.0", port)
    assert [i.argument for i in _final("STOPSIGNAL")] == ["SIGTERM"]


def test_image_environment_names_settings_that_exist_and_state_lives_on_the_volume(
    settings_names: set[str],
) -> None:
    env = _image_env()
    names = {n for n in env if n.startswith("COMPACT_CALENDAR_")}
    assert names <= settings_names
    settings = Settings.from_env(env)
    (volume,) = _final("VOLUME")
    (data,) = json.loads(volume.argument)
    assert settings.database_url == f"sqlite:///{data}/compact-calendar.sqlite3"
    assert str(settings.outbox).startswith(data)
    assert str(settings.registry) == "/registry/events.yaml"


# --- compose files -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["compose.yaml", "deploy/compose.replicas.yaml"])
def test_compose_services_use_the_image_its_port_volumes_and_settings(
    name: str, settings_names: set[str]
) -> None:
    compose = _compose(name)
    base = (REPO / name).parent
    (expose,) = _final("EXPOSE")
    (volume,) = _final("VOLUME")
    (data,) = json.loads(volume.argument)
    declared_volumes = set(compose.get("volumes") or {})
    services = dict(_calendar_services(compose))
    assert services
    for service_name, service in services.items():
        assert (base / service["build"] / "Dockerfile").is_file(), service_name
        env = service["environment"]
        assert set(env) <= settings_names, service_name
        mounts = {m.split(":")[1]: m.split(":")[0] for m in service["volumes"]}
        registry = Path(env["COMPACT_CALENDAR_REGISTRY"])
        source = mounts[str(registry.parent)]
        assert (base / source / registry.name).is_file(), "the registry mount holds events.yaml"
        assert service["volumes"][0].endswith(":ro")
        url = env["COMPACT_CALENDAR_DATABASE_URL"]
        if url.startswith("sqlite"):
            assert mounts[data] in declared_volumes, "SQLite state is on a named volume"
            assert url.startswith(f"sqlite:///{data}/")
        for port in service.get("ports", []):
            assert port.split(":")[-1] == expose.argument
    for service in compose["services"].values():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith((".", "/")):
                assert (base / source).exists(), mount
            else:
                assert source in declared_volumes, mount


def test_replicas_share_one_postgres_and_sit_behind_one_proxy() -> None:
    compose = _compose("deploy/compose.replicas.yaml")
    services = dict(_calendar_services(compose))
    assert len(services) == 2
    urls = {s["environment"]["COMPACT_CALENDAR_DATABASE_URL"] for s in services.values()}
    (url,) = urls
    assert url.startswith("postgresql://")
    assert "@postgres:5432/" in url
    postgres = compose["services"]["postgres"]
    assert url.endswith("/" + postgres["environment"]["POSTGRES_DB"])
    for replica in services.values():
        assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "ports" not in replica, "only the proxy publishes a port"
    proxy = compose["services"]["proxy"]
    (conf_mount,) = proxy["volumes"]
    conf = (REPO / "deploy" / conf_mount.split(":")[0]).read_text(encoding="utf-8")
    upstream = set(re.findall(r"server\s+([\w-]+):(\d+)", conf))
    assert upstream == {(name, _final("EXPOSE")[0].argument) for name in services}
    listen = re.search(r"listen\s+(\d+);", conf)
    assert listen
    assert proxy["ports"] == [f"8000:{listen.group(1)}"]


# --- the image's command, outside a container ------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_image_command_serves_health_and_stops_on_its_signal(tmp_path: Path) -> None:
    """The ENTRYPOINT and CMD with the image's ENV, a read-only registry directory and a
    state directory standing in for /registry and /data; only the address is loopback."""
    (volume,) = _final("VOLUME")
    (data_dir,) = json.loads(volume.argument)
    data, registry = tmp_path / "data", tmp_path / "registry"
    data.mkdir()
    registry.mkdir()
    (registry / "events.yaml").write_bytes((REPO / "events.yaml").read_bytes())
    registry.chmod(0o555)

    def remap(value: str) -> str:
        return value.replace(data_dir, str(data)).replace("/registry", str(registry))

    env = {k: remap(v) for k, v in _image_env().items() if k.startswith("COMPACT_CALENDAR_")}
    port = _free_port()
    (entrypoint,) = _final("ENTRYPOINT")
    (cmd,) = _final("CMD")
    argv = [*(entrypoint.exec_form or []), *(cmd.exec_form or [])]
    argv[0] = str(Path(sys.executable).with_name(argv[0]))
    argv[argv.index("--host") + 1] = "127.0.0.1"
    argv[argv.index("--port") + 1] = str(port)
    (health,) = _final("HEALTHCHECK")
    probe = json.loads(health.argument.split(" CMD ", 1)[1])
    probe[0] = sys.executable
    probe = [p.replace(":8000/", f":{port}/") for p in probe]

    server = subprocess.Popen(
        argv,
        cwd=data,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(probe, capture_output=True, check=False).returncode != 0:
            assert server.poll() is None, server.communicate()[0]
            assert time.monotonic() < deadline, "the HEALTHCHECK never passed"
            time.sleep(0.3)
        assert list(data.glob("compact-calendar.sqlite3*")), "state is on the /data volume"
        assert list(registry.iterdir()) == [registry / "events.yaml"]
        server.send_signal(getattr(signal, _final("STOPSIGNAL")[0].argument))
        output, _ = server.communicate(timeout=20)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
        registry.chmod(0o755)
    assert server.returncode == 0, output
    assert "shutdown" in output.lower()
