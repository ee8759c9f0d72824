"""The request pipeline: method lookup, schema check, faults, handler, answer.

Handlers register with ``@api("sendMessage")`` and receive the sandbox and the validated
request. Every request is logged in ``sandbox.requests``; a request that does not fit the
schema (or calls a method the sandbox does not implement) is answered with 400/404 and
recorded in ``sandbox.violations``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from bot.sandbox.errors import ApiError
from bot.sandbox.schema import SchemaViolation, UploadedFile, ValidatedRequest
from bot.sandbox.supergroups import refuse_upgraded

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox

__all__ = ["HANDLERS", "Handler", "api", "handle_request"]

Handler = Callable[["Sandbox", ValidatedRequest], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}
_log = logging.getLogger(__name__)


def api(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler for Bot API methods."""

    def register(handler: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = handler
        return handler

    return register


async def handle_request(
    sandbox: Sandbox,
    method_name: str,
    raw: Mapping[str, Any],
    files: Mapping[str, UploadedFile] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Process one Bot API request; returns (HTTP status, JSON body).

    Raises ``DropConnection`` when a "drop" fault applies.
    """
    method = sandbox.schema.method_name(method_name)
    if method is None:
        sandbox.requests.append((method_name, dict(raw)))
        sandbox.record_violation(method_name, "method not found")
        return 404, ApiError(404, "Not Found: method not found").payload()
    try:
        request = sandbox.schema.validate(method, raw, files)
    except SchemaViolation as violation:
        sandbox.requests.append((method, dict(raw)))
        sandbox.record_violation(method, violation.reason)
        return 400, ApiError(400, f"Bad Request: {violation.reason}").payload()
    sandbox.requests.append((method, request.params))
    sandbox.notify()
    try:
        fault = sandbox.faults.take(method, request.params)
        if fault is not None:
            raise fault
        refuse_upgraded(sandbox, method, request.params)
        handler = HANDLERS.get(method)
        if handler is None:
            raise ApiError(400, f"Bad Request: sandbox does not implement {method}", violation=True)
        result = await handler(sandbox, request)
    except ApiError as error:
        if error.violation:
            sandbox.record_violation(method, error.description.removeprefix("Bad Request: "))
        return error.code, error.payload()
    finally:
        sandbox.notify()
    if sandbox.check_results:
        try:
            sandbox.schema.check_object(sandbox.schema.returns(method), result)
        except SchemaViolation as bug:
            _log.error("sandbox produced an invalid %s result: %s", method, bug.reason)
            sandbox.record_violation(method, f"sandbox bug: invalid result: {bug.reason}")
    return 200, {"ok": True, "result": result}
