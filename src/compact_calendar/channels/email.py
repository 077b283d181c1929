"""Reminders by email: a multipart message with the item as an iCalendar attachment.

:func:`build_email` is pure: it lays a delivery out as ``multipart/mixed`` holding a
``multipart/alternative`` (text, HTML, ``text/calendar; method=PUBLISH``) and the item's
``.ics`` attachment. :class:`EmailChannel` sends it over SMTP with aiosmtplib, or, when
no SMTP server is configured, writes it to the outbox directory as an ``.eml`` file.
"""

from __future__ import annotations

import logging
import re
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from compact_calendar.channels.base import Delivery, Receipt
from compact_calendar.channels.factory import ChannelConfig, ChannelContext, channel_builder
from compact_calendar.channels.outbox import write_eml
from compact_calendar.config import Settings
from compact_calendar.errors import (
    ChannelError,
    ConfigError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from compact_calendar.messages.content import Message, message_for
from compact_calendar.messages.render import Templates, override_directory
from compact_calendar.messages.sanitize import header_text
from compact_calendar.registry.model import EmailChannel as EmailChannelConfig

__all__ = [
    "CalendarSource",
    "EmailChannel",
    "SmtpServer",
    "build",
    "build_email",
    "message_id",
]

log = logging.getLogger(__name__)

CalendarSource = Callable[[Delivery], Awaitable[bytes | None]]
"""Gives the ``.ics`` of a delivery's item, with the feeds' UID and SEQUENCE."""

DEFAULT_TIMEOUT = 30.0
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to submit mail, from ``COMPACT_CALENDAR_SMTP_URL``."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    """``smtp://``: upgrade with STARTTLS, and refuse a server that does not offer it."""
    verify: bool
    username: str | None
    password: str | None
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        hint = (
            "write it like smtp://user:password@mail.example.org:587 (STARTTLS) or "
            "smtps://user:password@mail.example.org:465 (implicit TLS)"
        )
        if parts.scheme not in ("smtp", "smtps"):
            raise ConfigError(f"COMPACT_CALENDAR_SMTP_URL: unknown scheme {parts.scheme!r}: {hint}")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(
                f"COMPACT_CALENDAR_SMTP_URL: the port is not a number: {hint}"
            ) from None
        if not parts.hostname:
            raise ConfigError(f"COMPACT_CALENDAR_SMTP_URL: no host name: {hint}")
        query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        implicit = parts.scheme == "smtps"
        timeout = DEFAULT_TIMEOUT
        if "timeout" in query:
            try:
                timeout = float(query["timeout"])
            except ValueError:
                raise ConfigError(
                    "COMPACT_CALENDAR_SMTP_URL: timeout must be a number of seconds"
                ) from None
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit else 587),
            implicit_tls=implicit,
            starttls=not implicit and _flag(query, "starttls", default=True),
            verify=_flag(query, "verify", default=True),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=timeout,
        )

    def describe(self) -> str:
        security = "implicit TLS" if self.implicit_tls else "STARTTLS" if self.starttls else "plain"
        return f"{self.host}:{self.port} ({security})"

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.verify:
            # Only on request (?verify=false), for a local relay with a self-signed cert.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def _flag(query: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = query.get(name)
    if value is None:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"COMPACT_CALENDAR_SMTP_URL: {name}={value!r}: use {name}=true or false")


def message_id(delivery: Delivery, mail_from: str) -> str:
    """``<delivery id@sender's domain>``: the same on every retry, so clients de-duplicate."""
    domain = mail_from.rpartition("@")[2] or "localhost"
    return f"<{_ID_UNSAFE.sub('-', delivery.id)}@{_ID_UNSAFE.sub('-', domain)}>"


def build_email(
    delivery: Delivery,
    *,
    message: Message,
    text: str,
    html: str,
    calendar: bytes | None,
    mail_from: str,
    to: Sequence[str],
) -> EmailMessage:
    """The email for ``delivery``; ``calendar`` is the item's ``.ics`` from the feeds."""
    email = EmailMessage(policy=policy.SMTP)
    email["From"] = Address(addr_spec=header_text(mail_from))
    email["To"] = [Address(addr_spec=header_text(address)) for address in to]
    email["Subject"] = header_text(message.subject)
    email["Date"] = format_datetime(delivery.now)
    email["Message-ID"] = message_id(delivery, mail_from)
    # RFC 3834: tells vacation responders and ticket systems not to answer.
    email["Auto-Submitted"] = "auto-generated"
    email["X-Auto-Response-Suppress"] = "All"
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    if calendar is not None:
        ics = calendar.decode("utf-8")
        email.add_alternative(ics, subtype="calendar", params={"method": "PUBLISH"}, cte="base64")
        email.add_attachment(
            ics,
            subtype="calendar",
            filename=f"{delivery.item.event.id}.ics",
            cte="base64",
        )
    else:
        email.make_mixed()
    return email


def _reply(exc: aiosmtplib.SMTPResponseException) -> str:
    return f"{exc.code} {exc.message}".strip()


