"""Email reminders through a real aiosmtpd server on loopback, parsed back as received."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest

from compact_calendar.channels.base import Delivery
from compact_calendar.channels.email import EmailChannel, SmtpServer
from compact_calendar.errors import ConfigError, PermanentDeliveryError, TransientDeliveryError
from tests.channels.smtp_server import (
    Certificate,
    RecordingHandler,
    make_certificate,
    smtp_server,
)
from tests.messages.fixtures import delivery

NOW = datetime(2017, 8, 15, 1, 0, tzinfo=UTC)
KEY = "gcm-tc5-vienna/deadlines/registration"
TO = ["secretariat@example.org", "focal-point@example.org"]
INJECTED_TITLE = "x =?UTF-8?Q?=0A?=Bcc: evil@example.org"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trust(certificate: Certificate, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test certificate part of the "system store" ssl.create_default_context reads."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))


async def item_calendar(delivery: Delivery) -> bytes:
    """Stands in for the feeds' one-event calendar: the item with its UID and SEQUENCE."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//compact-calendar//tests//EN")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", delivery.item.uid)
    event.add("sequence", 3)
    event.add("dtstamp", NOW)
    event.add("summary", delivery.item.title)
    event.add("dtstart", delivery.item.start_instant)
    calendar.add_component(event)
    ics: bytes = calendar.to_ical()
    return ics


def channel(url: str | None, outbox: Path | None = None) -> EmailChannel:
    return EmailChannel(
        "secretariat",
        to=TO,
        mail_from="reminders@calendar.example.org",
        server=SmtpServer.from_url(url) if url else None,
        outbox=outbox or Path("outbox-unused"),
        calendar_for=item_calendar,
    )


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def reminder() -> Delivery:
    return delivery(KEY, now=NOW, offset="3d")


async def test_starttls_delivers_multipart_message_with_calendar(
    certificate: Certificate, trust: None
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler, certificate, mode="starttls") as port:
        receipt = await channel(f"smtp://127.0.0.1:{port}").send(reminder())
    assert receipt.status == 250
    assert "accepted" in receipt.detail
    [received] = handler.received
    assert received.tls
    assert received.rcpt_tos == TO
    assert received.mail_from == "reminders@calendar.example.org"
    message = parse(received.data)
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, html, inline_calendar = alternative.iter_parts()
    assert [text.get_content_type(), html.get_content_type()] == ["text/plain", "text/html"]
    assert inline_calendar.get_content_type() == "text/calendar"
    assert inline_calendar.get_param("method") == "PUBLISH"
    assert attachment.get_filename() == "gcm-tc5-vienna.ics"
    assert attachment.get_content_disposition() == "attachment"
    for part in (inline_calendar, attachment):
        parsed = icalendar.Calendar.from_ical(part.get_content())
        [event] = parsed.walk("VEVENT")
        assert str(event["UID"]) == "gcm-tc5-vienna.deadline.registration@mfa-global-compact"
        assert event.decoded("SEQUENCE") == 3


async def test_headers_carry_subject_stable_message_id_and_auto_submitted(
    certificate: Certificate, trust: None
) -> None:
    handler = RecordingHandler()
    sent = reminder()
    with smtp_server(handler, certificate) as port:
        await channel(f"smtp://127.0.0.1:{port}").send(sent)
        await channel(f"smtp://127.0.0.1:{port}").send(sent)
    first, second = (parse(r.data) for r in handler.received)
    assert first["Subject"] == (
        "Registration closes in 3 days: Fifth thematic consultation: smuggling of migrants "
        "and trafficking in persons (Vienna, 4-5 Sep 2017)"
    )
    assert first["Message-ID"] == f"<{sent.id}@calendar.example.org>"
    assert second["Message-ID"] == first["Message-ID"]
    assert first["Auto-Submitted"] == "auto-generated"
    assert first["To"] == ", ".join(TO)
    text = first.get_body(("plain",))
    html = first.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "https://fs22.formsite.com/unngls/form45/index.html" in text.get_content()
    assert "Fri 18 Aug 2017 22:00 UTC" in text.get_content()
    assert '<a href="https://fs22.formsite.com/unngls/form45/index.html"' in html.get_content()


async def test_implicit_tls_smtps(certificate: Certificate, trust: None) -> None:
    handler = RecordingHandler()
    with smtp_server(handler, certificate, mode="implicit") as port:
        receipt = await channel(f"smtps://127.0.0.1:{port}").send(reminder())
    assert receipt.status == 250
    [received] = handler.received
    assert received.tls


async def test_login_over_starttls(certificate: Certificate, trust: None) -> None:
    handler = RecordingHandler()
    with smtp_server(handler, certificate, credentials=("mailer", "p@ss word")) as port:
        await channel(f"smtp://mailer:p%40ss%20word@127.0.0.1:{port}").send(reminder())
    assert len(handler.received) == 1


async def test_wrong_password_is_permanent(certificate: Certificate, trust: None) -> None:
    handler = RecordingHandler()
    with (
        smtp_server(handler, certificate, credentials=("mailer", "right")) as port,
        pytest.raises(PermanentDeliveryError, match="refused the login"),
    ):
        await channel(f"smtp://mailer:wrong@127.0.0.1:{port}").send(reminder())
    assert handler.received == []


async def test_unverifiable_certificate_is_refused_unless_verify_false(
    certificate: Certificate,
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler, certificate, mode="implicit") as port:
        with pytest.raises(PermanentDeliveryError, match=r"verify=false"):
            await channel(f"smtps://127.0.0.1:{port}").send(reminder())
        assert handler.received == []
        await channel(f"smtps://127.0.0.1:{port}?verify=false").send(reminder())
    assert len(handler.received) == 1


