"""Generate realistic, valid ``events.yaml`` registries for benchmarks.

Usage (from the repository root)::

    python benchmarks/generate_registry.py --events 100 --out /tmp/events-100.yaml
    python benchmarks/generate_registry.py --events 1000 --out /tmp/events-1k.yaml
    python benchmarks/generate_registry.py --events 10000 --out /tmp/events-10k.yaml --seed 7

or from code (tests, benchmarks)::

    from benchmarks.generate_registry import generate
    text = generate(1000, seed=0)

The output follows the registry format of SPEC.md and is meant to validate without
errors: 3 tracks, an email and a webhook channel (no ``${VAR}``, so nothing has to be
set in the environment), ten IANA zones (including Asia/Kathmandu's +05:45 and
Australia/Lord_Howe's half-hour DST), all-day and timed events from 2027 onwards,
multi-line descriptions in several scripts with emoji and YAML-significant
characters, 1-2 deadlines per event (dates, local date-times and ``AoE``) placed
before the event starts, timed sessions inside the event's dates for about one event
in four, links, locations and a mix of statuses.

Output is a pure function of ``(n_events, seed)``: the same arguments give the same
bytes. The YAML is written with plain string formatting, so 10,000 events take well
under a second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["generate", "main"]

# Events start on or after this day and spread over YEARS years, so that every
# deadline in a generated registry lies in the future for a while.
FIRST_DAY = dt.date(2027, 6, 1)
YEARS = 4

# zone -> (slug used in ids, city name, possible locations)
ZONES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "Europe/Vienna": (
        "vienna",
        "Wien",
        ("Vienna International Centre, Wien, Österreich", "Hofburg, Vienna, Austria"),
    ),
    "Europe/Zurich": (
        "geneva",
        "Genève",
        ("Palais des Nations, Genève, Suisse", "CICG, Geneva, Switzerland"),
    ),
    "America/New_York": (
        "new-york",
        "New York",
        ("UN Headquarters, New York, USA", "Conference Room 4, UNHQ, New York"),
    ),
    "Asia/Manila": (
        "manila",
        "Quezon City",
        ("Diliman, Lungsod Quezon, Pilipinas", "Quezon City, Philippines"),
    ),
    "Asia/Kathmandu": ("kathmandu", "काठमाडौं", ("Kathmandu, Nepal — काठमाडौं",)),
    "Australia/Lord_Howe": ("lord-howe", "Lord Howe Island", ("Lord Howe Island, NSW, Australia",)),
    "Africa/Nairobi": ("nairobi", "Nairobi", ("UN Gigiri Complex, Nairobi, Kenya",)),
    "Asia/Bangkok": ("bangkok", "กรุงเทพมหานคร", ("UNCC, Bangkok, ประเทศไทย", "Bangkok, Thailand")),
    "America/Sao_Paulo": ("sao-paulo", "São Paulo", ("São Paulo, Brasil",)),
    "Europe/Berlin": ("berlin", "Berlin", ("Auswärtiges Amt, Berlin, Deutschland",)),
}
ZONE_NAMES = tuple(ZONES)

TRACKS: dict[str, str] = {
    "gcm": "Global Compact for Migration",
    "gcr": "Global Compact on Refugees",
    "gfmd": "Global Forum on Migration and Development",
}
TRACK_IDS = tuple(TRACKS)

KINDS: tuple[str, ...] = (
    "Thematic consultation",
    "Regional consultation",
    "Civil Society Days",
    "Stocktaking meeting",
    "Intergovernmental negotiation round #3",
    "Expert workshop",
    "Webinar",
    "Consultation thématique",
    "Consulta regional",
    "Diálogo multiactor",
    "Pulong konsultasyon",
    "区域磋商",
    "مشاورة إقليمية",
)

THEMES: tuple[str, ...] = (
    "drivers of migration",
    "labour mobility & decent work",
    "smuggling of migrants and trafficking in persons",
    "irregular migration and regular pathways",
    "contributions of migrants and diasporas",
    "migration de travail et « droits des migrants »",
    "migración y cambio climático",
    '"Safe, Orderly and Regular" migration',
    "refugee responsibility-sharing",
    "karapatan ng mga migranteng manggagawa",
    "安全、有序和正常移民",
    "الهجرة الآمنة والمنظمة",
    "remittances: costs, 100% transparency",
)

# Description lines: several scripts, emoji, and text that would break naive YAML
# (``: ``, leading ``#`` or ``- ``, quotes, braces, backslashes).
LINES: tuple[str, ...] = (
    "Consultation régionale sur la gouvernance des migrations : rôle des syndicats.",
    "Les inscriptions sont ouvertes jusqu'à la date limite ; merci de confirmer.",
    "Interprétation simultanée prévue en français, anglais et espagnol.",
    "Diálogo sobre migración laboral, trabajo decente y reconocimiento de competencias.",
    "Se ruega a las organizaciones enviar sus aportes antes del plazo (¡gracias!).",
    "مشاورة إقليمية حول الهجرة الآمنة والمنظمة والنظامية.",
    "يرجى التسجيل قبل الموعد النهائي وإرسال المداخلات المكتوبة.",
    "关于安全、有序和正常移民全球契约的区域磋商。",
    "请在截止日期前完成在线报名，并提交书面发言稿。",
    "Konsultasyon tungkol sa karapatan ng mga migranteng manggagawa at pamilya nila.",
    "Mangyaring magparehistro bago ang takdang petsa; may interpretasyon sa Filipino.",
    "आप्रवासी कामदारहरूको अधिकारबारे परामर्श।",
    "การปรึกษาหารือระดับภูมิภาคว่าด้วยการย้ายถิ่นที่ปลอดภัย",
    "Consulta regional sobre migração e desenvolvimento — São Paulo.",
    "Zivilgesellschaftliche Tage: Anmeldung über das Online-Formular.",
    "Mashauriano kuhusu uhamiaji salama na wenye utaratibu.",
    "Agenda: 09:00 registration — 10:00 opening plenary — 12:30 lunch.",
    "Note: bring your ID & the confirmation e-mail; questions to secretariat@example.org.",
    "# not a comment: this line is part of the description",
    "- not a list item, just text with \"quotes\", 'apostrophes', {braces} and [brackets]",
    "Background documents: https://refugeesmigrants.un.org/drivers-migration",
    "🌍 Migrants' rights are human rights ✊🏽 📅 Save the date! 🇵🇭 🇳🇵 🇦🇹",
    "Issue brief at C:\\Shared\\briefs\\brief-4.pdf (a backslash: \\).",
    "Side events: 50% civil society, 50% governments * & ! | > % @ `",
)

LINK_TITLES: tuple[str, ...] = (
    "Concept note",
    "Issue brief",
    "Programme",
    "Note conceptuelle",
    "Nota conceptual",
    "背景文件",
    "الوثائق",
    "Live stream 📺",
    "Logistics: venue & visas",
)

# deadline id -> titles
DEADLINES: dict[str, tuple[str, ...]] = {
    "registration": (
        "Registration closes",
        "Clôture des inscriptions",
        "Cierre de inscripciones",
    ),
    "submissions": ("Written submissions due", "Envío de contribuciones escritas"),
    "visa-letters": ("Visa support letter requests", "签证邀请函申请截止"),
    "side-events": ("Side-event proposals: last day", "Huling araw ng mungkahi"),
}
DEADLINE_IDS = tuple(DEADLINES)

SESSION_TITLES: tuple[str, ...] = (
    "Opening plenary",
    "Panel 1: labour migration",
    'Panel 2: "regular pathways" & skills',
    "Atelier : protection des migrants",
    "Mesa redonda sobre remesas",
    "Closing plenary",
    "Civil Society Day",
    "Pulong ng mga migrante",
    "专题讨论",
    "جلسة ختامية",
)


def _q(text: str) -> str:
    """A YAML double-quoted scalar for ``text`` (printable, no tabs or newlines)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _block(text_lines: Sequence[str], indent: str) -> str:
    """A literal block scalar body: every line indented, blank lines left empty."""
    return "".join(indent + line + "\n" if line else "\n" for line in text_lines)


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _event(out: list[str], rng: random.Random, index: int) -> None:
    zone = rng.choice(ZONE_NAMES)
    slug, city, locations = ZONES[zone]
    event_id = f"ev-{index:05d}-{slug}"
    start = FIRST_DAY + dt.timedelta(days=rng.randrange(YEARS * 365))

    roll = rng.random()
    status = "confirmed" if roll < 0.85 else "tentative" if roll < 0.95 else "cancelled"

    kind = rng.choice(KINDS)
    title = f"{kind}: {rng.choice(THEMES)}" if rng.random() < 0.7 else f"{kind} — {city}"
    tracks = rng.sample(TRACK_IDS, 1 if rng.random() < 0.7 else 2)

    # Dates. Each day of the event is open from day_open to day_close (minutes);
    # sessions are placed inside those windows.
    timed = rng.random() < 0.45
    days = 1
    if timed:
        if rng.random() < 0.8:
            begin = rng.randrange(16, 29) * 30  # 08:00 .. 14:00
            finish = min(begin + rng.randrange(2, 17) * 30, 20 * 60)
        else:
            days = rng.randint(2, 3)
            begin, finish = 9 * 60, 17 * 60 + 30
        end = start + dt.timedelta(days=days - 1)
        start_text = f"{start.isoformat()}T{_hm(begin)}"
        end_text: str | None = f"{end.isoformat()}T{_hm(finish)}"
    else:
        days = rng.choice((1, 1, 2, 2, 3, 5))
        begin, finish = 9 * 60, 18 * 60
        end = start + dt.timedelta(days=days - 1)
        start_text = start.isoformat()
        end_text = end.isoformat() if days > 1 or rng.random() < 0.3 else None

    out.append(f"\n  - id: {event_id}\n    title: {_q(title)}\n")
    out.append(f"    tracks: [{', '.join(tracks)}]\n")
    if status != "confirmed" or rng.random() < 0.5:
        out.append(f"    status: {status}\n")
    out.append(f"    start: {start_text}\n")
    if end_text is not None:
        out.append(f"    end: {end_text}\n")
    if zone != "Asia/Manila" or rng.random() < 0.5:
        out.append(f"    timezone: {zone}\n")
    out.append(f"    location: {_q(rng.choice(locations))}\n")
    if rng.random() < 0.4:
        out.append(f'    url: "https://www.example.org/events/{event_id}"\n')

    description = rng.sample(LINES, rng.randint(3, 7))
    if rng.random() < 0.3:
        description.insert(rng.randrange(1, len(description)), "")
    if status == "cancelled":
        description.insert(0, "CANCELLED — reporté sine die / aplazado / 延期.")
    out.append("    description: |\n")
    out.append(_block(description, "      "))

    links = rng.sample(LINK_TITLES, rng.randint(1, 3))
    out.append("    links:\n")
    for n, link in enumerate(links, 1):
        url = f"https://docs.example.org/{event_id}/doc-{n}"
        if rng.random() < 0.2:
            url += "?lang=fr&v=2"
        out.append(f"      - title: {_q(link)}\n        url: {_q(url)}\n")

    # Deadlines: 5-75 days before the start, so they are before it in every zone
    # (AoE is UTC-12, the zones above reach UTC+14 with Lord Howe at most +11).
    out.append("    deadlines:\n")
    for deadline_id in rng.sample(DEADLINE_IDS, rng.randint(1, 2)):
        due = start - dt.timedelta(days=rng.randint(5, 75))
        out.append(
            f"      - id: {deadline_id}\n        title: {_q(rng.choice(DEADLINES[deadline_id]))}\n"
        )
        kind_roll = rng.random()
        if kind_roll < 0.5:
            out.append(f"        due: {due.isoformat()}\n")
        elif kind_roll < 0.8:
            out.append(
                f"        due: {due.isoformat()}T{rng.choice(('12:00', '17:00', '18:30'))}\n"
            )
        else:
            out.append(f"        due: {due.isoformat()}T23:59\n        timezone: AoE\n")
        if deadline_id == "registration":
            out.append(f'        url: "https://forms.example.org/register/{event_id}"\n')

    if rng.random() < 0.25:
        # 1-3 timed sessions inside the event: pick distinct (day, slot) pairs.
        out.append("    sessions:\n")
        slots = [(day, slot) for day in range(days) for slot in range(begin, finish - 59, 30)]
        chosen = sorted(rng.sample(slots, min(len(slots), rng.randint(1, 3))))
        for n, (day, slot) in enumerate(chosen, 1):
            length = rng.randrange(2, 7) * 30
            stop = min(slot + length, finish)
            day_text = (start + dt.timedelta(days=day)).isoformat()
            out.append(
                f"      - id: s{n}\n"
                f"        title: {_q(rng.choice(SESSION_TITLES))}\n"
                f"        start: {day_text}T{_hm(slot)}\n"
                f"        end: {day_text}T{_hm(stop)}\n"
            )

    if rng.random() < 0.1:
        out.append("    reminders:\n")
        if rng.random() < 0.5:
            out.append("      before_deadline: [7d, 1d]\n")
        else:
            out.append("      channels: [secretariat]\n      before_session: [36h, 90m]\n")


