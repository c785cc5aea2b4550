"""`rossum-hooks hook schema|plan|apply|test`: the hook in Rossum, kept as code in `hook.toml`.

    rossum-hooks hook schema                 # settings_schema (JSON Schema) of the loaded rules
    rossum-hooks hook plan                   # what differs between hook.toml and Rossum
    rossum-hooks hook apply                  # create or update the hook (secret never printed)
    rossum-hooks hook test --annotation 42   # Rossum calls the hook on that annotation

Rossum is reached at `--api-url` (or the file's `api_url`) with `--token`, or `--username` and
`--password`; the environment variables `ROSSUM_HOOKS_ADMIN_TOKEN`, `ROSSUM_HOOKS_ADMIN_USERNAME`
and `ROSSUM_HOOKS_ADMIN_PASSWORD` (or `.env` entries) stand in for the flags. These are the
credentials of whoever manages the hook, distinct from the service's own `ROSSUM_HOOKS_API_*`.
Exit status: 0 done (plan: nothing to change), 1 plan has changes, 2 usage, file or API error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from typing import Any

from client import AsyncRossumAPIClient, RossumError
from service.answer_text import describe_answer, schema_ids
from service.cli_credentials import credentials_from
from service.hook_file import DEFAULT_FILE, HookFile, HookFileError, read_hook_file
from service.hook_plan import apply_plan, find_hook, make_plan
from service.rules import RulesError, rules_from_environment
from service.serve import add_rules_argument
from service.settings import environment_with_dotenv

EXIT_OK, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """The command line or environment cannot run the command."""


def _common(parser: argparse.ArgumentParser, *, api: bool = True) -> None:
    add_rules_argument(parser)
    parser.add_argument(
        "--env-file", default=".env", help="read variables from this file too (default: .env)"
    )
    if not api:
        return
    parser.add_argument(
        "-f", "--file", default=DEFAULT_FILE, help="hook file (default: %(default)s)"
    )
    parser.add_argument("--api-url", help="Rossum API root (default: the file's api_url)")
    parser.add_argument("--token", help="API token (or ROSSUM_HOOKS_ADMIN_TOKEN)")
    parser.add_argument("--username", help="log in as this user (or ROSSUM_HOOKS_ADMIN_USERNAME)")
    parser.add_argument("--password", help="password (better: ROSSUM_HOOKS_ADMIN_PASSWORD)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `hook` subcommands to `parser`."""
    sub = parser.add_subparsers(dest="hook_command", required=True, metavar="SUBCOMMAND")
    schema = sub.add_parser("schema", help="print the settings_schema of the loaded rules")
    _common(schema, api=False)
    plan = sub.add_parser("plan", help="show what apply would change in Rossum")
    _common(plan)
    apply = sub.add_parser("apply", help="create or update the hook in Rossum")
    _common(apply)
    test = sub.add_parser("test", help="have Rossum call the hook on an annotation")
    _common(test)
    test.add_argument("--annotation", required=True, help="annotation id or URL")
    test.add_argument(
        "--event",
        help="EVENT.ACTION to send (default: annotation_content.updated if subscribed, "
        "else the hook's first event)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the chosen `hook` subcommand; return its exit status."""
    environ = environment_with_dotenv(args.env_file)
    try:
        rules = rules_from_environment(args.rules, environ)
        if args.hook_command == "schema":
            sys.stdout.write(json.dumps(rules.router.settings_schema(), indent=2) + "\n")
            return EXIT_OK
        spec = read_hook_file(args.file)
        return asyncio.run(_run_with_api(args, spec, rules.router, environ))
    except (UsageError, HookFileError, RulesError) as exc:
        sys.stderr.write(f"rossum-hooks hook {args.hook_command}: {exc}\n")
        return EXIT_ERROR
    except RossumError as exc:
        sys.stderr.write(f"rossum-hooks hook {args.hook_command}: {exc}\n")
        return EXIT_ERROR


def _client(args: argparse.Namespace, spec: HookFile, environ: Mapping[str, str]) -> Any:
    api_url = args.api_url or spec.api_url
    if not api_url:
        raise UsageError(f"no API URL: pass --api-url or set api_url in {spec.path}")
    credentials = credentials_from(args, environ, prefix="ROSSUM_HOOKS_ADMIN_")
    if credentials is None:
        raise UsageError(
            "no credentials: pass --token, or --username and --password "
            "(or set ROSSUM_HOOKS_ADMIN_TOKEN / _USERNAME / _PASSWORD)"
        )
    return AsyncRossumAPIClient(api_url.rstrip("/"), credentials)


async def _run_with_api(
    args: argparse.Namespace, spec: HookFile, router: Any, environ: Mapping[str, str]
) -> int:
    async with _client(args, spec, environ) as api:
        if args.hook_command == "test":
            return await hook_test(api, spec, annotation=args.annotation, event=args.event)
        plan = await make_plan(api, spec, router, environ)
        sys.stdout.write(plan.render())
        if args.hook_command == "plan":
            return EXIT_CHANGES if plan.has_changes else EXIT_OK
        if not plan.has_changes:
            return EXIT_OK
        hook_id = await apply_plan(api, plan)
        verb = "Created" if plan.hook_id is None else "Updated"
        sys.stdout.write(f"{verb} hook {spec.name!r} (id {hook_id}).\n")
        return EXIT_OK


def _event_of(hook: Mapping[str, Any], event: str | None) -> tuple[str, str]:
    subscribed = list(hook.get("events") or [])
    if event is None:
        if {"annotation_content", "annotation_content.updated"} & set(subscribed):
            event = "annotation_content.updated"
        elif subscribed:
            event = subscribed[0]
        else:
            raise UsageError("the hook subscribes to no event; pass --event EVENT.ACTION")
    name, _, action = event.partition(".")
    if not action:
        raise UsageError(
            f"--event needs EVENT.ACTION, e.g. annotation_content.updated, got {event!r}"
        )
    return name, action


def _annotation_url(api: AsyncRossumAPIClient, value: str) -> str:
    return f"{api.base_url}/annotations/{int(value)}" if value.isdigit() else value


async def _labels(api: AsyncRossumAPIClient, annotation_url: str) -> list[str]:
    annotation = await api.request_json("GET", annotation_url)
    names = []
    for url in annotation.get("labels") or []:
        label = await api.request_json("GET", url)
        names.append(str(label.get("name")))
    return sorted(names)


async def hook_test(
    api: AsyncRossumAPIClient, spec: HookFile, *, annotation: str, event: str | None
) -> int:
    """Have Rossum build the payload for a real annotation and call the hook with it."""
    hook = await find_hook(api, spec.name)
    if hook is None:
        raise UsageError(f"no hook named {spec.name!r} at {api.base_url}: run `hook apply` first")
    event_name, action = _event_of(hook, event)
    annotation_url = _annotation_url(api, annotation)
    before = await _labels(api, annotation_url)
    request: dict[str, Any] = {"event": event_name, "action": action}
    if event_name in ("annotation_content", "annotation_status"):
        request["annotation"] = annotation_url
    payload = await api.generate_hook_payload(int(hook["id"]), request)
    result = await api.test_hook(int(hook["id"]), payload)
    after = await _labels(api, annotation_url)
    out = sys.stdout
    out.write(f"Hook {spec.name!r} (id {hook['id']}), {event_name}.{action} on {annotation_url}\n")
    out.write(describe_answer(result.get("response"), schema_ids(payload)))
    out.write(f"labels: {', '.join(before) or '-'} -> {', '.join(after) or '-'}\n")
    return EXIT_OK
