"""`wholechild serve` as an operator runs it: a real process on a loopback port, with several
worker processes sharing one store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

WHOLECHILD = str(Path(sys.executable).parent / "wholechild")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_with_the_workers_asked_for(tmp_path: Path, workers: int) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "WHOLECHILD_DATABASE_URL": f"sqlite:///{tmp_path}/wc.db",
        "WHOLECHILD_ENVIRONMENT": "development",
        "WHOLECHILD_ASSETS_DIR": str(Path(__file__).parents[1] / "node_modules"),
    }
    command = [WHOLECHILD, "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [*command, "--workers", str(workers)], cwd=tmp_path, env=env,
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline, answer = time.monotonic() + 90, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        said = (tmp_path / "serve.log").read_text(errors="replace")[-2000:]
        assert answer is not None, f"serve did not answer (exit {server.poll()}): {said}"
        assert answer.status_code == 200 and "Sign in" in answer.text
        # One process serves; or a supervisor with a process a worker (and, with spawn,
        # multiprocessing's resource tracker).
        children = len(_children(server.pid))
        assert children == 0 if workers == 1 else workers <= children <= workers + 1
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert (tmp_path / "wc.db").exists()


def test_a_configuration_problem_is_reported_before_any_worker_starts(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "WHOLECHILD_DATABASE_URL": f"sqlite:///{tmp_path}/wc.db",
        "WHOLECHILD_ASSETS_DIR": str(tmp_path / "nowhere"),
    }
    command = [WHOLECHILD, "serve", "--port", str(_free_port()), "--workers", "2"]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    said = done.stdout + done.stderr
    assert done.returncode != 0 and "GOV.UK Frontend files are not at" in said
    assert "Traceback" not in said
