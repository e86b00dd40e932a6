"""Plotly charts that update in place: the only place a figure is handed to Streamlit.

Streamlit 1.67's ``st.plotly_chart`` gives a chart a new identity whenever its figure
changes, so the browser throws the old chart away and draws a new one: every live
refresh flashes, loses the user's zoom, and costs a full ``Plotly.newPlot``. This small
custom element (Streamlit components v2) keeps one ``<div>`` per key for the life of
the page and calls ``Plotly.react`` on it, which changes only what changed and keeps
the zoom (the figures' ``uirevision``). A figure equal to the one already drawn is not
redrawn at all.

The element loads plotly.js once per page from Streamlit's static folder
(``dashboard/static/plotly.min.js``, copied from the installed plotly package; needs
``server.enableStaticServing``, set in ``.streamlit/config.toml``). Where that is not
available the charts fall back to ``st.plotly_chart``: slower, but the same figures.
"""
import shutil
from pathlib import Path

import plotly
import plotly.io
import streamlit as st

from dashboard.charts import style

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = "plotly.min.js"

JS = r"""
function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__bpttPlotly) {
    window.__bpttPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { window.__bpttPlotly = null; reject(new Error(url)); };
      document.head.appendChild(script);
    });
  }
  return window.__bpttPlotly;
}

export default function ({ data, parentElement }) {
  let div = parentElement.querySelector("div.bptt-plot");
  if (!div) {
    div = document.createElement("div");
    div.className = "bptt-plot";
    div.style.width = "100%";
    parentElement.appendChild(div);
  }
  if (div.bpttSpec === data.spec) return;        // the same figure: nothing to draw
  div.bpttSpec = data.spec;
  const spec = data.spec;
  if (!div.style.minHeight) div.style.minHeight = data.height + "px";
  loadPlotly(data.url).then((Plotly) => {
    if (div.bpttSpec !== spec) return;           // a newer figure arrived meanwhile
    const fig = JSON.parse(spec);
    return Plotly.react(div, fig.data, fig.layout, data.config);
  }).catch((err) => {
    div.bpttSpec = null;
    div.textContent = "This chart could not be drawn: plotly.js did not load (" +
      err.message + "). Reload the page; if it persists, start the app with `make run`.";
  });
  return undefined;
}
"""

_element = st.components.v2.component("bptt_plotly", js=JS, isolate_styles=False)


def plotly_js_url():
    """Where the page loads plotly.js from, or None if this server cannot serve it
    (static serving off, or the file cannot be put in place)."""
    if not st.get_option("server.enableStaticServing") or not _static_plotly():
        return None
    base = st.get_option("server.baseUrlPath").strip("/")
    return f"{'/' + base if base else ''}/app/static/{PLOTLY_JS}"


def _static_plotly():
    """Copy the installed plotly package's plotly.min.js to the static folder (once,
    and again after a plotly upgrade). False if that is impossible here."""
    source = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
    target = STATIC / PLOTLY_JS
    try:
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            STATIC.mkdir(exist_ok=True)
            partial = target.with_suffix(".partial")
            shutil.copyfile(source, partial)
            partial.replace(target)       # never a half-written file under its real name
        return True
    except OSError:
        return False


def spec(fig):
    """The figure as the JSON plotly.js reads, in the app's look (``style.TEMPLATE``
    instead of Streamlit's chart theme)."""
    figure = fig.to_plotly_json()
    figure["layout"] = {**figure["layout"], "template": style.TEMPLATE}
    return plotly.io.json.to_json_plotly(figure)


def plotly_chart(fig, config, key):
    """Draw ``fig`` under ``key``; later calls with the same key update it in place."""
    url = plotly_js_url()
    if url is None:
        st.plotly_chart(fig, config=config, key=key)
        return
    _element(key=key, data={"spec": spec(fig), "url": url, "height": fig.layout.height,
                            "config": {**config, "responsive": True}})