async def test_server_without_starttls_is_refused_for_smtp_url() -> None:
    handler = RecordingHandler()
    with smtp_server(handler, None, mode="plain") as port:
        with pytest.raises(PermanentDeliveryError, match="STARTTLS"):
            await channel(f"smtp://127.0.0.1:{port}").send(reminder())
        assert handler.received == []
        await channel(f"smtp://127.0.0.1:{port}?starttls=false").send(reminder())
    [received] = handler.received
    assert not received.tls


async def test_encoded_word_in_title_cannot_inject_bcc(
    certificate: Certificate, trust: None
) -> None:
    # CVE-2024-6923: Python 3.11's email writes the decoded newline of =?UTF-8?Q?=0A?= raw.
    crafted = delivery(KEY, now=NOW)
    event = crafted.item.event.model_copy(update={"title": INJECTED_TITLE + "\r\nCc: x@y.z"})
    from dataclasses import replace

    crafted = replace(crafted, item=replace(crafted.item, event=event))
    handler = RecordingHandler()
    with smtp_server(handler, certificate) as port:
        await channel(f"smtp://127.0.0.1:{port}").send(crafted)
    [received] = handler.received
    assert received.rcpt_tos == TO
    message = parse(received.data)
    assert message["Bcc"] is None
    assert message["Cc"] is None
    header_names = [name.lower() for name in message]
    assert header_names.count("subject") == 1
    assert set(header_names) <= {
        "from", "to", "subject", "date", "message-id", "auto-submitted",
        "x-auto-response-suppress", "mime-version", "content-type",
    }  # fmt: skip
    # The text stays as written, visibly, rather than being decoded.
    assert "Bcc: evil@example.org" in message["Subject"]
    assert "=\u2060?UTF-8?Q?=0A?=" in message["Subject"]


async def test_451_is_transient_and_the_retry_is_delivered(
    certificate: Certificate, trust: None
) -> None:
    handler = RecordingHandler(data_replies=["451 4.3.0 Mailbox busy, try again later"])
    sent = reminder()
    with smtp_server(handler, certificate) as port:
        with pytest.raises(TransientDeliveryError) as raised:
            await channel(f"smtp://127.0.0.1:{port}").send(sent)
        assert raised.value.status == 451
        assert raised.value.response == "451 4.3.0 Mailbox busy, try again later"
        receipt = await channel(f"smtp://127.0.0.1:{port}").send(sent)
    assert receipt.status == 250
    assert handler.data_attempts == 2
    assert len(handler.received) == 1


async def test_550_is_permanent_with_the_servers_reply(
    certificate: Certificate, trust: None
) -> None:
    handler = RecordingHandler(data_replies=["550 5.7.1 Message rejected as spam"])
    with smtp_server(handler, certificate) as port, pytest.raises(PermanentDeliveryError) as raised:
        await channel(f"smtp://127.0.0.1:{port}").send(reminder())
    assert raised.value.status == 550
    assert raised.value.response == "550 5.7.1 Message rejected as spam"


async def test_every_recipient_refused_is_permanent(certificate: Certificate, trust: None) -> None:
    handler = RecordingHandler(refuse=dict.fromkeys(TO, "550 5.1.1 No such user"))
    with (
        smtp_server(handler, certificate) as port,
        pytest.raises(PermanentDeliveryError, match="No such user"),
    ):
        await channel(f"smtp://127.0.0.1:{port}").send(reminder())
    assert handler.received == []


async def test_one_refused_recipient_is_reported_in_the_receipt(
    certificate: Certificate, trust: None
) -> None:
    handler = RecordingHandler(refuse={TO[1]: "550 5.1.1 No such user"})
    with smtp_server(handler, certificate) as port:
        receipt = await channel(f"smtp://127.0.0.1:{port}").send(reminder())
    assert handler.received[0].rcpt_tos == [TO[0]]
    assert f"refused: {TO[1]}: 550" in receipt.detail


async def test_connection_refused_is_transient() -> None:
    with smtp_server(RecordingHandler(), None, mode="plain") as port:
        pass  # the port is now closed
    with pytest.raises(TransientDeliveryError):
        await channel(f"smtp://127.0.0.1:{port}?starttls=false&timeout=2").send(reminder())


async def test_without_smtp_url_mail_is_written_to_the_outbox(tmp_path: Path) -> None:
    sent = reminder()
    receipt = await channel(None, outbox=tmp_path / "outbox").send(sent)
    [written] = (tmp_path / "outbox").iterdir()
    assert written.name == f"20170815T010000Z-{sent.id}.eml"
    assert str(written) in receipt.detail
    message = parse(written.read_bytes())
    assert message["Message-ID"] == f"<{sent.id}@calendar.example.org>"
    assert message.get_content_type() == "multipart/mixed"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://u:p@mail.example.org", ("mail.example.org", 587, False, True, True)),
        ("smtps://mail.example.org", ("mail.example.org", 465, True, False, True)),
        ("smtp://relay:25?starttls=false", ("relay", 25, False, False, True)),
        ("smtps://127.0.0.1:2465?verify=false", ("127.0.0.1", 2465, True, False, False)),
    ],
)
def test_smtp_url_forms(url: str, expected: tuple[str, int, bool, bool, bool]) -> None:
    server = SmtpServer.from_url(url)
    assert (server.host, server.port, server.implicit_tls, server.starttls, server.verify) == (
        expected
    )


@pytest.mark.parametrize(
    "url", ["http://mail.example.org", "smtp://", "smtp://host:port", "smtp://h?verify=maybe"]
)
def test_bad_smtp_urls_say_how_to_write_them(url: str) -> None:
    with pytest.raises(ConfigError, match="COMPACT_CALENDAR_SMTP_URL"):
        SmtpServer.from_url(url)
