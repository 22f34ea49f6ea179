"""The exception tree of the ledger library.

Every exception the library raises on purpose derives from `LedgerError`. Foreign exceptions
(web3, requests, websockets, eth-tester, py-evm) never escape the chain layer: they are
translated in one place, `ledger.chain.translate.translate`, and raised `from` the original.
Contract reverts are decoded by one table from error selector to class, built from the ABIs
(`ledger.chain.reverts`); the store turns its driver's errors into `StoreError` in one place
(`ledger.store.engine.Database.error`). The HTTP API maps this tree to status codes and stable
error codes in one handler (`api.errors`).

    LedgerError
    ├── ConfigurationError            settings missing or inconsistent
    ├── ArtifactError                 compiled contract artifacts missing or stale
    │   └── ArtifactNotFoundError     no artifact under that contract name     (LookupError)
    ├── ChainError                    talking to the node
    │   ├── RpcConnectionError        node unreachable                    (ConnectionError)
    │   ├── RpcTimeoutError           node did not answer in time         (TimeoutError)
    │   │   └── ReceiptTimeoutError   transaction not mined in time
    │   ├── RpcError                  node answered with an error
    │   │   ├── NonceError
    │   │   │   ├── NonceTooLowError
    │   │   │   └── NonceTooHighError
    │   │   ├── TransactionAlreadyKnownError
    │   │   ├── ReplacementUnderpricedError
    │   │   ├── FeeTooLowError
    │   │   └── InsufficientFundsError
    │   ├── TransactionRevertedError  execution reverted; carries the raw revert data
    │   ├── ChainIdMismatchError      node is on another chain than configured
    │   ├── SnapshotError             snapshots unsupported or unknown
    │   └── AnvilError                the managed anvil process failed
    ├── ContractRevertError           a revert decoded to a contract's custom error
    │   └── DecodedRevertError        one class per Solidity error, in families
    │                                 (not found, forbidden, conflict, ...): ledger.chain.reverts
    ├── SigningError                  keys and signatures
    │   └── KeyLoadError              private key / keystore cannot be loaded
    ├── ScoringError                  the contribution scoring scheme
    │   ├── HistoryError              event history breaks the ledger's rules  (ValueError)
    │   ├── PolicyNotFoundError       no policy / not that version            (LookupError)
    │   ├── PolicyHashMismatchError   PolicySet hash is not keccak(abi.encode(policy))
    │   ├── InvalidPolicyError        policy parameters out of range          (ValueError)
    │   ├── InfeasibleLimitsError     partner cap and floor cannot both hold  (ValueError)
    │   ├── InvalidSplitError         amounts/weights/split to divide malformed (ValueError)
    │   ├── NotScoredError            no such contribution/partner in a score (LookupError)
    │   ├── NoSplitVersionError       no such finalized split version        (LookupError)
    │   └── NothingToSplitError       nothing counts yet: no split to divide by
    ├── ProofError                    building or verifying proof bundles
    │   ├── TimestampError            an RFC 3161 token cannot be had or does not verify
    │   │   └── TsaUnavailableError   the TSA did not answer, or not with a token (ConnectionError)
    │   ├── SealError                 a PDF cannot be sealed, or its seal does not validate
    │   └── NotAnchoredError          no public checkpoint covers that block (yet) (LookupError)
    ├── RecordError                   contribution cards and dispute reasons
    │   ├── RecordFormatError         malformed: a field too long, a control character, an
    │   │                             unknown field, ... (ValueError); `code` and `field`
    │   ├── RecordIntegrityError      a stored record altered: it no longer decrypts, or no
    │   │                             longer hashes to the value the partner signed
    │   └── RecordKeyError            the key that seals records at rest is missing, malformed
    │                                 or not the one they were sealed with
    ├── EnvelopeError                 sealing or opening a shared document (ledger.exchange)
    │   ├── EnvelopeFormatError       bytes or fields not of the documented format (ValueError)
    │   └── EnvelopeIntegrityError    altered, truncated, for another key or recipient, or not
    │                                 the document whose commitment was disclosed
    ├── OpeningError                  proof secrets and openings                (ValueError)
    │   ├── RecoveryPhraseError       words that are no recovery sheet of a proof secret
    │   ├── OpeningFormatError        a file not in the documented opening/sealed format
    │   ├── OpeningMismatchError      an opening that does not open what it names
    │   ├── OpeningConflictError      another opening already kept for that contribution
    │   └── SealedFileError           wrong passphrase, or the encrypted file was altered
    ├── StoreError                    the local database cannot be read or written
    │   └── CorruptDatabaseError      a SQLite file of the store is no readable database
    ├── AgreementError                the consortium agreement builder (ledger.agreement)
    │   ├── InvalidAnswersError       answers malformed or contradicting each other  (ValueError)
    │   ├── UnsupportedTermError      a term the contracts cannot enforce yet        (ValueError)
    │   └── AgreementDocumentError    a canonical document malformed or altered      (ValueError)
    └── ClientError                   a partner's client of the HTTP API (poc.client); `code`
        ├── ApiRefusalError           the API answered with an error: its stable `code`,
        │                             `message`, HTTP `status` and `details`
        ├── ApiUnreachableError       no answer: refused, reset, timed out    (ConnectionError)
        ├── OperationFailedError      an accepted write failed on chain: the operation's code
        ├── OperationTimeoutError     an operation not final within the wait  (TimeoutError)
        └── PreparedDataMismatchError the typed data the API prepared is not what was asked
                                      for (domain, message, signer): nothing was signed
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class LedgerError(Exception):
    """Raised for every error the ledger library reports on purpose."""


class ConfigurationError(LedgerError, ValueError):
    """Raised when settings are missing, malformed or contradict each other."""


class ArtifactError(LedgerError):
    """Raised when a compiled contract artifact is missing, malformed or stale."""


class ArtifactNotFoundError(ArtifactError, LookupError):
    """Raised when no artifact exists for the requested contract name."""


class ChainError(LedgerError):
    """Raised when talking to the chain (node, provider, transaction) fails."""


class RpcConnectionError(ChainError, ConnectionError):
    """Raised when the node cannot be reached (refused, reset, unresolvable)."""


class RpcTimeoutError(ChainError, TimeoutError):
    """Raised when the node did not answer within the configured time."""


class ReceiptTimeoutError(RpcTimeoutError):
    """Raised when a sent transaction was not mined within the wait timeout."""

    def __init__(self, message: str, *, tx_hash: str) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class RpcError(ChainError):
    """Raised when the node answered with an error that no finer class describes."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.rpc_message = message


