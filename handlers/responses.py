"""Build the JSON answer Rossum expects for an event from the rules' Decision.

API reference, "Webhook events" (expected response per event.action) and "Annotation
content event response format"; automation blockers are documented for `initialize` only.
"""

from __future__ import annotations

from typing import Any

from handlers.decision import Decision
from handlers.events import HookEvent


def build_response(event: HookEvent, decision: Decision) -> dict[str, Any]:
    """Return the response body for `event`: what Rossum reads for its event and action."""
    if event.event == "annotation_content":
        return decision.content_response(automation_blockers=event.action == "initialize")
    if event.event == "upload":
        # An empty `files` list is not sent: whether Rossum reads it as "none" is undocumented.
        return {"files": [dict(f) for f in decision.files]} if decision.files else {}
    if event.event == "email":
        return _email_response(decision)
    if event.event == "invocation" and event.action == "manual":
        return dict(decision.response or {})
    return {}


def _email_response(decision: Decision) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if decision.files:
        out["files"] = [dict(f) for f in decision.files]
    if decision.additional_files:
        out["additional_files"] = [dict(f) for f in decision.additional_files]
    if decision.extracted_original_sender:
        out["extracted_original_sender"] = dict(decision.extracted_original_sender)
    return out
