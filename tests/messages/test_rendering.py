"""Rendered messages against golden files, including non-ASCII and right-to-left text.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/messages`` and
review the diff.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from compact_calendar.channels.base import Delivery
from compact_calendar.messages.content import message_for
from compact_calendar.messages.render import CHAT_FLAVOURS, Templates
from compact_calendar.registry.items import AllDay
from tests.messages.fixtures import GOLDEN, delivery

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def moved_registration() -> Delivery:
    current = delivery("gcm-tc5-vienna/deadlines/registration", now=NOW_AUG, kind="moved")
    earlier = date(2017, 8, 11)
    return replace(current, previous=replace(current.item, timing=AllDay(earlier, earlier)))


NOW_AUG = datetime(2017, 8, 15, 1, 0, tzinfo=UTC)

CASES: dict[str, Delivery] = {
    "deadline-3d": delivery("gcm-tc5-vienna/deadlines/registration", now=NOW_AUG),
    "deadline-late": delivery(
        "gcm-tc5-vienna/deadlines/registration",
        now=datetime(2017, 8, 17, 2, 30, tzinfo=UTC),
        offset="3d",
        late=True,
        due=datetime(2017, 8, 15, 7, 0, tzinfo=UTC),
    ),
    "deadline-aoe-timed": delivery(
        "gfmd-2017-berlin/deadlines/statements", now=datetime(2017, 6, 19, 9, tzinfo=UTC)
    ),
    "session-timed": delivery(
        "gfmd-2017-berlin/sessions/opening",
        now=datetime(2017, 6, 21, 7, 30, tzinfo=UTC),
        offset="7d",
    ),
    "event-non-ascii": delivery(
        "consultation-geneve", now=datetime(2017, 11, 5, 9, tzinfo=UTC), offset="1d"
    ),
    "event-arabic-rtl-tentative": delivery(
        "arab-regional", now=datetime(2017, 10, 3, 6, tzinfo=UTC), offset="7d"
    ),
    "cancelled": delivery("consultation-geneve", now=NOW_AUG, kind="cancelled", offset=None),
    "moved": moved_registration(),
    "test": delivery("gcm-tc5-vienna", now=NOW_AUG, kind="test", offset=None),
}

OUTPUTS = ["subject", "txt", "html", *(f"chat-{f}" for f in CHAT_FLAVOURS)]


def render(templates: Templates, sent: Delivery, output: str) -> str:
    message = message_for(sent)
    if output == "subject":
        return message.subject + "\n"
    if output == "txt":
        return templates.text(message)
    if output == "html":
        return templates.html(message)
    flavour = output.removeprefix("chat-")
    assert flavour in CHAT_FLAVOURS
    return templates.chat(flavour, message) + "\n"


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("case", list(CASES))
def test_rendered_message_matches_golden_file(case: str, output: str) -> None:
    rendered = render(Templates(), CASES[case], output)
    golden = GOLDEN / case / output
    if UPDATE or not golden.exists():
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"wrote missing golden file {golden}: review and commit it")
    assert rendered == golden.read_text(encoding="utf-8")


def test_arabic_text_keeps_its_direction_marks_in_html() -> None:
    html = Templates().html(message_for(CASES["event-arabic-rtl-tentative"]))
    assert '<h1 style="font-size: 1.2em;" dir="auto">المشاورة الإقليمية العربية' in html
    assert '<td dir="auto">بيروت، لبنان</td>' in html
    assert "Tentative: the dates may still change." in html


def test_html_escapes_registry_text() -> None:
    sent = CASES["deadline-3d"]
    event = sent.item.event.model_copy(update={"title": '<script>alert("x")</script>'})
    sent = replace(sent, item=replace(sent.item, event=event, title=event.title))
    html = Templates().html(message_for(sent))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_late_reminder_says_when_it_was_due() -> None:
    message = message_for(CASES["deadline-late"])
    assert message.subject.startswith("Late reminder: Registration closes tomorrow: ")
    assert message.late_note is not None
    assert "Tue 15 Aug 2017 07:00 UTC" in message.late_note


def test_times_are_given_in_the_items_zone_and_in_utc() -> None:
    message = message_for(CASES["session-timed"])
    assert message.when.local == "28 Jun 2017 09:30-12:00 Europe/Berlin"
    assert message.when.utc == "Wed 28 Jun 2017 07:30 UTC to Wed 28 Jun 2017 10:00 UTC"
    aoe = message_for(CASES["deadline-aoe-timed"])
    assert aoe.when.local == "Tue 20 Jun 2017 17:00 AoE"
    assert aoe.when.utc == "Wed 21 Jun 2017 05:00 UTC"


def test_staff_templates_next_to_the_registry_override_the_built_in_ones(
    tmp_path: Path,
) -> None:
    (tmp_path / "reminder.txt.j2").write_text("Custom: {{ m.subject }} / {{ m.when.utc }}\n")
    templates = Templates(tmp_path)
    message = message_for(CASES["deadline-3d"])
    assert templates.text(message) == (f"Custom: {message.subject} / Fri 18 Aug 2017 22:00 UTC\n")
    assert templates.html(message) == Templates().html(message)


def test_broken_override_template_is_reported_with_its_line(tmp_path: Path) -> None:
    from compact_calendar.errors import ConfigError

    (tmp_path / "reminder.html.j2").write_text("<p>\n{{ m.subject }\n")
    with pytest.raises(ConfigError, match=r"reminder.html.j2:2: template error"):
        Templates(tmp_path).check()
