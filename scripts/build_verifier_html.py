"""Build `ledger/evidence/verifier.html`: the single-file proof verifier of the evidence packs.

The page's script (`ledger/evidence/html_verifier/verifier.js`) and its libraries (ethers' ABI
coder, typed-data hashing and transaction parser, @ethereumjs/rlp and trie, @noble/hashes,
@openzeppelin/merkle-tree, all pinned in package.json; and the web pages' own card module,
api/web/static/js/cards.js with its vendored `canonicalize`, so that the page checks a
contribution card by the very rules the pages write it with) are bundled by esbuild into one
inline script; the PocLedger, PocExchange and ChainCheckpoints ABIs (with PocLedger's events
and functions as earlier releases had them, for bundles of their deployments), the EIP-712
types (Register also as releases 1.x signed it), the batch leaf encodings and the verifier's
words in Dutch and English (the `verifier.*` keys of api/web/i18n.json) and the bundle schema of
format 3 (whose `x-integer` marks name the fields written as decimal strings) go in as a JSON
data block. The page's Content-Security-Policy allows that one script and that one style by their
SHA-256 and nothing else: no network, no other code.

    python scripts/build_verifier_html.py           # rewrite the page
    python scripts/build_verifier_html.py --check   # exit 1 if the committed page is stale
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eth_utils.abi import abi_to_signature  # noqa: E402
from eth_utils.crypto import keccak  # noqa: E402

from ledger.chain.artifacts import (  # noqa: E402
    load_artifact,
    load_release_artifact,
    released_versions,
)
from ledger.chain.signing import (  # noqa: E402
    ACTION_TYPES,
    EIP712_DOMAIN_FIELDS,
    REGISTER_V1_FIELDS,
)
from ledger.domain.values import BATCH_LEAF_TYPES, BATCH_LEAF_TYPES_V1  # noqa: E402
from ledger.evidence.bundle import COMMITMENT_FORMULA  # noqa: E402
from ledger.evidence.schema import BUNDLE_SCHEMA  # noqa: E402
from ledger.evidence.timestamps import MESSAGE_FORMAT  # noqa: E402

SOURCE = ROOT / "ledger" / "evidence" / "html_verifier"
TARGET = ROOT / "ledger" / "evidence" / "verifier.html"
I18N = ROOT / "api" / "web" / "i18n.json"
PREFIX = "verifier."

_BUILD = """
require("esbuild").build({
  entryPoints: [process.argv[1]], bundle: true, write: false, format: "iife",
  platform: "browser", target: "chrome110", legalComments: "inline", charset: "utf8",
  define: { global: "globalThis", "process.env.NODE_ENV": '"production"' },
}).then((r) => process.stdout.write(r.outputFiles[0].text))
  .catch((e) => { console.error(e); process.exit(1); });
"""


def _script() -> str:
    done = subprocess.run(
        ["node", "-e", _BUILD, str(SOURCE / "verifier.js")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise SystemExit(f"esbuild failed:\n{done.stderr}")
    # "</script" inside the bundle would end the element early.
    return done.stdout.replace("</script", "<\\/script")


def _data() -> str:
    table = json.loads(I18N.read_text(encoding="utf-8"))
    text = {
        language: {k.removeprefix(PREFIX): v for k, v in entries.items() if k.startswith(PREFIX)}
        for language, entries in table.items()
    }
    ledger_abi = load_artifact("PocLedger").abi
    current = {abi_to_signature(e) for e in ledger_abi if e["type"] in ("event", "function")}
    # PocLedger's events and functions whose signature changed since an earlier release (a
    # PolicySet without parentShareBps; ContributionRegistered, register, registerBySig and
    # revealBatched without cardHash), each once.
    earlier: dict[str, dict[str, object]] = {"event": {}, "function": {}}
    for version in released_versions():
        for entry in load_release_artifact(version, "PocLedger").abi:
            kind = entry["type"]
            if kind in earlier and abi_to_signature(entry) not in current:
                earlier[kind].setdefault(abi_to_signature(entry), entry)
    data = {
        "ledgerAbi": ledger_abi,
        "earlierLedgerEvents": [earlier["event"][k] for k in sorted(earlier["event"])],
        "earlierLedgerFunctions": [earlier["function"][k] for k in sorted(earlier["function"])],
        "checkpointsAbi": load_artifact("ChainCheckpoints").abi,
        "exchangeAbi": load_artifact("PocExchange").abi,
        "timestampDomain": "0x" + keccak(MESSAGE_FORMAT.encode()).hex(),
        "commitmentFormula": COMMITMENT_FORMULA,
        "domainType": [{"name": n, "type": t} for n, t in EIP712_DOMAIN_FIELDS],
        "types": {
            name: [{"name": n, "type": t} for n, t in ACTION_TYPES[name]]
            for name in ("Register", "AnchorBatch")
        },
        "registerV1": [{"name": n, "type": t} for n, t in REGISTER_V1_FIELDS],
        "batchLeaf": list(BATCH_LEAF_TYPES),
        "batchLeafV1": list(BATCH_LEAF_TYPES_V1),
        # Format 3's schema: its `x-integer` marks say which fields are decimal strings.
        "bundleSchema": BUNDLE_SCHEMA,
        "text": text,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def page() -> str:
    script = _script()
    style = (SOURCE / "style.css").read_text(encoding="utf-8")
    csp = (
        f"default-src 'none'; script-src {_digest(script)}; style-src {_digest(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    html = (SOURCE / "page.html").read_text(encoding="utf-8")
    for name, value in (("CSP", csp), ("STYLE", style), ("DATA", _data()), ("SCRIPT", script)):
        html = html.replace("{{" + name + "}}", value, 1)
    return html


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the page is stale")
    args = parser.parse_args()
    built = page()
    if args.check:
        if not TARGET.is_file() or TARGET.read_text(encoding="utf-8") != built:
            print(f"{TARGET} is stale: run python scripts/build_verifier_html.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(built, encoding="utf-8")
    print(f"wrote {TARGET} ({len(built.encode()) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
