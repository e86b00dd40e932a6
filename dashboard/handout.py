"""An offline handout: one self-contained HTML page of a trainer's current window.

The page holds the Timestep explorer of one window: the character strip, the charts and
sentences of every timestep (and, for hand-sized models, the tables of numbers), a
slider with Previous / Next, the window's norms and heatmaps, and the lesson's text. It
needs no server and no network: plotly.js, the figures and the page's script
(handout.js) are inside the file. Pure: no streamlit.

Size: the data is a few hundred KB at min-char-rnn's size (floats stored as float32,
plotly's template once). plotly.js is the cartesian bundle (1.5 MB) when
``python -m dashboard.plotly_bundle`` has fetched it; otherwise the plotly package's full
bundle (4.8 MB), which with the data would pass MAX_BYTES, goes in gzip-compressed
(about 1.4 MB, 1.9 MB as base64) and the page inflates it with the browser's own
DecompressionStream.
"""
import base64
import gzip
import html
import json
import re
from pathlib import Path

import numpy as np
import plotly

import engine
from dashboard import plotly_bundle
from dashboard.charts import step, style, tables
from dashboard.charts.strip import window_strip_html
from dashboard.charts.window import vector_chart
from dashboard.views.sections.cell_text import H_MATH

MAX_BYTES = 5_000_000
SCRIPT = Path(__file__).with_name("handout.js")
PAGE = Path(__file__).with_name("handout.html")     # the page, with {placeholders}
MAX_VALUES = 2_000_000      # floats of per-timestep data a handout carries at most
CELL_LABEL = {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU"}


def build(trainer, lesson=None, plotly_js=None):
    """The handout of ``trainer``'s current window as an HTML string. ``lesson``: a preset
    or comparison name whose text the page carries (default: the preset whose text and
    settings the trainer has, if any). ``plotly_js``: the plotly.js file to inline
    (default: the cartesian bundle if present, else the full one). Raises ValueError,
    with a message for a person, when there is no window or it is too large."""
    trace = trainer.trace
    if trace is None:
        raise ValueError("There is no trained window to put in a handout: take one "
                         "training step first.")
    H, V = trace.hs.shape[1], len(trainer.vocab)
    if trace.T * (8 * H + V) > MAX_VALUES:
        raise ValueError(f"This window is too large for a handout (seq_length {trace.T}, "
                         f"hidden_size {H}): use a shorter window or fewer hidden units.")
    data = _data(trainer, trace)
    page = _page(trainer, trace, _lesson(trainer, lesson), data, _plotly(plotly_js))
    size = len(page.encode("utf-8"))
    if size > MAX_BYTES:
        raise ValueError(f"This window's handout would be {size / 1e6:.1f} MB, over the "
                         f"{MAX_BYTES / 1e6:.0f} MB a handout may be: use a shorter window "
                         "(seq_length) or fewer hidden units.")
    return page


def _data(trainer, trace):
    chars = trainer.vocab.chars
    inputs, targets = trainer.vocab.decode(trace.inputs), trainer.vocab.decode(trace.targets)
    hand = tables.hand_sized(trace, len(chars))
    table = engine.timestep_norms(trace)
    strips = [window_strip_html(inputs, targets, t, trace.losses) for t in range(trace.T)]
    css = strips[0][: strips[0].index("</style>") + len("</style>")]
    steps = []
    for t in range(trace.T):
        figures = {"h": vector_chart(trace.hs[t], "hs[t]", H_MATH[trace.cell], style.FORWARD,
                                     uirevision="h"),
                   "top": step.top_figure(trace, chars, t, "top"),
                   "dy": step.dy_figure(trace, chars, t, "dy")}
        if trace.cell == "rnn":
            figures["dh"] = step.dh_parts_figure(trace, t, "dh")
        entry = {"strip": strips[t].replace(css, ""),
                 "forward": _forward_text(trace, t, inputs, targets),
                 "backward": _backward_text(trace, t, table),
                 "figures": {k: _figure(f) for k, f in figures.items()}}
        if hand:
            per_char, per_unit = tables.step_tables(trace, chars, t)
            entry["tables_forward"] = tables.table_html(per_char)
            entry["tables_backward"] = tables.table_html(per_unit)
        steps.append(entry)
    panels = step.rnn_window_panels(trace) if trace.cell == "rnn" else [
        ("hs", "h<sub>t</sub>, the hidden state", trace.hs, False),
        ("dh", "∂L/∂h<sub>t</sub>", trace.dh, True),
        ("dhnext", "∂L<sub>t+1:</sub>/∂h<sub>t</sub>, from the future", trace.dhnext, True)]
    out = {"steps": steps, "start": trace.T - 1, "css": css,
           "template": style.TEMPLATE,
           "window": {"norms": _figure(step.norms_figure(table, inputs, "norms")),
                      "heatmaps": _figure(step.heatmaps_figure(panels, inputs, "heatmaps"))}}
    if hand:
        Why, Whh = tables.weight_tables(trace, chars)
        out["weights"] = tables.table_html(Why) + tables.table_html(Whh)
        out["gradients"] = "".join(tables.table_html(g)
                                   for g in tables.gradient_tables(trace, chars))
    return out


def _figure(fig):
    """A figure as plotly.js reads it, without the template (the page applies it once)
    and with float32 arrays (half the bytes; the charts show 3 or 4 digits). Built where
    plotly's default template is in force (the command line), every figure carried a
    copy of it: 1.21 MB against 0.55 MB for min-char-rnn's handout without them."""
    figure = fig.to_plotly_json()
    figure["layout"].pop("template", None)
    return json.loads(plotly.io.json.to_json_plotly(_float32(figure)))


def _float32(value):
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32)
    if isinstance(value, dict) and value.get("dtype") == "f8" and "bdata" in value:
        # a typed array as plotly.js reads it (dashboard/charts/go.py writes them so)
        wide = np.frombuffer(base64.b64decode(value["bdata"]), dtype="<f8")
        narrow = base64.b64encode(wide.astype("<f4").tobytes()).decode("ascii")
        return {**value, "dtype": "f4", "bdata": narrow}
    if isinstance(value, dict):
        return {k: _float32(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_float32(v) for v in value]
    return value


def _forward_text(trace, t, inputs, targets):
    p = float(trace.ps[t, trace.targets[t]])
    return (f"Input x<sub>t</sub> = <code>{_char(inputs[t])}</code>, target (the next "
            f"character) = <code>{_char(targets[t])}</code> with p<sub>t</sub>[target] = "
            f"<b>{p:.3f}</b>, so loss<sub>t</sub> = −log p<sub>t</sub>[target] = "
            f"<b>{trace.losses[t]:.3f}</b>.")


def _backward_text(trace, t, table):
    row = table.iloc[t]
    return (f"dh<sub>t</sub> = Why<sup>T</sup>dy<sub>t</sub> + dhnext<sub>t</sub>, with "
            f"‖Why<sup>T</sup>dy<sub>t</sub>‖ = {row['dh_from_output']:.3g} and "
            f"‖dhnext<sub>t</sub>‖ = {row['dhnext']:.3g}: <b>{row['future_share']:.0%}</b> "
            "of the gradient at h<sub>t</sub> comes from the future.")


def _char(c):
    return html.escape(style.show_char(c))


def _lesson(trainer, name):
    """(kind, Preset or Comparison) whose text the page carries, or None."""
    if name in engine.PRESETS:
        return "Lesson", engine.PRESETS[name]
    if name in engine.COMPARISONS:
        return "Comparison", engine.COMPARISONS[name]
    if name is not None:
        return None
    defaults = engine.Config()
    for preset in engine.PRESETS.values():
        settings = trainer.settings()
        if all(settings.get(k, getattr(defaults, k)) == preset.settings.get(
                k, getattr(defaults, k)) for k in settings) and preset.text == trainer.text:
            return "Lesson", preset
    return None


def _claims_html(trainer, kind, item):
    """The lesson's sentences, each measured on this window as the dashboard does
    (engine.lesson_claims), with its mark: the handout states nothing unmeasured."""
    if kind != "Lesson":
        return ("<li>This comparison's sentences are measured across all its runs: open it "
                "in BPTT Scope to see which hold.</li>")
    items = []
    for r in engine.lesson_claims(item.name, {item.name: trainer}):
        if r.source != "look for":
            continue
        mark = ("■ ended, as it said" if r.ended else
                f"◌ from iteration {r.since:,}" if r.pending else
                "✓ holds" if r.holds else "✗ does not hold here")
        items.append(f"<li><b>{html.escape(r.view)}</b>: {html.escape(r.text)} "
                     f"<i>({mark}: {html.escape(r.measured)})</i></li>")
    return "".join(items)


def _plotly(path=None):
    """(how, text) of the plotly.js to inline: ("plain", source) for the cartesian
    bundle (or a given file that fits), ("gzip", base64) otherwise; ("none", "") if no
    plotly.js can be read (the page then says so and still shows its numbers)."""
    if path is None:
        cartesian = plotly_bundle.STATIC / plotly_bundle.CARTESIAN
        ready = plotly_bundle.version(cartesian, cartesian=True) is not None
        path = cartesian if ready else plotly_bundle.full_bundle()
    try:
        source = Path(path).read_bytes()
    except OSError:
        return "none", ""
    if len(source) < MAX_BYTES // 2:
        return "plain", source.decode("utf-8")
    return "gzip", base64.b64encode(gzip.compress(source, 9, mtime=0)).decode("ascii")


def _script_safe(text):
    """Text inside a <script> element: '</' cannot end it early."""
    return text.replace("</", "<\\/")


def _page(trainer, trace, lesson, data, plotly_js):
    c = trainer.config
    how, source = plotly_js
    title = (f"BPTT Scope handout: iteration {trace.iteration}, characters "
             f"{trace.position}–{trace.position + trace.T}")
    model = (f"{len(trainer.text):,} characters of text, vocabulary V = {len(trainer.vocab)}"
             f" · {CELL_LABEL[c.cell]}, H = {c.hidden_size}, T = {c.seq_length}, "
             f"{c.optimizer} lr {c.learning_rate:g}, clip {c.clip}"
             + (f" {c.threshold:g}" if c.clip != "none" else "")
             + f" · loss of this window {trace.loss:.3f}")
    lesson_html = ""
    if lesson is not None:
        kind, item = lesson
        looks = _claims_html(trainer, kind, item)
        lesson_html = (f"<section class='lesson'><h2>{kind}: {html.escape(item.name)}</h2>"
                       f"<p>{html.escape(item.description)}</p><ul>{looks}</ul></section>")
    plotly_tag = {"plain": f"<script id='plotly-js'>{_script_safe(source)}</script>",
                  "gzip": f"<script type='application/octet-stream' id='plotly-gzip'>"
                          f"{source}</script>",
                  "none": ""}[how]
    hand = "weights" in data
    weights = _weights_html(data)           # (moves them out of data)
    css = data.pop("css")
    payload = _script_safe(json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    head = (f"{css}{tables.CSS if hand else ''}{plotly_tag}"
            f"<script type='application/json' id='bptt-data'>{payload}</script>")
    fill = {"title": html.escape(title), "model": html.escape(model),
            "lesson": lesson_html, "weights": weights, "head": head,
            "script": _script_safe(SCRIPT.read_text(encoding="utf-8"))}
    # one pass, so that nothing filled in is read again as a placeholder
    return re.sub(r"\{(title|model|lesson|weights|head|script)\}",
                  lambda m: fill[m.group(1)], PAGE.read_text(encoding="utf-8"))


def _weights_html(data):
    if "weights" not in data:
        return ""
    return ("<h3>The weights that produced this window</h3><div>" + data.pop("weights")
            + "</div><details><summary>The window's gradients, before clipping (✂: "
            "changed by the clip)</summary><div>" + data.pop("gradients")
            + "</div></details>")
