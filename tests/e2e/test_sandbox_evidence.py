"""The issue's "done when", as a user meets it: a fresh `poc sandbox` starts its TSA and its
public chain; a demo contribution's bundle soon carries an RFC 3161 token that `openssl ts
-verify` accepts and a checkpoint that `poc verify` checks against the public chain; its
certificate comes sealed, and pdfsig says the seal is valid."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.evidence.timestamps import RegistrationSubject
from tests.ledger.evidence.openssl_ts import openssl_ts_verify
from tests.sandbox_process import Sandbox
from tests.sandbox_process import start_sandbox as _start

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.anvil]

EVIDENCE_RE = re.compile(r"public chain (http://127\.0\.0\.1:\d+) \(chain id (\d+)\)")
WAIT = 90.0


def _export(sandbox: Sandbox, what: str, item: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{sandbox.url}/v1/exports/contributions/{item['contributionId']}/{what}",
        json={"contentHash": item["contentHash"], "salt": item["salt"]},
        headers={"X-API-Key": sandbox.keys[0]},
        timeout=60.0,
    )


@pytest.mark.timeout(400)
def test_fresh_sandbox_bundle_has_token_and_checkpoint_and_sealed_certificate(
    tmp_path: Path, sandboxes: list[Sandbox]
) -> None:
    data = tmp_path / "data"
    sandbox = _start(sandboxes, "--data-dir", str(data))
    sandbox.wait_healthy()
    match = EVIDENCE_RE.search(sandbox.output)
    assert match, sandbox.output
    public_url = match.group(1)
    item = json.loads((data / "sandbox.json").read_text())["contributions"][0]

    deadline = time.monotonic() + WAIT
    while True:
        response = _export(sandbox, "bundle", item)
        assert response.status_code == 200, response.text
        document = response.json()
        if "timestamp" in document and "checkpoint" in document:
            break
        assert time.monotonic() < deadline, f"no token or checkpoint: {sorted(document)}"
        time.sleep(0.5)
    path = tmp_path / "bundle.json"
    path.write_bytes(response.content)
    chain = document["chain"]
    subject = RegistrationSubject(
        chain_id=int(chain["chainId"]),
        contract=chain["contract"],
        contribution_id=bytes.fromhex(document["contribution"]["contributionId"][2:]),
        commitment=bytes.fromhex(document["contribution"]["commitment"][2:]),
        block_hash=bytes.fromhex(chain["blockHash"][2:]),
    )
    theirs_ok, theirs = openssl_ts_verify(
        base64.b64decode(document["timestamp"]["response"]),
        subject.message(),
        data / "tsa" / "root.pem",
    )
    verified = subprocess.run(
        [
            sys.executable,
            "-m",
            "poc",
            "verify",
            str(path),
            "--rpc-url",
            sandbox.anvil_url,
            "--tsa-roots",
            str(data / "tsa" / "root.pem"),
            "--public-rpc-url",
            public_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    certificate = _export(sandbox, "certificate", item)
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(certificate.content)
    pdfsig = subprocess.run(
        ["pdfsig", "-nocert", str(pdf)], capture_output=True, text=True, timeout=60, check=False
    )

    assert theirs_ok, theirs
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "PASS  timestamp:" in verified.stdout
    assert "PASS  public anchor:" in verified.stdout
    assert "PASS  online: public anchor:" in verified.stdout
    assert certificate.status_code == 200, certificate.text
    assert "Signature is Valid." in pdfsig.stdout, pdfsig.stdout
    assert sandbox.stop() == 0
