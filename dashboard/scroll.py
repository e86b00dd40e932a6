"""Scroll the page to an element of a view (by its id), once per request: the guided
tour's stops bring what they name into sight. The element may be drawn after this
call in the same refresh, so the page looks for it for a few seconds."""
import streamlit as st

SCROLL_JS = r"""
export default function ({ data, parentElement }) {
  const root = parentElement;
  if (!data.anchor || root.bpttScrolled === data.seq) return;
  root.bpttScrolled = data.seq;
  const started = performance.now();
  const go = () => {
    if (root.bpttScrolled !== data.seq) return;        // a newer request won
    const el = document.getElementById(data.anchor);
    if (el) el.scrollIntoView({ behavior: "smooth", block: "start" });
    else if (performance.now() - started < 4000) setTimeout(go, 100);
  };
  requestAnimationFrame(go);
}
"""
_scroll = st.components.v2.component("bptt_scroll", js=SCROLL_JS, isolate_styles=False)


def to(anchor, seq):
    """Scroll to the element with id ``anchor`` when ``seq`` is new (a new tour stop)."""
    _scroll(key="tour_scroll", data={"anchor": anchor, "seq": str(seq)})


def anchor(name):
    """An invisible HTML mark with id ``name``, put inside a markdown element."""
    return f"<span id='{name}'></span>"
