"""Invitation tokens: single-use, expiring, opaque strings carried in Telegram deep links.

A token stops working when it is used, when it expires, or when it is revoked first: a newer
token for the same case and purpose replaces it (one live invitation per case), the person it
reached declines it, or the case closes. The module functions run inside a caller's transaction
(`apply_transition` revokes a closing case's tokens; `SupplierRepo.join` consumes one).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.access import InviteToken, RevokeReason
from storage.errors import TokenInvalid
from storage.ledger import touch_case
from storage.repos.base import Repo, lock_case
from storage.rows import token_from_row
from storage.tables import invite_tokens

__all__ = ["TOKEN_BYTES", "TokenRepo", "consume_token", "new_token", "revoke_live_tokens"]

TOKEN_BYTES = 24  # 32 characters of A-Za-z0-9_- (a deep link allows up to 64)
_T = invite_tokens.c


def new_token() -> str:
    """A fresh random token in the Telegram deep-link alphabet."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class TokenRepo(Repo):
    """Creating, reading, consuming and revoking invitation tokens."""

    async def create(
        self, case_id: int, purpose: str, created_by: int, now: datetime, expires_at: datetime
    ) -> InviteToken:
        """A new unused token for `purpose` (e.g. "supplier_invite", "group_bind")."""
        for _ in range(3):  # a collision of 192 random bits means a broken RNG, not bad luck
            try:
                async with self._write() as conn:
                    return await _insert(conn, case_id, purpose, created_by, now, expires_at)
            except IntegrityError:
                continue
        raise RuntimeError("could not create a unique token")

    async def create_replacing(
        self, case_id: int, purpose: str, created_by: int, now: datetime, expires_at: datetime
    ) -> InviteToken:
        """Like `create`, and every unused token of the case for `purpose` is revoked as
        "replaced" in the same transaction: one live invitation per case and purpose.

        The case lock makes two such calls at once (a double press, two workers) queue, so
        exactly one token stays live."""
        for _ in range(3):
            try:
                async with self._write() as conn:
                    await lock_case(conn, case_id)
                    await revoke_live_tokens(
                        conn, case_id, RevokeReason.REPLACED, now, purpose=purpose
                    )
                    return await _insert(conn, case_id, purpose, created_by, now, expires_at)
            except IntegrityError:
                continue
        raise RuntimeError("could not create a unique token")

    async def get(self, token: str) -> InviteToken | None:
        async with self._read() as conn:
            return await _fetch(conn, token)

    async def live(self, case_id: int, purpose: str, now: datetime) -> InviteToken | None:
        """The case's newest token for `purpose` that still works (unused, unrevoked, not
        expired), if any."""
        async with self._read() as conn:
            row = (
                (
                    await conn.execute(
                        select(invite_tokens)
                        .where(
                            _T.case_id == case_id,
                            _T.purpose == purpose,
                            _T.used_by.is_(None),
                            _T.revoked_at.is_(None),
                            _T.expires_at > now,
                        )
                        .order_by(_T.created_at.desc())
                        .limit(1)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            revoked = token_from_row(row)
            touch_case(revoked.case_id)  # its Yes / No buttons stop applying
            return revoked

    async def consume(self, token: str, user_id: int, now: datetime, purpose: str) -> InviteToken:
        """Use the token once, for `purpose`; raises TokenInvalid with the reason otherwise.

        Reasons are checked in this order: "unknown", "wrong_purpose", "used", "revoked",
        "expired". Of two concurrent consumers exactly one succeeds; the other gets "used".
        """
        async with self._write() as conn:
            return await consume_token(conn, token, user_id, now, purpose)

    async def revoke(self, token: str, reason: str, now: datetime) -> InviteToken | None:
        """Revoke the token if it is still unused and unrevoked; None when it was not (already
        used or revoked: a double press or a race changes nothing twice)."""
        _check_reason(reason)
        async with self._write() as conn:
            row = (
                (
                    await conn.execute(
                        update(invite_tokens)
                        .where(_T.token == token, _T.used_by.is_(None), _T.revoked_at.is_(None))
                        .values(revoked_at=now, revoked_reason=reason)
                        .returning(*invite_tokens.c)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            revoked = token_from_row(row)
            touch_case(revoked.case_id)  # its Yes / No buttons stop applying
            return revoked


async def consume_token(
    conn: AsyncConnection, token: str, user_id: int, now: datetime, purpose: str
) -> InviteToken:
    """`TokenRepo.consume` inside the caller's write transaction."""
    current = await _fetch(conn, token)
    if current is None:
        raise TokenInvalid("unknown")
    touch_case(current.case_id)  # its Yes / No buttons stop applying
    if current.purpose != purpose:
        raise TokenInvalid("wrong_purpose")
    if current.used_by is not None:
        raise TokenInvalid("used")
    if current.revoked_at is not None:
        raise TokenInvalid("revoked")
    if now >= current.expires_at:
        raise TokenInvalid("expired")
    claimed = (
        (
            await conn.execute(
                update(invite_tokens)
                .where(_T.token == token, _T.used_by.is_(None), _T.revoked_at.is_(None))
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


async def revoke_live_tokens(
    conn: AsyncConnection, case_id: int, reason: str, now: datetime, *, purpose: str | None = None
) -> int:
    """Revoke every unused, unrevoked token of the case (of `purpose` only, when given) inside
    the caller's transaction; returns how many."""
    _check_reason(reason)
    touch_case(case_id)
    where = [_T.case_id == case_id, _T.used_by.is_(None), _T.revoked_at.is_(None)]
    if purpose is not None:
        where.append(_T.purpose == purpose)
    result = await conn.execute(
        update(invite_tokens).where(*where).values(revoked_at=now, revoked_reason=reason)
    )
    return int(result.rowcount)


def _check_reason(reason: str) -> None:
    if reason not in RevokeReason.ALL:
        raise ValueError(f"unknown revoke reason {reason!r}")


async def _fetch(conn: AsyncConnection, token: str) -> InviteToken | None:
    row = (await conn.execute(select(invite_tokens).where(_T.token == token))).mappings().first()
    return None if row is None else token_from_row(row)


async def _insert(
    conn: AsyncConnection,
    case_id: int,
    purpose: str,
    created_by: int,
    now: datetime,
    expires_at: datetime,
) -> InviteToken:
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
                    revoked_at=None,
                    revoked_reason=None,
                )
                .returning(*invite_tokens.c)
            )
        )
        .mappings()
        .one()
    )
    return token_from_row(row)
