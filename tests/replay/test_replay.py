"""`rossum-hooks replay` on recordings made by the service's own recorder (no API at all)."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from handlers.testing import BASE_URL, CLEAN_INVOICE, content_payload, status_payload
from replay.diff import Observed
from replay.engine import replay_records
from replay.payload import RecordingError, Rewrite, parse_records
from service.cli import main
from tests.replay.replay_kit import (
    EXPENSIVE,
    LABELS,
    SECRET,
    invoice_payloads,
    read_lines,
    record,
    write_lines,
)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """Return a recording of a mixed day of deliveries, plus one with a forged signature."""
    path = tmp_path / "deliveries.jsonl"
    forged = [content_payload("updated", **CLEAN_INVOICE)]
    asyncio.run(record(path, invoice_payloads(), forged=forged))
    return path


def replay(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `rossum-hooks replay ARGS`; return the exit status, stdout and stderr."""
    status = main(["replay", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_unchanged_rules_replay_every_answer_same(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Replaying a recording with the rules that made it: all same, exit status 0."""
    status, out, _ = replay(capsys, str(recording), "--dry-run")
    assert status == 0
    assert "replayed 8 deliveries: 8 same, 0 changed" in out
    assert "CHANGED" not in out


def test_threshold_change_reports_changed_labels_and_exits_1(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Raising `expedite_amount` above the invoice's total changes its label calls: exit 1."""
    status, out, _ = replay(
        capsys, str(recording), "--dry-run", "--hook-setting", "expedite_amount=30000"
    )
    assert status == 1
    assert "2 changed" in out
    changed = [line for line in out.splitlines() if line.startswith("CHANGED")]
    assert len(changed) == 2 and all("annotation 701" in line for line in changed)
    assert "  labels (- recorded, + replayed):\n    - add expedite\n" in out


def test_changed_rules_show_message_diff(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A router whose rules warn differently shows the messages that changed."""
    status, out, _ = replay(
        capsys, str(recording), "--dry-run", "--router", "tests.service.replay_rules:router"
    )
    assert status == 1
    assert "  messages (- recorded, + replayed):" in out
    assert '    - warning on datapoint 702002: "Purchase order number is missing."' in out
    assert '    + error on document: "Replay test rule: every invoice is wrong."' in out


def test_dry_run_lists_the_calls_it_would_make(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dry run names each intended write under its delivery and counts them all."""
    status, out, _ = replay(capsys, str(recording), "--dry-run")
    assert status == 0
    assert '  would call: apply_labels {"add":["missing-po"]' in out
    assert "dry run: 3 intended API writes (apply_labels 3); nothing was written" in out


@pytest.mark.parametrize(
    ("filters", "replayed", "filtered"),
    [
        pytest.param(["--event", "annotation_status"], 1, 7, id="event"),
        pytest.param(["--event", "annotation_content.updated,email"], 3, 5, id="event-action"),
        pytest.param(["--action", "initialize", "--action", "confirm"], 2, 6, id="action"),
        pytest.param(["--annotation", "701"], 3, 5, id="annotation"),
    ],
)
def test_filters_pick_deliveries(
    recording: Path,
    capsys: pytest.CaptureFixture[str],
    filters: list[str],
    replayed: int,
    filtered: int,
) -> None:
    """Filters by event, event.action, action and annotation replay only what matches."""
    status, out, _ = replay(capsys, str(recording), "--dry-run", *filters)
    assert status == 0
    assert f"replayed {replayed} deliveries: {replayed} same" in out
    assert f"skipped {filtered} ({filtered} filtered out)" in out


def test_verbose_report_file_lists_every_delivery(
    recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-v` prints same deliveries too; `--report` writes one JSON line per delivery."""
    report = tmp_path / "report.jsonl"
    status, out, _ = replay(capsys, str(recording), "--dry-run", "-v", "--report", str(report))
    assert status == 0
    assert sum(line.startswith("SAME") for line in out.splitlines()) == 8
    lines = read_lines(report)
    assert [r["verdict"] for r in lines] == ["same"] * 8
    assert lines[-1]["status"] == 401 and lines[-1]["event"] == "annotation_content"
    assert lines[0]["calls"][-1]["call"] == "apply_labels"


def test_forged_delivery_is_replayed_as_refused(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A delivery refused for its signature is sent unsigned again and refused again."""
    status, out, _ = replay(capsys, str(recording), "--dry-run", "--event", "annotation_content")
    assert status == 0 and "5 same, 0 changed" in out


def test_records_without_body_are_skipped(
    recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A delivery recorded without a body (not JSON) is counted, not replayed."""
    records = read_lines(recording)
    records[0] = {**records[0], "body": None, "body_error": "body is not valid JSON"}
    path = write_lines(tmp_path / "partial.jsonl", records)
    status, out, _ = replay(capsys, str(path), "--dry-run")
    assert status == 0
    assert "replayed 7 deliveries: 7 same, 0 changed; skipped 1 (1 without a recorded body)" in out


def test_recording_from_stdin(
    recording: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-` reads the recording from standard input."""
    monkeypatch.setattr("sys.stdin", io.StringIO(recording.read_text()))
    status, out, _ = replay(capsys, "-", "--dry-run")
    assert status == 0 and "8 same" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["missing.jsonl", "--dry-run"], "no recording at missing.jsonl", id="no-file"),
        pytest.param(["{rec}"], "in-process replay needs --dry-run", id="nothing-named"),
        pytest.param(
            ["{rec}", "--url", "http://127.0.0.1:9/hooks", "--router", "handlers.rules:router"],
            "only applies in-process",
            id="url-and-router",
        ),
        pytest.param(
            ["{rec}", "--url", "http://127.0.0.1:9/hooks", "--api-url", "http://127.0.0.1:9"],
            "needs --token",
            id="url-and-api-url-without-creds",
        ),
        pytest.param(
            ["{rec}", "--url", "http://127.0.0.1:9/hooks", "--username", "u", "--password", "p"],
            "need --api-url",
            id="url-login-without-api-url",
        ),
        pytest.param(["{rec}", "--dry-run", "--hook-setting", "x"], "KEY=VALUE", id="setting"),
        pytest.param(
            ["{rec}", "--dry-run", "--router", "nowhere:router"], "no module named", id="router"
        ),
        pytest.param(
            ["{rec}", "--dry-run", "--router", "json:dumps"], "not a Router", id="not-router"
        ),
        pytest.param(["{rec}", "--dry-run", "--annotation", "x1"], "numeric ids", id="annotation"),
        pytest.param(["{rec}", "--api-url", "http://127.0.0.1:9"], "needs --token", id="no-creds"),
    ],
)
def test_usage_errors_exit_2(
    recording: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    """Contradictory or incomplete options fail with exit status 2 and say why."""
    for name in ("TOKEN", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"ROSSUM_HOOKS_API_{name}", raising=False)
    status, out, err = replay(capsys, *(a.replace("{rec}", str(recording)) for a in args))
    assert status == 2
    assert message in err and out == ""


def test_bad_recording_line_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A line that is not a delivery record names its line number; exit status 2."""
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"version": 1, "status": 200, "body": {}}) + "\n[1, 2]\n")
    status, _, err = replay(capsys, str(path), "--dry-run")
    assert status == 2 and "line 2: not a delivery record" in err


def test_recorded_token_is_replaced_only_where_one_was_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A payload recorded without a token stays without one: the missing-token answer repeats."""
    path = tmp_path / "no-token.jsonl"
    payload = content_payload("updated", fields=EXPENSIVE, token=None)
    asyncio.run(record(path, [payload]))
    (line,) = read_lines(path)
    assert "rossum_authorization_token" not in line["body"]
    assert "were skipped" in line["answer"]["messages"][-1]["content"]
    status, out, _ = replay(capsys, str(path), "--dry-run")
    assert status == 0 and "1 same" in out


def test_secret_is_read_from_the_environment_for_remote_replays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With --url, the first of ROSSUM_HOOKS_WEBHOOK_SECRET's secrets signs the deliveries."""
    from replay.cli import config_from
    from service.cli import build_parser

    monkeypatch.setenv("ROSSUM_HOOKS_WEBHOOK_SECRET", f"{SECRET}, older-secret")
    argv = ["replay", "rec.jsonl", "--url", "http://127.0.0.1:8000"]
    config = config_from(build_parser(argv).parse_args(argv))
    assert config.secret == SECRET and config.url == "http://127.0.0.1:8000"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_counts_every_line_on_a_terminal(recording: Path) -> None:
    """On a TTY the bar runs over all lines, filtered ones included, and ends at 100%."""
    from replay.engine import Recording, replay_file
    from replay.payload import Selection
    from replay.setup import ReplayConfig

    terminal, out = _Terminal(), io.StringIO()
    selection = Selection(events=frozenset({"annotation_status"}))
    asyncio.run(
        replay_file(
            ReplayConfig(dry_run=True),
            Recording(str(recording)),
            selection=selection,
            out=out,
            progress_stream=terminal,
        )
    )
    assert terminal.getvalue().split("\r")[-1].startswith("replay [" + "#" * 30 + "] 8/8 100%")
    assert "1 same" in out.getvalue()


def test_in_process_replay_ignores_the_services_own_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Env credentials, recording path and live mode of a deployment never reach a replay."""
    from replay.setup import replay_settings

    monkeypatch.setenv("ROSSUM_HOOKS_API_TOKEN", "production-token")
    monkeypatch.setenv("ROSSUM_HOOKS_API_BASE_URL", "https://acme.rossum.app/api/v1")
    monkeypatch.setenv("ROSSUM_HOOKS_RECORD_PATH", "/var/lib/rossum-hooks/deliveries.jsonl")
    settings = replay_settings(secret="s", dry_run=True, allowed=[])
    assert not settings.has_own_credentials()
    assert settings.record_path is None and settings.dry_run is True


def _sideloaded_then_labelled(path: Path) -> None:
    """Record a status change sideloading the `expedite` label, then an expensive invoice
    already carrying it (its rules list the labels to find it: one `list_labels`, no apply)."""
    objects = [{"id": 1, "url": LABELS["expedite"], "name": "expedite", "color": None}]
    payloads = [
        status_payload(annotation_id=700, extra={"labels": objects}),
        content_payload(
            "initialize",
            fields=EXPENSIVE,
            line_items=[],
            annotation_id=701,
            labels=[LABELS["expedite"]],
        ),
    ]
    asyncio.run(record(path, payloads))
    assert [r.get("calls") for r in read_lines(path)][1] == [{"call": "list_labels"}]


def test_labels_an_earlier_delivery_sideloaded_are_known_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no API, the organisation's labels are those the recording showed so far: a label
    sideloaded by a status change (rules decide nothing on labels there) is found by the next
    delivery, which then sees it already on its annotation: no call, as recorded."""
    path = tmp_path / "sideloaded.jsonl"
    _sideloaded_then_labelled(path)
    status, out, _ = replay(capsys, str(path), "--dry-run")
    assert status == 0 and "replayed 2 deliveries: 2 same, 0 changed" in out


def test_labels_are_learnt_per_organisation_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two organisations' deliveries in one recording: each one's sideloaded labels are known
    to its own organisation only, so each finds its own label already on its annotation."""
    path = tmp_path / "two-organisations.jsonl"
    _sideloaded_then_labelled(path)
    first = path.read_text()
    other = first.replace(BASE_URL, "https://other-org.rossum.app")
    assert other != first
    path.write_text(first + other)
    status, out, _ = replay(capsys, str(path), "--dry-run")
    assert status == 0 and "replayed 4 deliveries: 4 same, 0 changed" in out


def test_each_delivery_keeps_the_host_verdict_it_was_recorded_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no API, a delivery whose host the service refused is refused again (no call, the
    error message), and one from an allowed host is served, whichever comes first."""
    other = "https://elsewhere.rossum.app"
    expensive = {"fields": EXPENSIVE, "line_items": []}
    payloads = [
        content_payload("initialize", **expensive, annotation_id=700),
        content_payload("initialize", **expensive, annotation_id=701, base_url=other),
        content_payload("updated", **expensive, annotation_id=702),
    ]
    path = tmp_path / "hosts.jsonl"
    asyncio.run(record(path, payloads))
    outcomes = [(r["outcome"], bool(r["calls"])) for r in read_lines(path)]
    assert outcomes == [("ok", True), ("base_url_not_allowed", False), ("ok", True)]
    status, out, _ = replay(capsys, str(path), "--dry-run")
    assert status == 0 and "replayed 3 deliveries: 3 same, 0 changed" in out


def test_a_recorded_body_that_is_not_json_is_answered_by_the_service(
    recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line whose body was damaged still replays: the service refuses the body (400
    `invalid_json`), reported as a change of that delivery; the others replay the same."""
    lines = recording.read_bytes().splitlines(keepends=True)
    head, _, rest = lines[0].partition(b',"body":')
    lines[0] = head + b',"body":{"truncated": ' + rest[rest.index(b',"body_error":') :]
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_bytes(b"".join(lines))
    status, out, _ = replay(capsys, str(damaged), "--dry-run")
    assert status == 1 and "replayed 8 deliveries: 7 same, 1 changed" in out
    assert "status 400" in out and "line 1 " in out


class _FailingTarget:
    """Answers every delivery 200 `{}` until the `fail_at`-th, which raises."""

    def __init__(self, fail_at: int) -> None:
        self.sent, self._fail_at = 0, fail_at

    async def send(self, headers: object, body: bytes) -> Observed:
        self.sent += 1
        if self.sent == self._fail_at:
            raise OSError("connection refused")
        return Observed(200, {}, None)


@pytest.mark.parametrize("fail_at", [3, 70])
def test_what_was_sent_is_compared_before_an_error_propagates(fail_at: int) -> None:
    """Deliveries go in batches, yet every delivery answered before a failing one is compared
    and emitted, and so is every record before a bad line."""
    good = json.dumps({"version": 1, "status": 200, "answer": {}, "body": {"event": "x"}})
    emitted: list[int] = []

    async def run(lines: list[str], target: _FailingTarget) -> None:
        await replay_records(
            parse_records(lines),
            target,
            rewrite=Rewrite(),
            secret="s",
            emit=lambda result: emitted.append(result.record.line),
        )

    with pytest.raises(OSError, match="connection refused"):
        asyncio.run(run([good] * 100, _FailingTarget(fail_at)))
    assert emitted == list(range(1, fail_at))
    emitted.clear()
    with pytest.raises(RecordingError, match=f"line {fail_at}: not a delivery record"):
        asyncio.run(run([good] * (fail_at - 1) + ["[1, 2]"], _FailingTarget(0)))
    assert emitted == list(range(1, fail_at))
