"""`poc sandbox`: a local chain, the contracts, the demo consortium and the app, in one command.

- `anvil` (with `anvil_state` and `processes`): the managed anvil node process, its saved
  state, and the node never outliving the sandbox;
- `data_dir`: the data directory and its lock; `demo`: the demo consortium as data;
- `seed`: seeding the demo on a deployment once, issuing this start's API keys;
- `run`: starting the chain, deploying, seeding, serving, and the one-click reset.
"""
