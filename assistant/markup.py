"""Text that comes from outside (a source's sentence, a user's message) shown as
text: never as HTML, a Markdown image or link, a form, or a bidi trick.

The chat renders Markdown with HTML allowed, so everything not written by the
app itself goes through `as_text`: format characters (bidi overrides, zero-width
characters, soft hyphens) are removed, `<`, `>` and `&` become entities and
every character Markdown gives a meaning (brackets, parentheses, `!`, `*`, `:`,
`.`, …) is backslash-escaped, which also keeps bare addresses from being
linked. `from_text` turns such Markdown back into the text (the chat history
is read back from the rendered messages).
"""

from __future__ import annotations

import html
import re
import unicodedata

# ASCII punctuation with a meaning in Markdown/GFM (CommonMark lets any of it be
# backslash-escaped); ':' and '.' and '@' stop GFM's autolinks (http://, www., e-mail).
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:@=\"'^])")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~$:@=\"'^])")


def is_format_char(ch: str) -> bool:
    """Invisible characters that change how text is shown or read: bidi
    controls, zero-width characters, soft hyphens (Unicode category Cf)."""
    return unicodedata.category(ch) == "Cf"


def without_format_chars(text: str) -> str:
    return "".join(ch for ch in text if not is_format_char(ch))


def as_text(text: str) -> str:
    """Markdown that renders as exactly `text` (line breaks kept as paragraphs' breaks)."""
    return _SPECIAL.sub(r"\\\1", html.escape(without_format_chars(text), quote=False))


def from_text(markdown: str) -> str:
    """The inverse of `as_text` (format characters stay removed)."""
    return html.unescape(_ESCAPED.sub(r"\1", markdown))