def generate(n_events: int, seed: int = 0) -> str:
    """Return the text of a valid registry with ``n_events`` events.

    Deterministic: the same ``(n_events, seed)`` always gives the same text.
    """
    if n_events < 0:
        raise ValueError("n_events must not be negative")
    rng = random.Random(seed)
    out: list[str] = [
        "# yaml-language-server: $schema=events.schema.json\n",
        f"# Generated by benchmarks/generate_registry.py --events {n_events} --seed {seed}\n",
        "# Synthetic data for benchmarks: do not edit by hand.\n",
        "\n",
        "calendar:\n",
        "  id: bench-calendar\n",
        f"  name: {_q(f'Benchmark calendar ({n_events} events)')}\n",
        "  description: |\n",
        "    Synthetic registry: consultations, forums and negotiation rounds.\n",
        "    Registre synthétique — registro sintético — 合成数据 — سجل تجريبي 📅\n",
        "  timezone: Asia/Manila\n",
        "  url: https://calendar.example.org\n",
        "\n",
        "tracks:\n",
    ]
    out.extend(f"  {track}: {{name: {name}}}\n" for track, name in TRACKS.items())
    out.append(
        "\n"
        "channels:\n"
        "  secretariat:\n"
        "    type: email\n"
        "    to: [secretariat@example.org]\n"
        "  chat:\n"
        "    type: webhook\n"
        "    url: https://hooks.example.org/chat\n"
        "    format: slack\n"
        "\n"
        "reminders:\n"
        "  channels: [secretariat, chat]\n"
        "  before_deadline: [14d, 3d, 1d]\n"
        "  before_session: [7d, 1d]\n"
        '  at: "09:00"\n'
        "\n"
    )
    if n_events == 0:
        out.append("events: []\n")
        return "".join(out)
    out.append("events:\n")
    for index in range(1, n_events + 1):
        _event(out, rng, index)
    return "".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a realistic events.yaml of N events for benchmarks."
    )
    parser.add_argument("--events", type=int, required=True, metavar="N", help="number of events")
    parser.add_argument("--out", type=Path, required=True, metavar="PATH", help="file to write")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.events < 0:
        parser.error("--events must not be negative")

    started = time.perf_counter()
    text = generate(args.events, args.seed)
    data = text.encode("utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    elapsed = time.perf_counter() - started
    print(
        f"wrote {args.out}: {args.events} events, {len(data):,} bytes in {elapsed:.2f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
