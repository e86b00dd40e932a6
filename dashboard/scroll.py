"""Scroll the page to an element of a view (by its id), once per request: the guided
tour's stops bring what they name into sight. The element may be drawn after this
call in the same refresh, so the page looks for it for a few seconds."""
import streamlit as st

SCROLL_JS = r"""
const SPAN = 700;    // the explorer's dh chart and its caption, in pixels
export default function ({ data, parentElement }) {
  const root = parentElement;
  if (!data.anchor || root.bpttScrolled === data.seq) return;
  root.bpttScrolled = data.seq;
  const started = performance.now();
  const go = () => {
    if (root.bpttScrolled !== data.seq) return;        // a newer request won
    const el = document.getElementById(data.anchor);
    if (!el) {
      if (performance.now() - started < 4000) setTimeout(go, 100);
      return;
    }
    // just below whatever sticks at the top (the tour's own box), else the header bar
    const box = data.below ? document.querySelector(data.below) : null;
    const top = box ? box.getBoundingClientRect().bottom + 8 : 64;
    const rect = el.getBoundingClientRect();
    // "end": the anchor follows what it names (the last SPAN pixels above it): show
    // all of that if it fits, else its top
    const delta = data.align === "end"
      ? Math.min(rect.bottom - (window.innerHeight - 16), rect.bottom - SPAN - top)
      : rect.top - top;
    let pane = el.parentElement;
    while (pane && !/(auto|scroll)/.test(getComputedStyle(pane).overflowY)) {
      pane = pane.parentElement;
    }
    (pane || window).scrollBy({ top: delta, behavior: "smooth" });
  };
  requestAnimationFrame(go);
}
"""
_scroll = st.components.v2.component("bptt_scroll", js=SCROLL_JS, isolate_styles=False)


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
