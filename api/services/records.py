"""Contribution cards and dispute reasons: kept sealed in the store, opened only when they still
hash to the value the partner signed.

- **Keeping**: a card (or reason) is sealed with AES-256-GCM (`ledger.sealing`) under the
  records key and stored in the outbox's database (`ledger.store.SealedRecordRow`) before the
  write that puts its hash on chain is accepted, so an accepted registration never lacks its
  card. Its record id names the contribution and the hash, `card:<contribution id>:<card hash>`
  (`reason:<contribution id>:<reason hash>`), and is the cipher's associated data. A record is
  never replaced; a request that fails after its record was kept leaves an unused record, which
  no contribution names.
- **Opening**: the reader asks for the record by the hash the chain holds (the signed
  `card_hash`, the dispute's `reason_hash`). If the ciphertext was changed it no longer decrypts;
  if someone with the key re-sealed other text under that id, it no longer hashes to the signed
  value. Either way `RecordIntegrityError` (`card_altered`, `reason_altered`): the API never
  serves an altered record as valid.
- **The key** (`load_records_key`): the setting `POC_RECORDS_KEY`, else the key file
  (`POC_RECORDS_KEY_FILE`, default `<data dir>/records.key`), made on first start when the
  database holds no sealed record yet. It is never stored in the database.

Who may read a record is `api.services.access`'s to say (the contribution's project).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from api.errors import UnprocessableError
from api.schemas.cards import CardFields, CardPublic, ReasonPublic
from api.settings import ApiSettings
from ledger.domain.cards import ContributionCard, DisputeReason
from ledger.domain.codec import ZERO_HASH
from ledger.errors import RecordFormatError, RecordIntegrityError, RecordKeyError
from ledger.sealing import RecordKey, Sealed
from ledger.store import Store
from ledger.store.records import ContributionFilter
from ledger.store.sealed import SealedRecord

log = logging.getLogger(__name__)

RecordKind = Literal["card", "reason"]
ShownStatus = Literal["altered", "not_kept", "valid"]
_Kept = TypeVar("_Kept", ContributionCard, DisputeReason)


def card_record_id(contribution_id: str, card_hash: str) -> str:
    """The id (and associated data) of a contribution's card record."""
    return f"card:{contribution_id.lower()}:{card_hash.lower()}"


def reason_record_id(contribution_id: str, reason_hash: str) -> str:
    """The id (and associated data) of a dispute reason's record."""
    return f"reason:{contribution_id.lower()}:{reason_hash.lower()}"


_RECORD_ID: dict[RecordKind, Callable[[str, str], str]] = {
    "card": card_record_id,
    "reason": reason_record_id,
}


def load_records_key(settings: ApiSettings, store: Store) -> RecordKey:
    """The records key from the settings or the key file (made if there is none yet and the
    database holds no sealed record). Refuses a key that opens none of the stored records."""
    sealed_with = store.sealed.key_ids()
    if settings.records_key is not None:
        key = RecordKey.from_text(settings.records_key.get_secret_value())
        source = "POC_RECORDS_KEY"
    else:
        path = settings.resolved_records_key_file
        if not path.exists() and sealed_with:
            raise RecordKeyError(
                f"the database holds cards and reasons sealed with the records key "
                f"{', '.join(sorted(sealed_with))}, but there is no key file at {path}: restore "
                "it from its backup (or set POC_RECORDS_KEY); a new key could not read them"
            )
        key, created = RecordKey.load_or_create(path)
        source = str(path)
        if created:
            log.warning(
                "made a new records key in %s (key id %s): back it up apart from the database",
                path,
                key.key_id,
            )
    if sealed_with and key.key_id not in sealed_with:
        raise RecordKeyError(
            f"the records key from {source} (key id {key.key_id}) sealed none of the stored "
            f"cards and reasons (sealed with {', '.join(sorted(sealed_with))})"
        )
    if len(sealed_with) > 1 or (sealed_with and sealed_with != {key.key_id}):
        log.warning(
            "some cards and reasons were sealed with other records keys (%s): they cannot be "
            "read with this one",
            ", ".join(sorted(sealed_with - {key.key_id})),
        )
    return key


