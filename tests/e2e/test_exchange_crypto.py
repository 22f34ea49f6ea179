"""The exchange's cryptography across two implementations: Python (`ledger.exchange.envelope`,
cryptography's HPKE and AES-GCM on OpenSSL) and the browser (`api/web/static/js/envelope.js`,
the vendored `hpke` module on Chromium's Web Crypto, X25519 included).

What is checked: a document sealed and wrapped in Python opens in the browser, byte for byte,
and the other way round; both sides produce identical sealed bytes for the same key (AES-GCM is
deterministic given key and nonce) and identical key-envelope JSON; a tampered sealed document or
wrapped key is refused on both sides; the browser's commitment check refuses a document that
is not the one disclosed.

The page is served by Playwright's request routing from `api/web/static/` under
http://localhost/ (a secure context, as Web Crypto requires), so no server process is needed.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, sync_playwright

from ledger.domain.hashing import commitment, disclosure_id
from ledger.errors import EnvelopeFormatError, EnvelopeIntegrityError
from ledger.exchange import envelope as env
from ledger.exchange import keys

pytestmark = [pytest.mark.e2e]

CHROMIUM = Path("/usr/bin/chromium")
STATIC = Path(__file__).resolve().parents[2] / "api" / "web" / "static"
ORIGIN = "http://localhost"
SHARER = "0x1111111111111111111111111111111111111111"
RECIPIENT = "0x2222222222222222222222222222222222222222"
PROJECT = 7
NAME = "Vlasvezel \u2013 proces\u00e9.pdf"

if not CHROMIUM.exists():
    pytest.skip("needs Debian's Chromium at /usr/bin/chromium", allow_module_level=True)


def _serve(route: Route) -> None:
    path = route.request.url.removeprefix(ORIGIN).split("?")[0]
    if path == "/":
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>x</title>")
        return
    file = (STATIC / path.removeprefix("/static/")).resolve()
    if not path.startswith("/static/") or STATIC not in file.parents or not file.is_file():
        route.fulfill(status=404, body="not found")
        return
    content_type = "text/javascript" if file.suffix == ".js" else mimetypes.guess_type(file)[0]
    route.fulfill(
        status=200, content_type=content_type or "application/octet-stream", body=file.read_bytes()
    )


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            context = browser.new_context()
            context.route(f"{ORIGIN}/**", _serve)
            page = context.new_page()
            page.goto(f"{ORIGIN}/")
            page.evaluate(
                "async () => { window.E = await import('/static/js/envelope.js');"
                " window.C = await import('/static/js/crypto.js'); }"
            )
            yield page
        finally:
            browser.close()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)


# JavaScript helpers defined once per call: base64 <-> bytes.
_JS_B64 = """
const b64 = (u8) => {
  let s = "";
  for (const b of u8) s += String.fromCharCode(b);
  return btoa(s);
};
const unb64 = (t) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0));
"""


def _js(page: Page, body: str, arg: Any = None) -> Any:
    return page.evaluate(f"async (arg) => {{ {_JS_B64} {body} }}", arg)


def _document(size: int) -> bytes:
    return (b"%PDF-1.7\n% flax fibre retting process, step " * (size // 40 + 1))[:size]


# ----------------------------------------------------------------------------- identical bytes


@pytest.mark.parametrize("size", [0, 4096, 4097, 3 * 4096 + 5])
def test_browser_and_python_seal_to_identical_bytes(page: Page, size: int) -> None:
    document, file_key = _document(size), bytes(range(32))
    sealed_js = _js(
        page,
        """
        const blob = new Blob([unb64(arg.doc)]);
        const out = await E.sealBlob(blob, unb64(arg.key), { segmentLog2: 12 });
        const sealed = b64(new Uint8Array(await out.sealed.arrayBuffer()));
        return { sealed, sha256: out.sha256, size: out.size };
        """,
        {"doc": _b64(document), "key": _b64(file_key)},
    )
    assert _unb64(sealed_js["sealed"]) == env.seal_bytes(document, file_key, segment_log2=12)
    assert sealed_js["sha256"] == "0x" + hashlib.sha256(document).hexdigest()
    assert sealed_js["size"] == size


def test_browser_and_python_write_identical_key_envelopes(page: Page) -> None:
    envelope = env.KeyEnvelope(
        bytes(range(32)), bytes(range(32, 64)), NAME, "application/pdf", 12345
    )
    js_bytes = _js(
        page,
        """
        const bytes = E.envelopeToBytes({ fileKey: unb64(arg.key), salt: arg.salt, name: arg.name,
                                          mediaType: "application/pdf", size: 12345 });
        return b64(bytes);
        """,
        {"key": _b64(envelope.file_key), "salt": "0x" + envelope.salt.hex(), "name": NAME},
    )
    assert _unb64(js_bytes) == envelope.to_bytes()


def test_browser_commitment_and_disclosure_id_equal_python(page: Page) -> None:
    sha, salt = hashlib.sha256(b"doc").digest(), bytes(range(32))
    result = _js(
        page,
        """
        const c = C.commitment(arg.sharer, arg.project, arg.sha, arg.salt);
        return { c, id: C.contributionId(arg.project, arg.sharer, c) };
        """,
        {"sharer": SHARER, "project": PROJECT, "sha": "0x" + sha.hex(), "salt": "0x" + salt.hex()},
    )
    content = commitment(SHARER, PROJECT, sha, salt)
    assert result == {
        "c": "0x" + content.hex(),
        "id": "0x" + disclosure_id(PROJECT, SHARER, content).hex(),
    }


# --------------------------------------------------------------------- Python -> browser


def _python_share(document: bytes, recipient_public: bytes) -> dict[str, Any]:
    file_key, salt = env.new_file_key(), bytes(range(200, 232))
    sealed = env.seal_bytes(document, file_key, segment_log2=12)
    content = commitment(SHARER, PROJECT, hashlib.sha256(document).digest(), salt)
    did = disclosure_id(PROJECT, SHARER, content)
    envelope = env.KeyEnvelope(file_key, salt, NAME, "application/pdf", len(document))
    wrapped = env.wrap_key(envelope, recipient_public, disclosure_id=did, recipient=RECIPIENT)
    return {
        "sealed": _b64(sealed),
        "wrapped": _b64(wrapped),
        "disclosureId": "0x" + did.hex(),
        "commitment": "0x" + content.hex(),
    }


_BROWSER_RECEIVE = """
const opts = { disclosureId: arg.disclosureId, recipient: arg.recipient };
try {
  const envelope = await E.unwrapKey(unb64(arg.wrapped), window.recipientKey, opts);
  const sealed = new Blob([unb64(arg.sealed)]);
  const opened = await E.openBlob(sealed, envelope.fileKey, { type: envelope.mediaType });
  E.checkOpened(envelope, opened, {
    sharer: arg.sharer, projectId: arg.project, contentCommitment: arg.commitment,
  });
  return { ok: true, name: envelope.name, type: envelope.mediaType,
           bytes: b64(new Uint8Array(await opened.plaintext.arrayBuffer())) };
} catch (error) {
  return { ok: false, error: error.name, message: error.message };
}
"""


def _browser_public_key(page: Page) -> bytes:
    public = _js(
        page,
        "const made = await E.generateKeyPair(); window.recipientKey = made.keyPair;"
        " return b64(made.publicKey);",
    )
    return _unb64(public)


def _receive(page: Page, share: dict[str, Any]) -> dict[str, Any]:
    arg = {**share, "recipient": RECIPIENT, "sharer": SHARER, "project": PROJECT}
    result: dict[str, Any] = _js(page, _BROWSER_RECEIVE, arg)
    return result


def test_python_shares_browser_opens_byte_for_byte(page: Page) -> None:
    document = _document(3 * 4096 + 1234)
    share = _python_share(document, _browser_public_key(page))
    received = _receive(page, share)
    assert received["ok"], received
    assert (received["name"], received["type"]) == (NAME, "application/pdf")
    assert _unb64(received["bytes"]) == document


def test_browser_refuses_tampered_ciphertext_from_python(page: Page) -> None:
    share = _python_share(_document(9000), _browser_public_key(page))
    sealed = bytearray(_unb64(share["sealed"]))
    sealed[4200] ^= 0x20
    received = _receive(page, {**share, "sealed": _b64(bytes(sealed))})
    assert (received["ok"], received["error"]) == (False, "EnvelopeIntegrityError")
    assert "segment 1 does not open" in received["message"]


def test_browser_refuses_tampered_wrapped_key_from_python(page: Page) -> None:
    share = _python_share(_document(100), _browser_public_key(page))
    for offset in (3, 40):
        wrapped = bytearray(_unb64(share["wrapped"]))
        wrapped[offset] ^= 0x01
        received = _receive(page, {**share, "wrapped": _b64(bytes(wrapped))})
        assert (received["ok"], received["error"]) == (False, "EnvelopeIntegrityError")


def test_browser_refuses_document_other_than_disclosed(page: Page) -> None:
    # The service hands over an intact sealed document and key, but the commitment on chain is
    # for another document: the recipient's browser must not acknowledge.
    share = _python_share(_document(100), _browser_public_key(page))
    other = "0x" + commitment(SHARER, PROJECT, hashlib.sha256(b"other").digest(), bytes(32)).hex()
    received = _receive(page, {**share, "commitment": other})
    assert (received["ok"], received["error"]) == (False, "EnvelopeIntegrityError")
    assert "commitment disclosed on chain" in received["message"]


def test_browser_refuses_key_wrapped_for_another_recipient(page: Page) -> None:
    share = _python_share(_document(100), _browser_public_key(page))
    arg = {**share, "recipient": SHARER, "sharer": SHARER, "project": PROJECT}
    received = _js(page, _BROWSER_RECEIVE, arg)
    assert (received["ok"], received["error"]) == (False, "EnvelopeIntegrityError")


# --------------------------------------------------------------------- browser -> Python

_BROWSER_SHARE = """
const fileKey = E.newFileKey();
const salt = C.newSalt();
const sealed = await E.sealBlob(new Blob([unb64(arg.doc)]), fileKey, { segmentLog2: arg.log2 });
const content = C.commitment(arg.sharer, arg.project, sealed.sha256, salt);
const disclosureId = C.contributionId(arg.project, arg.sharer, content);
const envelope = { fileKey, salt, name: arg.name, mediaType: "application/pdf", size: sealed.size };
const to = { disclosureId, recipient: arg.recipient };
const wrapped = await E.wrapKey(envelope, unb64(arg.publicKey), to);
return { sealed: b64(new Uint8Array(await sealed.sealed.arrayBuffer())), wrapped: b64(wrapped),
         disclosureId, commitment: content };
