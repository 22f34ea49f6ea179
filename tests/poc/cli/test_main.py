"""The `poc` command line: subcommand registration, error reporting, and `poc deploy` against a
real anvil process treated as any external JSON-RPC node."""

from __future__ import annotations

import argparse
import json
import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3
from web3.types import Wei

from ledger.chain.clients import LEDGER_CONTRACT, VAULT_CONTRACT, RoyaltyVaultClient
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.keystore import KeyStore
from ledger.errors import AnvilError, ConfigurationError
from poc.cli import main as cli
from poc.sandbox.anvil import AnvilProcess, find_anvil

# anvil's first dev key (public knowledge: the default test mnemonic).
DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
DEV_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("POC_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilProcess]:
    """A node of this module's own: deployments here must not disturb the shared fixtures."""
    try:
        find_anvil()
    except AnvilError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
    with AnvilProcess(tmp_path_factory.mktemp("external"), persist=False) as process:
        yield process


# -- the parser --------------------------------------------------------------------------------


def test_parser_has_deploy_and_registered_commands() -> None:
    parser = cli.build_parser()
    args = parser.parse_args(["deploy", "--rpc-url", "http://127.0.0.1:8545"])
    assert args.command == "deploy"
    assert args.out == Path("deployment.json")
    assert args.confirmations == 0
    args = parser.parse_args(["sandbox", "--chain", "memory", "--port", "0"])
    assert (args.command, args.chain, args.port, args.reset) == ("sandbox", "memory", 0, False)


def _add_command(monkeypatch: pytest.MonkeyPatch, name: str, handler: cli.Handler) -> None:
    """Register a module offering command `name` the way real modules do."""
    module = types.ModuleType(f"tests_fake_{name}")

    def register_commands(subparsers: cli.Subparsers) -> None:
        parser = subparsers.add_parser(name)
        parser.add_argument("words", nargs="*")
        parser.set_defaults(handler=handler)

    module.register_commands = register_commands  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, module.__name__))


def test_register_commands_adds_a_module_subcommand(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def hello(args: argparse.Namespace) -> int:
        print("hello", *args.words)
        return 7

    _add_command(monkeypatch, "hello", hello)
    assert cli.main(["hello", "world"]) == 7
    assert capsys.readouterr().out == "hello world\n"


def test_main_reports_ledger_error_with_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(_: argparse.Namespace) -> int:
        error = ConfigurationError("broken setting")
        error.add_note("hint: fix it")
        raise error

    _add_command(monkeypatch, "fail", fail)
    assert cli.main(["fail"]) == cli.EXIT_ERROR
    assert capsys.readouterr().err == "poc fail: error: broken setting\n  hint: fix it\n"


def test_main_lets_bugs_keep_their_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(_: argparse.Namespace) -> int:
        raise ZeroDivisionError("a bug")

    _add_command(monkeypatch, "crash", crash)
    with pytest.raises(ZeroDivisionError):
        cli.main(["crash"])


def test_main_without_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([])
    assert exit_info.value.code == cli.EXIT_USAGE
    assert "COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
        ("https://arb-mainnet.example.com/v2/SECRETKEY", "https://arb-mainnet.example.com/…"),
        ("wss://user:pass@node.example:8546/", "wss://node.example:8546/…"),
        ("https://node.example/rpc?apikey=SECRET", "https://node.example/…"),
        ("http://[::1]:8545", "http://[::1]:8545"),
        ("not a url", "<rpc url>"),
    ],
)
def test_redact_url_keeps_only_scheme_host_and_port(url: str, shown: str) -> None:
    assert cli.redact_url(url) == shown


@pytest.mark.parametrize("value", ["-1", "two"])
def test_deploy_rejects_bad_confirmations(value: str) -> None:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["deploy", "--confirmations", value])


# -- poc deploy --------------------------------------------------------------------------------


def _deployed(node: AnvilProcess, out: Path) -> DeploymentRecord:
    record = DeploymentRecord.read(out)
    w3 = Web3(HTTPProvider(node.url))
    assert record.chain_id == 31337
    assert record.genesis_hash == w3.eth.get_block(0)["hash"].to_0x_hex()
    assert set(record.addresses) == {LEDGER_CONTRACT, VAULT_CONTRACT}
    for contract in record.contracts:
        assert w3.eth.get_code(contract.address)
        receipt = w3.eth.get_transaction_receipt(contract.tx_hash)
        assert receipt["contractAddress"] == contract.address
        assert receipt["blockNumber"] == contract.block_number
    vault = RoyaltyVaultClient(w3, record.address(VAULT_CONTRACT))
    assert vault.ledger() == record.address(LEDGER_CONTRACT)
    return record


