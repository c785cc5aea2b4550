"""`rossum-hooks send`: payloads built by the kit or taken from a recording, and what changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handlers.testing import build_content_event, content_payload
from replay.payload import Rewrite
from replay.send import built_payload, changed_values, recorded_payload
from replay.setup import ReplayUsageError
from service import cli


def test_content_payloads_carry_fields_rows_and_settings() -> None:
    """Fields, line items and settings land where rules read them."""
    payload = built_payload(
        "annotation_content.updated",
        fields={"amount_total": "25000"},
        rows=[{"item_amount_total": "25000"}],
        settings={"expedite_amount": 20000},
        base_url=None,
        token=None,
        annotation_id=None,
    )
    assert build_content_event().event == payload["event"]
    assert payload["action"] == "updated" and payload["settings"] == {"expedite_amount": 20000}
    assert "25000" in json.dumps(payload["annotation"]["content"])


def test_a_real_annotation_is_named_by_api_url_and_id() -> None:
    """With --api-url and --annotation the payload points there, with its current labels."""
    payload = built_payload(
        "annotation_content.started",
        fields={},
        rows=[],
        settings={},
        base_url="http://127.0.0.1:8900",
        token="tok",
        annotation_id=3001,
        labels=["http://127.0.0.1:8900/api/v1/labels/1"],
    )
    assert payload["annotation"]["url"] == "http://127.0.0.1:8900/api/v1/annotations/3001"
    assert payload["rossum_authorization_token"] == "tok"
    assert payload["annotation"]["labels"] == ["http://127.0.0.1:8900/api/v1/labels/1"]
    status = built_payload(
        "annotation_status.changed",
        fields={},
        rows=[],
        settings={},
        base_url=None,
        token=None,
        annotation_id=None,
    )
    assert status["event"] == "annotation_status"


@pytest.mark.parametrize(
    ("event", "fields", "words"),
    [
        ("annotation_content", {}, "EVENT.ACTION"),
        ("document.created", {}, "unknown event"),
        ("upload.created", {"a": "1"}, "apply to annotation_content"),
    ],
)
def test_bad_events_are_usage_errors(event: str, fields: dict[str, str], words: str) -> None:
    """A missing action, an unknown event or fields on a non-content event: usage errors."""
    with pytest.raises(ReplayUsageError, match=words):
        built_payload(
            event,
            fields=fields,
            rows=[],
            settings={},
            base_url=None,
            token=None,
            annotation_id=None,
        )


def test_changed_values_replay_the_answers_operations() -> None:
    """The values the answer's operations would replace are listed by schema id."""
    payload = content_payload("updated", fields={"currency": " eur"})
    tree = payload["annotation"]["content"]
    ids = {}
    stack = list(tree)
    while stack:
        item = stack.pop()
        ids[item["schema_id"]] = item["id"]
        stack.extend(item.get("children") or [])
    value = {"content": {"value": "EUR"}}
    answer = {"operations": [{"op": "replace", "id": ids["currency"], "value": value}]}
    assert changed_values(payload, answer) == ["currency: ' eur' -> 'EUR'"]
    assert changed_values(payload, {"operations": []}) == []


def test_recorded_lines_are_chosen_and_rewritten(tmp_path: Path) -> None:
    """`FILE:N` takes line N, `FILE` the last; settings and token are rewritten."""
    lines = [
        {"body": content_payload("started", settings={"a": 1}), "status": 200},
        {"body": content_payload("updated"), "status": 200},
    ]
    path = tmp_path / "rec.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    first = recorded_payload(f"{path}:1", Rewrite(token="new", hook_settings={"b": 2}))
    assert first["action"] == "started" and first["settings"] == {"a": 1, "b": 2}
    assert first["rossum_authorization_token"] == "new"
    assert recorded_payload(str(path), Rewrite())["action"] == "updated"
    with pytest.raises(ReplayUsageError, match="line 7"):
        recorded_payload(f"{path}:7", Rewrite())


def test_send_without_a_secret_or_event_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No secret, no event, or --annotation without --api-url: exit 2 with a message."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROSSUM_HOOKS_WEBHOOK_SECRET", raising=False)
    assert cli.main(["send", "annotation_content.updated"]) == 2
    assert "no secret" in capsys.readouterr().err
    assert cli.main(["send", "--secret", "s"]) == 2
    assert "name the event" in capsys.readouterr().err
    assert (
        cli.main(["send", "annotation_content.updated", "--secret", "s", "--annotation", "1"]) == 2
    )
    assert "go together" in capsys.readouterr().err
