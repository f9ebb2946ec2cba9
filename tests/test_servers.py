"""A learner's server: started on a free loopback port, probed until ready, always stopped."""

from __future__ import annotations

import os
import socket
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mlops_roadmap import servers
from tests.timing import scaled, wait_until

APP = """
import http.server, subprocess, sys, pathlib
worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
pathlib.Path(sys.argv[2]).write_text(str(worker.pid))
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok" if self.path == "/health" else b"nope"
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        print("request", self.path, flush=True)
print("starting", flush=True)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_server_is_ready_answers_and_is_stopped_with_its_workers(tmp_path: Path) -> None:
    pidfile = tmp_path / "worker.pid"
    server = servers.start([sys.executable, "-c", APP, "{port}", pidfile], timeout=scaled(30))
    try:
        with urllib.request.urlopen(server.url + "/health", timeout=scaled(5)) as answer:
            assert answer.read() == b"ok"
        assert "request /health" in server.tail()
    finally:
        server.stop()
    worker = int(pidfile.read_text())
    wait_until(lambda: not alive(server.proc.pid), 10, "the server outlived its stop")
    wait_until(lambda: not alive(worker), 10, "the server's worker outlived its stop")


def test_crash_at_start_shows_its_output() -> None:
    code = "import sys; print('ImportError: no module named app'); sys.exit(3)"
    with pytest.raises(servers.ServerFailed) as failed:
        servers.start([sys.executable, "-c", code], timeout=scaled(30))
    assert "exited with status 3 before it was ready" in str(failed.value)
    assert "ImportError: no module named app" in failed.value.tail


def test_never_ready_times_out_and_is_stopped(tmp_path: Path) -> None:
    code = "import time; print('thinking', flush=True); time.sleep(300)"
    started = time.monotonic()
    with pytest.raises(servers.ServerFailed, match=r"did not answer GET /health .* within 2 s"):
        servers.start([sys.executable, "-c", code], timeout=2)
    assert time.monotonic() - started < scaled(15)


def test_port_already_in_use_is_a_clear_failure(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(servers.ServerFailed) as failed:
            servers.start(
                [sys.executable, "-c", APP, "{port}", tmp_path / "pid"],
                port=port,
                timeout=scaled(10),
            )
    assert "Address already in use" in failed.value.tail


def test_an_early_error_line_is_kept_in_the_tail() -> None:
    code = (
        "import sys; print('ModuleNotFoundError: no module named skops'); "
        "[print(f'noise {i}') for i in range(40)]; sys.exit(1)"
    )
    with pytest.raises(servers.ServerFailed) as failed:
        servers.start([sys.executable, "-c", code], timeout=scaled(30))
    lines = failed.value.tail.splitlines()
    assert lines[0] == "ModuleNotFoundError: no module named skops"
    assert lines[-1] == "noise 39"
