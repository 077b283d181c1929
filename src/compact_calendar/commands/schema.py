"""``compact-calendar schema``: the registry's JSON Schema, for yaml-language-server."""

from __future__ import annotations

import argparse
import json
from typing import Any

from compact_calendar.registry.model import Registry

SCHEMA_ID = "https://compact-calendar.example.org/events.schema.json"


def registry_schema() -> dict[str, Any]:
    schema = Registry.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def render_schema() -> str:
    return json.dumps(registry_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace) -> int:
    del args
    print(render_schema(), end="")
    return 0
