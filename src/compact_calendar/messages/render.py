"""Laying a :class:`~compact_calendar.messages.content.Message` out with Jinja2 templates.

The package ships the templates; staff override any of them by putting a file of the
same name in a ``templates/`` directory next to the registry. Every value a template
prints passes through the escaping of its target: HTML is autoescaped, Slack
text has ``& < >`` escaped (so registry text cannot write ``<!channel>``), other chat
formats have angle brackets replaced (no ``<@id>``, ``<users/all>``, ``<at>``), and every
chat format has mass mentions neutralised.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import jinja2

from compact_calendar.errors import ChannelError, ConfigError
from compact_calendar.messages.content import Message
from compact_calendar.messages.sanitize import neutralise_mentions

__all__ = [
    "CHAT_FLAVOURS",
    "ChatFlavour",
    "Templates",
    "escape_for",
    "override_directory",
]

ChatFlavour = Literal["slack", "google-chat", "markdown", "plain"]
CHAT_FLAVOURS: tuple[ChatFlavour, ...] = ("slack", "google-chat", "markdown", "plain")

TEXT_TEMPLATE = "reminder.txt.j2"
HTML_TEMPLATE = "reminder.html.j2"


def override_directory(registry: Path) -> Path:
    """Where staff put their own templates: ``templates/`` beside the registry."""
    return registry.resolve().parent / "templates"


def _slack_escape(value: str) -> str:
    # Slack's documented escaping for mrkdwn: only these three characters.
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _markdown_escape(value: str) -> str:
    # Angle brackets start Discord/Teams mentions (<@id>, <at>) and raw HTML in Mattermost.
    return value.replace("<", "\u2039").replace(">", "\u203a")


_ESCAPES: dict[ChatFlavour, Callable[[str], str]] = {
    "slack": _slack_escape,
    "google-chat": _markdown_escape,
    "markdown": _markdown_escape,
    "plain": lambda value: value,
}


def escape_for(flavour: ChatFlavour, text: str) -> str:
    """``text`` as a chat payload may carry it in ``flavour``'s markup, mentions neutralised."""
    return _ESCAPES[flavour](neutralise_mentions(text))


def _finalizer(escape: Callable[[str], str]) -> Callable[[Any], Any]:
    def finalize(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, str):
            return escape(neutralise_mentions(value))
        return value

    return finalize


class Templates:
    """The message templates: the package's, overridden by files in ``override_dir``."""

    def __init__(self, override_dir: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if override_dir is not None and override_dir.is_dir():
            loaders.append(jinja2.FileSystemLoader(override_dir))
        loaders.append(jinja2.PackageLoader("compact_calendar.messages", "templates"))
        self.loader = jinja2.ChoiceLoader(loaders)
        common: dict[str, Any] = {
            "loader": self.loader,
            "undefined": jinja2.StrictUndefined,
            "keep_trailing_newline": True,
            "trim_blocks": True,
            "lstrip_blocks": True,
        }
        # Plain text and chat markup are not HTML: their escaping is the finalizer's job.
        self._text = jinja2.Environment(
            autoescape=False,  # noqa: S701
            finalize=lambda v: v or "",
            **common,
        )
        self._html = jinja2.Environment(autoescape=True, **common)
        self._chat = {
            flavour: jinja2.Environment(
                autoescape=False,  # noqa: S701
                finalize=_finalizer(escape),
                **common,
            )
            for flavour, escape in _ESCAPES.items()
        }

    def check(self) -> None:
        """Compile every template now, so a broken override is reported at start-up."""
        names = [TEXT_TEMPLATE, HTML_TEMPLATE, *(f"chat-{f}.j2" for f in CHAT_FLAVOURS)]
        for name in names:
            self._get(self._text, name)

    def _get(self, environment: jinja2.Environment, name: str) -> jinja2.Template:
        try:
            return environment.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(
                f"{exc.filename or name}:{exc.lineno}: template error: {exc.message}: "
                "fix the template or delete it to use the built-in one"
            ) from exc
        except jinja2.TemplateNotFound as exc:
            raise ConfigError(f"message template {name} not found") from exc

    def _render(self, environment: jinja2.Environment, name: str, message: Message) -> str:
        template = self._get(environment, name)
        try:
            return template.render(message=message, m=message)
        except jinja2.TemplateError as exc:
            raise ChannelError(
                f"{template.filename or name}: cannot render the message: {exc}: "
                "fix the template or delete it to use the built-in one"
            ) from exc

    def text(self, message: Message) -> str:
        return self._render(self._text, TEXT_TEMPLATE, message)

    def html(self, message: Message) -> str:
        return self._render(self._html, HTML_TEMPLATE, message)

    def chat(self, flavour: ChatFlavour, message: Message) -> str:
        """The body of a chat message, in the markup of ``flavour``, without trailing space."""
        return self._render(self._chat[flavour], f"chat-{flavour}.j2", message).strip()
