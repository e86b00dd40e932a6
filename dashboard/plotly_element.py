"""Plotly charts that update in place: the only place a figure is handed to Streamlit.

Streamlit 1.67's ``st.plotly_chart`` gives a chart a new identity whenever its figure
changes, so the browser throws the old chart away and draws a new one: every live
refresh flashes, loses the user's zoom, and costs a full ``Plotly.newPlot``. This small
custom element (Streamlit components v2) keeps one ``<div>`` per chart for the life of
the page and calls ``Plotly.react`` on it, which changes only what changed and keeps
the zoom (the figures' ``uirevision``). A figure equal to the one already drawn is not
redrawn at all. A chart off screen is redrawn when the page is idle if it is within
half a screen of the view, and otherwise only once it is scrolled that near: a click
waits only for the charts one can see, and no page draws charts nobody looks at on
every Step and live refresh. One element can draw
several charts side by side with their captions (``plotly_charts``): fewer elements
for the page to render on every run.

The element loads plotly.js once per page from Streamlit's static folder
(``dashboard/static/``, or for ``bpttscope`` one in the user's cache: plotly's cartesian
bundle if it could be fetched, else the full one copied from the plotly package, see
``plotly_bundle``; needs ``server.enableStaticServing``, set in
``.streamlit/config.toml`` and by ``bpttscope``). Where that is not
available the charts fall back to ``st.plotly_chart``: slower, but the same figures.

The page's part is ``web/plotly_element.js`` (read once, at import). This module knows
nothing of the session: the caller hands in a :class:`Memo` of what the page was sent
and whether the room's larger look is on (``present``);
dashboard/views/sections/common.py makes them from dashboard.session.

A figure is frozen once drawn: its JSON is made once per figure object and look, and
later draws of the same object reuse it. Changing a figure after drawing it would be
drawn stale, so it is a bug: with ``BPTTSCOPE_CHECK_FIGURES=1`` (the tests set it) every
reuse re-serialises the figure and raises :class:`FigureChanged` if it differs. Off
otherwise, because re-serialising is the cost the reuse saves.
"""
import functools
import hashlib
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.io
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import plotly_bundle
from dashboard.charts import style

JS_FILE = Path(__file__).resolve().parent / "web" / "plotly_element.js"
_element = st.components.v2.component("bptt_plotly", js=JS_FILE.read_text(encoding="utf-8"),
                                      isolate_styles=False)


@dataclass(frozen=True)
class Memo:
    """What one chart element's page already holds, and how to update that record."""
    before: tuple = ()          # digests of the figures last sent under this key, in order
    sent: Callable = None       # sent(digests): the figures just sent
    lost: Callable = None       # lost(): the page dropped its copy of one (send whole)


class FigureChanged(RuntimeError):
    """A figure was changed after it was drawn (see the module's docstring)."""


def checking():
    """Whether every reuse of a figure's JSON checks the figure is unchanged."""
    return os.environ.get("BPTTSCOPE_CHECK_FIGURES", "") not in ("", "0")


def plotly_js_url():
    """Where the page loads plotly.js from, or None if this server cannot serve it
    (static serving off, or the file cannot be put in place)."""
    name = _static_plotly() if st.get_option("server.enableStaticServing") else None
    return None if name is None else static_url(name)


def static_url(name):
    """The URL of the file ``name`` of the static folder, under the server's base path."""
    base = st.get_option("server.baseUrlPath").strip("/")
    return f"{'/' + base if base else ''}/app/static/{name}"


def _static_plotly():
    return _static_plotly_in(static_folder())


@functools.cache
def _static_plotly_in(folder):
    """The plotly.js in the static folder (plotly_bundle.chosen), once per server."""
    return plotly_bundle.chosen(folder, create=False)


def static_folder():
    """The folder Streamlit serves: ``static`` beside the script it runs
    (``dashboard/static`` for ``streamlit run dashboard``; for ``bpttscope``, the one
    beside its launcher in the user's cache, see dashboard/cli.py)."""
    ctx = get_script_run_ctx()
    script = getattr(ctx, "main_script_path", None)
    return Path(script).resolve().parent / "static" if script else plotly_bundle.STATIC


