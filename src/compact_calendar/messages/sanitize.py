"""Making registry text safe where it could change a message's structure.

Registry text is written by staff, but it travels into mail headers and chat payloads
where a line break starts a new header and ``@everyone`` pings a whole server. Nothing a
registry says may add or alter a header, or notify people who did not ask to be.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["header_text", "neutralise_mentions", "single_line"]

_WORD_JOINER = "\u2060"
# RFC 2047 encoded word: =?charset?Q|B?text?=  (charset may carry *language)
_ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([QqBb])\?([^?\s]*)\?=")
_MASS_MENTION = re.compile(r"(?<![\w.+-])@(channel|here|everyone|all)\b", re.IGNORECASE)


def _is_control(char: str) -> bool:
    # Cc covers C0/C1 including CR, LF, NUL; Zl/Zp are the Unicode line and paragraph
    # separators, which some mail and chat clients also treat as line breaks.
    return unicodedata.category(char) in {"Cc", "Zl", "Zp"}


def single_line(text: str) -> str:
    """``text`` on one line: every control character or line break becomes a space."""
    cleaned = "".join(" " if _is_control(c) else c for c in text)
    return re.sub(r" {2,}", " ", cleaned).strip()


def header_text(text: str) -> str:
    """``text`` made safe as the value of a mail header.

    Control characters go, and so does the power of RFC 2047 encoded words: Python's
    ``email`` package decodes ``=?UTF-8?Q?=0A?=`` in a value it is given and writes the
    decoded line break out raw (CVE-2024-6923), so ``Title =?UTF-8?Q?=0A?=Bcc: x``
    would add a header. A word joiner after ``=`` keeps such text literal, as written.
    """
    return _ENCODED_WORD.sub(lambda m: "=" + _WORD_JOINER + m.group(0)[1:], single_line(text))


def neutralise_mentions(text: str) -> str:
    """Keep ``@channel``, ``@here``, ``@everyone`` and ``@all`` from notifying anyone."""
    return _MASS_MENTION.sub(lambda m: "@" + _WORD_JOINER + m.group(1), text)
