"""Files through the sandbox: bot uploads (multipart), user files, getFile and downloads."""

from __future__ import annotations

import struct
import zlib

import pytest
from telegram import Bot, InputMediaDocument, InputMediaPhoto
from telegram.error import BadRequest

from bot.sandbox import Sandbox

PDF = b"%PDF-1.4\n" + b"x" * 2000


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


async def test_bot_uploads_and_downloads(bot: Bot, sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    await alice.send("/start")
    photo = png(40, 30)
    sent = await bot.send_photo(alice.id, photo, caption="<b>Evidence</b> №1", parse_mode="HTML")
    assert sent.caption == "Evidence №1"
    assert sent.photo[-1].width == 40 and sent.photo[-1].height == 30
    doc = await bot.send_document(alice.id, PDF, filename="claim.pdf", caption="Claim")
    assert doc.document is not None
    assert doc.document.file_name == "claim.pdf"
    assert doc.document.mime_type == "application/pdf"
    assert doc.document.file_size == len(PDF)

    file = await bot.get_file(doc.document.file_id)
    assert file.file_path is not None and file.file_path.endswith(".pdf")
    assert bytes(await file.download_as_bytearray()) == PDF
    photo_file = await bot.get_file(sent.photo[-1].file_id)
    assert bytes(await photo_file.download_as_bytearray()) == photo

    entries = alice.transcript()
    assert [(e.kind, e.text, e.file_name) for e in entries[1:]] == [
        ("photo", "Evidence №1", None),
        ("document", "Claim", "claim.pdf"),
    ]
    # resend by file_id works; a photo id is not a document
    again = await bot.send_document(alice.id, doc.document.file_id)
    assert again.document is not None and again.document.file_id == doc.document.file_id
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(alice.id, sent.photo[-1].file_id)


async def test_user_files_are_downloadable(bot: Bot, sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    message = await alice.send_document(PDF, "invoice.pdf", "application/pdf", caption="Invoice")
    assert message["caption"] == "Invoice"
    file = await bot.get_file(message["document"]["file_id"])
    assert file.file_size == len(PDF)
    assert bytes(await file.download_as_bytearray()) == PDF
    # the server answers a relative path; PTB prefixes base_file_url + token
    status, body = await sandbox.call("getFile", {"file_id": message["document"]["file_id"]})
    assert status == 200
    assert body["result"]["file_path"] == "documents/file_0.pdf"
    assert file.file_path == f"{bot.base_file_url}/documents/file_0.pdf"

    photo = await alice.send_photo(png(10, 10))
    biggest = photo["photo"][-1]
    assert biggest["file_size"] == len(png(10, 10))
    assert bytes(await (await bot.get_file(biggest["file_id"])).download_as_bytearray()) == png(
        10, 10
    )
    voice = await alice.send_voice(b"OggS voice", duration=3)
    assert voice["voice"]["duration"] == 3
    voice_file = await bot.get_file(voice["voice"]["file_id"])
    assert voice_file.file_path is not None and voice_file.file_path.endswith(".oga")
    video = await alice.send_video(b"\x00\x00\x00 ftypmp42", caption="unboxing")
    assert (await bot.get_file(video["video"]["file_id"])).file_size == 12
    assert [e.kind for e in alice.transcript()] == ["document", "photo", "voice", "video"]


async def test_big_files_cannot_be_downloaded(bot: Bot, sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    message = await alice.send_document(b"%PDF", "huge.pdf", fake_size=25 * 1024 * 1024)
    assert message["document"]["file_size"] == 25 * 1024 * 1024
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(message["document"]["file_id"])


async def test_media_group(bot: Bot, sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    await alice.send("/start")
    messages = await bot.send_media_group(
        alice.id,
        [InputMediaPhoto(png(5, 5), caption="one"), InputMediaPhoto(png(6, 6))],
    )
    assert len(messages) == 2
    assert messages[0].media_group_id == messages[1].media_group_id
    docs = await bot.send_media_group(
        alice.id,
        [InputMediaDocument(PDF, filename="a.pdf"), InputMediaDocument(PDF, filename="b.pdf")],
    )
    assert [m.document.file_name for m in docs if m.document] == ["a.pdf", "b.pdf"]
    assert [e.kind for e in alice.transcript()] == [
        "text",
        "photo",
        "photo",
        "document",
        "document",
    ]
