"""The button kinds of the parties' flows, each a typed dataclass registered with the codec.

Every kind keeps the wire format its buttons had before the codec (the same code, fields in
the same order, the same values), so buttons on messages already sent still work. What a
button may carry is said here once, in its fields' types: a handler gets a checked value or,
for data the bot did not make, None from `decode`. The mediators' kinds are in
flows/callbacks.py beside the codec.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from flows.callbacks import Callback, Matching, UpTo, button
from flows.claim_steps import Step
from flows.common import TELEGRAM_ID_MAX
from flows.rules.validation import EvidenceTag
from locales.i18n import LANGUAGES

__all__ = [
    "AskChatLink",
    "AskMediator",
    "BidChoice",
    "BidJoin",
    "BuildAction",
    "BuildButton",
    "ClaimForm",
    "Confirm",
    "EvidenceAnswer",
    "EvidenceVerdict",
    "FulfilAction",
    "FulfilButton",
    "GroupEvidenceTag",
    "InviteSupplier",
    "JoinAnswer",
    "LanguageChoice",
    "Midpoint",
    "MyActions",
    "PrivateEvidenceTag",
    "ProposalAction",
    "ProposalButton",
    "ReplaceSupplier",
    "SupplierAction",
    "SupplierAnswer",
    "SupplierJoin",
    "Withdraw",
    "YesNo",
    "ZoneChoice",
]


def _one_of(values: Iterable[str]) -> str:
    return "|".join(re.escape(value) for value in values)


# --- small enums: the values the buttons carry -------------------------------------------


class Confirm(StrEnum):
    """A step that asks first: the first press asks, the answer says yes or no."""

    ASK = "a"
    YES = "y"
    NO = "n"


class YesNo(StrEnum):
    YES = "y"
    NO = "n"


class BidChoice(StrEnum):
    JOIN = "in"
    DECLINE = "out"
    AGAIN = "again"


class ProposalAction(StrEnum):
    ASK_ACCEPT = "a"  # ask to confirm the acceptance
    ACCEPT = "y"
    NOT_NOW = "n"
    REJECT = "r"
    COUNTER = "c"
    SKIP_REASON = "s"


class SupplierAction(StrEnum):
    ASK_ACCEPT = "a"
    ACCEPT = "y"
    NOT_NOW = "n"
    COUNTER = "c"
    CONTEST = "x"


class FulfilAction(StrEnum):
    DONE = "d"
    DONE_NO_PROOF = "n"
    CONFIRM = "c"
    NOT_DONE = "x"
    KEEP = "k"  # keep the obligation to do: the proof is not sent after all


class EvidenceVerdict(StrEnum):
    CONFIRM = "c"
    DISPUTE = "x"
    SKIP_REASON = "s"


class JoinAnswer(StrEnum):
    YES = "yes"
    NO = "no"


class BuildAction(StrEnum):
    """A proposal builder button: a term to add, a question to ask, or the builder itself."""

    CANCEL = "cancel"
    SEND = "send"
    FREIGHT_BUYER = "fb"
    FREIGHT_SUPPLIER = "fs"
    FULL = "full"
    PARTIAL = "partial"
    RETURN = "return"
    PARTIAL_RETURN = "preturn"
    REPLACEMENT = "replacement"
    DISCOUNT = "discount"
    OTHER = "other"
    PARTIAL_RETURN_ITEMS = "preturn_items"
    PARTIAL_RETURN_REFUND = "preturn_refund"
    REPLACEMENT_QTY = "replacement_qty"
    REPLACEMENT_DATE = "replacement_date"


# --- constrained strings -----------------------------------------------------------------

# The claim form's values: a lowercase word (a choice, navigation, chg_<part>) or a currency.
FORM_VALUE = Matching(r"[a-z][a-z_]{0,31}|[A-Z]{3}", 32)
LANGUAGE = Matching(_one_of(LANGUAGES), max(len(code) for code in LANGUAGES))
# An IANA zone name ("Asia/Shanghai", "America/Argentina/Buenos_Aires", "Etc/GMT+8"); the
# handler still asks zoneinfo whether it exists.
ZONE = Matching(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}", 60)
# An invitation token: the deep-link alphabet (storage/repos/tokens.py makes 32 characters).
TOKEN = Matching(r"[A-Za-z0-9_\-]+", 48)
# A private item's tag, or the mediator-only toggle.
PRIVATE_VALUE, SHARED_VALUE = "private", "shared"
PRIVATE_TAG = Matching(_one_of([*EvidenceTag, PRIVATE_VALUE, SHARED_VALUE]), 16)


# --- the kinds -----------------------------------------------------------------------------


@button("f")
@dataclass(frozen=True)
class ClaimForm(Callback):
    """A claim form button, at the step it was shown for."""

    case_id: int
    step: Step
    value: Annotated[str, FORM_VALUE]


@button("lang")
@dataclass(frozen=True)
class LanguageChoice(Callback):
    code: Annotated[str, LANGUAGE]


@button("tz")
@dataclass(frozen=True)
class ZoneChoice(Callback):
    zone: Annotated[str, ZONE]


@button("inv")
@dataclass(frozen=True)
class InviteSupplier(Callback):
    """The buyer asks for the supplier's invitation."""

    case_id: int


@button("sj")
@dataclass(frozen=True)
class SupplierJoin(Callback):
    """The invited person confirms (or denies) being the supplier."""

    token: Annotated[str, TOKEN]
    answer: JoinAnswer


@button("rs")
@dataclass(frozen=True)
class ReplaceSupplier(Callback):
    """The buyer replaces the supplier the button was shown for (never a newer one)."""

    case_id: int
    supplier_id: Annotated[int, UpTo(TELEGRAM_ID_MAX)]
    step: Confirm


@button("sa")
@dataclass(frozen=True)
class SupplierAnswer(Callback):
    case_id: int
    action: SupplierAction


@button("pp")
@dataclass(frozen=True)
class ProposalButton(Callback):
    proposal_id: int
    action: ProposalAction


@button("pb")
@dataclass(frozen=True)
class BuildButton(Callback):
    case_id: int
    action: BuildAction


@button("ob")
@dataclass(frozen=True)
class FulfilButton(Callback):
    obligation_id: int
    action: FulfilAction


@button("bb")
@dataclass(frozen=True)
class BidJoin(Callback):
    case_id: int
    choice: BidChoice


@button("bm")
@dataclass(frozen=True)
class Midpoint(Callback):
    """Accept or decline a blind-bidding round's midpoint."""

    case_id: int
    round_no: int
    answer: YesNo


@button("wd")
@dataclass(frozen=True)
class Withdraw(Callback):
    case_id: int
    step: Confirm


@button("md")
@dataclass(frozen=True)
class AskMediator(Callback):
    """A party asks for a mediator (the /case button)."""

    case_id: int


@button("cl")
@dataclass(frozen=True)
class AskChatLink(Callback):
    """A party asks for a (new) link into the case's dispute chat."""

    case_id: int


@button("ca")
@dataclass(frozen=True)
class MyActions(Callback):
    """A party asks, from the pinned claim, what they can do now."""

    case_id: int


@button("ea")
@dataclass(frozen=True)
class EvidenceAnswer(Callback):
    """The other party confirms or disputes a chat screenshot (item E<number>)."""

    case_id: int
    number: int
    verdict: EvidenceVerdict


@button("ge")
@dataclass(frozen=True)
class GroupEvidenceTag(Callback):
    case_id: int
    tag: EvidenceTag


@button("pe")
@dataclass(frozen=True)
class PrivateEvidenceTag(Callback):
    case_id: int
    choice: Annotated[str, PRIVATE_TAG]
