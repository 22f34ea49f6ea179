"""The online checks of a proof bundle, against any node of its chain.

The node is trusted for nothing but its own data: the chain id, the blocks' hashes and
receipts roots, the log indexes its receipts give, the contract's runtime code (a release of
PocLedger, immutables masked, and from 1.1.0 its governance module's), the contribution's
status now and its complete history. `code_matches` and `ledger_releases` say which code is
which release.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from eth_utils.address import to_canonical_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3

from ledger.chain.artifacts import load_artifact, load_release_artifact, released_versions
from ledger.chain.clients import PocExchangeClient
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.domain.values import ContributionStatus
from ledger.errors import LedgerError, ProofError
from ledger.evidence.block_evidence import prove_inclusion
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.bundle import LEDGER_CONTRACT
from ledger.evidence.checks import Problems, Run

_PUSH32: Final = 0x7F
#: The module PocLedger runs its governance in (from release 1.1.0 on).
GOVERNANCE_CONTRACT: Final = "PocGovernance"


def code_matches(actual: bytes, expected: bytes) -> tuple[bool, int]:
    """Whether runtime `actual` is `expected` up to immutables; and how many were masked.

    solc leaves each immutable as a PUSH32 of zeros in the runtime object and fills it at
    deployment. Only those operands may differ; every other byte must be identical.
    """
    if len(actual) != len(expected):
        return False, 0
    masked = 0
    i = 0
    while i < len(expected):
        op = expected[i]
        if op == _PUSH32 and i + 33 <= len(expected) and not any(expected[i + 1 : i + 33]):
            if actual[i] != op:
                return False, masked
            masked += actual[i + 1 : i + 33] != expected[i + 1 : i + 33]
            i += 33
            continue
        if actual[i] != op:
            return False, masked
        # PUSH1..PUSH32 carry 1..32 data bytes that must match as they are.
        width = op - 0x5F if 0x60 <= op <= 0x7F else 0
        if actual[i + 1 : i + 1 + width] != expected[i + 1 : i + 1 + width]:
            return False, masked
        i += 1 + width
    return True, masked


@dataclass(frozen=True)
class LedgerRelease:
    """The runtime code of one release of PocLedger and, from 1.1.0 on, of its PocGovernance
    module. `version` is None for the current release: its contracts report it (`version()`)."""

    version: str | None
    compiler_version: str
    ledger_code: bytes
    module_code: bytes | None


@cache
def ledger_releases() -> tuple[LedgerRelease, ...]:
    """Every release a deployment's code may come from: the current artifacts, then the earlier
    releases kept in ledger/artifacts/releases/ (the code of a deployment never changes)."""
    current = load_artifact(LEDGER_CONTRACT)
    releases = [
        LedgerRelease(
            None,
            current.compiler_version,
            bytes(HexBytes(current.deployed_bytecode)),
            bytes(HexBytes(load_artifact(GOVERNANCE_CONTRACT).deployed_bytecode)),
        )
    ]
    for version in released_versions():
        ledger = load_release_artifact(version, LEDGER_CONTRACT)
        try:
            module: bytes | None = bytes(
                HexBytes(load_release_artifact(version, GOVERNANCE_CONTRACT).deployed_bytecode)
            )
        except LedgerError:  # releases before 1.1.0 have no module
            module = None
        releases.append(
            LedgerRelease(
                version, ledger.compiler_version, bytes(HexBytes(ledger.deployed_bytecode)), module
            )
        )
    return tuple(releases)


def verify_online(run: Run, w3: Web3) -> None:
    """Run every online check of `run.bundle` against the node `w3` (after the offline ones:
    they need the logs those located)."""
    b = run.bundle

    def chain_id(p: Problems) -> str:
        with translating():
            actual = int(w3.eth.chain_id)
        p.expect(actual == b.chain.chain_id, f"the node is on chain {actual}", "chain.chainId")
        return f"the node is on chain {actual}"

    run.run("online: chain id", chain_id, "chain.chainId")
    headers: dict[int, Any] = {}

    def blocks(p: Problems) -> str:
        for located in run.located:
            if located.block_number not in headers:
                with translating():
                    headers[located.block_number] = w3.eth.get_block(located.block_number)
            node = headers[located.block_number]
            if not p.expect(
                bytes(node["hash"]) == located.block_hash,
                f"the node's block {located.block_number} has another hash",
                f"{located.path}.blockHash",
                f"{located.path}.blockNumber",
            ):
                continue
            # The proof against the node's own receiptsRoot, not the bundle's header.
            try:
                value = prove_inclusion(
                    bytes(node["receiptsRoot"]), located.tx_index, located.receipt_proof
                )
                p.expect(
                    value == located.receipt,
                    "the receipt differs from the node's",
                    f"{located.path}.txIndex",
                )
            except ProofError as exc:
                p.add(f"against the node's receiptsRoot: {exc}", f"{located.path}.txIndex")
        return (
            f"{len(headers)} block(s) on the node have the stated hashes; every receipt "
            "proof leads to the receiptsRoot of the node's header"
        )

    run.run("online: blocks and receipts", blocks, "chain.blockHash")

    def log_indexes(p: Problems) -> str:
        for located in run.located:
            if located.log is None:
                continue
            with translating():
                receipt = w3.eth.get_transaction_receipt(HexBytes(located.tx_hash))
            match = [log for log in receipt["logs"] if int(log["logIndex"]) == located.log_index]
            same = bool(match) and (
                to_canonical_address(match[0]["address"]) == located.log.address
                and tuple(bytes(t) for t in match[0]["topics"]) == located.log.topics
                and bytes(match[0]["data"]) == located.log.data
            )
            p.expect(
                same,
                f"the node has another log at index {located.log_index}",
                f"{located.path}.logIndex",
            )
        return "every cited log is at its stated log index"

    run.run("online: log indexes", log_indexes, "chain.logIndex")

    def code(p: Problems) -> str:
        with translating():
            actual = bytes(w3.eth.get_code(b.chain.contract))
        matched = [
            (release, masked)
            for release in ledger_releases()
            for ok, masked in [code_matches(actual, release.ledger_code)]
            if ok
        ]
        if not matched:
            p.add(f"the code at {b.chain.contract} is not PocLedger's", "chain.contract")
            return f"runtime code (keccak {to_hex(keccak(actual))[:18]}…) is no release's"
        release, masked = matched[0]
        version = release.version
        module_note = ""
        if release.module_code is not None:
            # The ledger runs its governance in this module by DELEGATECALL: code that could
            # write anything in the ledger's storage and log under its address. Its address is
            # an immutable (masked above), so it is checked here, not taken on trust.
            ledger = w3.eth.contract(
                address=b.chain.contract, abi=load_artifact(LEDGER_CONTRACT).abi
            )
            with translating():
                module = ledger.functions.governance().call()
                module_code = bytes(w3.eth.get_code(module))
                version = str(ledger.functions.version().call())
            module_ok, module_masked = code_matches(module_code, release.module_code)
            p.expect(
                module_ok,
                f"the governance module {module} of {b.chain.contract} is not PocGovernance's",
                "chain.contract",
            )
            module_note = f"; its module {module} is PocGovernance ({module_masked} immutables)"
        return (
            f"runtime code (keccak {to_hex(keccak(actual))[:18]}…) is PocLedger {version} "
            f"{release.compiler_version} ({masked} immutables){module_note}"
        )

    run.run("online: contract code", code, "chain.contract")

    def status(p: Problems) -> str:
        contract = w3.eth.contract(address=b.chain.contract, abi=load_artifact(LEDGER_CONTRACT).abi)
        with translating():
            info = contract.functions.contribution(b.contribution.contribution_id).call()
        actual = ContributionStatus(int(info[3]))
        p.expect(
            actual == b.contribution.status,
            f"the contract says {actual.name.title()} now",
            "contribution.status",
        )
        return f"the contract says {actual.name.title()}"

    run.run("online: status", status, "contribution.status")

    def completeness(p: Problems) -> str:
        builder = ProofBuilder(w3, b.chain.contract, exchange_address=b.chain.exchange)
        if b.chain.exchange is not None:
            # Only an exchange bound to this ledger speaks for its projects.
            bound = PocExchangeClient(w3, b.chain.exchange).ledger()
            p.expect(
                bound == b.chain.contract,
                f"the exchange at {b.chain.exchange} reads the ledger at {bound}",
                "chain.exchange",
            )
        reg = builder.registration_log(b.contribution.contribution_id)
        p.expect(
            reg.tx_hash == b.chain.tx_hash and reg.log_index == b.chain.log_index,
            "the node registered this contribution elsewhere",
            "chain.txHash",
            "chain.logIndex",
        )
        now = [
            (log.tx_hash, log.log_index)
            for log in builder.history_logs(
                b.contribution.contribution_id, b.contribution.project_id
            )
        ]
        stated = [(e.tx_hash, e.log_index) for e in b.history]
        missing = len([x for x in now if x not in stated])
        extra = [i for i, x in enumerate(stated) if x not in now]
        p.expect(
            not missing, f"{missing} history event(s) on chain are not in the bundle", "history"
        )
        for i in extra:
            p.add(
                "not a history event on the node", f"history[{i}].txHash", f"history[{i}].logIndex"
            )
        identity = builder.identity_log(b.contribution.contributor, reg)
        stated_identity = b.identity.evidence if b.identity else None
        p.expect(
            (identity is None and stated_identity is None)
            or (
                identity is not None
                and stated_identity is not None
                and (identity.tx_hash, identity.log_index)
                == (stated_identity.tx_hash, stated_identity.log_index)
            ),
            "the identity is not the latest declared before the registration",
            "identity",
        )
        policy = builder.policy_log(b.contribution.project_id, reg)
        p.expect(
            policy is not None
            and (policy.tx_hash, policy.log_index)
            == (b.policy.evidence.tx_hash, b.policy.evidence.log_index),
            "the policy is not the one in force at the registration",
            "policy",
        )
        return f"history ({len(stated)} events), identity and policy match the node's logs"

    run.run("online: history complete", completeness, "history")
