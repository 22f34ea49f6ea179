"""The composition root: the one place that puts the parts together.

- `cli`: the `poc` command line (deploy, sandbox, verify, export, score, statement);
- `background`: the index follower and the outbox worker in a process of their own;
- `sandbox`: the local demo (the anvil node process, the data directory, the demo seed).

The library (`ledger`) and the HTTP adapter (`api`) know nothing of this package.
"""
