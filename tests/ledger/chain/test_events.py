"""Typed events: one class per ABI event with the ABI's argument names, decoded from receipts
and from eth_getLogs in block ranges."""

from __future__ import annotations

import dataclasses

from eth_abi.abi import encode
from eth_utils.abi import abi_to_signature
from eth_utils.crypto import keccak

from ledger.chain.artifacts import load_artifact, load_release_artifact, released_versions
from ledger.chain.events import (
    DEFAULT_DECODER,
    EVENT_CONTRACTS,
    UNMAPPED_ABI_EVENTS,
    decode_receipt,
    get_events,
    python_name,
)
from ledger.domain.events import (
    EVENT_CLASSES,
    ContractEvent,
    ContributionRegistered,
    IdentitySet,
    PolicySet,
    ProjectCreated,
)
from tests.ledger.conftest import Env


def test_every_abi_event_has_a_class_with_the_abi_names() -> None:
    assert UNMAPPED_ABI_EVENTS == ()
    location = {f.name for f in dataclasses.fields(ContractEvent)}
    abi_events = {
        entry["name"]: entry
        for name in EVENT_CONTRACTS
        for entry in load_artifact(name).abi
        if entry["type"] == "event"
    }
    assert {cls.event_name for cls in EVENT_CLASSES} == set(abi_events)
    for cls in EVENT_CLASSES:
        fields = [f.name for f in dataclasses.fields(cls) if f.name not in location]
        inputs = abi_events[cls.event_name].get("inputs", [])
        assert fields == [python_name(i["name"]) for i in inputs], cls.__name__
        assert cls.__doc__


def test_topics_cover_every_contract_and_earlier_releases() -> None:
    assert EVENT_CONTRACTS == ("PocLedger", "RoyaltyVault", "PocExchange")
    artifacts = [load_artifact(name) for name in EVENT_CONTRACTS]
    artifacts += [load_release_artifact(v, "PocLedger") for v in released_versions()]
    signatures = {
        abi_to_signature(entry)
        for artifact in artifacts
        for entry in artifact.abi
        if entry["type"] == "event"
    }
    assert {bytes(keccak(text=s)) for s in signatures} == set(DEFAULT_DECODER.topics)
    # The current signature is the one logs are stated in; earlier ones are read too.
    assert DEFAULT_DECODER.topics_of(PolicySet)[0] == DEFAULT_DECODER.topic_of(PolicySet)
    assert len(DEFAULT_DECODER.topics_of(PolicySet)) == 2
    assert len(DEFAULT_DECODER.topics_of(ContributionRegistered)) == 2
    assert python_name("from") == "from_" and python_name("companyNumber") == "company_number"


def test_receipt_events_only_from_the_named_contract(memory_env: Env) -> None:
    env = memory_env
    result = env.ledger.set_identity(env.alice, "Universiteit Gent", "BE0248015142")

    assert decode_receipt(result.receipt) == result.events
    assert decode_receipt(result.receipt, address=env.vault.address) == ()
    (event,) = result.events
    assert isinstance(event, IdentitySet)
    assert event.address == env.ledger.address
    assert event.block_hash == result.receipt.block_hash
    assert event.log_index == result.receipt.logs[0].log_index


def test_get_events_filters_by_project_and_type_in_chunks(env: Env) -> None:
    start = env.chain.block_number() + 1
    first = env.create_project()
    second = env.create_project([env.bob, env.carol])
    ids = [env.register(env.bob, first), env.register(env.bob, second)]
    env.ledger.set_identity(env.dave, "Inagro", "BE0000000097")

    everything = get_events(env.chain.w3, env.ledger.address, start)
    in_chunks = get_events(env.chain.w3, env.ledger.address, start, max_block_span=2)
    first_only = env.ledger.get_events(start, project_id=first)
    registered = env.ledger.get_events(start, event_types=[ContributionRegistered])

    assert in_chunks == everything
    assert [e.block_number for e in everything] == sorted(e.block_number for e in everything)
    assert any(isinstance(e, IdentitySet) for e in everything)
    assert first_only and all(getattr(e, "project_id", None) == first for e in first_only)
    assert not any(isinstance(e, IdentitySet) for e in first_only)
    assert [e.contribution_id for e in registered if isinstance(e, ContributionRegistered)] == ids
    created = [e for e in everything if isinstance(e, ProjectCreated)]
    assert [e.project_id for e in created] == [first, second]


def test_decoder_reads_a_registration_of_release_1_1_without_card_hash() -> None:
    # Release 1.1.0's ContributionRegistered had no cardHash: its logs have another topic0,
    # which the decoder knows from the release's ABI; the event decoded takes the zero card
    # hash and, told its topic, is stated in its own (old) ABI form, as format 1 proof bundles
    # state it.
    [old] = [
        e
        for e in load_release_artifact("1.1.0", "PocLedger").abi
        if e["type"] == "event" and e["name"] == "ContributionRegistered"
    ]
    decoder = DEFAULT_DECODER
    topic = keccak(text=abi_to_signature(old))
    assert topic != DEFAULT_DECODER.topic_of(ContributionRegistered)
    assert DEFAULT_DECODER.topics_of(ContributionRegistered)[1:] == (topic,)
    contributor = "0x" + "11" * 20
    indexed = [
        encode([i["type"]], [v])
        for i, v in zip(
            [i for i in old["inputs"] if i["indexed"]], [7, b"\x0c" * 32, contributor], strict=True
        )
    ]
    plain = [i for i in old["inputs"] if not i["indexed"]]
    values = [
        b"\x0d" * 32,
        1,
        2,
        40,
        [b"\x0e" * 32],
        b"\x00" * 32,
        b"\x00" * 32,
        1_700_000_000,
        "ipfs://x",
    ]
    data = encode([i["type"] for i in plain], values)
    event = decoder.decode_parts(
        [topic, *indexed],
        data,
        address=contributor,
        block_number=3,
        block_hash="0x" + "00" * 32,
        tx_hash="0x" + "00" * 32,
        log_index=0,
    )
    assert isinstance(event, ContributionRegistered)
    assert event.card_hash == b"\x00" * 32 and event.value == 40 and event.project_id == 7
    stated = decoder.abi_arguments(event, topic=topic)
    assert "cardHash" not in stated and list(stated) == [i["name"] for i in old["inputs"]]
    # Without its topic, the current shape: the zero card hash stated.
    assert "cardHash" in DEFAULT_DECODER.abi_arguments(event)
