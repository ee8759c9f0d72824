"""A local Telegram Bot API sandbox for tests and demos.

``Sandbox`` simulates Telegram for one bot (users, private chats, groups, invite links,
files, faults) and checks every request against the Bot API schema; ``SandboxServer``
serves it over HTTP so python-telegram-bot can talk to it::

    sandbox = Sandbox(bot_token="123456:TEST-TOKEN", bot_username="DisputeTestBot")
    alice = sandbox.user("Alice", username="alice")
    async with SandboxServer(sandbox) as server:
        app = (
            ApplicationBuilder()
            .token(sandbox.bot_token)
            .base_url(server.base_url)
            .base_file_url(server.base_file_url)
            .build()
        )
        ...
        await alice.send("/start")
        reply = await alice.next_message()
        sandbox.assert_no_violations()
"""

from bot.sandbox.chats import SandboxChat
from bot.sandbox.errors import ActionRefused, ApiError
from bot.sandbox.links import DeepLink
from bot.sandbox.sandbox import Sandbox
from bot.sandbox.server import ListenError, SandboxServer, serve
from bot.sandbox.state import CallbackAnswer, TranscriptEntry
from bot.sandbox.users import SandboxUser

__all__ = [
    "ActionRefused",
    "ApiError",
    "CallbackAnswer",
    "DeepLink",
    "ListenError",
    "Sandbox",
    "SandboxChat",
    "SandboxServer",
    "SandboxUser",
    "TranscriptEntry",
    "serve",
]