@pytest.mark.anvil
def test_deploy_with_env_key_writes_record(
    node: AnvilProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("POC_PRIVATE_KEY", DEV_KEY)
    out = tmp_path / "deployment.json"
    assert cli.main(["deploy", "--rpc-url", node.url, "--out", str(out)]) == cli.EXIT_OK
    record = _deployed(node, out)
    assert record.deployer == DEV_ADDRESS
    raw = json.loads(out.read_text())
    assert {"chainId", "genesisHash", "deployer", "deployedAt", "deployBlock", "contracts"} <= set(
        raw
    )
    printed = capsys.readouterr().out
    assert record.address(LEDGER_CONTRACT) in printed
    assert f"deployment record written to {out}" in printed
    assert DEV_KEY[2:] not in printed


@pytest.mark.anvil
def test_deploy_with_keystore_and_password_file(
    node: AnvilProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = KeyStore(tmp_path / "keys", "correct horse", scrypt_n=1 << 4)
    deployer = keys.create("deployer")
    Web3(HTTPProvider(node.url)).eth.send_transaction(
        {"from": DEV_ADDRESS, "to": deployer.address, "value": Wei(10**18)}
    )
    password = tmp_path / "password.txt"
    password.write_text("correct horse\n")
    # The explicit keystore wins over a key in the environment.
    monkeypatch.setenv("POC_PRIVATE_KEY", DEV_KEY)
    out = tmp_path / "out" / "deployment.json"
    argv = [
        "deploy",
        "--rpc-url",
        node.url,
        "--keystore",
        str(keys.path_of("deployer")),
        "--password-file",
        str(password),
        "--out",
        str(out),
    ]
    assert cli.main(argv) == cli.EXIT_OK
    assert _deployed(node, out).deployer == deployer.address


@pytest.mark.anvil
def test_deploy_rpc_url_from_environment(
    node: AnvilProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POC_PRIVATE_KEY", DEV_KEY)
    monkeypatch.setenv("POC_RPC_URL", node.url)
    out = tmp_path / "d.json"
    assert cli.main(["deploy", "--out", str(out)]) == cli.EXIT_OK
    _deployed(node, out)


@pytest.mark.anvil
def test_deploy_refuses_to_overwrite_without_force(
    node: AnvilProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("POC_PRIVATE_KEY", DEV_KEY)
    out = tmp_path / "deployment.json"
    out.write_text("keep me")
    argv = ["deploy", "--rpc-url", node.url, "--out", str(out)]
    assert cli.main(argv) == cli.EXIT_ERROR
    assert "already exists; pass --force" in capsys.readouterr().err
    assert out.read_text() == "keep me"
    assert cli.main([*argv, "--force"]) == cli.EXIT_OK
    _deployed(node, out)


@pytest.mark.anvil
def test_deploy_without_key_fails_clearly(
    node: AnvilProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "deployment.json"
    assert cli.main(["deploy", "--rpc-url", node.url, "--out", str(out)]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("poc deploy: error: no deployer key")
    assert "POC_PRIVATE_KEY" in err
    assert not out.exists()


@pytest.mark.anvil
def test_deploy_wrong_password_fails_clearly(
    node: AnvilProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = KeyStore(tmp_path / "keys", "right", scrypt_n=1 << 4)
    keys.create("deployer")
    password = tmp_path / "password.txt"
    password.write_text("wrong")
    argv = ["deploy", "--rpc-url", node.url, "--keystore", str(keys.path_of("deployer"))]
    argv += ["--password-file", str(password), "--out", str(tmp_path / "d.json")]
    assert cli.main(argv) == cli.EXIT_ERROR
    assert "wrong password" in capsys.readouterr().err


@pytest.mark.anvil
def test_deploy_checks_expected_chain_id(
    node: AnvilProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("POC_PRIVATE_KEY", DEV_KEY)
    out = tmp_path / "d.json"
    argv = ["deploy", "--rpc-url", node.url, "--chain-id", "1", "--out", str(out)]
    assert cli.main(argv) == cli.EXIT_ERROR
    assert "chain 31337, expected chain 1" in capsys.readouterr().err
    assert not out.exists()


def test_deploy_unreachable_node_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POC_PRIVATE_KEY", DEV_KEY)
    monkeypatch.setenv("POC_REQUEST_TIMEOUT", "2")
    argv = ["deploy", "--rpc-url", "http://127.0.0.1:9", "--out", str(tmp_path / "d.json")]
    assert cli.main(argv) == cli.EXIT_ERROR
    assert capsys.readouterr().err.startswith("poc deploy: error:")


@pytest.mark.anvil
def test_deploy_waits_for_confirmations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        find_anvil()
    except AnvilError as exc:
        pytest.skip(str(exc))
    # A node that mines on a clock, as real networks do; automine would never confirm.
    with AnvilProcess(tmp_path / "node", persist=False, block_time=0.5) as clocked:
        monkeypatch.setenv("POC_PRIVATE_KEY", DEV_KEY)
        out = tmp_path / "deployment.json"
        argv = ["deploy", "--rpc-url", clocked.url, "--confirmations", "2", "--out", str(out)]
        assert cli.main(argv) == cli.EXIT_OK
        record = _deployed(clocked, out)
        head = Web3(HTTPProvider(clocked.url)).eth.block_number
        assert head >= max(c.block_number for c in record.contracts) + 2
    assert "2 confirmations reached" in capsys.readouterr().out


@pytest.mark.anvil
def test_deploy_confirmation_timeout_writes_nothing(
    node: AnvilProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("POC_PRIVATE_KEY", DEV_KEY)
    out = tmp_path / "d.json"
    argv = ["deploy", "--rpc-url", node.url, "--out", str(out), "--confirmations", "5"]
    # The module's node mines only on transactions: no confirmation ever comes.
    assert cli.main([*argv, "--confirmation-timeout", "0.5"]) == cli.EXIT_ERROR
    assert "produce blocks without transactions" in capsys.readouterr().err
    assert not out.exists()


def test_deploy_key_must_not_be_an_argument() -> None:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["deploy", "--private-key", DEV_KEY])
