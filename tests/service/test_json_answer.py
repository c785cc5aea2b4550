"""The webhook path's JSON answers: msgspec's encoding, Starlette's response otherwise."""

from __future__ import annotations

import json
import math

from starlette.responses import JSONResponse

from service.json_answer import JSONAnswer


def test_an_answer_is_the_bytes_starlette_would_send() -> None:
    """Compact UTF-8 JSON (text as it is), with the same status and headers."""
    answer = {
        "messages": [{"type": "warning", "content": "Splatné do 3 dní", "id": 7}],
        "operations": [{"op": "replace", "id": 9, "value": {"content": {"value": "1.5"}}}],
        "automation_blockers": [],
    }
    ours, theirs = JSONAnswer(answer, status_code=202), JSONResponse(answer, status_code=202)
    assert ours.body == theirs.body
    assert ours.status_code == 202 and ours.raw_headers == theirs.raw_headers
    extra = {"Retry-After": "1"}
    ours, theirs = JSONAnswer(answer, headers=extra), JSONResponse(answer, headers=extra)
    assert ours.raw_headers == theirs.raw_headers


def test_a_float_json_cannot_carry_is_written_as_null() -> None:
    """NaN and infinity become null instead of failing the answer."""
    body = JSONAnswer({"score": math.nan, "limit": math.inf}).body
    assert json.loads(body) == {"score": None, "limit": None}
