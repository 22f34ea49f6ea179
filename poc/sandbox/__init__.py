"""`poc sandbox`: a local chain, the contracts, the demo consortium and the app, in one command.

- `anvil`: the managed anvil node process; `demo`: the demo consortium as data;
- `run`: preparing the data directory, starting the chain, deploying, seeding, serving.
"""
