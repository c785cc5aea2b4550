"""A local, in-memory stand-in for the Rossum API that also delivers signed hook events.

`create_sandbox_app(settings)` builds the Starlette app (state at `app.state.sandbox`);
`rossum-hooks sandbox --port N` serves it with uvicorn.
"""

from __future__ import annotations

from sandbox.app import create_sandbox_app
from sandbox.settings import SandboxSettings

__all__ = ["SandboxSettings", "create_sandbox_app"]
