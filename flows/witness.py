"""How the witnessed head reads: the record's event count and last hash, posted at milestones.

`storage/witness.py` queues the notice inside the milestone's transaction (filed, settled,
decided, closed) and records where it went; this module says what it says, for each reader:
bilingual in the dispute chat (as `flows/audience.py` does), in each party's own language in
private. `bot/app.py` registers it once the service's catalogs exist.
"""

from __future__ import annotations

from flows.audience import DIVIDER
from flows.services import Services
from locales.i18n import LANGUAGES, N_, Translator
from storage import OutboxMessage
from storage.witness import HeadNews, HeadNotice, Milestone, register_head_news

__all__ = ["head_news", "head_text", "register", "short_hash"]

MILESTONE_KEYS = {
    Milestone.FILED: N_("record.milestone.filed"),
    Milestone.SETTLED: N_("record.milestone.settled"),
    Milestone.DECIDED: N_("record.milestone.decided"),
    Milestone.CLOSED: N_("record.milestone.closed"),
}


def short_hash(digest: str) -> str:
    """The hash as people compare it at a glance: its first 16 characters (no ellipsis: the
    Chinese text would need its own, and the full hash follows on the next line)."""
    return digest[:16]


def head_text(tr: Translator, notice: HeadNotice) -> str:
    number = "—" if notice.number is None else f"#{notice.number}"
    return tr.tn(
        "record.head",
        "record.head.plural",
        notice.seq,
        number=number,
        milestone=tr.t(MILESTONE_KEYS[notice.milestone]),
        short=short_hash(notice.hash),
        hash=notice.hash,
    )


def head_news(services: Services) -> HeadNews:
    """The renderer `storage.witness` calls inside the milestone's transaction."""

    def render(notice: HeadNotice) -> list[OutboxMessage]:
        key = f"case:{notice.case_id}:head:{notice.seq}"
        messages: list[OutboxMessage] = []
        if notice.chat_id is not None:
            languages: dict[str, Translator] = {}
            for user in notice.chat_readers:
                tr = services.translator_for(user)
                languages.setdefault(tr.language, tr)
            ordered = sorted(languages.values(), key=lambda tr: LANGUAGES.index(tr.language))
            text = DIVIDER.join(head_text(tr, notice) for tr in ordered)
            messages.append(
                OutboxMessage(notice.chat_id, text, f"{key}|chat", notice.case_id, shared=True)
            )
        for user_id, _role, user in notice.parties:
            text = head_text(services.translator_for(user), notice)
            messages.append(OutboxMessage(user_id, text, f"{key}|user:{user_id}", notice.case_id))
        return messages

    return render


def register(services: Services) -> None:
    """Post heads in this service's words from now on."""
    register_head_news(services.db.engine, head_news(services))
