"""Records of the ways into a case: invitation tokens and the chat invite links the bot made.

A token is a single-use, expiring string in a bot deep link (the supplier's invitation, the
buyer's link that binds a group). A chat link is a one-time Telegram invite link into the case's
dispute chat, made for one party. Both can be revoked before use: a newer one replaced it, the
person it reached declined it, or the case closed. Kept apart from `storage.records` so that
module stays small; `storage` exports both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["ChatLink", "ChatLinkStatus", "InviteToken", "RevokeReason"]


class RevokeReason:
    """Why a token stopped working before it was used (`InviteToken.revoked_reason`)."""

    REPLACED = "replaced"  # a newer token for the same case and purpose was made
    DECLINED = "declined"  # the person who opened the invitation said it is not theirs
    CLOSED = "closed"  # the case closed (withdrawn, fulfilled, dismissed, ...)

    ALL = frozenset({REPLACED, DECLINED, CLOSED})


@dataclass(frozen=True)
class InviteToken:
    """A single-use opaque token carried in a Telegram deep link."""

    token: str
    case_id: int
    purpose: str
    created_by: int
    created_at: datetime
    expires_at: datetime
    used_by: int | None
    used_at: datetime | None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None  # see RevokeReason

    def live(self, now: datetime) -> bool:
        """Unused, not revoked and not expired."""
        return self.used_by is None and self.revoked_at is None and now < self.expires_at


class ChatLinkStatus:
    """The values of `ChatLink.status`."""

    LIVE = "live"  # made and sent; nobody has joined with it yet
    USED = "used"  # someone joined with it (the bot then revokes it on Telegram too)
    REVOKED = "revoked"  # revoked on Telegram before anyone used it

    ALL = frozenset({LIVE, USED, REVOKED})


@dataclass(frozen=True)
class ChatLink:
    """A one-time invite link into a case's dispute chat, made by the bot for one party."""

    id: int
    case_id: int
    chat_id: int
    user_id: int  # the party it was made for
    invite_link: str
    status: str  # see ChatLinkStatus
    created_at: datetime
    expires_at: datetime
    used_by: int | None
    used_at: datetime | None
    revoked_at: datetime | None