class NonceError(RpcError):
    """Raised when the node rejects a transaction's nonce."""


class NonceTooLowError(NonceError):
    """Raised when the nonce was already used by a mined or pending transaction."""


class NonceTooHighError(NonceError):
    """Raised when the nonce leaves a gap and the node does not queue such transactions."""


class TransactionAlreadyKnownError(RpcError):
    """Raised when the node already holds this exact signed transaction."""


class ReplacementUnderpricedError(RpcError):
    """Raised when a pending transaction with the same nonce pays at least as much."""


class FeeTooLowError(RpcError):
    """Raised when the offered fee is below the base fee or the node's minimum."""


class InsufficientFundsError(RpcError):
    """Raised when the sender cannot pay value plus gas limit times fee."""


class TransactionRevertedError(ChainError):
    """Raised when execution reverted; `revert_data` holds the raw bytes the EVM returned.

    `revert_data` is empty when the node gave none (out of gas, invalid opcode, a node
    that hides it). Decoding it into a contract's custom error is `ledger.chain.reverts`' job.
    """

    def __init__(
        self,
        message: str,
        *,
        revert_data: bytes,
        tx_hash: str | None = None,
    ) -> None:
        super().__init__(message)
        self.revert_data = revert_data
        self.tx_hash = tx_hash

    @property
    def selector(self) -> bytes:
        """The first four bytes of the revert data (the error selector), or b"" if fewer."""
        return self.revert_data[:4] if len(self.revert_data) >= 4 else b""


