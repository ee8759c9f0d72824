"""Errors of the sandbox: Bot API error answers and refused user actions."""

from __future__ import annotations

__all__ = ["ActionRefused", "ApiError", "bad_request", "forbidden"]


class ApiError(Exception):
    """An error answer of the Bot API (``{"ok": false, "error_code": ..., ...}``)."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        violation: bool = False,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id
        self.violation = violation

    def payload(self) -> dict[str, object]:
        """The JSON body Telegram answers with."""
        body: dict[str, object] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        parameters: dict[str, int] = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:  # ResponseParameters: why the request failed and what to do instead
            body["parameters"] = parameters
        return body


def bad_request(reason: str, *, violation: bool = False) -> ApiError:
    """400 ``Bad Request: <reason>``."""
    return ApiError(400, f"Bad Request: {reason}", violation=violation)


def forbidden(reason: str) -> ApiError:
    """403 ``Forbidden: <reason>``."""
    return ApiError(403, f"Forbidden: {reason}")


class ActionRefused(AssertionError):
    """A simulated user tried something Telegram would not let them do."""
