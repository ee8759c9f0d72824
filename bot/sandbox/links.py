"""t.me links: parsing bot deep links (``?start=``, ``?startgroup=&admin=``) and invite links."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from bot.sandbox.chats import normalise_rights
from bot.sandbox.state import new_invite_link

__all__ = ["DeepLink", "new_invite_link", "parse_link"]

_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class DeepLink:
    """A parsed t.me link.

    ``kind`` is "start" (private chat deep link), "startgroup" (add the bot to a group),
    "invite" (a group invite link) or "username" (a plain t.me/<name> link).
    """

    kind: str
    username: str | None = None
    payload: str | None = None
    admin_rights: dict[str, bool] = field(default_factory=dict)
    url: str = ""


def parse_link(url: str) -> DeepLink:
    """Parse ``https://t.me/<bot>?start=X``, ``?startgroup=X&admin=a+b``, ``t.me/+HASH``,
    ``tg://resolve?domain=<bot>&start=X``; raise ValueError for what Telegram would not open
    (such as a payload outside 1-64 characters of ``A-Za-z0-9_-``)."""
    parts = urlsplit(url.strip())
    query = parse_qs(parts.query, keep_blank_values=True)
    if parts.scheme == "tg":
        if parts.netloc != "resolve" or "domain" not in query:
            raise ValueError(f"unsupported tg:// link: {url}")
        username = query["domain"][0]
    elif parts.scheme in ("http", "https", "") and parts.netloc.lower() in (
        "t.me",
        "telegram.me",
        "www.t.me",
    ):
        path = parts.path.strip("/")
        if path.startswith("+") or path.startswith("joinchat/"):
            return DeepLink("invite", url=url)
        username = path
    else:
        raise ValueError(f"not a Telegram link: {url}")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", username):
        raise ValueError(f"invalid username in link: {url}")
    for kind in ("start", "startgroup"):
        if kind in query:
            payload = query[kind][0]
            if payload and not _PAYLOAD.fullmatch(payload):
                raise ValueError(f"{kind} payload must be 1-64 characters of A-Za-z0-9_-: {url}")
            admin = query.get("admin", [""])[0]
            rights = normalise_rights(admin.replace(" ", "+").split("+")) if admin else {}
            return DeepLink(kind, username, payload or None, rights, url)
    return DeepLink("username", username, url=url)
