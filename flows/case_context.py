"""Which case a command or button is about, and the caller's role in it, checked on the server.

In a bound dispute chat the case is the chat's; in a private chat it is the number given, or the
caller's only open case. A caller who is not a party gets the same answer as for a case that does
not exist, so nothing about other people's cases is revealed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from flows.callbacks import Callback, decode, subject
from flows.chat_migration import follower
from flows.claim_render import case_number
from flows.common import is_number, parse_id, shown_number
from flows.logs import bind_case
from flows.messaging import send
from flows.rules.lifecycle import CaseState, Role
from flows.services import Services, get_services
from locales.i18n import Translator
from storage import Case, User, role_in

C = TypeVar("C", bound=Callback)
PARTY_ROLES = frozenset({Role.BUYER, Role.SUPPLIER})
OPEN_STATES = frozenset(
    {
        CaseState.AWAITING_SUPPLIER,
        CaseState.NEGOTIATION,
        CaseState.MEDIATION,
        CaseState.ARBITRATION,
        CaseState.SETTLED,
        CaseState.DECIDED,
    }
)


@dataclass(frozen=True)
class Caller:
    user: User
    tr: Translator
    case: Case
    role: Role


@dataclass(frozen=True)
class CasePress(Generic[C]):
    """A button press about a case, by someone whose role in that case was checked."""

    services: Services
    query: CallbackQuery
    user: User
    tr: Translator
    case: Case
    role: Role
    data: C  # the button's decoded callback data
    item: Any = None  # what the id named, when it is not the case itself


class OfCase(Protocol):
    @property
    def case_id(self) -> int: ...


# What a button names by its id, read with its case (one transaction): (item, case) or None.
Loader = Callable[[Services, int], Awaitable[tuple[OfCase, Case] | None]]


async def case_button(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    kind: type[C],
    roles: frozenset[Role],
    load: Loader | None = None,
) -> CasePress[C] | None:
    """The press of a `kind` button about a case, or None after telling a presser without
    one of `roles` in the case that the button is not for them.

    The button's first field is the case's id, or with `load` that of something belonging to
    a case (a proposal, an obligation), which is then handed over as `item`. Data the bot did
    not make (see flows/callbacks.py) gets the same refusal, never a default action."""
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    data = decode(query.data, kind)
    found: tuple[Case, Role] | None = None
    item: OfCase | None = None
    if data is not None:
        ident = subject(data)
        if load is None:
            found = await party_of(services, ident, user.id)
        elif (loaded := await load(services, ident)) is not None:
            item, case = loaded
            role = role_in(case, user.id)
            if role is not None:
                bind_case(case.id)
                found = case, role
    if data is None or found is None or found[1] not in roles:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return None
    case, role = found
    return CasePress(services, query, user, tr, case, role, data, item)


async def party_of(services: Services, case_id: int, user_id: int) -> tuple[Case, Role] | None:
    case = await services.db.cases.get(case_id)
    if case is None:
        return None
    role = role_in(case, user_id)  # the case just read: no second read of it
    if role is None:
        return None
    bind_case(case.id)
    return case, role


def _which_case(tr: Translator, command_text: str, open_cases: list[Case]) -> str:
    """Several open cases: name them, and the command that was used with a number to add."""
    command = command_text.split(maxsplit=1)[0].split("@", 1)[0] if command_text else "/case"
    ordered = sorted(open_cases, key=lambda case: case.number or 0)
    return tr.t(
        "case.which",
        numbers=", ".join(case_number(case) for case in ordered),
        example=f"{command} {ordered[-1].number}",
    )


async def by_number(services: Services, raw: str) -> Case | None:
    """The filed case whose number (`Case.number`, what people see) the user typed in `raw`;
    None when it names none (a number too big names none either)."""
    number = parse_id(raw)
    return await services.db.cases.by_number(number) if number is not None else None


async def resolve(services: Services, update: Update, args: list[str] | None) -> Caller | None:
    """The case a command is about, or None after telling the caller why not."""
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    case_id: int | None = None
    shown = "—"
    if message.chat.type != "private":
        bound = await services.db.chats.case_for_chat(message.chat_id)
        here = await services.db.cases.get(bound.case_id) if bound is not None else None
        case_id, shown = (here.id, case_number(here)) if here is not None else (None, shown)
    elif args and is_number(args[0]):
        typed = await by_number(services, args[0])  # the number people see, not the row's id
        case_id, shown = (typed.id if typed is not None else None), shown_number(args[0])
    else:
        cases = [
            c for c in await services.db.cases.list_for_user(user.id) if c.state in OPEN_STATES
        ]
        if not cases:  # no number, and no open case it could mean
            text = tr.t("case.no_open")
            await send(message.get_bot(), message.chat_id, text, follow=follower(services))
            return None
        if len(cases) == 1:
            case_id = cases[0].id
        else:
            text = _which_case(tr, message.text or "", cases)
            await send(message.get_bot(), message.chat_id, text, follow=follower(services))
            return None
    found = await party_of(services, case_id, user.id) if case_id is not None else None
    if found is None:
        text = tr.t("case.not_found", number=shown)
        if case_id is not None and message.chat.type != "private":
            # In another case's chat: that is the reason, whatever cases the caller has.
            text = tr.t("help.group.stranger", number=shown)
        await send(message.get_bot(), message.chat_id, text, follow=follower(services))
        return None
    case, role = found
    return Caller(user, tr, case, role)


@dataclass(frozen=True)
class NumberedCommand:
    """A private command that names one case by its number ("/decide 12")."""

    services: Services
    chat_id: int
    user: User
    tr: Translator
    number: int
    case: Case | None  # None: no case has that number


async def numbered_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, usage: str
) -> NumberedCommand | None:
    """The reader, the number and the case a one-number command names; None after sending
    the `usage` message when its argument is not one number."""
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    args = context.args or []
    number = parse_id(args[0].lstrip("#")) if len(args) == 1 else None
    if number is None:
        await send(context.bot, message.chat_id, tr.t(usage))
        return None
    case = await services.db.cases.by_number(number)
    return NumberedCommand(services, message.chat_id, user, tr, number, case)
