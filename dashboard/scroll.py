"""Scroll the page to an element of a view (by its id), once per request: the guided
tour's stops bring what they name into sight. The element may be drawn after this
call in the same refresh, so the page looks for it for a few seconds."""
from pathlib import Path

import streamlit as st

_scroll = st.components.v2.component(
    "bptt_scroll", js=(Path(__file__).resolve().parent / "web" / "scroll.js").read_text(
        encoding="utf-8"), isolate_styles=False)


def to(anchor, seq, below=None, align="start"):
    """Scroll to the element with id ``anchor`` when ``seq`` is new (a new tour stop),
    leaving it just below the element matching CSS selector ``below`` (something that
    sticks at the top of the page); ``align="end"``: the anchor closes what it names,
    so its bottom is brought to the bottom of the window instead."""
    _scroll(key="tour_scroll", data={"anchor": anchor, "seq": str(seq), "below": below,
                                     "align": align})


def anchor(name):
    """An invisible HTML mark with id ``name``, put inside a markdown element."""
    return f"<span id='{name}'></span>"
