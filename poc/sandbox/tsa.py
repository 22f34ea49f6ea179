"""A local RFC 3161 timestamp authority for the sandbox and the tests: OpenSSL's `ts -reply`
behind a small HTTP responder.

The protocol work is OpenSSL's own responder (`openssl ts -reply`), a real implementation; this
module only gives it what a TSA needs and an HTTP face:

- a test PKI made on first start and kept in the data directory, so that tokens issued before
  a restart still verify after it: a root CA (`root.pem`, the trust anchor to give verifiers),
  an issuing CA, and the TSA's certificate with the critical extended key usage
  id-kp-timeStamping; the token embeds the TSA certificate and the issuing CA, so a verifier
  needs the root alone;
- an OpenSSL configuration (`openssl.cnf`): SHA-256 signatures, policy `TSA_POLICY`, accuracy
  one second, the TSA's name in every token, ESS certificate ids of the whole chain;
- an HTTP server (`POST /` with `application/timestamp-query` answers
  `application/timestamp-reply`, as RFC 3161 section 3.4 describes; `GET /root.pem` serves the
  trust anchor). Requests are signed one at a time, because `ts -reply` keeps its serial
  number in a file.

`LocalTsa(data_dir).start()` serves on 127.0.0.1 (a free port unless one is given; a restart
keeps the port); `stop()` stops answering, as an outage would. `python -m poc.sandbox.tsa DIR`
runs one in the foreground.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self

from poc.sandbox.pki import (
    make_intermediate_ca,
    make_root_ca,
    make_tsa_certificate,
    write_private,
)

# An OID under the "example" arc 2.999 (ITU-T X.660): the sandbox's TSA claims no real policy.
TSA_POLICY = "2.999.1.1"
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
# A TimeStampReq is a few hundred bytes; anything much larger is not one.
MAX_QUERY_BYTES = 16 * 1024
OPENSSL_TIMEOUT = 30.0

ROOT_FILE = "root.pem"
ORGANISATION = "poc-ledger sandbox"

_CONFIG = """\
# Written by poc.sandbox.tsa; OpenSSL's `ts -reply` reads it.
[ tsa ]
default_tsa = sandbox_tsa

