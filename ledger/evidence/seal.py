"""Sealing PDF certificates: a PAdES baseline B-T signature by the operator, with pyhanko.

A sealed certificate shows, in any PDF reader, who issued it and that not a byte of it changed
since: the operator's certificate signs the whole file (PAdES, subfilter ETSI.CAdES.detached,
SHA-256), and a timestamp token from a TSA over that signature (the "T" of B-T) fixes when. The
seal is about the PDF; the proof bundle it describes proves the contribution by itself.

- `SealIdentity.from_pkcs12` / `from_pem`: the operator's key and certificate (a PKCS#12 file,
  or PEM key and certificate plus optional chain), as settings name them;
- `seal_pdf(pdf, identity, tsa_url=...)`: the sealed PDF (an incremental update of `pdf`: the
  original bytes stay as they were, the signature is appended);
- `validate_seal(pdf, trust_roots=..., tsa_roots=...)`: pyhanko's validation of the seal
  (integrity, signature, chain to the roots given, the timestamp and its chain), as a
  `SealReport`.

The sandbox seals with a self-signed demo certificate (`poc.sandbox.pki`) and its local TSA; a
production operator uses a certificate from a CA its readers trust (e.g. a qualified seal under
eIDAS) and a qualified TSA. Neither changes this code.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import PdfSignatureMetadata, SimpleSigner, sign_pdf
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyhankoSigningError
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ledger.errors import SealError

SEAL_FIELD: Final = "OperatorSeal"
DIGEST: Final = "sha256"
DEFAULT_TSA_TIMEOUT: Final = 10


@dataclass(frozen=True)
class SealIdentity:
    """The operator's sealing key and certificate, ready for pyhanko."""

    signer: SimpleSigner

    @property
    def subject(self) -> str:
        """The certificate's subject, as readers show it (e.g. "Common Name: …")."""
        certificate = self.signer.signing_cert
        return str(certificate.subject.human_friendly) if certificate is not None else ""

    @classmethod
    def from_pkcs12(cls, path: str | Path, password: bytes | None = None) -> SealIdentity:
        """From a PKCS#12 (.p12/.pfx) file holding the key, its certificate and maybe a chain."""
        data = _read(path, "PKCS#12 file")
        try:
            signer = SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=password)
        except (ValueError, TypeError) as exc:
            raise SealError(
                f"cannot load the seal's PKCS#12 file {path} (wrong password?): {exc}"
            ) from exc
        return cls(signer)

    @classmethod
    def from_pem(
        cls,
        key: str | Path,
        certificate: str | Path,
        *,
        chain: Sequence[str | Path] = (),
        password: bytes | None = None,
    ) -> SealIdentity:
        """From a PEM (or DER) private key, its certificate and the issuing CAs, if any."""
        try:
            private_key = load_private_key_from_pemder_data(
                _read(key, "seal key"), passphrase=password
            )
            certificates = list(load_certs_from_pemder_data(_read(certificate, "certificate")))
            others = [
                cert for item in chain for cert in load_certs_from_pemder_data(_read(item, "chain"))
            ]
        except (ValueError, TypeError) as exc:
            raise SealError(f"cannot load the seal's key or certificate: {exc}") from exc
        if len(certificates) != 1:
            raise SealError(f"{certificate} must hold one certificate, not {len(certificates)}")
        registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
        registry.register_multiple(others)
        return cls(
            SimpleSigner(
                signing_cert=certificates[0], signing_key=private_key, cert_registry=registry
            )
        )


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SealError(f"cannot read the {what} {path}: {exc}") from exc


def seal_pdf(
    pdf: bytes,
    identity: SealIdentity,
    *,
    tsa_url: str,
    reason: str = "Issued by the poc-ledger operator; unchanged since if this seal is valid",
    location: str | None = None,
    tsa_timeout: int = DEFAULT_TSA_TIMEOUT,
) -> bytes:
    """`pdf` sealed by `identity`, with a signature timestamp from the TSA at `tsa_url`
    (PAdES B-T). Raises SealError if the PDF cannot be read or the TSA does not answer: a
    certificate is never issued half-sealed."""
    metadata = PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm=DIGEST,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    timestamper = HTTPTimeStamper(tsa_url, timeout=tsa_timeout)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=True)
        output = sign_pdf(writer, metadata, signer=identity.signer, timestamper=timestamper)
    except TimestampRequestError as exc:
        raise SealError(f"the TSA at {tsa_url} gave no timestamp for the seal: {exc}") from exc
    except (PdfError, PyhankoSigningError, ValueError) as exc:
        raise SealError(f"cannot seal the PDF: {exc}") from exc
    except OSError as exc:  # aiohttp's connection errors derive from OSError
        raise SealError(f"cannot reach the TSA at {tsa_url}: {exc}") from exc
    sealed: bytes = output.getvalue()
    return sealed


# ------------------------------------------------------------------------------ validating


@dataclass(frozen=True)
class SealReport:
    """What pyhanko found about a PDF's seal.

    `intact`: the signed bytes hash to the signed digest; `valid`: the signature over them
    verifies; `trusted`: the signer's certificate chains to a trust root given; `covers_file`:
    nothing was appended after the seal; `timestamped`/`timestamp_trusted`: a signature
    timestamp is present and chains to a TSA root given. `ok` is all of them.
    """

    intact: bool
    valid: bool
    trusted: bool
    covers_file: bool
    timestamped: bool
    timestamp_trusted: bool
    signer: str
    timestamp: datetime | None
    summary: str

    @property
    def ok(self) -> bool:
        return all(
            (
                self.intact,
                self.valid,
                self.trusted,
                self.covers_file,
                self.timestamped,
                self.timestamp_trusted,
            )
        )


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


def validate_seal(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    tsa_roots: Sequence[x509.Certificate],
) -> SealReport:
    """Validate the one seal of `pdf` against `trust_roots` (for the operator's certificate)
    and `tsa_roots` (for its timestamp). Raises SealError when the PDF has no seal or cannot
    be read at all; a seal that does not hold is a report with `ok` False."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        seals = reader.embedded_regular_signatures
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise SealError(f"cannot read the PDF: {exc}") from exc
    if len(seals) != 1:
        raise SealError(f"expected one seal in the PDF, found {len(seals)}")
    signer_context = ValidationContext(trust_roots=[_asn1(c) for c in trust_roots])
    tsa_context = ValidationContext(trust_roots=[_asn1(c) for c in tsa_roots])
    try:
        status: Any = validate_pdf_signature(
            seals[0], signer_validation_context=signer_context, ts_validation_context=tsa_context
        )
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
        return SealReport(
            intact=False,
            valid=False,
            trusted=False,
            covers_file=False,
            timestamped=False,
            timestamp_trusted=False,
            signer="",
            timestamp=None,
            summary=f"the seal cannot be validated: {exc}",
        )
    timestamp = status.timestamp_validity
    return SealReport(
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        covers_file=status.coverage.name == "ENTIRE_FILE",
        timestamped=timestamp is not None,
        timestamp_trusted=bool(
            timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted
        ),
        signer=str(status.signing_cert.subject.human_friendly),
        timestamp=timestamp.timestamp if timestamp is not None else None,
        summary=str(status.summary()),
    )
