"""`disputebot run --webhook`: Telegram posts updates to an HTTP endpoint instead of the bot
polling for them, so several workers can serve one bot behind a reverse proxy.

python-telegram-bot's documented custom-webhook pattern (its `customwebhookbot` example):
a Starlette application served by uvicorn, built by the same `build_application` as polling,
whose updater is never started. Routes:

- `POST <path of WEBHOOK_URL>`: an update. Every request must carry the secret token given to
  `setWebhook` in `X-Telegram-Bot-Api-Secret-Token`; a missing or wrong one is answered 403,
  logged and counted, and nothing of the body is read. An accepted update is handled before the
  answer, through the same per-chat ordering (`PerChatUpdateProcessor`) and update ledger
  (`flows/ledger.py`) as a polled one: a 2xx tells Telegram it is done, so a worker killed while
  handling never answers and Telegram delivers the update again, and a copy of an update that
  was handled (same update_id) is skipped by the ledger.
- `GET /healthz` (`bot/health.py`): 200 when the database answers, else 503.
- `GET /metrics` (`flows/metrics.py`): Prometheus' text format.

At start the bot listens first, then calls `setWebhook` (URL, secret token, every update type
the bot handles, WEBHOOK_MAX_CONNECTIONS). Stopping (SIGTERM / SIGINT) finishes the requests
in progress and leaves the webhook set, for the other workers and for the next start; plain
`disputebot run` (polling) deletes it.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import json
import logging
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot import health
from bot.app import build_application
from bot.config import ConfigError, Settings
from flows import metrics
from flows.clock import Clock
from flows.services import SERVICES_KEY, Services

__all__ = ["SECRET_HEADER", "listen", "run_webhook", "webhook_app"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def webhook_app(application: AnyApplication, secret: str, path: str) -> Starlette:
    """The HTTP face of a webhook worker (see the module docstring)."""
    expected = secret.encode()

    def services() -> Services | None:
        found = application.bot_data.get(SERVICES_KEY)
        return found if isinstance(found, Services) else None

    async def telegram(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), expected):
            reason = "missing" if given is None else "wrong"
            metrics.WEBHOOK_REFUSED.labels(reason).inc()
            client = request.client.host if request.client is not None else "?"
            log.warning("webhook request from %s refused (403): %s secret token", client, reason)
            return Response(status_code=403)
        try:
            update = Update.de_json(json.loads(await request.body()), application.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("webhook request with an unreadable update (400): %s", exc)
            return Response(status_code=400)
        processor = application.update_processor
        await processor.process_update(update, application.process_update(update))
        return Response(status_code=200)

    async def healthz(request: Request) -> Response:
        state = await health.check(services())
        return JSONResponse(state.as_json(), status_code=200 if state.ok else 503)

    async def metrics_page(request: Request) -> Response:
        current = services()
        if current is not None:
            await metrics.refresh_from_database(current)
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route(path, telegram, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_page, methods=["GET"]),
        ]
    )


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on WEBHOOK_LISTEN:WEBHOOK_PORT, or `ConfigError` naming the setting."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise ConfigError(f"WEBHOOK_LISTEN: cannot listen on {host}: {exc.strerror}") from None
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        where = f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            problem = f"{where} is already in use; choose another port"
        elif exc.errno == errno.EACCES:
            problem = f"not allowed to listen on {where} (ports below 1024)"
        elif exc.errno == errno.EADDRNOTAVAIL:
            raise ConfigError(f"WEBHOOK_LISTEN: {host} is no address of this machine") from None
        else:
            problem = f"cannot listen on {where}: {exc.strerror or exc}"
        raise ConfigError(f"WEBHOOK_PORT: {problem}") from None


class _Server(uvicorn.Server):
    """uvicorn, with the signals left to `run_webhook` (uvicorn re-raises the one it caught
    once it has stopped, which would kill the process before the bot's own shutdown)."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_webhook(settings: Settings, clock: Clock) -> None:
    """Serve the bot by webhook until SIGTERM or SIGINT; start-up problems raise ConfigError."""
    url, secret = settings.require_webhook()
    path = urlsplit(url).path or "/"
    sock = listen(settings.webhook_listen, settings.webhook_port)
    application = build_application(settings, clock, freeze_heap=True)
    config = uvicorn.Config(
        webhook_app(application, secret, path),
        lifespan="off",
        log_config=None,  # the bot's logging (flows/logs.py)
        access_log=False,
        timeout_graceful_shutdown=30,
    )
    server = _Server(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _stop, server)
    try:
        await application.initialize()
        try:
            if application.post_init is not None:
                await application.post_init(application)
            await application.start()
            try:
                await application.bot.set_webhook(
                    url,
                    secret_token=secret,
                    allowed_updates=Update.ALL_TYPES,
                    max_connections=settings.webhook_max_connections,
                )
                host, port = sock.getsockname()[:2]
                log.info("webhook set to %s; listening on %s:%s%s", url, host, port, path)
                await server.serve(sockets=[sock])
            finally:
                await application.stop()
        finally:
            if application.post_shutdown is not None:
                await application.post_shutdown(application)
            await application.shutdown()
    finally:
        sock.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("webhook worker stopped (the webhook stays set)")


def _stop(server: uvicorn.Server) -> None:
    log.info("stopping: finishing the requests in progress")
    server.should_exit = True
