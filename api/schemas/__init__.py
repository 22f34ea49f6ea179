"""Request and response bodies of the API (pydantic), one module per resource.

Conventions: `*Create` is what a client sends, `*Public` what it gets back, `*Fields` the
fields a `*Create` shares with its `/prepare` twin. Addresses are EIP-55 strings, hashes and
ids 0x-prefixed 32-byte hex, amounts that may exceed 2^53 decimal strings. Each model carries
an example for the OpenAPI document. Shared field types and examples live in `common`.
"""
