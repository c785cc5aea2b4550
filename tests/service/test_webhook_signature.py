"""Signature checks on the webhook endpoint: made on the raw body, before parsing."""

from __future__ import annotations

import json

import pytest

from handlers.testing import signed
from tests.service.conftest import FakeRossum, ServiceFactory
from tests.service.kit import OLD_SECRET, SECRET, content_event


async def test_valid_signature_is_answered(service: ServiceFactory) -> None:
    """A delivery signed with the configured secret gets the content answer."""
    headers, body = signed(content_event("started"), SECRET)
    async with service() as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    assert set(response.json()) == {"messages", "operations"}


@pytest.mark.parametrize(
    ("mangle", "detail"),
    [
        pytest.param(
            lambda b, h: (b.replace(b"50000", b"50001"), h),
            "does not match",
            id="tampered-body",
        ),
        pytest.param(
            lambda b, h: (b, {"Content-Type": "application/json"}), "missing", id="missing"
        ),
        pytest.param(
            lambda b, h: signed(b, "some-other-secret")[::-1], "does not match", id="wrong-secret"
        ),
        pytest.param(
            lambda b, h: (b, {**h, "X-Rossum-Signature-SHA256": "md5=abc"}),
            "malformed",
            id="bad-prefix",
        ),
        pytest.param(
            lambda b, h: (b, {**h, "X-Rossum-Signature-SHA256": "sha256=" + "0" * 64}),
            "does not match",
            id="forged-hex",
        ),
    ],
)
async def test_bad_signatures_are_rejected_with_401_json(
    service: ServiceFactory, rossum: FakeRossum, mangle: object, detail: str
) -> None:
    """Tampered, missing, malformed and wrong-secret signatures get 401 and no API call."""
    headers, body = signed(content_event("updated", values={"amount_total": "50000"}), SECRET)
    body, headers = mangle(body, headers)  # type: ignore[operator]
    async with service() as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert detail in response.json()["detail"]
    assert not rossum.router.calls


async def test_rotation_accepts_old_and_new_secrets(service: ServiceFactory) -> None:
    """With two comma-separated secrets, deliveries signed with either are accepted."""
    async with service(webhook_secret=f"{SECRET},{OLD_SECRET}") as client:
        for secret in (SECRET, OLD_SECRET):
            headers, body = signed(content_event("started"), secret)
            response = await client.post("/hooks", content=body, headers=headers)
            assert response.status_code == 200, secret


async def test_legacy_sha1_header_alone_is_accepted(service: ServiceFactory) -> None:
    """A delivery carrying only the legacy X-Elis-Signature sha1 header is verified and accepted."""
    headers, body = signed(content_event("started"), SECRET, legacy=True)
    del headers["X-Rossum-Signature-SHA256"]
    async with service() as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200


async def test_unsigned_deliveries_only_with_explicit_opt_out(service: ServiceFactory) -> None:
    """With ALLOW_UNSIGNED and no secret, an unsigned delivery is processed."""
    body = json.dumps(content_event("started")).encode()
    async with service(webhook_secret=None, allow_unsigned=True) as client:
        response = await client.post(
            "/hooks", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 200


async def test_configured_secret_is_enforced_even_with_opt_out(service: ServiceFactory) -> None:
    """ALLOW_UNSIGNED does not switch off verification when a secret is configured."""
    body = json.dumps(content_event("started")).encode()
    async with service(allow_unsigned=True) as client:
        response = await client.post(
            "/hooks", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 401


@pytest.mark.parametrize(("first_valid", "status"), [(True, 200), (False, 401)])
async def test_a_repeated_signature_header_is_read_by_its_first_value(
    service: ServiceFactory, first_valid: bool, status: int
) -> None:
    """Of two signature headers, the first counts (as a header lookup answers), the other not."""
    headers, body = signed(content_event("started"), SECRET)
    good = headers.pop("X-Rossum-Signature-SHA256")
    values = [good, "sha256=" + "0" * 64] if first_valid else ["sha256=" + "0" * 64, good]
    repeated = [*headers.items(), *(("X-Rossum-Signature-SHA256", v) for v in values)]
    async with service() as client:
        response = await client.post("/hooks", content=body, headers=repeated)
    assert response.status_code == status
