"""RFC 3161 timestamps of registrations, from a trusted third party (a timestamp authority).

A token proves that a registration existed no later than the time the TSA signed: the TSA
signs the SHA-256 of a message that names the registration and the block holding it, and the
block hash did not exist before the block. The token is independent of the chain and of this
service; an eIDAS qualified TSA gives it the legal presumption of accuracy of art. 41(2).

What is timestamped (format 1)::

    message = abi.encode(
        bytes32 domain,          keccak256("poc-ledger registration timestamp v1")
        uint256 chainId,         the consortium chain
        address contract,        the PocLedger deployment
        bytes32 contributionId,
        bytes32 commitment,      the salted commitment, as registered
        bytes32 blockHash)       the block holding the ContributionRegistered log
    messageImprint = SHA-256(message)

Six 32-byte words, 192 bytes, built the way Solidity's `abi.encode` and ethers'
`AbiCoder.encode` build them. The domain word keeps a token over our message from passing for a
token over anything else of the same shape.

This module:

- `RegistrationSubject`: the five values and their `message()`;
- `TsaClient`: builds a request (SHA-256 imprint, a random nonce, the TSA's certificate asked
  for) with `rfc3161-client`, posts it with httpx (`application/timestamp-query`), checks the
  answer (status granted, the nonce and imprint echoed, and, given trust anchors, the whole
  token as a verifier would) and returns a `TimestampToken`;
- `check_token`: what a verifier does with a token and a message (below); `verify_token`
  raises on the first problem instead;
- `TimestampToken`: the TSA's response (DER) and the fields read from it, with its JSON form.

Checking a token (`check_token`), each step named by the part of the token it blames:

1. `response`: the DER TimeStampResp parses and holds a token;
2. `status`: its PKIStatus is granted (0);
3. `imprint`: the message imprint's algorithm is SHA-256, SHA-384 or SHA-512 and its digest is
   that hash of the message rebuilt from the bundle (never the bundle's own copy);
4. `signature`: the CMS signature over the TSTInfo verifies, with the signer's certificate
   chaining to one of the trust anchors the verifier was given, valid at the token's genTime,
   and that certificate carries the critical extended key usage id-kp-timeStamping alone
   (rfc3161-client, i.e. OpenSSL's PKCS7_verify with purpose timestamp-sign).

`openssl ts -verify -in response.tsr -data message.bin -CAfile anchors.pem` performs the same
checks; the tests hold both to the same verdicts.

A token's certificates are a SET OF, which DER sorts, but OpenSSL-based TSAs write them in chain
order; `rfc3161-client` refuses such a set. The set is not signed, so before verifying we
re-encode it sorted (asn1crypto) and leave every signed byte as the TSA wrote it; likewise a
status of 1 (granted with modifications, which RFC 3161 counts as granted) is read as 0. The
bundle keeps the TSA's bytes untouched. Where the verdicts of OpenSSL and ours differ, ours is
the stricter: the library refuses a token whose unsigned envelope is not valid DER (a version
number out of range, stray bytes in an algorithm identifier), which OpenSSL overlooks.

Obtaining tokens later, when the TSA was down at registration: `ledger.evidence.timestamp_job`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx
from asn1crypto import cms as asn1_cms
from asn1crypto import tsp as asn1_tsp
from cryptography import x509
from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from ledger.errors import TimestampError, TsaUnavailableError

MESSAGE_FORMAT: Final = "poc-ledger registration timestamp v1"
MESSAGE_DOMAIN: Final = keccak(MESSAGE_FORMAT.encode())
MESSAGE_TYPES: Final = ("bytes32", "uint256", "address", "bytes32", "bytes32", "bytes32")
QUERY_CONTENT_TYPE: Final = "application/timestamp-query"
REPLY_CONTENT_TYPE: Final = "application/timestamp-reply"
DEFAULT_TIMEOUT: Final = 10.0
# A token is a few kilobytes; a TSA answering megabytes is not answering a token.
MAX_REPLY_BYTES: Final = 256 * 1024

#: The signature step's problem when the verifier was given no trust anchors.
NO_TRUST_ANCHORS: Final = "no TSA trust anchors were given"
# Statuses that carry a token (RFC 3161 section 2.4.2); `_parse` reads 1 as 0.
_GRANTED: Final = (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS)
_IMPRINT_HASHES: Final = {
    "2.16.840.1.101.3.4.2.1": ("sha256", hashlib.sha256),
    "2.16.840.1.101.3.4.2.2": ("sha384", hashlib.sha384),
    "2.16.840.1.101.3.4.2.3": ("sha512", hashlib.sha512),
}


# ------------------------------------------------------------------------------ the message


def _bytes32(value: bytes, name: str) -> bytes:
    if len(value) != 32:
        raise ValueError(f"{name} must be 32 bytes, got {len(value)}")
    return bytes(value)


@dataclass(frozen=True)
class RegistrationSubject:
    """What a registration's timestamp covers (see the module docstring)."""

    chain_id: int
    contract: str
    contribution_id: bytes
    commitment: bytes
    block_hash: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "contract", to_checksum_address(self.contract))
        _bytes32(self.contribution_id, "contribution id")
        _bytes32(self.commitment, "commitment")
        _bytes32(self.block_hash, "block hash")
        if not 0 <= self.chain_id < 2**256:
            raise ValueError(f"chain id out of range: {self.chain_id}")

    def message(self) -> bytes:
        """The 192-byte message whose SHA-256 the TSA signs."""
        return abi_encode(
            list(MESSAGE_TYPES),
            [
                MESSAGE_DOMAIN,
                self.chain_id,
                self.contract,
                self.contribution_id,
                self.commitment,
                self.block_hash,
            ],
        )

    def imprint(self) -> bytes:
        """SHA-256 of `message()`: the messageImprint a token over this registration holds."""
        return hashlib.sha256(self.message()).digest()


