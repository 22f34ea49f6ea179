"""The JavaScript examples of docs/examples/ run against a live API: a partner's own script
prepares, signs with ethers 6 or viem 2 (decimal strings for wide integers), posts and waits.
So the path a JS integrator takes cannot silently break again (issue 17).

The app of the `consortium` fixture (its chain, store and background worker) is served over
HTTP by uvicorn in a thread, beside the test client that started its lifespan."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.api.flows import api_project
from tests.api.support import Consortium

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
NODE = shutil.which("node")


@pytest.fixture
def api_url(consortium: Consortium) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        consortium.client.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.skipif(NODE is None, reason="needs Node")
@pytest.mark.parametrize("script", ["register-with-ethers.mjs", "register-with-viem.mjs"])
def test_example_registers_a_file_signed_by_the_partners_own_key(
    consortium: Consortium, api_url: str, tmp_path: Path, script: str
) -> None:
    project_id = api_project(consortium)
    member = consortium.partner_b
    document = tmp_path / "trial.txt"
    document.write_text(f"retting trial signed with {script}\n")
    env = {
        **os.environ,
        "API_URL": api_url,
        "API_KEY": member.key,
        "PRIVATE_KEY": "0x" + member.account.key.hex(),
        "PROJECT_ID": str(project_id),
    }

    done = subprocess.run(
        [str(NODE), str(EXAMPLES / script), str(document)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    consortium.sync()
    record = consortium.client.get(
        f"/v1/contributions/{printed['contributionId']}", headers=member.headers
    ).json()
    assert record["contributor"] == member.address and record["value"] == "40"
    assert record["cardHash"] is None and record["supersedes"] is None
