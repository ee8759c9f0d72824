"""/casefile end to end (issue 10, part 1's acceptance points), on SQLite and on PostgreSQL.

The English buyer and the Chinese supplier of `open_case`; the supplier gives a bank statement
privately, for the mediator only; nobody answers, the case escalates, Maria takes it, opens the
final statements round and decides a partial refund. Then `/casefile`: the buyer gets the PDF and
`case-1.json`, made for them: the PDF's text has the English and the Chinese parts, the evidence
hashes and the last history hash, and nothing of the mediator-only item (neither has the JSON,
which is valid against the committed schema); `verify` accepts the JSON, and after one history
row is altered in the database it fails naming that event. The mediator's copy has the item. A
stranger's `/casefile 1` gets the answer `/casefile 999` gets; in the dispute chat the command is
not answered; a PDF over the upload limit is made without thumbnails and the reader told. The
clock moves; nothing sleeps.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pypdf import PdfReader
from sqlalchemy import text, update

from bot.config import Settings
from bot.demo import PDF
from bot.sandbox import Sandbox, SandboxServer, SandboxUser
from bot.sandbox.state import MemberState, TranscriptEntry
from flows import case_file_command, case_file_pdf
from flows.case_audit import read_case_file, verify_case
from flows.case_file_schema import SCHEMA_PATH
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState
from flows.sweep import sweep
from locales.i18n import Catalogs, Translator
from storage import Database
from storage.tables import history_events
from tests.e2e.conftest import BotHarness, bot_settings, staff_chat, translator
from tests.e2e.dispute_steps import (
    Case,
    after_pending_updates,
    containing,
    open_case,
    saying,
)
from tests.e2e.test_decision import _keep_days, _statements_round, _take_label
from tests.e2e.test_mediator_pool import _mediator, _staff
from tests.storage.dbs import fresh_postgres_url, sqlite_url, usable_postgres_admin

SECRET = "ICBC statement 6222-0212 March"
BANK = PDF.replace(b"1 0 obj", b"1 0 obj % ICBC account statement")
REASONS = "The photos E1 show 120 cracked casings; the supplier sent no answer."


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    admin = await usable_postgres_admin()
    async with fresh_postgres_url(admin) as url:
        yield url


@pytest.fixture
def settings(
    server: SandboxServer, sandbox: Sandbox, tmp_path: Path, database_url: str
) -> Settings:
    """The forum staff chat of `test_mediator_pool` with Li and Maria, on either database."""
    staff = staff_chat(sandbox, forum=True)
    for name, language in (("Li", "zh-hans"), ("Maria", "en")):
        user = sandbox.user(name, language_code=language)
        staff.member_states[user.id] = MemberState(user.id, "member")
    return bot_settings(server, tmp_path, mediator_chat_id=staff.id, database_url=database_url)


async def _private_item(case: Case) -> None:
    """The supplier gives the bank statement privately, for the mediator only (E3)."""
    supplier, str_ = case.supplier, case.str_
    await supplier.send("/evidence")
    await supplier.wait_for(saying(str_.t("evidence.private.ask_file", case=case.number)))
    await supplier.send_document(BANK, "icbc-statement.pdf", "application/pdf")
    await supplier.wait_for(saying(str_.t("evidence.private.ask_label")))
    await supplier.send(SECRET)
    await supplier.wait_for(containing(str_.t("evidence.private.hint")))
    await supplier.press(str_.t("button.evidence_private"))
    await supplier.wait_for(containing(str_.t("evidence.private.marked")))
    await supplier.press(str_.t("tag.payment"))
    await supplier.wait_for(
        containing(str_.t("evidence.private.added", case=case.number, line="E3"))
    )


async def _decided(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> tuple[Case, SandboxUser, Translator]:
    """Filed with the private item, escalated, taken by Maria, decided: a refund of 400."""
    case = await open_case(bot, sandbox, catalogs, clock)
    await _private_item(case)
    for name in ("Li", "Maria"):
        mediator = _mediator(sandbox, name)
        await mediator.send("/start")
        await mediator.wait_for(lambda e: e.from_bot)
    clock.advance(timedelta(days=3, minutes=1))
    assert bot.app is not None
    await sweep(bot.services, bot.app.bot)
    assert await case.state() is CaseState.MEDIATION
    maria = _mediator(sandbox, "Maria")
    mtr = translator(catalogs, maria)
    take = _take_label(sandbox, catalogs)
    await maria.wait_for(lambda e: take in e.button_texts, chat=_staff(sandbox))
    await maria.press(take, _staff(sandbox))
    await maria.wait_for(containing(mtr.t("card.title", number=case.number)))
    await _statements_round(bot, case, maria, mtr, clock)
    await maria.send(f"/decide {case.filed_number}")
    await maria.wait_for(containing(mtr.t("decision.choose_outcome")))
    await maria.press(mtr.t("outcome.partial_refund"))
    await maria.wait_for(saying(mtr.t("builder.ask.partial", currency="USD")))
    await maria.send("400")
    await maria.wait_for(containing(mtr.t("builder.terms_so_far")))
    await maria.press(mtr.t("button.decision_next"))
    await _keep_days(maria, mtr)
    await maria.wait_for(
        containing(mtr.t("decision.ask_reasons", number=case.number, items="E1, E2, E3"))
    )
    await maria.send(REASONS)
    await maria.wait_for(lambda e: mtr.t("button.decision_issue") in e.button_texts)
    await maria.press(mtr.t("button.decision_issue"))
    await maria.wait_for(saying(mtr.t("decision.issued_ack", number="D1")))
    assert await case.state() is CaseState.DECIDED
    return case, maria, mtr


def _document(sandbox: Sandbox, entry: TranscriptEntry) -> bytes:
    return bytes(sandbox.files.by_id[entry.message["document"]["file_id"]].data)


async def _case_file(
    sandbox: Sandbox, user: SandboxUser, tr: Translator, command: str, number: str
) -> tuple[bytes, bytes]:
    """`command` sent privately: the busy message first, then the PDF and the JSON."""
    before = len(user.transcript())
    await user.send(command)
    await user.wait_for(saying(tr.t("casefile.preparing", number=f"#{number}")))
    pdf, document = await _documents(sandbox, user, number, before)
    assert pdf.text == tr.t("casefile.caption.pdf", number=f"#{number}")
    return _document(sandbox, pdf), _document(sandbox, document)


async def _documents(
    sandbox: Sandbox, user: SandboxUser, number: str, before: int
) -> tuple[TranscriptEntry, TranscriptEntry]:
    """The PDF and the JSON of case `number`, once both came after transcript entry `before`."""
    names = (f"case-{number}.pdf", f"case-{number}.json")

    def sent() -> dict[str | None, TranscriptEntry]:
        new = user.transcript()[before:]
        return {e.file_name: e for e in new if e.from_bot and e.kind == "document"}

    await sandbox.wait_until(lambda: all(name in sent() for name in names), 60)
    found = sent()
    return found[names[0]], found[names[1]]


def _pdf_text(data: bytes) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pages)


async def _alter_event(db: Database, case_id: int, seq: int) -> None:
    """An attacker with the database: the triggers dropped, one history row's payload edited."""
    drops = (
        ["DROP TRIGGER history_events_no_update_delete ON history_events"]
        if db.dialect == "postgresql"
        else ["DROP TRIGGER history_events_no_update", "DROP TRIGGER history_events_no_delete"]
    )
    async with db.engine.begin() as conn:
        for drop in drops:
            await conn.execute(text(drop))
        await conn.execute(
            update(history_events)
            .where(history_events.c.case_id == case_id, history_events.c.seq == seq)
            .values(payload={"edited": True})
        )


