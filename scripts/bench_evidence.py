"""Benchmark the evidence layer: offline verification time per bundle, and the time to export
a project evidence pack of 10,000 contributions.

Figures (printed as `figure  value  goal`, or as JSON with `--json`):
- `verify_offline_ms`: mean offline `verify_document` time per bundle, over the bundles of a
  small consortium (direct, by signature, batched, with history), many rounds (goal <= 20 ms);
- `verify_offline_p95_ms`: its 95th percentile;
- `export_pack_s`: wall time of `export_project` for N contributions (bundles, PDFs, ROL,
  manifest), on a fresh anvil seeded fast: batches anchored in one transaction each, then
  every leaf revealed, hundreds of reveals per block (automine off, one `evm_mine` per chunk);
- `export_per_contribution_ms` and `pack_mb`.

`run(...)` returns the records for other tools; `python scripts/bench_evidence.py --json`.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from api.i18n import certificate_text  # noqa: E402
from ledger.chain.connection import Backend, ChainConfig, connect_anvil, connect_memory  # noqa: E402
from ledger.chain.deploy import clients_for, deploy_ledger  # noqa: E402
from ledger.chain.transactions import TxRequest  # noqa: E402
from ledger.domain import hashing, merkle  # noqa: E402
from ledger.domain.values import BatchLeaf, Category, Origin, Policy  # noqa: E402
from ledger.evidence.builder import ProofBuilder  # noqa: E402
from ledger.evidence.packs import Opening, check_manifest, export_project  # noqa: E402
from ledger.evidence.verifier import verify_document  # noqa: E402

VERIFY_GOAL_MS = 20.0
REVEAL_GAS = 400_000
REVEALS_PER_BLOCK = 400


@dataclass(frozen=True)
class Record:
    """One measured figure."""

    figure: str
    value: float
    unit: str
    goal: str


def _policy() -> Policy:
    return Policy(
        10_000,
        10_000,
        1,
        86_400,
        6_667,
        6_667,
        0,
        0,
        (
            Category.of("person-hours", "hour", 1, 10_000),
            Category.of("funding", "EUR-cent", 100, 5_000),
        ),
    )


def bench_verify(rounds: int = 30) -> list[Record]:
    """Offline verification time per bundle, over the test scenario's five bundles."""
    from tests.ledger.conftest import Env
    from tests.ledger.evidence.proof_scenario import build_scenario

    chain = connect_memory(ChainConfig(backend=Backend.MEMORY))
    record = deploy_ledger(chain)
    ledger, vault = clients_for(chain, record)
    scenario = build_scenario(Env(chain=chain, record=record, ledger=ledger, vault=vault))
    builder = ProofBuilder(chain.w3, ledger.address)
    documents = [
        json.loads(
            builder.build(o.contribution_id, content_hash=o.content_hash, salt=o.salt).to_bytes()
        )
        for o in scenario.items.values()
    ]
    for document in documents:  # warm caches (ABI codecs, schema validators)
        assert verify_document(document).ok
    samples = []
    for _ in range(rounds):
        for document in documents:
            start = time.perf_counter()
            verify_document(document)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return [
        Record(
            "verify_offline_ms", round(statistics.fmean(samples), 2), "ms", f"<= {VERIFY_GOAL_MS}"
        ),
        Record("verify_offline_p95_ms", round(samples[int(len(samples) * 0.95)], 2), "ms", "-"),
    ]


def bench_export(contributions: int = 10_000, batch_size: int = 1_000) -> list[Record]:
    """Seed `contributions` batched contributions on anvil and export the evidence pack."""
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as tmp:
        config = ChainConfig(backend=Backend.ANVIL, data_dir=Path(tmp))
        from poc.sandbox.anvil import AnvilProcess

        node = AnvilProcess(
            Path(tmp), persist=False, extra_args=("--gas-limit", "2000000000", "--base-fee", "1")
        )
        with node:
            chain = connect_anvil(config, node=node)
            record = deploy_ledger(chain)
            ledger, vault = clients_for(chain, record)
            partners = [chain.sender(i) for i in (1, 2, 3)]
            agreement = hashing.agreement_hash(hashing.text_hash("bench agreement"), bytes(32))
            project = ledger.create_project(
                partners[0], agreement, [p.address for p in partners], _policy()
            ).value
            for p in partners:
                ledger.accept_agreement(p, project, 1, agreement)
            openings: dict[bytes, Opening] = {}
            reveals: list[tuple[int, bytes, BatchLeaf, tuple[bytes, ...]]] = []
            seed_start = time.perf_counter()
            for first in range(0, contributions, batch_size):
                owner = partners[(first // batch_size) % len(partners)]
                leaves, opened = [], []
                for _ in range(min(batch_size, contributions - first)):
                    digest, salt = secrets.token_bytes(32), hashing.new_salt()
                    leaves.append(
                        BatchLeaf(
                            hashing.commitment(owner.address, project, digest, salt),
                            Origin.RESULT,
                            0,
                            8,
                        )
                    )
                    opened.append((digest, salt))
                tree = merkle.MerkleTree.of(leaves)
                batch = ledger.anchor_batch(owner, project, tree.root, len(leaves)).value
                for i, leaf in enumerate(leaves):
                    cid = hashing.contribution_id(project, owner.address, leaf.commitment)
                    openings[cid] = Opening(*opened[i])
                    reveals.append((project, batch, leaf, tree.proof(i)))
            relayer = chain.sender(5)
            w3 = chain.w3
            w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
            for start in range(0, len(reveals), REVEALS_PER_BLOCK):
                txs = [
                    TxRequest(
                        to=ledger.address,
                        data=bytes.fromhex(
                            ledger.contract.encode_abi(
                                "revealBatched",
                                [pid, bid, leaf.as_abi(), list(proof)],
                            )[2:]
                        ),
                        gas=REVEAL_GAS,
                    )
                    for pid, bid, leaf, proof in reveals[start : start + REVEALS_PER_BLOCK]
                ]
                hashes = relayer.send_all(txs)
                w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
                relayer.wait_many(hashes)
            w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
            seed_s = time.perf_counter() - seed_start
            export_start = time.perf_counter()
            archive = export_project(
                w3,
                ledger.address,
                project,
                openings,
                vault=vault.address,
                text=certificate_text("en"),
            )
            export_s = time.perf_counter() - export_start
            assert check_manifest(archive.data) == []
            assert not archive.unopened
    return [
        Record("seed_s", round(seed_s, 1), "s", "-"),
        Record("export_contributions", contributions, "count", "-"),
        Record("export_pack_s", round(export_s, 1), "s", "-"),
        Record("export_per_contribution_ms", round(export_s * 1000 / contributions, 2), "ms", "-"),
        Record("pack_mb", round(len(archive.data) / 1e6, 1), "MB", "-"),
    ]


def run(*, contributions: int = 10_000, rounds: int = 30, export: bool = True) -> list[Record]:
    """All figures: offline verification, then (unless `export=False`) the pack export."""
    records = bench_verify(rounds)
    if export:
        records += bench_export(contributions)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contributions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-export", action="store_true", help="only the verify figures")
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    args = parser.parse_args(argv)
    records = run(contributions=args.contributions, rounds=args.rounds, export=not args.no_export)
    if args.json:
        print(json.dumps([asdict(r) for r in records], indent=2))
    else:
        for r in records:
            print(f"{r.figure:<28} {r.value:>12} {r.unit:<6} goal {r.goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
