"""Recordings for the replay tests, made by the real service and its recorder, in-process."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from handlers.signature import signature_headers
from handlers.testing import (
    BASE_URL,
    CLEAN_INVOICE,
    content_payload,
    email_payload,
    encode,
    invocation_payload,
    status_payload,
)
from replay.offline import OfflineRossum
from replay.setup import replay_settings
from replay.targets import in_process

SECRET = "replay-test-secret"
LABELS = {name: f"{BASE_URL}/api/v1/labels/{n}" for n, name in enumerate(["expedite"], 1)}
EXPENSIVE = {**CLEAN_INVOICE["fields"], "amount_total": "25000.00"}
NO_PO = {**CLEAN_INVOICE["fields"], "order_id": ""}


def invoice_payloads() -> list[dict[str, Any]]:
    """Return a mixed day of deliveries: content events, a status change, email, invocation."""
    rows = CLEAN_INVOICE["line_items"]
    return [
        content_payload("initialize", fields=EXPENSIVE, line_items=[], annotation_id=701),
        status_payload(annotation_id=701, labels=[LABELS["expedite"]]),
        content_payload("updated", fields=EXPENSIVE, line_items=[], annotation_id=701),
        content_payload("started", fields=NO_PO, line_items=rows, annotation_id=702),
        content_payload("confirm", **CLEAN_INVOICE, annotation_id=703),
        email_payload(),
        invocation_payload("scheduled"),
    ]


def offline_rossum(labels: Mapping[str, str] = LABELS) -> OfflineRossum:
    """Return the offline stand-in knowing the organisation's labels."""
    rossum = OfflineRossum()
    for name, url in labels.items():
        rossum.add_label(BASE_URL, name=name, url=url)
    return rossum


async def record(
    path: Path,
    payloads: Iterable[Mapping[str, Any]],
    *,
    forged: Sequence[Mapping[str, Any]] = (),
    dry_run: bool = True,
) -> None:
    """Deliver the payloads (and forged ones) to the service recording into `path`."""
    settings = replay_settings(secret=SECRET, dry_run=dry_run, allowed=[BASE_URL]).model_copy(
        update={"record_path": path, "webhook_secret": SecretStr(SECRET)}
    )
    async with in_process(settings, transport=offline_rossum().transport) as target:
        for payload, secret in [*((p, SECRET) for p in payloads), *((p, "forged") for p in forged)]:
            body = encode(payload)
            headers = [("content-type", "application/json")]
            headers += [(k.lower(), v) for k, v in signature_headers(body, secret).items()]
            await target.send(headers, body)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """Return the JSON lines of a file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_lines(path: Path, records: Iterable[Mapping[str, Any]]) -> Path:
    """Write records as JSON lines; return the path."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path