class ChainIdMismatchError(ChainError):
    """Raised when the node reports another chain id than the configuration expects."""


class SnapshotError(ChainError):
    """Raised when a snapshot cannot be taken or reverted to on this chain."""


class AnvilError(ChainError):
    """Raised when the managed anvil process cannot be found, started or stopped."""


class ContractRevertError(LedgerError):
    """Raised when a transaction or call reverted with a decodable contract error."""


class SigningError(LedgerError):
    """Raised when a key is unusable or a signature cannot be made or checked."""


class KeyLoadError(SigningError):
    """Raised when a private key or an encrypted keystore cannot be loaded."""


class ScoringError(LedgerError):
    """Raised when the Proof-of-Contribution scoring cannot be computed."""


class HistoryError(ScoringError, ValueError):
    """Raised when an event history breaks the ledger's rules (order, unknown ids, transitions)."""


class PolicyNotFoundError(ScoringError, LookupError):
    """Raised when the history sets no policy, or not the requested version."""


class PolicyHashMismatchError(ScoringError, ValueError):
    """Raised when a PolicySet's hash is not keccak256(abi.encode(policy)) of its policy."""


class InvalidPolicyError(ScoringError, ValueError):
    """Raised when a policy's scoring parameters are out of range (e.g. unit scale 0)."""


class InfeasibleLimitsError(ScoringError, ValueError):
    """Raised when the partner cap and floor cannot both hold for the partners to be paid."""


class InvalidSplitError(ScoringError, ValueError):
    """Raised when an amount, weights or a split to divide are malformed."""


class NotScoredError(ScoringError, LookupError):
    """Raised when a score is asked about a contribution or partner it does not contain."""


class NoSplitVersionError(ScoringError, LookupError):
    """Raised when a project has no finalized split version (the one asked for, or any)."""


class NothingToSplitError(ScoringError):
    """Raised when a split is asked for while no contribution counts yet."""


class ProofError(LedgerError):
    """Raised when a proof bundle cannot be built or does not verify."""


class TimestampError(ProofError):
    """Raised when an RFC 3161 timestamp token cannot be obtained, parsed or verified."""


class TsaUnavailableError(TimestampError, ConnectionError):
    """Raised when the timestamp authority cannot be reached or answers with an HTTP error
    (worth trying again later, unlike a token that does not verify)."""


class SealError(ProofError):
    """Raised when a PDF cannot be sealed (key, certificate, TSA) or its seal does not validate."""


class NotAnchoredError(ProofError, LookupError):
    """Raised when no checkpoint on the public chain covers the block asked about (yet)."""


class RecordError(LedgerError):
    """Raised when a contribution card or a dispute reason cannot be used."""


