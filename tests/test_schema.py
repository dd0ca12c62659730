"""The JSON Schemas are the single source of truth; they must agree with the SPEC's tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from annotated_edition.validation import schema
from editions import REPO

SPEC = (REPO / "SPEC.md").read_text(encoding="utf-8")


def spec_table(heading: str) -> dict[str, bool]:
    """Field name -> required, from the table under ``heading`` in SPEC.md."""
    section = SPEC.split(heading, 1)[1]
    rows = re.findall(r"^\| `([a-z_]+)` \| [^|]+ \| ([^|]+) \|", section.split("\n## ", 1)[0], flags=re.M)
    return {name: required.strip().startswith("yes") for name, required in rows}


def schema_fields(document: dict) -> dict[str, bool]:
    required = set(document.get("required", []))
    return {name: name in required for name in document["properties"]}


def test_glossary_schema_matches_spec_table() -> None:
    assert schema_fields(schema("glossary-entry.schema.json")) == spec_table("## Glossary entries")


def test_notes_schema_matches_spec_table() -> None:
    assert schema_fields(schema("notes.schema.json")["items"]) == spec_table("## Notes:")


def test_source_fields_match_spec_sentence() -> None:
    sentence = SPEC.split("A source is a mapping:", 1)[1].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z_]+)`", sentence))
    fields = schema_fields(schema("source.schema.json"))
    assert set(fields) == named
    assert [name for name, required in fields.items() if required] == ["title"]


def test_enums_match_spec() -> None:
    notes = schema("notes.schema.json")["items"]["properties"]
    assert notes["type"]["enum"] == re.findall(r"`([a-z]+)`", SPEC.split("| `type` |", 1)[1].split("|", 1)[0])
    assert schema("glossary-entry.schema.json")["properties"]["link"]["enum"] == ["first", "all", "none"]


@pytest.mark.parametrize("name", ["glossary-entry.schema.json", "notes.schema.json", "source.schema.json"])
def test_schemas_are_valid_json_schema(name: str) -> None:
    document = schema(name)
    jsonschema.validators.validator_for(document).check_schema(document)


def test_every_edition_file_names_its_schema() -> None:
    for path in sorted((REPO / "annotations").rglob("*.yml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        kind = "glossary-entry" if path.parent.name == "glossary" else "notes"
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target.name == f"{kind}.schema.json" and target.is_file(), path
        assert json.loads(Path(target).read_text())["$id"] == target.name
