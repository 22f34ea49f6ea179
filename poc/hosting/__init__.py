"""Hosted mode (`poc host`): one platform that lends isolated, time-limited sandboxes
(workspaces) to many SMEs. docs/hosting.md describes the design.

- `settings`: the platform's settings (`POC_HOST_*`);
- `registry`: the platform's own tables: workspaces, invitations, sessions, the operator's
  audit log (append-only);
- `databases`: one database per workspace on the platform's server;
- `workspace`: one workspace's runtime (its node, database, data directory and API app, built
  by `poc.wiring`), and the pool that starts them on demand and stops them when idle;
- `gate` and `platform`: the ASGI app in front: routing by host name (or `/w/{slug}`),
  sign-in, quotas and rate limits, the workspace's own page and the operator console;
- `graduation`: the download an SME leaves with;
- `local`: a throw-away PostgreSQL for `poc host --local`.

The sandbox (`poc.sandbox`) knows nothing of this package; this package uses it as the unit
of isolation.
"""
