"""`ApiModel`: the one base of every body the API reads or writes (docs/api.md, "Names").

JSON member names are camelCase (`projectId`, `companyNumber`); Python attributes stay
snake_case (`project_id`). The alias generator derives the JSON name from the attribute, every
response is serialised by alias, and a request body is read by alias. Names are also accepted
as written in Python (`validate_by_name`) so that the service itself can build models from
keyword arguments; the OpenAPI document, the examples and the docs name only the camelCase form.

A schema that does not inherit this base shows up as snake_case in the served OpenAPI document,
which `tests/api/test_conventions.py` refuses.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """Base of every API schema: camelCase in JSON, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


def camel_keys(value: Any) -> Any:
    """`value` with every dict key in it turned camelCase (`partnerCapBps` ->
    `partnerCapBps`), recursively: for the views the API serves as plain JSON (a policy as
    the chain emitted it, an operation's decoded events), so they follow the convention too."""
    if isinstance(value, dict):
        return {to_camel(str(k)) if "_" in str(k) else k: camel_keys(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [camel_keys(v) for v in value]
    return value


#: A free-form JSON object the API serves with camelCase keys (`camel_keys`).
CamelDict = Annotated[dict[str, Any], PlainSerializer(camel_keys, return_type=dict[str, Any])]


def policy_view(value: dict[str, Any]) -> dict[str, Any]:
    """A policy as stored (the JSON `PolicySet` carries, snake_case) as the API serves it:
    camelCase, and each category's `unitScale` (uint64) a decimal string."""
    view: dict[str, Any] = camel_keys(value)
    categories = view.get("categories")
    if isinstance(categories, list):
        view["categories"] = [
            {**c, "unitScale": str(c["unitScale"])}
            if isinstance(c, dict) and isinstance(c.get("unitScale"), int)
            else c
            for c in categories
        ]
    return view


#: A policy document served by the API (`policy_view`).
PolicyView = Annotated[dict[str, Any], PlainSerializer(policy_view, return_type=dict[str, Any])]