class RecordFormatError(RecordError, ValueError):
    """Raised when a card or reason breaks its format; `code` is stable (`card_too_long`, ...)
    and `field` names the offending field (`title`, `parents[2].note`, ...) when there is one."""

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class RecordIntegrityError(RecordError):
    """Raised when a stored card or reason was altered: it fails to decrypt under its record id,
    or its canonical hash is not the one the partner signed."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class RecordKeyError(RecordError, ConfigurationError):
    """Raised when the records key is missing or malformed, or is not the key a record was
    sealed with."""


class EnvelopeError(LedgerError):
    """Raised when a shared document or its wrapped key cannot be sealed or opened."""


class EnvelopeFormatError(EnvelopeError, ValueError):
    """Raised when bytes or fields are not of the format of docs/exchange.md (no header, an
    unknown version, a malformed key envelope, a key of the wrong length)."""


class EnvelopeIntegrityError(EnvelopeError):
    """Raised when a sealed document or wrapped key does not open (altered, truncated, extended,
    for another key, recipient or disclosure) or opens to a document other than the one whose
    commitment was disclosed."""


class OpeningError(LedgerError, ValueError):
    """Raised when a proof secret, an opening or an encrypted file of them is unusable."""


class RecoveryPhraseError(OpeningError):
    """Raised when words are not the recovery sheet of a proof secret (unknown word, count,
    checksum); the message names the first wrong word by its position."""


class OpeningFormatError(OpeningError):
    """Raised when a file is not an opening or a sealed file in the documented format."""


class OpeningMismatchError(OpeningError):
    """Raised when an opening does not open what it names: its commitment, its contribution
    id, or (derived salts) the salt the proof secret gives."""


class OpeningConflictError(OpeningError):
    """Raised when another opening is already kept for the same contribution."""


class SealedFileError(OpeningError):
    """Raised when a sealed file cannot be opened: the passphrase is wrong, or the file was
    altered (AES-GCM cannot tell the two apart)."""


class StoreError(LedgerError):
    """Raised when the local database cannot be read or written."""


class CorruptDatabaseError(StoreError):
    """Raised when a SQLite file of the store is not a readable database (damaged, or not
    SQLite at all); the message names the file and what to do about it."""

    def __init__(self, message: str, *, path: Path | None, holds: tuple[str, ...]) -> None:
        super().__init__(message)
        self.path = path
        self.holds = holds


class AgreementError(LedgerError):
    """Raised when a consortium agreement cannot be built, rendered or checked."""


class InvalidAnswersError(AgreementError, ValueError):
    """Raised when the answers of an agreement are malformed, out of range or contradict each
    other; `problems` lists each one with its field, stable code and message."""

    def __init__(self, problems: tuple[AnswerProblem, ...]) -> None:
        self.problems = problems
        first = problems[0] if problems else None
        summary = f"{first.location}: {first.message}" if first else "invalid answers"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(summary + more)


class UnsupportedTermError(AgreementError, ValueError):
    """Raised when an answer asks for a term that the on-chain policy of this release cannot
    enforce (the text would promise what the contract does not do)."""

    def __init__(self, message: str, *, code: str, location: str) -> None:
        super().__init__(message)
        self.code = code
        self.location = location


class AgreementDocumentError(AgreementError, ValueError):
    """Raised when bytes offered as a canonical agreement document are not one, or do not
    hash to the value they are checked against; `code` says which."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class ClientError(LedgerError):
    """Raised by the partner's client of the HTTP API (`poc.client`); `code` is stable."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message if f"({self.code})" in self.message else f"{self.message} ({self.code})"


class ApiRefusalError(ClientError):
    """Raised when the API answers with an error body: its `code` and `message` as the API
    gave them, the HTTP `status`, and the `details` (field locations) of a validation error."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int,
        details: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.details = details

    def __str__(self) -> str:
        where = "".join(f"; {location}: {text}" for location, text in self.details[:3])
        return f"{self.message}{where} ({self.code})"


class ApiUnreachableError(ClientError, ConnectionError):
    """Raised when the API cannot be reached or does not answer in time."""


class OperationFailedError(ClientError):
    """Raised when a write the API accepted failed (on chain, or could not be sent); `code` is
    the operation's error code and `operation_id` names it."""

    def __init__(self, message: str, *, code: str, operation_id: str) -> None:
        super().__init__(message, code=code)
        self.operation_id = operation_id


class OperationTimeoutError(ClientError, TimeoutError):
    """Raised when an operation is not confirmed or failed within the time waited."""

    def __init__(self, message: str, *, operation_id: str) -> None:
        super().__init__(message, code="operation_timeout")
        self.operation_id = operation_id


class PreparedDataMismatchError(ClientError):
    """Raised before signing when the typed data a `/prepare` route returned is not the one
    the client asked for: another chain or contract in the domain, another signer, a message
    field that differs from the request, a digest that is not the data's. Nothing is signed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="prepared_data_mismatch")


@dataclass(frozen=True)
class AnswerProblem:
    """One problem of an agreement's answers: where (dotted path), a stable code, a message."""

    location: str
    code: str
    message: str
