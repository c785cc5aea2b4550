"""A hook answer printed for people: messages and operations named by field."""

from __future__ import annotations

from handlers.testing import content_payload
from service.answer_text import describe_answer, schema_ids


def test_answers_name_the_fields_they_touch() -> None:
    """Datapoint ids become schema ids where the payload's tree knows them."""
    payload = content_payload("updated", fields={"currency": "eur"})
    names = schema_ids(payload)
    currency = next(i for i, name in names.items() if name == "currency")
    answer = {
        "messages": [
            {"type": "warning", "content": "Check it.", "id": currency},
            {"type": "error", "content": "Whole document."},
            {"type": "info", "content": "Elsewhere.", "id": 99},
        ],
        "operations": [{"op": "replace", "id": currency, "value": {"content": {"value": "EUR"}}}],
        "automation_blockers": [{"content": "Wait for a human."}],
    }
    lines = describe_answer(answer, names).splitlines()
    assert lines[:5] == [
        f"message warning on currency ({currency}): Check it.",
        "message error: Whole document.",
        "message info on datapoint 99: Elsewhere.",
        f'operation replace on currency ({currency}): {{"value": "EUR"}}',
        "automation blocker: Wait for a human.",
    ]
    assert lines[5].startswith("answer: {") and schema_ids({"annotation": {"content": "url"}}) == {}
