"""Bot API methods about the bot itself: identity, updates, webhook, commands, names, menu."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.sandbox.dispatch import api
from bot.sandbox.errors import ApiError, bad_request
from bot.sandbox.updates import WebhookSettings

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox
    from bot.sandbox.schema import ValidatedRequest

__all__ = ["BotSettings"]

ScopeKey = tuple[str, int | str | None, int | None]


@dataclass
class BotSettings:
    """What the bot configured about itself."""

    commands: dict[tuple[ScopeKey, str], list[dict[str, str]]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    menu_buttons: dict[int | None, dict[str, Any]] = field(default_factory=dict)
    default_admin_rights: dict[bool, dict[str, Any]] = field(default_factory=dict)

    def get_commands(
        self, scope_type: str, language_code: str, chat_id: int | str | None, user_id: int | None
    ) -> list[dict[str, str]]:
        """Commands stored for exactly this scope and language."""
        key = ((scope_type, chat_id, user_id), language_code)
        return [dict(c) for c in self.commands.get(key, [])]


def _scope_key(scope: dict[str, Any] | None) -> ScopeKey:
    scope = scope or {"type": "default"}
    return (str(scope["type"]), scope.get("chat_id"), scope.get("user_id"))


@api("getMe")
async def get_me(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    return {
        **sb.bot_user,
        "can_join_groups": sb.can_join_groups,
        "can_read_all_group_messages": sb.can_read_all_group_messages,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api("logOut", "close")
async def log_out(sb: Sandbox, req: ValidatedRequest) -> bool:
    if req.method == "logOut":
        sb.logged_out = True
    return True


@api("getUpdates")
async def get_updates(sb: Sandbox, req: ValidatedRequest) -> list[dict[str, Any]]:
    p = req.params
    if sb.webhook.active:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    return await sb.updates.get_updates(
        offset=p.get("offset"),
        limit=p.get("limit", 100),
        timeout=max(float(p.get("timeout", 0)), 0.0),
        allowed_updates=p.get("allowed_updates"),
        active=lambda: not sb.webhook.active,
    )


@api("setWebhook")
async def set_webhook(sb: Sandbox, req: ValidatedRequest) -> bool:
    p = req.params
    url = str(p["url"])
    if not url:
        sb.webhook.delete()
        return True
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if p.get("allowed_updates") is not None:
        sb.updates.allowed = list(p["allowed_updates"])
    if p.get("drop_pending_updates"):
        sb.updates.drop_pending()
    sb.webhook.set(
        WebhookSettings(
            url=url,
            secret_token=p.get("secret_token"),
            max_connections=p.get("max_connections", 40),
            ip_address=p.get("ip_address"),
            has_custom_certificate="certificate" in p,
        )
    )
    return True


@api("deleteWebhook")
async def delete_webhook(sb: Sandbox, req: ValidatedRequest) -> bool:
    sb.webhook.delete()
    if req.params.get("drop_pending_updates"):
        sb.updates.drop_pending()
    return True


@api("getWebhookInfo")
async def get_webhook_info(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    return sb.webhook.info()


@api("setMyCommands")
async def set_my_commands(sb: Sandbox, req: ValidatedRequest) -> bool:
    p = req.params
    key = (_scope_key(p.get("scope")), p.get("language_code", ""))
    commands = [{"command": c["command"], "description": c["description"]} for c in p["commands"]]
    if commands:
        sb.settings.commands[key] = commands
    else:
        sb.settings.commands.pop(key, None)
    return True


@api("getMyCommands")
async def get_my_commands(sb: Sandbox, req: ValidatedRequest) -> list[dict[str, str]]:
    p = req.params
    key = (_scope_key(p.get("scope")), p.get("language_code", ""))
    return [dict(c) for c in sb.settings.commands.get(key, [])]


@api("deleteMyCommands")
async def delete_my_commands(sb: Sandbox, req: ValidatedRequest) -> bool:
    p = req.params
    sb.settings.commands.pop((_scope_key(p.get("scope")), p.get("language_code", "")), None)
    return True


_TEXT_SETTINGS = {
    "setMyName": ("names", "name"),
    "setMyDescription": ("descriptions", "description"),
    "setMyShortDescription": ("short_descriptions", "short_description"),
}


@api(*_TEXT_SETTINGS)
async def set_my_text(sb: Sandbox, req: ValidatedRequest) -> bool:
    attr, field_name = _TEXT_SETTINGS[req.method]
    store: dict[str, str] = getattr(sb.settings, attr)
    language = req.params.get("language_code", "")
    value = req.params.get(field_name, "")
    if value:
        store[language] = value
    else:
        store.pop(language, None)
    return True


@api("getMyName", "getMyDescription", "getMyShortDescription")
async def get_my_text(sb: Sandbox, req: ValidatedRequest) -> dict[str, str]:
    attr, field_name = _TEXT_SETTINGS["s" + req.method[1:]]
    store: dict[str, str] = getattr(sb.settings, attr)
    language = req.params.get("language_code", "")
    default = sb.bot_name if field_name == "name" else ""
    return {field_name: store.get(language, store.get("", default))}


@api("setChatMenuButton")
async def set_chat_menu_button(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat_id = req.params.get("chat_id")
    if chat_id is not None:
        chat = sb.resolve_chat(chat_id)
        if chat.user is None:
            raise bad_request("menu button can be set only in private chats")
    sb.settings.menu_buttons[chat_id] = req.params.get("menu_button") or {"type": "default"}
    return True


@api("getChatMenuButton")
async def get_chat_menu_button(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    buttons = sb.settings.menu_buttons
    chat_id = req.params.get("chat_id")
    return dict(buttons.get(chat_id) or buttons.get(None) or {"type": "commands"})


@api("setMyDefaultAdministratorRights")
async def set_default_admin_rights(sb: Sandbox, req: ValidatedRequest) -> bool:
    for_channels = bool(req.params.get("for_channels", False))
    sb.settings.default_admin_rights[for_channels] = dict(req.params.get("rights") or {})
    return True


@api("getMyDefaultAdministratorRights")
async def get_default_admin_rights(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    stored = sb.settings.default_admin_rights.get(bool(req.params.get("for_channels", False)))
    fields = sb.schema.types["ChatAdministratorRights"]["fields"]
    return {
        name: bool((stored or {}).get(name, False))
        for name, spec in fields.items()
        if spec["required"] or (stored and name in stored)
    }
