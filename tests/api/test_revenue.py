"""Paying revenue into a project's vault through the API (docs/api.md, "Paying revenue in"):
ETH from a custodial payer through the service, ETH and an ERC-20 (with its approval) from the
payer's own wallet with the transactions `/revenue/prepare` hands out, and the refusal before a
split is in force."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from ledger.chain.clients import ETH
from tests.api.flows import api_contribution, api_project, write
from tests.api.support import Consortium
from tests.contracts.support import artifact

DAY = 24 * 3600


def _finalized_split(consortium: Consortium) -> int:
    coord, b, _ = consortium.partners
    project_id = api_project(consortium)
    by_b = api_contribution(consortium, b, project_id, "b-doc")
    write(consortium, coord, f"/v1/contributions/{by_b}/endorsements", {"rating": 4})
    consortium.chain.increase_time(8 * DAY)
    consortium.sync()
    op = write(consortium, b, f"/v1/projects/{project_id}/splits")
    write(consortium, coord, f"/v1/projects/{project_id}/splits/{op['resourceId']}/approvals")
    return project_id


def _send(consortium: Consortium, account: LocalAccount, tx: dict[str, Any]) -> Any:
    """Sign and send a transaction `/revenue/prepare` handed out, as a wallet would."""
    w3 = consortium.chain.w3
    assert tx["from"] == account.address
    signed = account.sign_transaction(
        {
            "to": tx["to"],
            "data": tx["data"],
            "value": int(tx["value"]),
            "gas": int(tx["gas"]),
            "chainId": tx["chainId"],
            "nonce": w3.eth.get_transaction_count(account.address),
            "gasPrice": w3.eth.gas_price,
        }
    )
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction)
    )
    assert receipt["status"] == 1
    return receipt


def _received(consortium: Consortium, project_id: int, token: str) -> str:
    consortium.sync()
    balances = consortium.client.get(
        f"/v1/projects/{project_id}/balances?token={token}", headers=consortium.partner_b.headers
    ).json()
    return str(next(t for t in balances["tokens"] if t["token"] == token)["received"])


def test_pay_revenue_before_a_split_is_in_force_is_409_no_split_in_force(
    consortium: Consortium,
) -> None:
    project_id = api_project(consortium)
    for path in ("revenue", "revenue/prepare"):
        response = consortium.client.post(
            f"/v1/projects/{project_id}/{path}",
            json={"amount": "1000"},
            headers=consortium.coordinator.headers,
        )

        assert response.status_code == 409, response.text
        assert response.json()["code"] == "no_split_in_force"


def test_pay_revenue_custodial_eth_lands_in_the_vault(consortium: Consortium) -> None:
    project_id = _finalized_split(consortium)

    op = write(
        consortium, consortium.coordinator, f"/v1/projects/{project_id}/revenue", {"amount": "1000"}
    )

    assert op["kind"] == "deposit_revenue"
    assert _received(consortium, project_id, ETH) == "1000"
    # An ERC-20 is paid from the payer's own wallet (it signs the approval).
    token = consortium.client.post(
        f"/v1/projects/{project_id}/revenue",
        json={"amount": "1000", "token": "0x" + "11" * 20},
        headers=consortium.coordinator.headers,
    )
    assert token.status_code == 422 and token.json()["code"] == "not_custodial"


def test_pay_revenue_prepare_eth_is_one_deposit_from_the_own_wallet(consortium: Consortium) -> None:
    project_id = _finalized_split(consortium)
    payer = consortium.partner_c

    prepared = consortium.client.post(
        f"/v1/projects/{project_id}/revenue/prepare",
        json={"amount": "2000000000000000000"},
        headers=payer.headers,
    )

    assert prepared.status_code == 200, prepared.text
    (deposit,) = prepared.json()["transactions"]
    assert deposit["purpose"] == "deposit" and deposit["value"] == "2000000000000000000"
    _send(consortium, payer.account, deposit)
    assert _received(consortium, project_id, ETH) == "2000000000000000000"


def test_pay_revenue_prepare_erc20_approves_then_deposits(consortium: Consortium) -> None:
    project_id = _finalized_split(consortium)
    payer = consortium.partner_c
    w3 = consortium.chain.w3
    token_artifact = artifact("MockERC20")
    factory = w3.eth.contract(abi=token_artifact.abi, bytecode=token_artifact.bytecode)
    deployed = w3.eth.wait_for_transaction_receipt(
        factory.constructor("Royalty Token", "RYT").transact({"from": w3.eth.accounts[0]})
    )
    token = w3.eth.contract(address=deployed["contractAddress"], abi=token_artifact.abi)
    token.functions.mint(payer.address, 10**24).transact({"from": w3.eth.accounts[0]})
    body = {"token": token.address, "amount": "123456789012345678901"}

    prepared = consortium.client.post(
        f"/v1/projects/{project_id}/revenue/prepare", json=body, headers=payer.headers
    ).json()["transactions"]

    assert [t["purpose"] for t in prepared] == ["approve", "deposit"]
    assert prepared[0]["to"] == token.address
    for tx in prepared:
        _send(consortium, payer.account, tx)
    assert _received(consortium, project_id, token.address) == "123456789012345678901"
    # Approved and spent: the next payment needs a new approval.
    again = consortium.client.post(
        f"/v1/projects/{project_id}/revenue/prepare", json=body, headers=payer.headers
    ).json()["transactions"]
    assert [t["purpose"] for t in again] == ["approve", "deposit"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": "0"}, "zero_amount"),
        ({"amount": 2**60}, "invalid_request"),
        ({"amount": "-5"}, "invalid_request"),
    ],
)
def test_pay_revenue_refuses_bad_input_with_its_code(
    consortium: Consortium, body: dict[str, Any], code: str
) -> None:
    project_id = api_project(consortium, accept=False)

    response = consortium.client.post(
        f"/v1/projects/{project_id}/revenue", json=body, headers=consortium.coordinator.headers
    )

    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
