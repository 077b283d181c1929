"""The server under load: a 1,000-event feed over loopback, full responses and 304s.

Each figure is a ratio to two references measured in the same run, on the same file:

* nginx serving it as a static file (``etag on``): what this machine can do;
* a minimal Starlette app returning the same bytes with an ETag, under the same uvicorn
  (httptools, uvloop): the floor of this stack.

Load comes from ``wrk`` (Debian package), bounded in time, everything on 127.0.0.1.
Then the server's resident memory across 100 reloads of the registry.
Each figure is the better of two runs. Set ``BENCH_SERVER_SECONDS`` (default 4 per run),
``BENCH_SERVER_RELOADS`` (default 100) and ``BENCH_SERVER_EVENTS`` (default 1000) for a
shorter or longer run.

Run ``python -m benchmarks.bench_server --minimal-app PORT FILE`` to start the minimal
app alone (that is how the benchmark runs it).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.generate_registry import generate

REPO = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("BENCH_SERVER_SECONDS", "4"))
RELOADS = int(os.environ.get("BENCH_SERVER_RELOADS", "100"))
EVENTS = int(os.environ.get("BENCH_SERVER_EVENTS", "1000"))
CONNECTIONS = 50
IDENTITY = {"accept-encoding": "identity"}
NGINX = Path("/usr/sbin/nginx")


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p99_ms: float
    non_2xx_3xx: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def _latency_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _interleaved(*targets: tuple[str, ...]) -> list[Load]:
    """For each (url, *headers), the better of two runs taken in turn with the others."""
    runs = [[_wrk(*target) for target in targets] for _round in range(2)]
    return [
        max(pair, key=lambda load: load.requests_per_second) for pair in zip(*runs, strict=True)
    ]


def _wrk(url: str, *headers: str, seconds: int = SECONDS) -> Load:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = _latency_ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(rate, p99, int(errors.group(1)) if errors else 0)


@contextlib.contextmanager
def _process(command: list[str], **kwargs: object) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **kwargs,  # type: ignore[call-overload]
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def nginx(root: Path) -> Iterator[str]:
    port = _free_port()
    # nginx's worker drops root privileges: it must be able to read the file.
    for path in (root, root / "site", *(root / "site").iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    conf = root / "nginx.conf"
    conf.write_text(
        f"""daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/client_body;
    types {{ text/calendar ics; }}
    charset utf-8;
    charset_types text/calendar;
    server {{
        listen 127.0.0.1:{port};
        root {root}/site;
        etag on;
        sendfile on;
        gzip_static on;
        gzip_vary on;
    }}
}}
"""
    )
    with _process([shutil.which("nginx") or str(NGINX), "-c", str(conf), "-p", str(root)]):
        url = f"http://127.0.0.1:{port}/calendar.ics"
        _wait_for(url)
        yield url


@contextlib.contextmanager
def minimal_app(body_file: Path) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "benchmarks.bench_server", "--minimal-app"]
    with _process([*command, str(port), str(body_file)], cwd=REPO):
        url = f"http://127.0.0.1:{port}/calendar.ics"
        _wait_for(url)
        yield url


@contextlib.contextmanager
def compact_calendar(registry: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    command = [sys.executable, "-m", "compact_calendar", "serve", "--registry", registry.name]
    with _process([*command, "--port", str(port), "--no-reminders"], cwd=registry.parent) as p:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/healthz", timeout=120)
        yield base, p


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _loaded_at(base: str) -> str:
    value: str = httpx.get(base + "/healthz").json()["registry_loaded_at"]
    return value


def _reload_and_wait(base: str, registry: Path, text: str) -> None:
    before = _loaded_at(base)
    registry.write_text(text)
    deadline = time.monotonic() + 60
    while _loaded_at(base) == before:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not reload")
        time.sleep(0.05)


def _report(label: str, ours: Load, minimal: Load, static: Load) -> None:
    print(
        f"   {label}: {ours.requests_per_second:,.0f} req/s, p99 {ours.p99_ms:.1f} ms"
        f" | {ours.requests_per_second / minimal.requests_per_second:.0%} of minimal Starlette"
        f" ({minimal.requests_per_second:,.0f} req/s, p99 {minimal.p99_ms:.1f} ms)"
        f" | {ours.requests_per_second / static.requests_per_second:.0%} of nginx"
        f" ({static.requests_per_second:,.0f} req/s, p99 {static.p99_ms:.1f} ms)"
        + (f" | ERRORS {ours.non_2xx_3xx}" if ours.non_2xx_3xx else ""),
        flush=True,
    )


def main() -> None:
    if shutil.which("wrk") is None or not (shutil.which("nginx") or NGINX.exists()):
        print("   skipped: needs the Debian packages wrk and nginx-light")
        return
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        root = Path(tmp)
        registry = root / "events.yaml"
        text = generate(EVENTS)
        registry.write_text(text)
        with compact_calendar(registry) as (base, process):
            feed = httpx.get(base + "/calendar.ics", headers={"accept-encoding": "identity"})
            body, etag = feed.content, feed.headers["etag"]
            (root / "site").mkdir()
            (root / "site" / "calendar.ics").write_bytes(body)
            (root / "calendar.ics").write_bytes(body)
            with httpx.stream("GET", base + "/calendar.ics") as compressed:
                gzipped = b"".join(compressed.iter_raw())
            (root / "site" / "calendar.ics.gz").write_bytes(gzipped)
            print(f"   feed: {EVENTS} events, {len(body) / 1e6:.2f} MB; wrk -t2 -c{CONNECTIONS}")

            url = base + "/calendar.ics"
            with minimal_app(root / "calendar.ics") as minimal_url, nginx(root) as nginx_url:
                minimal_etag = httpx.get(minimal_url, headers=IDENTITY).headers["etag"]
                nginx_etag = httpx.get(nginx_url, headers=IDENTITY).headers["etag"]
                # Interleaved, so that whatever else the machine does hits all three alike.
                ours_200, minimal_200, static_200 = _interleaved(
                    (url,), (minimal_url,), (nginx_url,)
                )
                ours_304, minimal_304, static_304 = _interleaved(
                    (url, f"If-None-Match: {etag}"),
                    (minimal_url, f"If-None-Match: {minimal_etag}"),
                    (nginx_url, f"If-None-Match: {nginx_etag}"),
                )
                ours_gzip, static_gzip = _interleaved(
                    (url, "Accept-Encoding: gzip"), (nginx_url, "Accept-Encoding: gzip")
                )
            _report("200", ours_200, minimal_200, static_200)
            _report("304", ours_304, minimal_304, static_304)
            print(
                f"   200 gzip: {ours_gzip.requests_per_second:,.0f} req/s,"
                f" p99 {ours_gzip.p99_ms:.1f} ms, {len(gzipped) / 1e3:.0f} kB"
                f" | {ours_gzip.requests_per_second / static_gzip.requests_per_second:.0%}"
                f" of nginx gzip_static ({static_gzip.requests_per_second:,.0f} req/s,"
                f" p99 {static_gzip.p99_ms:.1f} ms)",
                flush=True,
            )

            other = text.replace('title: "', 'title: "Revised ', 1)
            _reload_and_wait(base, registry, other)
            _reload_and_wait(base, registry, text)
            rss_before = _rss_kib(process.pid)
            started = time.perf_counter()
            for i in range(RELOADS):
                _reload_and_wait(base, registry, other if i % 2 == 0 else text)
            elapsed = time.perf_counter() - started
            rss_after = _rss_kib(process.pid)
            metrics = httpx.get(base + "/metrics").text
            reloads = re.search(r'registry_reloads_total\{outcome="ok"\} ([\d.]+)', metrics)
            print(
                f"   memory: RSS {rss_before / 1024:.0f} MiB before and {rss_after / 1024:.0f} MiB"
                f" after {RELOADS} reloads ({(rss_after - rss_before) / rss_before:+.1%});"
                f" {elapsed / RELOADS:.2f} s per reload"
                f" ({reloads.group(1) if reloads else '?'} reloads counted)",
                flush=True,
            )


def _serve_minimal_app(port: int, body_file: Path) -> None:
    """The reference: the same bytes, an ETag and 304s, in plain Starlette."""
    import hashlib

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    body = body_file.read_bytes()
    etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'

    async def calendar(request: Request) -> Response:
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"etag": etag})
        return Response(body, media_type="text/calendar; charset=utf-8", headers={"etag": etag})

    app = Starlette(routes=[Route("/calendar.ics", calendar)])
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        http="httptools",
        loop="uvloop",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--minimal-app"]:
        _serve_minimal_app(int(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()
        print(json.dumps({"ok": True}))
