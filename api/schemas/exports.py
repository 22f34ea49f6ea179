"""Exports for lawyers: the openings (content hash and salt) a bundle needs, and what the
certificate says beside the bundle (its language; the project name the exporter gives, which
the certificate marks as not on the ledger). The contribution's title and description are its
card's, which the bundle carries."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import EXAMPLE_CONTENT_HASH, EXAMPLE_HASH, EXAMPLE_SALT, Bytes32
from ledger.domain.codec import from_hex
from ledger.evidence.packs import (
    Opening,
)


class OpeningIn(ApiModel):
    """What opens a commitment: held by the partner, never stored by the service."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"contentHash": EXAMPLE_CONTENT_HASH, "salt": EXAMPLE_SALT}]
        }
    )

    content_hash: Bytes32 = Field(description="SHA-256 of the file, 0x-hex.")
    salt: Bytes32 = Field(description="The 32-byte salt, 0x-hex.")

    def opening(self) -> Opening:
        return Opening(from_hex(self.content_hash), from_hex(self.salt))


CertificateLanguage = Literal["nl", "en"]
LANGUAGE_HELP = "Language of the certificates (nl or en)."


class CertificateIn(OpeningIn):
    """The opening, and what the certificate says beside the bundle (the title and description
    are the contribution card's, in the bundle)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contentHash": EXAMPLE_CONTENT_HASH,
                    "salt": EXAMPLE_SALT,
                    "language": "nl",
                    "projectName": "FlaxComp",
                }
            ]
        }
    )

    language: CertificateLanguage = Field(default="en", description=LANGUAGE_HELP)
    project_name: str | None = Field(
        default=None, max_length=300, description="The project's name (not on the ledger)."
    )


class OpeningsIn(ApiModel):
    """Openings of the contributions to bundle, by contribution id; others are listed as
    unopened in the pack's manifest (and still appear in the Results Ownership List)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "openings": {
                        EXAMPLE_HASH: {"contentHash": EXAMPLE_CONTENT_HASH, "salt": EXAMPLE_SALT}
                    }
                },
                {"openings": {}},
            ]
        }
    )

    openings: dict[Bytes32, OpeningIn] = Field(default_factory=dict)
    language: CertificateLanguage = Field(default="en", description=LANGUAGE_HELP)

    def by_id(self) -> dict[bytes, Opening]:
        return {from_hex(cid): o.opening() for cid, o in self.openings.items()}
