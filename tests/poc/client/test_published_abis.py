"""An outside reader with nothing of this project but `GET /v1/chain` (addresses and ABIs) and
the node's URL: viem 2 reads the contracts and the ledger's events with the published ABIs, and
what it reads equals what the API reports (issue 17: "the API publishes neither ABIs nor
addresses per contract").

The script runs in Node from the repository's root, so that `viem` resolves from its
node_modules; the API is reached in process (the suite's `consortium`), the node over HTTP as
any client would reach it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from poc.sandbox.anvil import AnvilProcess
from tests.api.flows import api_contribution, api_project
from tests.api.support import Consortium
from tests.databases import SQLITE

pytestmark = [pytest.mark.anvil, pytest.mark.databases(SQLITE)]

ROOT = Path(__file__).resolve().parents[3]
NODE = shutil.which("node")

READER = r"""
import { createPublicClient, http, parseEventLogs } from "viem";

const chain = JSON.parse(process.env.CHAIN_JSON);
const ids = JSON.parse(process.env.CONTRIBUTION_IDS);
const client = createPublicClient({ transport: http(process.env.RPC_URL) });
const ledger = chain.deployed.find((c) => c.name === "PocLedger");
const read = (contract, functionName, args = []) =>
  client.readContract({ address: contract.address, abi: contract.abi, functionName, args });

const out = { chainId: await client.getChainId(), versions: {}, contributions: {} };
out.projectCount = Number(await read(ledger, "projectCount"));
for (const contract of chain.deployed) {
  if (contract.abi.some((item) => item.type === "function" && item.name === "version")) {
    out.versions[contract.name] = await read(contract, "version");
  }
}
for (const id of ids) {
  const info = await read(ledger, "contribution", [id]);
  out.contributions[id] = {
    contributor: info.contributor,
    projectId: Number(info.projectId),
    registeredAt: Number(info.registeredAt),
  };
}
const fromBlock = BigInt(chain.deployBlock);
const logs = await client.getLogs({ address: ledger.address, fromBlock });
out.registered = parseEventLogs({ abi: ledger.abi, logs, eventName: "ContributionRegistered" }).map(
  (event) => ({
    contributionId: event.args.contributionId,
    commitment: event.args.commitment,
    value: event.args.value.toString(),
  }),
);
console.log(JSON.stringify(out));
"""


def _read_with_viem(chain_json: dict[str, Any], rpc_url: str, ids: list[str]) -> dict[str, Any]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", READER],
        cwd=ROOT,
        env={
            **os.environ,
            "CHAIN_JSON": json.dumps(chain_json),
            "RPC_URL": rpc_url,
            "CONTRIBUTION_IDS": json.dumps(ids),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(NODE is None, reason="needs Node")
def test_viem_reads_the_chain_with_the_published_abis_as_the_api_reports_it(
    consortium: Consortium, anvil_node: AnvilProcess
) -> None:
    project_id = api_project(consortium)
    member = consortium.partner_b
    ids = [api_contribution(consortium, member, project_id, label) for label in ("trial", "notes")]
    consortium.sync()
    chain_json = consortium.client.get("/v1/chain", headers=member.headers).json()

    seen = _read_with_viem(chain_json, anvil_node.url, ids)

    assert seen["chainId"] == chain_json["chainId"]
    assert seen["projectCount"] >= project_id
    assert seen["versions"] == {
        c["name"]: c["version"]
        for c in chain_json["deployed"]
        if any(item.get("name") == "version" for item in c["abi"])
    }
    assert seen["versions"], "no published contract answers version()"
    registered = {event["contributionId"]: event for event in seen["registered"]}
    for contribution_id in ids:
        api = consortium.client.get(
            f"/v1/contributions/{contribution_id}", headers=member.headers
        ).json()
        assert seen["contributions"][contribution_id] == {
            "contributor": api["contributor"],
            "projectId": api["projectId"],
            "registeredAt": api["registeredAt"],
        }
        assert registered[contribution_id]["commitment"] == api["commitment"]
        assert registered[contribution_id]["value"] == api["value"]
