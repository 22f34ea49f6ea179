"""The browser's proof secret, salts, opening files and sealed files equal Python's, byte for
byte: the same inputs go through `api/web/static/js/secret.js` and `openings.js` in Chromium
and through `ledger.openings`, and each side opens what the other sealed.

The modules are served by a plain static file server (no sandbox needed: they talk to no API).
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from playwright.sync_api import Page

from ledger.errors import OpeningError, RecoveryPhraseError
from ledger.openings.files import derived_opening, make_opening, parse_opening
from ledger.openings.salts import SaltDerivation, derive_salt, salt_message
from ledger.openings.sealed import (
    ScryptParams,
    seal_openings,
    seal_secret,
    unseal_openings,
    unseal_secret,
)
from ledger.openings.secret import ProofSecret

pytestmark = [pytest.mark.e2e]

FAST = ScryptParams(n=1 << 10, r=8, p=1)
PASSPHRASE = "vlas en vezel 2024"


def _vectors(count: int) -> list[dict[str, Any]]:
    rng = random.Random(16)
    vectors = []
    for i in range(count):
        chain = [1, 31337, 2**53 - 1, 2**64 + 1, 2**256 - 1, rng.randrange(1, 2**256)][i % 6]
        vectors.append(
            {
                "secret": rng.randbytes(32).hex(),
                # Chain ids past 2^53 go as decimal strings, as opening files write them.
                "chainId": chain if chain <= 2**53 - 1 else str(chain),
                "ledger": "0x" + rng.randbytes(20).hex(),
                "projectId": [1, 2**32 - 1, rng.randrange(1, 2**32)][i % 3],
                "contentHash": "0x" + rng.randbytes(32).hex(),
            }
        )
    return vectors


def test_browser_derives_the_same_salts_words_and_ids_as_python(module_page: Page) -> None:
    vectors = _vectors(60)
    vectors.append(
        {
            "secret": bytes(range(32)).hex(),
            "chainId": 31337,
            "ledger": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            "projectId": 1,
            "contentHash": "0x" + hashlib.sha256(b"Retting parameters, 2019-2023\n").hexdigest(),
        }
    )
    results = module_page.evaluate(
        """(vectors) => vectors.map((v) => {
            const secret = window.cryptoJs.fromHex(v.secret);
            const words = window.secret.secretWords(secret);
            return {
                message: window.cryptoJs.toHex(window.secret.saltMessage(v)),
                salt: window.secret.deriveSalt(secret, v),
                words,
                secretId: window.secret.secretId(secret),
                back: window.cryptoJs.toHex(window.secret.secretFromWords(words)),
            };
        })""",
        vectors,
    )
    for vector, ours in zip(vectors, results, strict=True):
        secret = ProofSecret(bytes.fromhex(vector["secret"]))
        where = {
            "chain_id": int(vector["chainId"]),
            "ledger": vector["ledger"],
            "project_id": vector["projectId"],
            "content_hash": bytes.fromhex(vector["contentHash"][2:]),
        }
        assert ours["message"] == "0x" + salt_message(**where).hex()
        assert ours["salt"] == "0x" + derive_salt(secret, **where).hex()
        assert ours["words"] == secret.words
        assert ours["secretId"] == secret.secret_id
        assert ours["back"] == "0x" + vector["secret"]
    # The design card's vector, on the browser's side too.
    assert results[-1]["salt"] == (
        "0xefadc2c3a7acc049110767ebfe42c99e2f4eab6d9030e5edacb54cf1e59bb731"
    )


def test_browser_reads_recovery_sheets_as_python_does(module_page: Page) -> None:
    secret = ProofSecret(bytes(range(32)))
    words = secret.words.split()
    swapped = list(words)
    swapped[3], swapped[4] = swapped[4], swapped[3]
    unknown = list(words)
    unknown[6] = "vlas"
    samples = [
        secret.words,
        "\n  ".join(w.upper() if i % 2 else w[:4] for i, w in enumerate(words)),
        " ".join(swapped),
        " ".join(unknown),
        " ".join(words[:23]),
        "aba " + " ".join(words[1:]),
        "",
    ]
    answers = module_page.evaluate(
        """(samples) => samples.map((text) => {
            try {
                return {secret: window.cryptoJs.toHex(window.secret.secretFromWords(text))};
            } catch (e) {
                return {code: e.code, values: e.values};
            }
        })""",
        samples,
    )
    for text, answer in zip(samples, answers, strict=True):
        try:
            expected: dict[str, Any] = {"secret": "0x" + ProofSecret.from_words(text).value.hex()}
        except RecoveryPhraseError as exc:
            expected = {"error": str(exc)}
        if "secret" in expected:
            assert answer == expected
        else:
            assert "code" in answer, (text, answer)
            position = answer["values"].get("position")
            if position is not None:
                assert f"word {position} " in expected["error"]
            else:
                assert ("checksum" in expected["error"]) == (answer["code"] == "checksum")
    assert [a.get("code") for a in answers] == [
        None,
        None,
        "checksum",
        "unknown_word",
        "word_count",
        "unknown_word",
        "word_count",
    ]


def test_browser_opening_files_equal_python_byte_for_byte(module_page: Page) -> None:
    secret = ProofSecret.generate()
    cases: list[dict[str, Any]] = []
    for chain, name in [(31337, "retting.txt"), (2**64 + 1, "Vezelproef één.pdf"), (1, None)]:
        cases.append(
            {
                "chainId": chain if chain < 2**53 else str(chain),
                "ledger": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
                "projectId": 7,
                "contributor": "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
                "contentHash": "0x" + hashlib.sha256(str(chain).encode()).hexdigest(),
                "fileName": name,
            }
        )
    texts = module_page.evaluate(
        """([secret, cases]) => cases.map((c) => window.openings.openingFileText(
            window.openings.derivedOpening(window.cryptoJs.fromHex(secret), c)))""",
        [secret.value.hex(), cases],
    )
    for case, text in zip(cases, texts, strict=True):
        ours = derived_opening(
            secret,
            chain_id=int(case["chainId"]),
            ledger=case["ledger"],
            project_id=case["projectId"],
            contributor=case["contributor"],
            content_hash=bytes.fromhex(case["contentHash"][2:]),
            file_name=case["fileName"],
        )
        assert text.encode() == ours.to_bytes()
        assert parse_opening(text) == ours
    # And what Python writes, the browser reads back to the same object.
    random_salt = make_opening(
        chain_id=5,
        ledger="0x" + "ab" * 20,
        project_id=2,
        contributor="0x" + "cd" * 20,
        content_hash=bytes(32),
        salt=bytes(range(32)),
        derivation=SaltDerivation.RANDOM,
        file_name="old.docx",
    )
    read = module_page.evaluate(
        "(text) => window.openings.openingFileText(window.openings.parseOpening(text))",
        random_salt.to_bytes().decode(),
    )
    assert read.encode() == random_salt.to_bytes()


@pytest.mark.parametrize(
    ("field", "value", "code", "named"),
    [
        ("salt", "0x" + "00" * 32, "opening_mismatch", "commitment"),
        ("contributor", "0x" + "22" * 20, "opening_mismatch", "commitment"),
        ("projectId", 4, "opening_mismatch", "commitment"),
        ("contributionId", "0x" + "44" * 32, "opening_mismatch", "contributionId"),
        ("salt", "0x1234", "opening_format", "salt"),
        ("projectId", "4", "opening_format", "projectId"),
        ("chainId", 2**53, "opening_format", "chainId"),
        ("derivation", "derived v2", "opening_format", "derivation"),
        ("secretId", "0x12", "opening_format", "secretId"),
        ("fileName", "a\u0085b", "opening_format", "fileName"),
        ("extra", 1, "opening_format", "extra"),
        ("ledger", "0x5FBdb2315678afecb367f032d93F642f64180aa3", "opening_format", "ledger"),
    ],
)
def test_browser_refuses_the_opening_files_python_refuses(
    module_page: Page, field: str, value: object, code: str, named: str
) -> None:
    opening = derived_opening(
        ProofSecret.generate(),
        chain_id=31337,
        ledger="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        project_id=3,
        contributor="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        content_hash=bytes(32),
    )
    document = opening.to_json()
    document[field] = value
    text = json.dumps(document)
    with pytest.raises(OpeningError, match=f"^{named}: |unknown fields: {named}"):
        parse_opening(text)
    answer = module_page.evaluate(
        """(text) => {
            try { window.openings.parseOpening(text); return null; }
            catch (e) { return {code: e.code, field: e.field}; }
        }""",
        text,
    )
    assert answer == {"code": code, "field": named}


def test_sealed_files_open_across_browser_and_python(module_page: Page) -> None:
    secret = ProofSecret.generate()
    openings = [
        derived_opening(
            secret,
            chain_id=31337,
            ledger="0x" + "ab" * 20,
            project_id=1,
            contributor="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            content_hash=hashlib.sha256(f"file {i}".encode()).digest(),
            file_name=f"bestand {i}.pdf",
        )
        for i in range(3)
    ]
    fast = {"N": FAST.n, "r": FAST.r, "p": FAST.p}
    # Browser seals, Python opens.
    sealed = module_page.evaluate(
        """async ([secret, openings, passphrase, params]) => {
            const bytes = window.cryptoJs.fromHex(secret);
            return {
                secret: await window.secret.sealSecret(bytes, passphrase, {params}),
                openings: await window.openings.sealOpenings(openings, passphrase, {params}),
            };
        }""",
        [secret.value.hex(), [o.to_json() for o in openings], PASSPHRASE, fast],
    )
    assert unseal_secret(sealed["secret"], PASSPHRASE) == secret
    assert unseal_openings(sealed["openings"], PASSPHRASE) == openings
    # Python seals, browser opens; a wrong passphrase and a changed byte are refused.
    from_python = {
        "secret": seal_secret(secret, PASSPHRASE, params=FAST).decode(),
        "openings": seal_openings(openings, PASSPHRASE, params=FAST).decode(),
    }
    tampered = json.loads(from_python["openings"])
    tampered["ciphertext"] = tampered["ciphertext"][:-1] + (
        "0" if tampered["ciphertext"][-1] != "0" else "1"
    )
    opened = module_page.evaluate(
        """async ([files, tampered, passphrase]) => {
            const attempt = async (f) => { try { return await f(); } catch (e) { return e.code; } };
            const {secret, openings} = window;
            const wrong = 'wrong' + passphrase;
            const hostile = files.openings.replace('"N": 1024', '"N": 1073741824');
            return {
                secret: window.cryptoJs.toHex(await secret.unsealSecret(files.secret, passphrase)),
                openings: (await openings.unsealOpenings(files.openings, passphrase))
                    .map((o) => openings.openingFileText(o)),
                wrong: await attempt(() => openings.unsealOpenings(files.openings, wrong)),
                tampered: await attempt(() => openings.unsealOpenings(tampered, passphrase)),
                swapped: await attempt(() => openings.unsealOpenings(files.secret, passphrase)),
                short: await attempt(() => secret.seal(new Uint8Array(1), 'short', 'openings')),
                hostile: await attempt(() => openings.unsealOpenings(hostile, passphrase)),
            };
        }""",
        [from_python, json.dumps(tampered), PASSPHRASE],
    )
    assert opened["secret"] == "0x" + secret.value.hex()
    assert [t.encode() for t in opened["openings"]] == [o.to_bytes() for o in openings]
    assert opened["wrong"] == "wrong_passphrase"
    assert opened["tampered"] == "wrong_passphrase"
    assert opened["swapped"] == "sealed_content"
    assert opened["short"] == "passphrase_short"
    assert opened["hostile"] == "sealed_format"


def test_browser_seals_with_the_default_cost_that_python_opens(module_page: Page) -> None:
    # The real parameters (scrypt N = 2^17, 128 MiB) once, as a browser keeps its secret.
    secret = ProofSecret.generate()
    result = module_page.evaluate(
        """async ([secret, passphrase]) => {
            const started = performance.now();
            const progress = [];
            const text = await window.secret.sealSecret(window.cryptoJs.fromHex(secret), passphrase,
                {onProgress: (f) => progress.push(f)});
            return {text, ms: performance.now() - started, progressed: progress.length > 2};
        }""",
        [secret.value.hex(), PASSPHRASE],
    )
    assert json.loads(result["text"])["kdf"]["N"] == 1 << 17
    assert result["progressed"]
    assert unseal_secret(result["text"], PASSPHRASE) == secret
    print(f"browser scrypt N=2^17 r=8 p=1: {result['ms']:.0f} ms")


def test_browser_checksums_addresses_as_eth_utils(module_page: Page) -> None:
    rng = random.Random(5)
    addresses = ["0x" + rng.randbytes(20).hex() for _ in range(30)]
    ours = module_page.evaluate(
        "(list) => list.map((a) => window.cryptoJs.checksumAddress(a))", addresses
    )
    assert ours == [to_checksum_address(a) for a in addresses]
    refused = module_page.evaluate(
        """(bad) => bad.map((a) => { try { window.cryptoJs.checksumAddress(a); return false; }
                                      catch { return true; } })""",
        ["0x1234", "0x" + "g" * 40, ours[0][:3] + ours[0][3:].swapcase(), 5],
    )
    assert refused == [True, True, True, True]