# ------------------------------------------------------------------------------ tokens


def _iso(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def _parse(response: bytes) -> TimeStampResponse:
    """rfc3161-client's parse of a TimeStampResp; TimestampError if it is not one.

    The library's Rust core raises ValueError on malformed DER but panics on some inputs
    (pyo3's PanicException, a BaseException); a verifier must not crash on hostile bytes.
    """
    try:
        parsed = decode_timestamp_response(_for_library(response))
        parsed.tst_info  # noqa: B018 - touching it parses the token, which may fail
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # see the docstring
        raise TimestampError(f"not an RFC 3161 timestamp response: {exc}") from None
    return parsed


def _for_library(response: bytes) -> bytes:
    """`response` as rfc3161-client accepts it, changed only where nothing is signed: the
    token's certificate SET re-encoded in DER order, and a status of "granted with
    modifications" (1) read as "granted" (0), since RFC 3161 makes both carry a token and the
    library accepts 0 alone. Anything that does not parse is returned unchanged for the real
    parser to reject."""
    try:
        parsed = asn1_tsp.TimeStampResp.load(response, strict=True)
        changed = False
        if parsed["status"]["status"].native == "granted_with_mods":
            status = parsed["status"]
            status["status"] = "granted"
            parsed["status"] = status
            changed = True
        token = parsed["time_stamp_token"]
        if isinstance(token, asn1_cms.ContentInfo) and token["content_type"].native == (
            "signed_data"
        ):
            signed = token["content"]
            certificates = signed["certificates"]
            if isinstance(certificates, asn1_cms.CertificateSet) and len(certificates) > 1:
                signed["certificates"] = asn1_cms.CertificateSet(list(certificates))
                token["content"] = signed
                parsed["time_stamp_token"] = token
                changed = True
        if not changed:
            return response
        normalised: bytes = parsed.dump()
        return normalised
    except Exception:  # asn1crypto raises many kinds; the real parser decides
        return response


@dataclass(frozen=True)
class TimestampToken:
    """A TSA's response (`response`, DER TimeStampResp) and what it says.

    JSON form (in a proof bundle)::

        {"standard": "RFC 3161", "messageFormat": "poc-ledger registration timestamp v1",
         "hashAlgorithm": "sha256", "messageImprint": "0x…", "genTime": "…Z",
         "serialNumber": "…" (decimal), "policy": "…" (OID), "tsa": "…" (the TSA's name),
         "response": "…" (base64 of the DER TimeStampResp)}

    Only `response` is evidence; the other fields repeat what it holds for readers, and a
    verifier compares them with it.
    """

    response: bytes
    hash_algorithm: str
    imprint: bytes
    gen_time: datetime
    serial_number: int
    policy: str
    tsa: str

    @classmethod
    def parse(cls, response: bytes) -> TimestampToken:
        """Read a TimeStampResp; TimestampError unless it parses and was granted."""
        parsed = _parse(response)
        if parsed.status not in _GRANTED:
            text = "; ".join(parsed.status_string) or "no reason given"
            raise TimestampError(f"the TSA did not grant a token (status {parsed.status}): {text}")
        info = parsed.tst_info
        algorithm = _IMPRINT_HASHES.get(info.message_imprint.hash_algorithm.dotted_string)
        try:
            tsa = info.name.value.rfc4514_string()
        except (ValueError, AttributeError):
            tsa = ""
        oid = info.message_imprint.hash_algorithm.dotted_string
        return cls(
            response=bytes(response),
            hash_algorithm=algorithm[0] if algorithm else oid,
            imprint=bytes(info.message_imprint.message),
            gen_time=info.gen_time.astimezone(UTC),
            serial_number=int(info.serial_number),
            policy=info.policy.dotted_string if info.policy is not None else "",
            tsa=tsa,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "standard": "RFC 3161",
            "messageFormat": MESSAGE_FORMAT,
            "hashAlgorithm": self.hash_algorithm,
            "messageImprint": "0x" + self.imprint.hex(),
            "genTime": _iso(self.gen_time),
            "serialNumber": str(self.serial_number),
            "policy": self.policy,
            "tsa": self.tsa,
            "response": base64.b64encode(self.response).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TimestampToken:
        """The token of a JSON form (its `response`; the other fields are re-read from it).
        TimestampError if the response is not a granted token."""
        try:
            response = base64.b64decode(str(data["response"]), validate=True)
        except (KeyError, ValueError) as exc:
            raise TimestampError(f"the token's response is not base64: {exc}") from exc
        return cls.parse(response)


# ------------------------------------------------------------------------------ checking


@dataclass(frozen=True)
class TokenProblem:
    """One reason a token fails; `part` is the step of `check_token` that found it."""

    part: str
    message: str


def load_trust_anchors(pem: bytes | str | Path) -> tuple[x509.Certificate, ...]:
    """The certificates of a PEM file (or its bytes): the TSA roots a verifier trusts.

    Every certificate given is trusted as an anchor (rfc3161-client and OpenSSL's -CAfile
    treat them alike), so give roots, or intermediates you trust as much.
    """
    try:
        data = Path(pem).read_bytes() if isinstance(pem, str | Path) else bytes(pem)
    except OSError as exc:
        raise TimestampError(f"cannot read the trust anchors {pem!s}: {exc}") from exc
    try:
        anchors = tuple(x509.load_pem_x509_certificates(data))
    except ValueError as exc:
        raise TimestampError(f"the trust anchors are not PEM certificates: {exc}") from exc
    if not anchors:
        raise TimestampError("no certificate among the trust anchors")
    return anchors


def check_token(
    response: bytes, message: bytes, trust_anchors: Sequence[x509.Certificate]
) -> list[TokenProblem]:
    """Every problem of `response` as a timestamp of `message` (empty: the token verifies).
    See the module docstring for the steps. Never raises on hostile input."""
    try:
        parsed = _parse(response)
    except TimestampError as exc:
        return [TokenProblem("response", str(exc))]
    problems: list[TokenProblem] = []
    if parsed.status not in _GRANTED:
        problems.append(TokenProblem("status", f"the TSA's status is {parsed.status}, not granted"))
        return problems
    try:
        imprint = parsed.tst_info.message_imprint
        algorithm = _IMPRINT_HASHES.get(imprint.hash_algorithm.dotted_string)
        if algorithm is None:
            problems.append(
                TokenProblem("imprint", f"unsupported imprint hash {imprint.hash_algorithm}")
            )
        elif algorithm[1](message).digest() != bytes(imprint.message):
            problems.append(
                TokenProblem(
                    "imprint",
                    f"the token's message imprint is not the {algorithm[0]} of this "
                    "registration's message: it timestamps something else",
                )
            )
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # rfc3161-client may panic (see _parse)
        return [TokenProblem("response", f"the token does not decode: {exc}")]
    if not trust_anchors:
        problems.append(TokenProblem("signature", NO_TRUST_ANCHORS))
        return problems
    try:
        verifier = VerifierBuilder(roots=list(trust_anchors)).build()
        verifier.verify(parsed, bytes(parsed.tst_info.message_imprint.message))
    except VerificationError as exc:
        problems.append(TokenProblem("signature", f"the TSA's signature does not verify: {exc}"))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # see _parse
        problems.append(TokenProblem("signature", f"the signature cannot be checked: {exc}"))
    return problems


def verify_token(
    response: bytes, message: bytes, trust_anchors: Sequence[x509.Certificate]
) -> TimestampToken:
    """The token, if `response` verifies as a timestamp of `message`; else TimestampError
    naming the first problem."""
    problems = check_token(response, message, trust_anchors)
    if problems:
        raise TimestampError(f"{problems[0].part}: {problems[0].message}")
    return TimestampToken.parse(response)


@dataclass(frozen=True)
class SectionProblem:
    """A problem of a bundle's `timestamp` section and the JSON paths it blames."""

    message: str
    fields: tuple[str, ...]


# Which fields of the section each step of `check_token` blames.
_PART_FIELDS: Final = {
    "response": ("response",),
    "status": ("response",),
    "imprint": ("response", "messageImprint"),
    "signature": ("response",),
}


def check_section(
    section: Mapping[str, Any],
    subject: RegistrationSubject,
    trust_anchors: Sequence[x509.Certificate],
    *,
    path: str = "timestamp",
) -> list[SectionProblem]:
    """Every problem of a bundle's `timestamp` section (the JSON of `TimestampToken`) as the
    timestamp of `subject`, the registration rebuilt from the bundle's own fields: the token
    itself (`check_token`), then each readable field against what the token says. Field paths
    start with `path`. Never raises on malformed input."""

    def at(*names: str) -> tuple[str, ...]:
        return tuple(f"{path}.{name}" for name in names)

    raw = section.get("response") if isinstance(section, Mapping) else None
    try:
        response = base64.b64decode(str(raw), validate=True) if isinstance(raw, str) else b""
    except ValueError:
        response = b""
    if not response:
        return [SectionProblem("the token's response is missing or not base64", at("response"))]
    problems = [
        SectionProblem(p.message, at(*_PART_FIELDS[p.part]))
        for p in check_token(response, subject.message(), trust_anchors)
    ]
    try:
        stated = TimestampToken.parse(response).to_json()
    except TimestampError:
        return problems
    for name, value in stated.items():
        if name != "response" and section.get(name) != value:
            problems.append(
                SectionProblem(f"{name} is not what the token says ({value!r})", at(name))
            )
    problems += [
        SectionProblem(f"unknown field {name!r}", at(name))
        for name in section
        if name not in stated
    ]
    return problems


# ------------------------------------------------------------------------------ the client


class TsaClient:
    """Asks one timestamp authority for tokens over HTTP (RFC 3161 section 3.4).

    `trust_anchors`, when given, are checked at once: a TSA whose token does not verify against
    them is an error now, not a surprise in court. `headers` go with every request (qualified
    TSAs usually want credentials). Thread-safe; reuses its connections.
    """

    def __init__(
        self,
        url: str,
        *,
        trust_anchors: Sequence[x509.Certificate] = (),
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.trust_anchors = tuple(trust_anchors)
        self._http = httpx.Client(
            timeout=timeout,
            headers={**(headers or {}), "Content-Type": QUERY_CONTENT_TYPE},
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TsaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def timestamp(self, message: bytes) -> TimestampToken:
        """A token over SHA-256(`message`). Raises TsaUnavailableError when the TSA cannot be
        reached or answers with an HTTP error, TimestampError when its answer is no token for
        this request."""
        request = (
            TimestampRequestBuilder()
            .data(message)
            .hash_algorithm(HashAlgorithm.SHA256)
            .cert_request(cert_request=True)
            .nonce(nonce=True)
            .build()
        )
        body = self._post(request.as_bytes())
        token = TimestampToken.parse(body)
        parsed = _parse(body)
        if parsed.tst_info.nonce != request.nonce:
            raise TimestampError("the TSA's token does not echo our nonce (a replayed answer?)")
        if token.imprint != hashlib.sha256(message).digest():
            raise TimestampError("the TSA's token is over another message imprint")
        if self.trust_anchors:
            verify_token(body, message, self.trust_anchors)
        return token

    def _post(self, query: bytes) -> bytes:
        try:
            with self._http.stream("POST", self.url, content=query) as reply:
                if reply.status_code >= 500 or reply.status_code in (408, 429):
                    raise TsaUnavailableError(
                        f"the TSA at {self.url} answered HTTP {reply.status_code}"
                    )
                if reply.status_code != 200:
                    raise TimestampError(f"the TSA at {self.url} answered HTTP {reply.status_code}")
                kind = reply.headers.get("Content-Type", "").split(";")[0].strip()
                if kind != REPLY_CONTENT_TYPE:
                    raise TimestampError(f"the TSA at {self.url} answered {kind or 'no type'}")
                body = bytearray()
                for chunk in reply.iter_bytes():
                    body += chunk
                    if len(body) > MAX_REPLY_BYTES:
                        raise TimestampError(f"the TSA at {self.url} answered too much")
                return bytes(body)
        except httpx.TransportError as exc:
            raise TsaUnavailableError(f"cannot reach the TSA at {self.url}: {exc}") from exc
