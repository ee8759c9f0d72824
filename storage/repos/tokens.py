"""Invitation tokens: single-use, expiring, opaque strings carried in Telegram deep links."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.errors import TokenInvalid
from storage.records import InviteToken
from storage.repos.base import Repo
from storage.rows import token_from_row
from storage.tables import invite_tokens

__all__ = ["TOKEN_BYTES", "TokenRepo", "new_token"]

TOKEN_BYTES = 24  # 32 characters of A-Za-z0-9_- (a deep link allows up to 64)


def new_token() -> str:
    """A fresh random token in the Telegram deep-link alphabet."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class TokenRepo(Repo):
    """Creating, reading and consuming invitation tokens."""

    async def create(
        self, case_id: int, purpose: str, created_by: int, now: datetime, expires_at: datetime
    ) -> InviteToken:
        """A new unused token for `purpose` (e.g. "supplier_invite", "group_bind")."""
        for _ in range(3):  # a collision of 192 random bits means a broken RNG, not bad luck
            try:
                async with self._write() as conn:
                    row = (
                        (
                            await conn.execute(
                                insert(invite_tokens)
                                .values(
                                    token=new_token(),
                                    case_id=case_id,
                                    purpose=purpose,
                                    created_by=created_by,
                                    created_at=now,
                                    expires_at=expires_at,
                                    used_by=None,
                                    used_at=None,
                                )
                                .returning(*invite_tokens.c)
                            )
                        )
                        .mappings()
                        .one()
                    )
                    return token_from_row(row)
            except IntegrityError:
                continue
        raise RuntimeError("could not create a unique token")

    async def get(self, token: str) -> InviteToken | None:
        async with self._read() as conn:
            row = (
                (await conn.execute(select(invite_tokens).where(invite_tokens.c.token == token)))
                .mappings()
                .first()
            )
            return None if row is None else token_from_row(row)

    async def consume(self, token: str, user_id: int, now: datetime, purpose: str) -> InviteToken:
        """Use the token once, for `purpose`; raises TokenInvalid with the reason otherwise.

        Reasons are checked in this order: "unknown", "wrong_purpose", "used", "expired". Of two
        concurrent consumers exactly one succeeds; the other gets "used".
        """
        async with self._write() as conn:
            row = (
                (await conn.execute(select(invite_tokens).where(invite_tokens.c.token == token)))
                .mappings()
                .first()
            )
            if row is None:
                raise TokenInvalid("unknown")
            current = token_from_row(row)
            if current.purpose != purpose:
                raise TokenInvalid("wrong_purpose")
            if current.used_by is not None:
                raise TokenInvalid("used")
            if now >= current.expires_at:
                raise TokenInvalid("expired")
            claimed = (
                (
                    await conn.execute(
                        update(invite_tokens)
                        .where(invite_tokens.c.token == token, invite_tokens.c.used_by.is_(None))
                        .values(used_by=user_id, used_at=now)
                        .returning(*invite_tokens.c)
                    )
                )
                .mappings()
                .first()
            )
            if claimed is None:
                raise TokenInvalid("used")
            return token_from_row(claimed)