[ sandbox_tsa ]
dir = {directory}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/chain.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = yes
ess_cert_id_alg = sha256
"""


class TsaError(RuntimeError):
    """Raised when the local TSA cannot be set up or started (no openssl, port taken)."""


def find_openssl() -> str:
    """The `openssl` executable; TsaError if it is not installed."""
    path = shutil.which("openssl")
    if path is None:
        raise TsaError("openssl is not installed (Debian: apt-get install openssl)")
    return path


def ensure_pki(directory: Path) -> None:
    """Make the test PKI and the OpenSSL configuration in `directory` unless already there."""
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / "tsa.pem").is_file():
        root = make_root_ca("poc-ledger sandbox TSA root", ORGANISATION)
        issuing = make_intermediate_ca(root, "poc-ledger sandbox TSA issuing CA", ORGANISATION)
        tsa = make_tsa_certificate(issuing, "poc-ledger sandbox timestamp authority", ORGANISATION)
        (directory / ROOT_FILE).write_bytes(root.certificate_pem)
        (directory / "chain.pem").write_bytes(issuing.certificate_pem)
        write_private(directory / "tsa.key", tsa.key_pem)
        # Written last: its presence says the rest is complete.
        (directory / "tsa.pem").write_bytes(tsa.certificate_pem)
    if not (directory / "serial").is_file():
        (directory / "serial").write_text("01\n")
    (directory / "openssl.cnf").write_text(
        _CONFIG.format(directory=directory.resolve(), policy=TSA_POLICY)
    )


class _Handler(BaseHTTPRequestHandler):
    server: _TsaServer
    # HTTP/1.0: one request a connection, so that `stop()` leaves no kept-alive connection
    # answering behind it (a stopped TSA must look like an outage).
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        return  # quiet: tests and the sandbox log what matters themselves

    def _reply(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/" + ROOT_FILE:
            root = (self.server.directory / ROOT_FILE).read_bytes()
            self._reply(HTTPStatus.OK, root, "application/x-pem-file")
            return
        self._reply(HTTPStatus.NOT_FOUND, b"POST a timestamp query to /\n", "text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_QUERY_BYTES:
            self._reply(HTTPStatus.BAD_REQUEST, b"expected a timestamp query\n", "text/plain")
            return
        query = self.rfile.read(length)
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type != QUERY_TYPE:
            self._reply(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"expected {QUERY_TYPE}\n".encode(), "text/plain"
            )
            return
        try:
            reply = self.server.sign(query)
        except TsaError as exc:
            self._reply(HTTPStatus.INTERNAL_SERVER_ERROR, f"{exc}\n".encode(), "text/plain")
            return
        self._reply(HTTPStatus.OK, reply, REPLY_TYPE)


class _TsaServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], directory: Path, openssl: str) -> None:
        super().__init__(address, _Handler)
        self.directory = directory
        self.openssl = openssl
        self._signing = threading.Lock()

    def sign(self, query: bytes) -> bytes:
        """OpenSSL's reply to `query` (a DER TimeStampReq). A malformed query gets OpenSSL's
        own rejection (a TimeStampResp with status rejection), as from any TSA."""
        with self._signing, tempfile.TemporaryDirectory(prefix="tsa-") as scratch:
            query_path = Path(scratch) / "query.tsq"
            reply_path = Path(scratch) / "reply.tsr"
            query_path.write_bytes(query)
            result = subprocess.run(
                [
                    self.openssl,
                    "ts",
                    "-reply",
                    "-config",
                    str(self.directory / "openssl.cnf"),
                    "-queryfile",
                    str(query_path),
                    "-out",
                    str(reply_path),
                ],
                capture_output=True,
                timeout=OPENSSL_TIMEOUT,
                check=False,
            )
            if result.returncode != 0 or not reply_path.is_file():
                detail = result.stderr.decode(errors="replace").strip()
                raise TsaError(f"openssl ts -reply failed: {detail}")
            return reply_path.read_bytes()


class LocalTsa:
    """OpenSSL's timestamp responder served over HTTP on 127.0.0.1 (see the module docstring).

    Use as a context manager, or `start()` and `stop()`; `start()` after `stop()` serves again
    on the same port with the same PKI.
    """

    def __init__(self, directory: str | Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.directory = Path(directory)
        self.host = host
        self._port = port
        self._server: _TsaServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if not self._port:
            raise TsaError("the TSA has not been started")
        return self._port

    @property
    def url(self) -> str:
        """Where to POST timestamp queries."""
        return f"http://{self.host}:{self.port}/"

    @property
    def root_path(self) -> Path:
        """The trust anchor of every token this TSA issues."""
        return self.directory / ROOT_FILE

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> Self:
        """Make the PKI if needed and serve; TsaError if openssl is missing or the port taken."""
        if self._server is not None:
            return self
        openssl = find_openssl()
        ensure_pki(self.directory)
        try:
            server = _TsaServer((self.host, self._port), self.directory, openssl)
        except OSError as exc:
            raise TsaError(f"cannot listen on {self.host}:{self._port}: {exc}") from exc
        self._port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="local-tsa"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and release the port."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self._server is not None else "stopped"
        return f"LocalTsa({self.directory}, {state})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m poc.sandbox.tsa",
        description="Serve OpenSSL's RFC 3161 timestamp responder on 127.0.0.1 (test PKI).",
    )
    parser.add_argument("directory", type=Path, help="where the test PKI lives (made if new)")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    args = parser.parse_args(argv)
    tsa = LocalTsa(args.directory, port=args.port).start()
    print(f"timestamp authority at {tsa.url}; trust anchor {tsa.root_path}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        tsa.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