async def test_a_decided_cases_file_for_a_party_verifies_and_keeps_the_mediators_item_out(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock, tmp_path: Path
) -> None:
    case, maria, mtr = await _decided(bot, sandbox, catalogs, clock)
    db = bot.services.db
    number = str(case.filed_number)
    pdf, document = await _case_file(sandbox, case.buyer, case.btr, "/casefile", number)

    # The PDF: English and Chinese, the evidence hashes, the last history hash.
    items = await db.evidence.list(case.case_id)
    [secret] = [item for item in items if item.mediator_only]
    shown = [item for item in items if not item.mediator_only]
    assert secret.label == SECRET and secret.sha256 is not None
    events = await db.history.list(case.case_id)
    words = _pdf_text(pdf)
    assert REASONS in words  # the mediator's reasons, as written in English
    assert "王芳" in words  # the Chinese supplier's name
    compact = "".join(words.split())  # a hash may be wrapped across lines
    assert all(item.sha256 is not None and item.sha256 in compact for item in shown)
    assert events[-1].hash in compact
    assert SECRET not in words and secret.sha256 not in compact

    # The JSON: valid against the committed schema, made for the buyer, nothing of E3.
    data = json.loads(document)
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    assert data["reader"] == {"role": "buyer", "language": "en", "time_zone": "UTC"}
    assert data["head"] == {"seq": len(events), "hash": events[-1].hash}
    assert [e["number"] for e in data["evidence"]] == [item.number for item in shown]
    raw = document.decode("utf-8")
    assert SECRET not in raw and secret.sha256 not in raw and "icbc-statement" not in raw
    assert [d["reasons"] for d in data["decisions"]] == [REASONS]

    # The mediator's own copy has the item.
    _, theirs = await _case_file(sandbox, maria, mtr, f"/casefile {number}", number)
    assert SECRET in theirs.decode("utf-8") and secret.sha256 in theirs.decode("utf-8")

    # verify accepts the buyer's file; after one history row is altered it names that event.
    path = tmp_path / f"case-{number}.json"
    path.write_bytes(document)
    store = bot.services.files.store
    report = await verify_case(db, store, case.case_id, case_file=read_case_file(path))
    assert report.ok, report.findings
    altered = events[4]
    await _alter_event(db, case.case_id, altered.seq)
    report = await verify_case(db, store, case.case_id, case_file=read_case_file(path))
    first = report.findings[0]
    assert (first.area, first.seq) == ("chain", altered.seq)
    assert first.detail == f"event {altered.seq} ({altered.kind}) was altered: its hash differs"


