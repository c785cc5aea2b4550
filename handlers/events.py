"""Typed, lenient models of the payloads Rossum sends to a webhook.

One model per event family (API reference, "Webhook events"); unknown keys are kept
(`extra="allow"`), optional keys may be missing, and old recordings are accepted: no
`base_url`, the deprecated `user_update` action (normalised to `updated`, the original kept
in `raw_action`), and `"None"` strings where an object, URL or number belongs.
Event and action names stay strings: Rossum adds new ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import from_json

from handlers.content import ContentTree
from handlers.errors import BadPayload
from handlers.signature import verify

T = TypeVar("T")
_NULLISH = (None, "None", "null", "")
# Rossum does not retry these; the user (or the invoker) is waiting for the answer.
INTERACTIVE_ACTIONS = frozenset({"started", "updated", "user_update", "confirm"})
# Content actions whose answer (messages, operations) reaches the validation screen;
# `export` is left out: an error message there fails the export.
REVIEW_ACTIONS = ("initialize", "started", "updated", "confirm")


def _none_if_nullish(value: Any) -> Any:
    return None if isinstance(value, str | None) and value in _NULLISH else value


def _empty_dict_if_nullish(value: Any) -> Any:
    return {} if isinstance(value, str | None) and value in _NULLISH else value


def _empty_list_if_nullish(value: Any) -> Any:
    return [] if isinstance(value, str | None) and value in _NULLISH else value


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _instant_or_none(value: Any) -> datetime | None:
    """Parse an ISO instant leniently: anything unparsable is None (the field is advisory)."""
    if isinstance(value, datetime):
        return _aware(value)
    if not isinstance(value, str) or value in _NULLISH:
        return None
    try:
        return _aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _urls(value: Any) -> Any:
    """Accept label URLs, or sideloaded label objects (their `url`)."""
    value = _empty_list_if_nullish(value)
    if isinstance(value, list):
        return [item.get("url") if isinstance(item, Mapping) else item for item in value]
    return value


def _content(value: Any) -> list[dict[str, Any]] | str | None:
    """Keep the content tree as plain JSON (fast; see `handlers.content`), or its URL."""
    value = _none_if_nullish(value)
    if value is None or isinstance(value, str | list):
        return value
    raise ValueError("expected the content tree (a list of sections) or its URL")


Opt = Annotated[T | None, BeforeValidator(_none_if_nullish)]
Obj = Annotated[dict[str, Any], BeforeValidator(_empty_dict_if_nullish)]
Seq = Annotated[list[T], BeforeValidator(_empty_list_if_nullish)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class Document(_Model):
    """A document object (the uploaded file)."""

    id: Opt[int] = None
    url: Opt[str] = None
    s3_name: Opt[str] = None
    mime_type: Opt[str] = None
    arrived_at: Opt[str] = None
    original_file_name: Opt[str] = None
    content: Opt[str] = None
    metadata: Obj = {}


class Annotation(_Model):
    """An annotation object; `content` is the tree on content events and a URL otherwise."""

    id: Opt[int] = None
    url: Opt[str] = None
    status: Opt[str] = None
    previous_status: Opt[str] = None
    queue: Opt[str] = None
    schema_url: Opt[str] = Field(default=None, alias="schema")
    document: Opt[str] = None
    organization: Opt[str] = None
    labels: Annotated[list[str], BeforeValidator(_urls)] = []
    modified_at: Annotated[datetime | None, PlainValidator(_instant_or_none)] = None
    metadata: Obj = {}
    content: Annotated[list[dict[str, Any]] | str | None, PlainValidator(_content)] = None


class HookEvent(_Model):
    """The keys common to every delivery; also the model of events this module does not know."""

    request_id: Opt[str] = None
    timestamp: Annotated[datetime, AfterValidator(_aware)]
    hook: Opt[str] = None
    event: str
    action: str
    raw_action: Opt[str] = None
    settings: Obj = {}
    secrets: Obj = Field(default={}, repr=False)
    base_url: Opt[str] = None
    rossum_authorization_token: Opt[str] = Field(default=None, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _normalise_action(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("action"), str):
            action = data["action"]
            normalised = "updated" if action == "user_update" else action
            data = {**data, "action": normalised, "raw_action": action}
        return data

    @classmethod
    def from_http(
        cls,
        headers: Mapping[str, str],
        body: bytes,
        *,
        secrets: Sequence[str],
        allow_unsigned: bool = False,
    ) -> HookEvent:
        """Verify the raw body's signature, then parse it; raise InvalidSignature or BadPayload.

        With `allow_unsigned` and no secrets configured, the signature is not checked (local
        use only); configured secrets are always enforced.
        """
        if secrets or not allow_unsigned:
            verify(headers, body, secrets)
        return parse_event(body)

    @property
    def now(self) -> datetime:
        """Return the rules' clock: when Rossum called the hook."""
        return self.timestamp

    @property
    def is_interactive(self) -> bool:
        """Tell whether someone waits for the answer, so Rossum will not retry the delivery."""
        if self.event == "annotation_content":
            return (self.raw_action or self.action) in INTERACTIVE_ACTIONS
        return self.event == "invocation" and self.action == "manual"

    @property
    def annotation_id(self) -> int | None:
        """Return the annotation's id, if this event is about one."""
        annotation = getattr(self, "annotation", None)
        return annotation.id if isinstance(annotation, Annotation) else None

    @property
    def annotation_url(self) -> str | None:
        """Return the annotation's URL, if this event is about one."""
        annotation = getattr(self, "annotation", None)
        return annotation.url if isinstance(annotation, Annotation) else None

    @property
    def organization_url(self) -> str | None:
        """Return the organisation's URL, if the payload names it."""
        annotation = getattr(self, "annotation", None)
        return annotation.organization if isinstance(annotation, Annotation) else None

    def release_content(self) -> None:
        """Let go of the payload's bulk once the rules have read it; a no-op here (see
        `AnnotationContentEvent.release_content`).
        """

    @property
    def sideloaded_labels(self) -> dict[str, str]:
        """Return name -> URL of the label objects sideloaded in the payload (hook `sideload`)."""
        objects = (self.model_extra or {}).get("labels")
        if not isinstance(objects, list):
            return {}
        return {
            str(o["name"]): str(o["url"])
            for o in objects
            # dict first: the Mapping ABC is slow to ask
            if isinstance(o, (dict, Mapping)) and o.get("name") and o.get("url")
        }


