"""Text from outside that must reach the page exactly as written, never as markdown.

Streamlit renders the body of st.markdown, st.warning, st.caption, ... as markdown, so a
value that came from outside (a link's query string, a file's name) quoted in a message
could otherwise become a link, an image, HTML, a heading, LaTeX, a coloured span or an
icon. ``literal`` escapes such a value for any of those elements.
"""
import re

# CommonMark lets a backslash escape any ASCII punctuation character, and an escaped
# character is plain text. Escaped here: every character that opens a construct in the
# middle of a line (links and images [ ] !, autolinks and HTML < >, emphasis, code,
# strikethrough, tables, math $, entities &, Streamlit's :red[...] directives); ":" also
# breaks the GFM autolinks http:// and https://, "@" e-mail autolinks, "www\." the www.
# ones. Line breaks become spaces, so nothing can start a line (headings, lists, quotes).
_OPENERS = re.compile(r"([\\`*_\[\]<>!|~$#&{}@:])")
_WWW = re.compile(r"(www)\.", re.IGNORECASE)
# Emoji shortcodes (:smile:) and icons (:material/home:) are matched on the text after
# escapes are resolved: an invisible zero-width space after each colon breaks them.
_ZERO_WIDTH_SPACE = "\u200b"


def literal(text):
    """``text`` (anything; str() of it) escaped for a markdown element: shown as itself,
    on one line."""
    text = " ".join(str(text).splitlines())
    escaped = _WWW.sub(r"\1\\.", _OPENERS.sub(r"\\\1", text))
    return escaped.replace(":", ":" + _ZERO_WIDTH_SPACE)
