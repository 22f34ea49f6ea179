"""`openssl ts -verify`, the independent verifier the RFC 3161 tests hold ours to."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path


def openssl_ts_verify(response: bytes, message: bytes, anchors: Path) -> tuple[bool, str]:
    """(OpenSSL's verdict on `response` as a timestamp of `message` with the trust anchors
    in the PEM file `anchors`, what it printed)."""
    with tempfile.TemporaryDirectory(prefix="ts-verify-") as scratch:
        reply = Path(scratch) / "reply.tsr"
        data = Path(scratch) / "message.bin"
        reply.write_bytes(response)
        data.write_bytes(message)
        result = subprocess.run(
            [
                "openssl",
                "ts",
                "-verify",
                "-in",
                str(reply),
                "-data",
                str(data),
                "-CAfile",
                str(anchors),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    output = (result.stdout + result.stderr).strip()
    ok = result.returncode == 0 and "Verification: OK" in result.stdout
    return ok, output