def _map_error(exc: aiosmtplib.SMTPException, server: SmtpServer) -> Exception:
    where = f"SMTP server {server.describe()}"
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        replies = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        transient = any(400 <= r.code < 500 for r in exc.recipients)
        cls = TransientDeliveryError if transient else PermanentDeliveryError
        return cls(f"{where} refused every recipient: {replies}", response=replies)
    if isinstance(exc, aiosmtplib.SMTPNotSupported) or "STARTTLS" in str(exc):
        # aiosmtplib reports a missing STARTTLS as a bare SMTPException.
        return PermanentDeliveryError(
            f"{where}: {exc}: smtp:// requires STARTTLS; use "
            "smtps:// for implicit TLS, or add ?starttls=false for a trusted local relay"
        )
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return PermanentDeliveryError(
            f"{where} refused the login: {_reply(exc)}: check the user and password in "
            "COMPACT_CALENDAR_SMTP_URL",
            status=exc.code,
            response=_reply(exc),
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        cls = TransientDeliveryError if 400 <= exc.code < 500 else PermanentDeliveryError
        if exc.code < 400:  # an unexpected reply, not a refusal: worth another try
            cls = TransientDeliveryError
        return cls(f"{where} answered {_reply(exc)}", status=exc.code, response=_reply(exc))
    if isinstance(exc.__cause__, ssl.SSLCertVerificationError):
        return PermanentDeliveryError(
            f"{where}: its TLS certificate cannot be verified ({exc.__cause__.verify_message}); "
            "fix the certificate, or add ?verify=false for a local server you trust"
        )
    # Timeouts, refused connections, disconnects: the server may be back later.
    return TransientDeliveryError(f"{where}: {exc}")


class EmailChannel:
    """Sends reminders by email to the channel's fixed recipients."""

    def __init__(
        self,
        name: str,
        *,
        to: Sequence[str],
        mail_from: str,
        server: SmtpServer | None,
        outbox: Path,
        templates: Templates | None = None,
        calendar_for: CalendarSource | None = None,
    ) -> None:
        self.name = name
        self.to = tuple(to)
        self.mail_from = mail_from
        self.server = server
        self.outbox = outbox
        self.templates = templates or Templates()
        self.calendar_for = calendar_for

    @classmethod
    def from_config(
        cls,
        name: str,
        config: EmailChannelConfig,
        settings: Settings,
        *,
        templates: Templates | None = None,
        calendar_for: CalendarSource | None = None,
    ) -> EmailChannel:
        server = SmtpServer.from_url(settings.smtp_url) if settings.smtp_url else None
        return cls(
            name,
            to=config.to,
            mail_from=settings.mail_from,
            server=server,
            outbox=settings.outbox,
            templates=templates,
            calendar_for=calendar_for,
        )

    async def render(self, delivery: Delivery) -> EmailMessage:
        """Exactly what :meth:`send` would send."""
        message = message_for(delivery)
        return build_email(
            delivery,
            message=message,
            text=self.templates.text(message),
            html=self.templates.html(message),
            calendar=await self.calendar_for(delivery) if self.calendar_for else None,
            mail_from=self.mail_from,
            to=self.to,
        )

    async def send(self, delivery: Delivery) -> Receipt:
        email = await self.render(delivery)
        if self.server is None:
            path = write_eml(self.outbox, email.as_bytes(), delivery)
            log.info("no SMTP server configured: wrote %s to %s", email["Subject"], path)
            return Receipt(None, f"written to {path} (COMPACT_CALENDAR_SMTP_URL is not set)")
        server = self.server
        try:
            refused, reply = await aiosmtplib.send(
                email,
                sender=self.mail_from,
                recipients=list(self.to),
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.implicit_tls,
                start_tls=server.starttls if not server.implicit_tls else None,
                tls_context=server.tls_context(),
                validate_certs=server.verify,
                timeout=server.timeout,
            )
        except aiosmtplib.SMTPException as exc:
            raise _map_error(exc, server) from exc
        except OSError as exc:
            raise TransientDeliveryError(f"SMTP server {server.describe()}: {exc}") from exc
        detail = reply.strip()
        if refused:
            refusals = "; ".join(f"{rcpt}: {r.code} {r.message}" for rcpt, r in refused.items())
            detail = f"{detail}; refused: {refusals}"
        return Receipt(250, detail)

    async def aclose(self) -> None:
        close = getattr(self.calendar_for, "close", None)
        if close is not None:
            close()


@channel_builder("email")
def build(name: str, config: ChannelConfig, context: ChannelContext) -> EmailChannel:
    if not isinstance(config, EmailChannelConfig):
        raise ChannelError(f"channel `{name}` is not an email channel")
    from compact_calendar.channels.email_calendar import FeedCalendar

    settings = context.settings
    templates = Templates(override_directory(settings.registry))
    calendar = FeedCalendar(settings.database_url, context.registry)
    return EmailChannel.from_config(
        name, config, settings, templates=templates, calendar_for=calendar
    )
