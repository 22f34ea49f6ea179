"""Certificates the sandbox makes for itself: a test CA for its local timestamp authority, and a
self-signed demo operator certificate that seals the PDF certificates.

Nothing here is for production. A production operator seals with a certificate from a real CA
(e.g. a qualified seal under eIDAS) and asks a real TSA for timestamps; both are configured by
path and URL (`ledger.evidence.seal`, `ledger.evidence.timestamps`). The sandbox needs its own so
that everything works offline, yet is checked exactly as production is: the tokens of its TSA
verify with `openssl ts -verify` against the test root, its seals with pyhanko and pdfsig.

Keys are ECDSA P-256 (small, fast, accepted by OpenSSL's `ts`, pyhanko and poppler). Files are
PEM; private keys unencrypted and owner-only, as befits a throwaway sandbox. All made with the
`cryptography` package.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Validity of everything the sandbox issues: long enough that a sandbox kept for years still
# verifies its old tokens against the current time (openssl ts -verify checks "now").
VALIDITY = dt.timedelta(days=3650)
# Backdated a little, so that a clock a few minutes behind does not make fresh certs "not yet
# valid".
BACKDATE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Issued:
    """A key and its certificate."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, cert_sign: bool, signature: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signature,
        content_commitment=signature,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def make_root_ca(common_name: str, organisation: str) -> Issued:
    """A self-signed root CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name, organisation)
    certificate = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True, signature=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, certificate)


def _issued_by(issuer: Issued) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())


def make_intermediate_ca(issuer: Issued, common_name: str, organisation: str) -> Issued:
    """A CA certificate issued by `issuer`, allowed to issue end-entity certificates only."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        _builder(_name(common_name, organisation), issuer.certificate.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True, signature=False), critical=True)
        .add_extension(_issued_by(issuer), critical=False)
        .sign(issuer.key, hashes.SHA256())
    )
    return Issued(key, certificate)


def make_tsa_certificate(issuer: Issued, common_name: str, organisation: str) -> Issued:
    """A timestamping certificate: the critical extended key usage id-kp-timeStamping and
    nothing else, as RFC 3161 section 2.3 requires of a TSA's signing certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        _builder(_name(common_name, organisation), issuer.certificate.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False, signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(_issued_by(issuer), critical=False)
        .sign(issuer.key, hashes.SHA256())
    )
    return Issued(key, certificate)


def make_self_signed_seal(common_name: str, organisation: str) -> Issued:
    """A self-signed certificate for sealing documents (digital signature and non-repudiation,
    the usages PDF validators look for in a signer)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name, organisation)
    certificate = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False, signature=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return Issued(key, certificate)


def pkcs12_bytes(issued: Issued, *, friendly_name: str, password: bytes | None) -> bytes:
    """`issued` as a PKCS#12 archive (encrypted with `password`, if given)."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode(), issued.key, issued.certificate, None, encryption
    )


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only (created so: never world-readable, not even
    for a moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def load_issued(key_path: Path, certificate_path: Path) -> Issued:
    """A key and certificate written by this module."""
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_path} does not hold an EC private key")
    return Issued(key, x509.load_pem_x509_certificate(certificate_path.read_bytes()))