"""


@pytest.mark.parametrize("size, log2", [(5 * 4096 + 99, 12), (1 << 20, 20), (0, 20)])
def test_browser_shares_python_opens_byte_for_byte(page: Page, size: int, log2: int) -> None:
    document = _document(size)
    private = keys.generate_private_key()
    share = _js(
        page,
        _BROWSER_SHARE,
        {
            "doc": _b64(document),
            "log2": log2,
            "sharer": SHARER,
            "project": PROJECT,
            "name": NAME,
            "recipient": RECIPIENT,
            "publicKey": _b64(keys.public_key_bytes(private)),
        },
    )
    did = bytes.fromhex(share["disclosureId"][2:])
    envelope = env.unwrap_key(
        _unb64(share["wrapped"]), private, disclosure_id=did, recipient=RECIPIENT
    )
    assert (envelope.name, envelope.size) == (NAME, size)
    opened = env.open_bytes(_unb64(share["sealed"]), envelope.file_key)
    assert opened == document
    digest = env.StreamDigest(hashlib.sha256(opened).digest(), len(opened))
    env.check_opened(
        envelope,
        digest,
        sharer=SHARER,
        project_id=PROJECT,
        content_commitment=bytes.fromhex(share["commitment"][2:]),
    )


def test_python_refuses_tampered_ciphertext_and_key_from_browser(page: Page) -> None:
    document = _document(10_000)
    private = keys.generate_private_key()
    share = _js(
        page,
        _BROWSER_SHARE,
        {
            "doc": _b64(document),
            "log2": 12,
            "sharer": SHARER,
            "project": PROJECT,
            "name": NAME,
            "recipient": RECIPIENT,
            "publicKey": _b64(keys.public_key_bytes(private)),
        },
    )
    did = bytes.fromhex(share["disclosureId"][2:])
    wrapped = bytearray(_unb64(share["wrapped"]))
    wrapped[-1] ^= 0x01
    with pytest.raises(EnvelopeIntegrityError):
        env.unwrap_key(bytes(wrapped), private, disclosure_id=did, recipient=RECIPIENT)
    envelope = env.unwrap_key(
        _unb64(share["wrapped"]), private, disclosure_id=did, recipient=RECIPIENT
    )
    sealed = bytearray(_unb64(share["sealed"]))
    sealed[-3] ^= 0x01
    with pytest.raises(EnvelopeIntegrityError):
        env.open_bytes(bytes(sealed), envelope.file_key)


def test_browser_private_key_survives_export_and_import(page: Page) -> None:
    # The partner's backup of its key: exported raw, imported again, still opens its envelopes.
    public = _js(
        page,
        """
        const made = await E.generateKeyPair();
        const raw = await E.exportPrivateKey(made.keyPair);
        window.recipientKey = await E.importKeyPair(raw, made.publicKey);
        return b64(made.publicKey);
        """,
    )
    document = _document(777)
    received = _receive(page, _python_share(document, _unb64(public)))
    assert received["ok"], received
    assert _unb64(received["bytes"]) == document


# A file name comes from the sharer and is shown and saved by the recipient: both sides must
# accept and refuse exactly the same names.
NAMES = [
    "plan.pdf",
    NAME,
    "a" * 255,
    "a" * 256,
    "",
    ".",
    "..",
    "...",
    "../up.pdf",
    "dir/file",
    "dir\\file",
    "tab\tname",
    "line\nbreak",
    "del\x7f",
    "bidi\u202eexe.pdf",
    "zero\u200bwidth",
    "sep\u2028line",
    "emoji \U0001f4c4.pdf",
    "\u00a0leading nbsp",
]


def test_browser_and_python_accept_the_same_file_names(page: Page) -> None:
    def python_accepts(name: str) -> bool:
        try:
            env.KeyEnvelope(bytes(32), bytes(32), name, "application/pdf", 1)
        except EnvelopeFormatError:
            return False
        return True

    browser = _js(
        page,
        """
        return arg.names.map((name) => {
          try {
            E.checkEnvelope({ fileKey: new Uint8Array(32), salt: "0x" + "00".repeat(32), name,
                              mediaType: "application/pdf", size: 1 });
            return true;
          } catch (error) {
            if (error.name !== "EnvelopeFormatError") throw error;
            return false;
          }
        });
        """,
        {"names": NAMES},
    )
    assert browser == [python_accepts(name) for name in NAMES]
    assert browser.count(True) == 6  # the first three, "...", the emoji and the nbsp