def spec(fig, present=False):
    """The figure as the JSON plotly.js reads, in the app's look (``style.TEMPLATE``,
    or ``style.PRESENT_TEMPLATE``'s larger labels in presentation mode, instead of
    Streamlit's chart theme). Figures are not changed once drawn (cached ones are
    shared), so each one's JSON is made once per look."""
    return _json(fig, present)[0]


def _json(fig, present=False):
    """(JSON, digest of it) of a figure, made once per figure object and look."""
    cached = _specs.get((id(fig), present))
    if cached is not None and cached[0]() is fig:
        if checking() and _serialise(fig, present) != cached[1]:
            raise FigureChanged(
                f"the figure {fig.layout.title.text or fig.layout.uirevision!r} was "
                "changed after it was drawn: draw a new figure (go.Figure(fig)) instead")
        return cached[1:]
    text = _serialise(fig, present)
    digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    _specs[(id(fig), present)] = (weakref.ref(fig), text, digest)
    weakref.finalize(fig, _specs.pop, (id(fig), present), None)
    return text, digest


def _serialise(fig, present):
    figure = fig.to_plotly_json()
    figure["layout"] = {**figure["layout"],
                        "template": style.PRESENT_TEMPLATE if present else style.TEMPLATE}
    return plotly.io.json.to_json_plotly(figure)


_specs = {}             # (id(figure), presenting) -> (weak reference, its JSON, digest)


def plotly_chart(fig, config, key, mark=None, memo=None, present=False):
    """Draw ``fig`` under ``key``; later calls with the same key update it in place.
    ``mark``: the timestep to outline in a whole-window figure (its shapes named
    ``style.CURRENT_T``); a figure that differs only by it is not sent again, the page
    moves the outline. ``memo``, ``present``: as in plotly_charts."""
    plotly_charts([[(fig, None, mark)]], config, key, memo, present)


def plotly_charts(columns, config, key, memo=None, present=False):
    """Draw a grid of figures as one element under ``key``: ``columns`` side by side
    (stacked on a narrow page), each a list of ``(figure, caption, mark)`` drawn one
    under the other, the caption (or None) under its figure. Later calls with the same
    key and the same arrangement update every chart in place.

    A figure's JSON goes to the page once: while it stays the same (moving t, a
    refresh that did not change it), the page gets only its digest and draws from its
    own copy. Resending 150 kB of unchanged heatmap on every move of t cost the page
    more time than drawing the charts that did change (bench/browser_latency.py).

    ``memo``: what this page holds under ``key`` (:class:`Memo`); None sends every
    figure whole. ``present``: presentation mode's larger look."""
    url = plotly_js_url()
    if url is None:
        _fallback(columns, config, key)
        return
    before = () if memo is None else memo.before
    charts, digests = [], []
    for column in columns:
        charts.append([])
        for fig, caption, mark in column:
            text, digest = _json(fig, present)
            known = len(digests) < len(before) and before[len(digests)] == digest
            digests.append(digest)
            charts[-1].append({"spec": None if known else text, "digest": digest,
                               "mark": mark, "height": fig.layout.height,
                               "caption": caption})
    if memo is not None and memo.sent is not None:
        memo.sent(tuple(digests))
    _element(key=key, data={"columns": charts, "url": url,
                            "config": {**config, "responsive": True}},
             on_missing_change=None if memo is None else memo.lost)


def _fallback(columns, config, key):
    """``st.plotly_chart`` where plotly.js cannot be served: the same figures in the same
    look (``style.TEMPLATE``; the app builds figures without a template of their own,
    dashboard/server.py), redrawn whole on every change."""
    single = len(columns) == 1 and len(columns[0]) == 1
    places = st.columns(len(columns), gap="large") if len(columns) > 1 else [st.container()]
    for i, (place, column) in enumerate(zip(places, columns, strict=True)):
        for j, (fig, caption, mark) in enumerate(column):
            fig = go.Figure(fig).update_layout(template=style.TEMPLATE)
            if mark is not None:
                fig = style.mark_timestep(fig, mark)
            place.plotly_chart(fig, config=config, key=key if single else f"{key}_{i}_{j}")
            if caption:
                place.caption(caption)
