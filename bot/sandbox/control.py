"""A small JSON control API under ``/_sandbox/`` for using a standalone sandbox by hand.

    GET  /_sandbox/                         what is here
    GET  /_sandbox/users                    users
    POST /_sandbox/users                    {"name", "username"?, "language_code"?} -> user
    POST /_sandbox/users/{id}/send          {"text", "chat_id"?}      (chat_id: a group)
    POST /_sandbox/users/{id}/press         {"button", "chat_id"?, "message_id"?, "timeout"?}
    GET  /_sandbox/users/{id}/transcript    ?chat_id=                  -> entries
    POST /_sandbox/groups                   {"title", "creator_id", "type"?} -> chat
    POST /_sandbox/groups/{id}/upgrade      {"by_id"?, "deliver"?} -> the new supergroup
    POST /_sandbox/users/{id}/add_bot       {"chat_id", "start_payload"?, "admin_rights"?}
    POST /_sandbox/users/{id}/join          {"chat_id", "invite_link"?}
    GET  /_sandbox/violations               Bot API violations so far
    GET  /_sandbox/webhook                  getWebhookInfo, with every delivery's status
    POST /_sandbox/updates/{id}/redeliver   deliver an update again (same update_id)
    POST /_sandbox/faults                   {"method"?, "kind", "chat_id"?, "after"?, ...}

A fault also takes "retry_after", "times" and "reason" (see ``bot.sandbox.faults``).
Refused actions answer 400 ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox
    from bot.sandbox.users import SandboxUser

__all__ = ["add_control_routes"]

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _guarded(route: Route) -> Route:
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await route(request)
        except (AssertionError, KeyError, ValueError, TypeError, TimeoutError) as error:
            message = str(error) or error.__class__.__name__
            return web.json_response({"ok": False, "error": message}, status=400)

    return wrapper


def add_control_routes(app: web.Application, sb: Sandbox) -> None:
    """Register the control API for a sandbox."""

    async def body(request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("the JSON body must be an object")
        return data

    def user_of(request: web.Request) -> SandboxUser:
        return sb.users[int(request.match_info["user_id"])]

    def describe_user(user: SandboxUser) -> dict[str, Any]:
        return {**user.as_user(), "started": user.started, "blocked": user.blocked}

    async def index(request: web.Request) -> web.StreamResponse:
        doc = (__doc__ or "").split("\n\n")[1]
        return _ok({"bot": sb.bot_user, "routes": [r.strip() for r in doc.splitlines()]})

    async def list_users(request: web.Request) -> web.StreamResponse:
        return _ok([describe_user(u) for u in sb.users.values()])

    async def create_user(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = sb.user(
            str(data["name"]),
            language_code=data.get("language_code", "en"),
            username=data.get("username"),
        )
        return _ok(describe_user(user))

    async def send(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        return _ok(await user_of(request).send(str(data["text"]), chat=data.get("chat_id")))

    async def press(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        answer = await user_of(request).press(
            str(data["button"]),
            chat=data.get("chat_id"),
            message=data.get("message_id"),
            timeout=float(data.get("timeout", 5.0)),
        )
        return _ok(dataclasses.asdict(answer))

    async def transcript(request: web.Request) -> web.StreamResponse:
        chat_id = request.query.get("chat_id")
        entries = user_of(request).transcript(int(chat_id) if chat_id else None)
        return _ok(
            [{k: v for k, v in dataclasses.asdict(e).items() if k != "message"} for e in entries]
        )

    async def create_group(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        chat = sb.group(
            str(data["title"]),
            sb.users[int(data["creator_id"])],
            type=data.get("type", "supergroup"),
        )
        return _ok(chat.as_chat())

    async def upgrade_group(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        by = data.get("by_id")
        chat = sb.upgrade_group(
            sb.chat(int(request.match_info["chat_id"])),
            sb.users[int(by)] if by is not None else None,
            deliver=bool(data.get("deliver", True)),
        )
        return _ok(chat.as_chat())

    async def add_bot(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        await user_of(request).add_bot_to_group(
            sb.chat(int(data["chat_id"])), data.get("start_payload"), data.get("admin_rights")
        )
        return _ok(True)

    async def join(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        outcome = await user_of(request).join(
            sb.chat(int(data["chat_id"])), data.get("invite_link"), wait=False
        )
        return _ok(outcome)

    async def violations(request: web.Request) -> web.StreamResponse:
        return _ok(list(sb.violations))

    async def webhook(request: web.Request) -> web.StreamResponse:
        deliveries = [{"update_id": u, "status": s} for u, s in sb.webhook.deliveries]
        return _ok({**sb.webhook.info(), "deliveries": deliveries})

    async def redeliver(request: web.Request) -> web.StreamResponse:
        return _ok(sb.updates.redeliver(int(request.match_info["update_id"])))

    async def faults(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        sb.faults.inject(
            data.get("method"),
            str(data.get("kind", "429")),
            retry_after=int(data.get("retry_after", 1)),
            times=data.get("times", 1),
            chat_id=data.get("chat_id"),
            after=int(data.get("after", 0)),
            reason=data.get("reason"),
        )
        return _ok(True)

    routes: list[tuple[str, str, Route]] = [
        ("GET", "/_sandbox/", index),
        ("GET", "/_sandbox/users", list_users),
        ("POST", "/_sandbox/users", create_user),
        ("POST", "/_sandbox/users/{user_id}/send", send),
        ("POST", "/_sandbox/users/{user_id}/press", press),
        ("GET", "/_sandbox/users/{user_id}/transcript", transcript),
        ("POST", "/_sandbox/groups", create_group),
        ("POST", "/_sandbox/groups/{chat_id}/upgrade", upgrade_group),
        ("POST", "/_sandbox/users/{user_id}/add_bot", add_bot),
        ("POST", "/_sandbox/users/{user_id}/join", join),
        ("GET", "/_sandbox/violations", violations),
        ("GET", "/_sandbox/webhook", webhook),
        ("POST", "/_sandbox/updates/{update_id}/redeliver", redeliver),
        ("POST", "/_sandbox/faults", faults),
    ]
    for method, path, route in routes:
        app.router.add_route(method, path, _guarded(route))