class AnnotationStatusEvent(HookEvent):
    """`annotation_status.changed`: `annotation.status` and `annotation.previous_status`."""

    annotation: Annotation
    document: Opt[Document] = None


class AnnotationContentEvent(HookEvent):
    """`annotation_content.*`: the annotation with its content tree."""

    annotation: Annotation
    document: Opt[Document] = None
    updated_datapoints: Seq[int] = []
    _tree: ContentTree | None = PrivateAttr(default=None)
    _released: bool = PrivateAttr(default=False)

    @property
    def content(self) -> ContentTree:
        """Return the content tree, indexed by `schema_id` (built once per event)."""
        if self._tree is None:
            if self._released:
                raise RuntimeError("the content tree was released after the rules ran")
            self._tree = ContentTree(self.annotation.content)
        return self._tree

    def release_content(self) -> None:
        """Drop the content tree, the bulk of the payload, once the rules have run.

        What is left of a delivery (its API calls, the answer, the log line) needs the
        envelope only. A delivery waiting on an API call would otherwise hold its whole tree
        (thousands of objects for 100 line items) while the next deliveries parse theirs,
        which makes their parsing about half as slow again (`bench/webhook.py --scenario
        apply`). Afterwards `annotation.content` is None and `content` raises.
        """
        self._tree = None
        self._released = True
        if isinstance(self.annotation.content, list):
            bare = self.annotation.__copy__()  # (`model_copy(update=...)` costs twice as much)
            bare.__dict__["content"] = None  # frozen, and the copy is ours: set in place
            self.__dict__["annotation"] = bare  # frozen: the one field swapped in place


class UploadFile(_Model):
    """One file of an upload, with its document and (maybe) annotation."""

    document: Opt[str] = None
    prevent_importing: bool = False
    values: Seq[dict[str, Any]] = []
    queue: Opt[str] = None
    annotation: Opt[str] = None


class UploadEvent(HookEvent):
    """`upload.created`: the upload's files and documents."""

    files: Seq[UploadFile] = []
    documents: Seq[Document] = []
    upload: Opt[str | dict[str, Any]] = None
    metadata: Obj = {}
    email: Opt[str] = None


class EmailFile(_Model):
    """One attachment of a received email."""

    id: str
    filename: Opt[str] = None
    mime_type: Opt[str] = None
    n_pages: Opt[int] = None
    height_px: Opt[float] = None
    width_px: Opt[float] = None
    document: Opt[str] = None


class EmailBody(_Model):
    """A received email's bodies."""

    body_text_plain: Opt[str] = None
    body_text_html: Opt[str] = None


class EmailEvent(HookEvent):
    """`email.received`: attachments, headers and body of the email."""

    files: Seq[EmailFile] = []
    headers: Annotated[dict[str, str | None], BeforeValidator(_empty_dict_if_nullish)] = {}
    body: Opt[EmailBody] = None
    email: Opt[str] = None
    queue: Opt[str] = None


class InvocationEvent(HookEvent):
    """`invocation.scheduled` / `invocation.manual`; the invoker's fields are kept as extras."""

    @property
    def fields(self) -> dict[str, Any]:
        """Return the caller's fields merged into a manual invocation's payload."""
        return dict(self.model_extra or {})


MODELS: Mapping[str, type[HookEvent]] = {
    "annotation_status": AnnotationStatusEvent,
    "annotation_content": AnnotationContentEvent,
    "upload": UploadEvent,
    "email": EmailEvent,
    "invocation": InvocationEvent,
}


def parse_event(body: bytes | bytearray | str | Mapping[str, Any]) -> HookEvent:
    """Parse a payload (raw JSON or already decoded) into the model of its `event`."""
    if isinstance(body, Mapping):
        data: Any = body
    else:
        try:
            data = from_json(body)  # pydantic-core's parser: about twice json.loads' speed
        except ValueError as exc:
            raise BadPayload(f"body is not valid JSON: {exc}", code="invalid_json") from exc
    if not isinstance(data, Mapping):
        raise BadPayload(f"hook payload must be a JSON object, got {_json_type(data)}")
    event = data.get("event")
    model = MODELS.get(event, HookEvent) if isinstance(event, str) else HookEvent
    try:
        return model.model_validate(data if isinstance(data, dict) else dict(data))
    except ValidationError as exc:
        raise BadPayload(_describe(exc, event=event)) from exc


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    names = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}
    return names.get(type(value), type(value).__name__)


def _describe(exc: ValidationError, *, event: Any) -> str:
    """Name the offending fields without echoing their values (they may be secrets)."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    parts = []
    for err in errors[:3]:
        loc = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in err["loc"])
        parts.append(f"{loc.replace('.[', '[') or 'payload'}: {err['msg']}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    kind = f"{event} " if isinstance(event, str) else ""
    return f"invalid {kind}payload: {'; '.join(parts)}{more}"
