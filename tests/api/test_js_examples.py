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

from tests.api.flows import api_project, registration
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


# A client that picks its own nonces, written with ethers alone: it signs two different
# registrations with one nonce and posts both while the first waits in the outbox.
_NONCE_TWINS_JS = """
import { Wallet } from "ethers";
const { API_URL, API_KEY, PRIVATE_KEY, COLLECTION, FIRST, SECOND } = process.env;
async function call(method, path, body) {
  const response = await fetch(API_URL + path, {
    method,
    headers: { "X-API-Key": API_KEY, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
const wallet = new Wallet(PRIVATE_KEY);
async function signed(body, nonce) {
  const prepared = (await call("POST", COLLECTION + "/prepare", body)).body;
  const { domain, types, message } = prepared.typedData;
  const signedTypes = { ...types };
  delete signedTypes.EIP712Domain;
  const chosen = nonce ?? prepared.nonce;
  const signature = await wallet.signTypedData(domain, signedTypes, { ...message, nonce: chosen });
  return { ...body, signature, nonce: chosen, deadline: prepared.deadline };
}
const first = await signed(JSON.parse(FIRST));
const second = await signed(JSON.parse(SECOND), first.nonce);
const answers = [];
for (const body of [first, second]) answers.push(await call("POST", COLLECTION, body));
console.log(JSON.stringify(answers));
"""


@pytest.mark.skipif(NODE is None, reason="needs Node")
def test_ethers_client_reusing_the_nonce_of_a_pending_action_gets_409_nonce_taken(
    consortium: Consortium, api_url: str
) -> None:
    c = consortium
    project_id = api_project(c)
    member = c.partner_b
    env = {
        **os.environ,
        "API_URL": api_url,
        "API_KEY": member.key,
        "PRIVATE_KEY": "0x" + member.account.key.hex(),
        "COLLECTION": f"/v1/projects/{project_id}/contributions",
        "FIRST": json.dumps(registration(member, project_id, "first")),
        "SECOND": json.dumps(registration(member, project_id, "second")),
    }
    services = c.client.app.state.services  # type: ignore[attr-defined]
    stored_before = sum(services.store.outbox.count_operations().values())
    services.worker.stop()  # the first stays pending while the second arrives
    try:
        # `--eval` resolves `ethers` from the working directory's node_modules.
        done = subprocess.run(
            [str(NODE), "--input-type=module", "--eval", _NONCE_TWINS_JS],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        services.worker.start()

    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout)
    assert first["status"] == 202, first
    assert second["status"] == 409, second
    assert second["body"]["code"] == "nonce_taken"
    assert first["body"]["id"] in second["body"]["message"]
    # The first is stored, the second is not.
    assert sum(services.store.outbox.count_operations().values()) == stored_before + 1
    assert services.worker.wait(first["body"]["id"], 30) is not None
    settled = c.client.get(f"/v1/operations/{first['body']['id']}", headers=member.headers)
    assert settled.json()["status"] == "confirmed", settled.text