@dataclass(frozen=True)
class Records:
    """Keeps and opens the sealed cards and reasons of the store."""

    store: Store
    key: RecordKey

    # ------------------------------------------------------------------------- salts

    def card_salt(self, project_id: int, author: str, commitment: str) -> bytes:
        """The salt of a card whose author gave none: the same registration, the same salt."""
        return self.key.derive_salt("card", str(project_id), author.lower(), commitment.lower())

    def reason_salt(self, contribution_id: str, author: str) -> bytes:
        """The salt of a dispute reason whose author gave none."""
        return self.key.derive_salt("reason", contribution_id.lower(), author.lower())

    def card_for(
        self,
        *,
        project_id: int,
        author: str,
        commitment: str,
        fields: CardFields,
        parents: Sequence[str],
        card_hash: str | None,
    ) -> ContributionCard:
        """The card `fields` make for a registration (salted as given, or derived), checked
        against its parents and against the hash the client computed, if it sent one."""
        card = fields.to_card(self.card_salt(project_id, author, commitment))
        card.check_parents(parents)
        if card_hash is not None and card_hash.lower() != card.hash_hex():
            raise UnprocessableError(
                f"card_hash {card_hash} is not the hash of the card given ({card.hash_hex()}; "
                "docs/proofs.md says how it is computed)",
                code="card_hash_mismatch",
            )
        return card

    # ------------------------------------------------------------------------- keeping

    def keep_card(
        self, *, project_id: int, contribution_id: str, card: ContributionCard, author: str
    ) -> SealedRecord:
        """Seal and store `card` for the contribution (a record already kept is left)."""
        return self._keep("card", card, project_id, contribution_id, author)

    def keep_reason(
        self, *, project_id: int, contribution_id: str, reason: DisputeReason, author: str
    ) -> SealedRecord:
        """Seal and store a dispute reason about the contribution."""
        return self._keep("reason", reason, project_id, contribution_id, author)

    def _keep(
        self,
        kind: RecordKind,
        value: ContributionCard | DisputeReason,
        project_id: int,
        contribution_id: str,
        author: str,
    ) -> SealedRecord:
        record_hash = value.hash_hex()
        record_id = _RECORD_ID[kind](contribution_id, record_hash)
        sealed = self.key.seal(record_id, value.canonical())
        stored, _ = self.store.sealed.add(
            SealedRecord(
                record_id=record_id,
                kind=kind,
                project_id=project_id,
                subject=contribution_id.lower(),
                record_hash=record_hash,
                key_id=sealed.key_id,
                nonce=sealed.nonce,
                ciphertext=sealed.ciphertext,
                created_by=author,
                created_at=time.time(),
            )
        )
        return stored

    # ------------------------------------------------------------------------- opening

    def card(self, contribution_id: str, card_hash: str) -> ContributionCard | None:
        """The contribution's card that hashes to `card_hash` (the signed value), None if
        the service holds none; `RecordIntegrityError` (`card_altered`) if the stored one was
        changed."""
        return self._read("card", ContributionCard, contribution_id, card_hash)

    def reason(self, contribution_id: str, reason_hash: str) -> DisputeReason | None:
        """The dispute reason that hashes to `reason_hash`, as `card` does for cards."""
        return self._read("reason", DisputeReason, contribution_id, reason_hash)

    def _read(
        self, kind: RecordKind, form: type[_Kept], contribution_id: str, record_hash: str
    ) -> _Kept | None:
        record = self.store.sealed.get(_RECORD_ID[kind](contribution_id, record_hash))
        if record is None:
            return None
        plaintext = self._open(record, kind)
        try:
            value = form.from_canonical(plaintext)
        except RecordFormatError as exc:
            raise _altered(kind, record, f"it is no longer a {kind} ({exc})") from exc
        if value.hash_hex() != record_hash.lower():
            raise _altered(kind, record, f"it hashes to {value.hash_hex()}")
        return value

    # ------------------------------------------------------------------ reads for the API

    def project_cards(self, project_id: int) -> dict[bytes, ContributionCard]:
        """The valid cards of a project's contributions, by contribution id, for exports.
        A card that was altered is left out (and logged): an export never carries it."""
        cards: dict[bytes, ContributionCard] = {}
        index = self.store.index
        after = 0
        while True:
            page = index.list_contributions(
                ContributionFilter(project_id=project_id), after=after, limit=500
            )
            for record in page.items:
                if record.card_hash == ZERO_HASH:
                    continue
                try:
                    card = self.card(record.contribution_id, record.card_hash)
                except RecordIntegrityError as exc:
                    log.error("export without the card of %s: %s", record.contribution_id, exc)
                    continue
                if card is not None:
                    cards[bytes.fromhex(record.contribution_id[2:])] = card
            if page.next_cursor is None:
                return cards
            after = page.next_cursor

    def card_public(self, contribution_id: str, card_hash: str | None) -> CardPublic:
        """The card as a read shows it: never an altered one (status `altered`, card null)."""
        if card_hash is None or card_hash == ZERO_HASH:
            return CardPublic(card_hash=None, status="none", card=None)
        status, card = _shown(self.card, contribution_id, card_hash)
        return CardPublic(card_hash=card_hash, status=status, card=card)

    def reason_public(self, contribution_id: str, reason_hash: str) -> ReasonPublic:
        """The dispute reason as a read shows it (see `card_public`)."""
        if reason_hash == ZERO_HASH:
            return ReasonPublic(reason_hash=reason_hash, status="none", reason=None)
        status, reason = _shown(self.reason, contribution_id, reason_hash)
        return ReasonPublic(reason_hash=reason_hash, status=status, reason=reason)

    def _open(self, record: SealedRecord, kind: RecordKind) -> bytes:
        try:
            return self.key.open(
                record.record_id, Sealed(record.key_id, record.nonce, record.ciphertext)
            )
        except RecordIntegrityError as exc:
            raise _altered(kind, record, "it no longer decrypts") from exc


def _shown(
    read: Callable[[str, str], ContributionCard | DisputeReason | None],
    contribution_id: str,
    record_hash: str,
) -> tuple[ShownStatus, dict[str, Any] | None]:
    """What a read shows of a kept record: its status and, when valid, its JSON."""
    try:
        value = read(contribution_id, record_hash)
    except RecordIntegrityError:
        return "altered", None
    if value is None:
        return "not_kept", None
    return "valid", value.to_json()


def _altered(kind: RecordKind, record: SealedRecord, how: str) -> RecordIntegrityError:
    what = "card" if kind == "card" else "dispute reason"
    return RecordIntegrityError(
        f"the stored {what} of contribution {record.subject} was altered in the database: "
        f"{how}, not to the {record.record_hash} the partner signed",
        code=f"{kind}_altered",
    )
