"""Async and sync Rossum API clients: a drop-in for `rossum-api` that fixes its sharp edges.

from client import AsyncRossumAPIClient, Token

async with AsyncRossumAPIClient("https://example.rossum.app/api/v1", Token("...")) as api:
    annotation = await api.retrieve_annotation(12345)
    await api.apply_labels([annotation.url], add=[label_url])
"""

from __future__ import annotations

from client._api_uploads import ExportFileFormats
from client._auth import Token, UserCredentials
from client._client import AsyncRossumAPIClient
from client._core import RateGate
from client._dry_run import DryRunCall
from client._errors import (
    APIError,
    AuthenticationError,
    BadRequest,
    Conflict,
    DeadlineExceeded,
    DryRunRefused,
    Forbidden,
    InvalidResponse,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RossumError,
    ServerError,
    Timeout,
    TransportError,
)
from client._observer import RateLimiter, RequestObserver
from client._resources import Resource
from client._retry import RetryPolicy
from client._sync import SyncRossumAPIClient
from client.models import walk_content

__all__ = [
    "APIError",
    "AsyncRossumAPIClient",
    "AuthenticationError",
    "BadRequest",
    "Conflict",
    "DeadlineExceeded",
    "DryRunCall",
    "DryRunRefused",
    "ExportFileFormats",
    "Forbidden",
    "InvalidResponse",
    "NotFound",
    "PayloadTooLarge",
    "RateGate",
    "RateLimited",
    "RateLimiter",
    "RequestObserver",
    "Resource",
    "RetryPolicy",
    "RossumError",
    "ServerError",
    "SyncRossumAPIClient",
    "Timeout",
    "Token",
    "TransportError",
    "UserCredentials",
    "walk_content",
]
