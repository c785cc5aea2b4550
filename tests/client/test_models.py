"""Lenient models and the content-tree walker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from client import walk_content
from client.models import Annotation, Email, Hook, Queue

SAMPLES = Path(__file__).parent / "samples"

TREE = [
    {
        "id": 1,
        "category": "section",
        "schema_id": "invoice_info",
        "children": [
            {
                "id": 2,
                "category": "datapoint",
                "schema_id": "invoice_id",
                "content": {"value": "F-1"},
            },
            {"id": 3, "category": "datapoint", "schema_id": "amount_total", "content": {}},
        ],
    },
    {
        "id": 4,
        "category": "section",
        "schema_id": "line_items_section",
        "children": [
            {
                "id": 5,
                "category": "multivalue",
                "schema_id": "line_items",
                "children": [
                    {
                        "id": 6,
                        "category": "tuple",
                        "schema_id": "line_item",
                        "children": [
                            {"id": 7, "category": "datapoint", "schema_id": "item_amount"},
                        ],
                    },
                    {
                        "id": 8,
                        "category": "tuple",
                        "schema_id": "line_item",
                        "children": [
                            {"id": 9, "category": "datapoint", "schema_id": "item_amount"},
                        ],
                    },
                ],
            }
        ],
    },
]


def test_unknown_fields_are_kept_and_missing_ones_default_to_none() -> None:
    """A new API field never breaks parsing and stays readable; absent fields are None."""
    queue = Queue.model_validate({"id": 1, "name": "Q", "dedicated_engine": {"id": 9}})
    assert queue.dedicated_engine == {"id": 9}  # type: ignore[attr-defined]
    assert queue.workspace is None
    assert queue.model_extra == {"dedicated_engine": {"id": 9}}


def test_clashing_field_names_are_read_from_their_api_names() -> None:
    """`schema` and `from` land in `schema_` and `from_` and dump back under their own names."""
    annotation = Annotation.model_validate({"id": 1, "schema": "https://x/schemas/2"})
    email = Email.model_validate({"from": {"email": "a@b.c"}})
    assert annotation.schema_ == "https://x/schemas/2"
    assert email.from_ == {"email": "a@b.c"}
    assert annotation.model_dump(by_alias=True)["schema"] == "https://x/schemas/2"


def test_json_bytes_parse_straight_into_a_model() -> None:
    """`model_validate_json` on raw bytes gives the same model as decoded dicts."""
    raw = json.dumps({"id": 5, "status": "to_review", "labels": []}).encode()
    assert Annotation.model_validate_json(raw) == Annotation.model_validate(json.loads(raw))


def test_real_hook_object_parses() -> None:
    """A real exported hook object (rossum-coupa-integration) parses with its config."""
    hook = Hook.model_validate_json((SAMPLES / "hook_object_webhook_real.json").read_bytes())
    assert hook.type == "webhook"
    assert isinstance(hook.config, dict)


def test_walk_content_finds_datapoints_by_schema_id_at_any_depth() -> None:
    """Datapoints inside sections and inside multivalue rows are found in document order."""
    assert [n["id"] for n in walk_content(TREE, "item_amount")] == [7, 9]
    assert [n["id"] for n in walk_content(TREE, "invoice_id")] == [2]
    assert list(walk_content(TREE, "missing")) == []


def test_walk_content_without_schema_id_yields_every_node() -> None:
    """Sections, multivalues, tuples and datapoints are all visited, depth first."""
    assert [n["id"] for n in walk_content(TREE)] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    categories = {n["category"] for n in walk_content(TREE)}
    assert categories == {"section", "multivalue", "tuple", "datapoint"}


@pytest.mark.parametrize(
    "container",
    [
        pytest.param({"content": TREE}, id="content-endpoint-answer"),
        pytest.param({"id": 1, "status": "to_review", "content": TREE}, id="annotation-dict"),
        pytest.param(Annotation(id=1, content=TREE), id="annotation-model"),
    ],
)
def test_walk_content_accepts_annotations_and_content_answers(container: object) -> None:
    """The walker takes the tree itself or anything that holds it under `content`."""
    assert [n["id"] for n in walk_content(container, "line_item")] == [6, 8]


def test_walk_content_ignores_malformed_nodes() -> None:
    """Odd nodes (None, strings, children that are not lists) are skipped, not fatal."""
    tree = [None, "x", {"schema_id": "a", "children": "nope"}, {"schema_id": "a"}]
    assert len(list(walk_content(tree, "a"))) == 2
    assert list(walk_content(None)) == []
