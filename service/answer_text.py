"""A hook's answer as a few readable lines (for `hook test` and `send`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def describe_answer(answer: Any) -> str:
    """Return a hook answer as text: messages, operations, blockers, then the raw JSON."""
    lines = []
    if isinstance(answer, Mapping):
        for message in answer.get("messages") or []:
            where = f" on datapoint {message['id']}" if message.get("id") is not None else ""
            lines.append(f"message {message.get('type')}{where}: {message.get('content')}")
        for operation in answer.get("operations") or []:
            value = operation.get("value")
            shown = json.dumps(value.get("content", value) if isinstance(value, Mapping) else value)
            lines.append(f"operation {operation.get('op')} {operation.get('id')}: {shown}")
        for blocker in answer.get("automation_blockers") or []:
            lines.append(f"automation blocker: {blocker.get('content')}")
    lines.append(f"answer: {json.dumps(answer, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"