async def test_a_stranger_gets_the_nonexistent_cases_answer_and_a_big_pdf_loses_thumbnails(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    for name, language in (("Eve", "en"), ("小李", "zh-hans")):
        stranger = sandbox.user(name, language_code=language)
        tr = translator(catalogs, stranger)
        answers = []
        for command in (f"/casefile {case.filed_number}", "/casefile 999", "/casefile #1"):
            await stranger.send(command)
            answers.append((await stranger.next_message()).text)
        assert answers == [tr.t("casefile.not_found")] * 3
        assert not [e for e in stranger.transcript() if e.from_bot and e.kind == "document"]
    # Li is a mediator, but not this case's: the same answer.
    li = _mediator(sandbox, "Li")
    await li.send(f"/casefile {case.filed_number}")
    assert (await li.next_message()).text == translator(catalogs, li).t("casefile.not_found")
    # In the dispute chat, as every private-only command: not answered, nothing sent.
    in_group = len(case.group.bot_messages())
    await case.buyer.send(f"/casefile {case.filed_number}", chat=case.group)
    await after_pending_updates(case.buyer, case.group)
    assert len(case.group.bot_messages()) == in_group
    assert not [e for e in case.buyer.transcript() if e.from_bot and e.kind == "document"]
    # The buyer's one case needs no number; a word is not a number.
    await case.buyer.send("/casefile twelve")
    await case.buyer.wait_for(saying(case.btr.t("casefile.usage")))
    pdf, _ = await _case_file(sandbox, case.buyer, case.btr, "/casefile", str(case.filed_number))
    assert pdf.startswith(b"%PDF")
    told = case.btr.t("casefile.without_thumbnails")
    assert told not in case.buyer.bot_texts()
    # Over the upload limit (made small here), the PDF comes without thumbnails, and says so.
    monkeypatch.setattr(case_file_command, "UPLOAD_LIMIT", len(pdf) - 1)
    await _case_file(sandbox, case.buyer, case.btr, "/casefile", str(case.filed_number))
    await case.buyer.wait_for(saying(told))
    # Too large even without its photos: the buyer is told how to get it, nothing half-sent.
    monkeypatch.setattr(case_file_command, "UPLOAD_LIMIT", 100)
    documents = len([e for e in case.buyer.transcript() if e.from_bot and e.kind == "document"])
    await case.buyer.send(f"/casefile {case.filed_number}")
    await case.buyer.wait_for(
        saying(case.btr.t("casefile.too_large", number=f"#{case.filed_number}"))
    )
    assert documents == len(
        [e for e in case.buyer.transcript() if e.from_bot and e.kind == "document"]
    )


async def test_while_a_case_file_is_made_the_bot_answers_everyone_else(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The PDF is made in a thread: held there, it keeps nobody else waiting, and once let go it
    arrives. (Made on the event loop, the held render would freeze every chat.)"""
    case = await open_case(bot, sandbox, catalogs, clock)
    rendering, release = threading.Event(), threading.Event()
    render = case_file_pdf.render_pdf

    def held_render(*args: Any, **kwargs: Any) -> bytes:
        rendering.set()
        if not release.wait(60):
            raise TimeoutError("the test never let the render go")
        return render(*args, **kwargs)

    monkeypatch.setattr(case_file_pdf, "render_pdf", held_render)
    before = len(case.buyer.transcript())
    await case.buyer.send(f"/casefile {case.filed_number}")
    await sandbox.wait_until(rendering.is_set, 30)
    try:
        for name, language in (("Eve", "en"), ("小李", "zh-hans")):
            other = sandbox.user(name, language_code=language)
            await other.send("/help")
            answer = await other.next_message(timeout=10)
            assert answer.text == translator(catalogs, other).t("help.text")
        await case.supplier.send("/cases")
        await case.supplier.next_message(timeout=10)
    finally:
        release.set()
    pdf, _ = await _documents(sandbox, case.buyer, str(case.filed_number), before)
    assert _document(sandbox, pdf).startswith(b"%PDF")
