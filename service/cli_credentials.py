"""API credentials for the command-line tools: a flag first, then the environment.

`hook`, `send` and `pull-logs` all take `--token`, or `--username` with `--password`, and fall
back to `<PREFIX>TOKEN`, `<PREFIX>USERNAME` and `<PREFIX>PASSWORD` in the environment; a token
wins over a login. Each command says in its own words what is missing.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from client import Token, UserCredentials


def credentials_from(
    args: argparse.Namespace, environ: Mapping[str, str], *, prefix: str
) -> Token | UserCredentials | None:
    """Return the credentials the flags or the environment give, or None when neither does."""
    token = args.token or environ.get(f"{prefix}TOKEN")
    if token:
        return Token(token)
    username = args.username or environ.get(f"{prefix}USERNAME")
    password = args.password or environ.get(f"{prefix}PASSWORD")
    if username and password:
        return UserCredentials(username, password)
    return None
