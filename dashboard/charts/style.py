"""Colours and layout shared by every chart.

Colour means direction: the forward pass (x, h, p) is drawn in cool blues, the backward
pass (dy, dh, dhraw, dhnext) in warm oranges and reds. Signed heatmaps use a diverging
scale with white at zero; magnitudes that span decades use log axes or log10 colour.
"""
import numpy as np

# forward pass: blues
FORWARD = "#1f5fa8"
FORWARD_LIGHT = "#7fb0dd"
# backward pass: oranges and reds, one per quantity so they can share a chart
DY = "#f28e2b"
DH = "#d62728"
DH_FROM_OUTPUT = "#f5a05a"      # Why^T dy_t
DHNEXT = "#e15759"              # carried back from the future
DHRAW = "#8c1c13"
TANH_GRAD = "#7f7f7f"           # a gate, neither direction: grey
# The LSTM's cell state on the way back: browns, still warm (backward), apart from the
# reds of dh so that the two tapes can share a chart.
DC = "#a0522d"                  # dc_t = dL/dc_t
DCNEXT = "#d2863c"              # dcnext_t, carried back from c_{t+1}
DC_FROM_H = "#e6b47a"           # dh_t o_t (1 - tanh^2 c_t): what dh feeds into c_t
# Gate values (LSTM i, f, g, o; GRU r, z, n) are neither direction: greens, a hue no
# pass uses. The gates that carry memory back (f, z) are the darkest. Their heatmaps
# run from white (0: closed) to dark green (1: open), on a fixed 0..1 scale.
GATE_COLOURS = {"i": "#74c476", "f": "#00441b", "g": "#a1d99b", "o": "#41ab5d",
                "r": "#74c476", "z": "#00441b", "n": "#a1d99b", "tanh_c": "#7f7f7f",
                "h": "#7f7f7f"}
GATE = GATE_COLOURS["f"]
GATE_SCALE = [[0.0, "#ffffff"], [0.5, "#74c476"], [1.0, "#00441b"]]
# weights (neither pass): neutral
SIGMA_MAX = "#333333"
SPECTRAL_RADIUS = "#8e6bbf"
GUIDE = "#555555"               # threshold lines, the line at 1, the current t
CURRENT = "rgba(255, 200, 0, 0.9)"
CURRENT_T = "current t"          # name of the shape that marks the selected timestep

PARAM_COLOURS = {"Wxh": "#f28e2b", "Whh": "#d62728", "Why": "#ff9da7",
                 "bh": "#9c755f", "by": "#edc948", "global": "#6b0f0f"}

# Diverging scales with white at 0: cool for forward quantities, warm for backward ones.
FORWARD_DIVERGING = [[0.0, "#5e3c99"], [0.25, "#b2abd2"], [0.5, "#f7f7f7"],
                     [0.75, "#92c5de"], [1.0, "#0b4f9c"]]
BACKWARD_DIVERGING = [[0.0, "#7f4f06"], [0.25, "#dfc27d"], [0.5, "#f7f7f7"],
                      [0.75, "#f4a582"], [1.0, "#a50026"]]
# Magnitudes on log10 colour: dark = small (vanished), bright = large. Inferno, except
# that its first colour #000004 is one of the placeholders Streamlit's plotly theme
# replaces with a theme colour (#000001..#000030), so it starts at pure black.
_INFERNO = ["#000000", "#1b0c41", "#4a0c6b", "#781c6d", "#a52c60", "#cf4446", "#ed6925",
            "#fb9b06", "#f7d13d", "#fcffa4"]
MAGNITUDE = [[i / (len(_INFERNO) - 1), c] for i, c in enumerate(_INFERNO)]

# One fixed log10 colour scale for magnitudes (a toggle in the sidebar, on in lessons):
# the same colour is the same number in every view, run and iteration. 1e-16 and below
# is black: float64 can no longer add such a gradient to anything of size 1.
FIXED_DECADES = (-16, 2)

MAX_POINTS = 2000       # longest line we send to the browser

# Readable from the back of a room: every label on a chart (ticks, legends, notes,
# colour bars, hover) is at least FONT px, PRESENT_FONT in presentation mode. Builders
# leave font sizes to the template (``template``), applied when a chart is drawn, so one
# figure serves both modes.
FONT = 14
PRESENT_FONT = 16
# One number notation everywhere, on the page and in the charts: plain decimals for
# everyday sizes, e-notation for very small and very large ones ("3e-8", "2.5e6"), never
# SI prefixes (20µ) or superscript powers (10⁻⁶). ``num`` writes it in Python; plotly's
# axes use exponentformat "e" and hover labels HOVER (d3's "~g": the same style).
HOVER = ".3~g"


def template(size=FONT):
    """The look every chart shares (the page's font and text colour, light grid lines,
    no background of its own, labels of ``size`` px), as a plotly template. Tick labels
    are never hidden for crossing the chart's edge: checking that measured every label on
    the page, a third of drawing the window heatmaps (75-88 -> 50-55 ms). The toolbar
    (modebar) stands upright at the right edge: lying across the top, it covered the
    chart's title whenever the pointer was on the chart."""
    axis = dict(gridcolor="#e6e9ef", zerolinecolor="#cdd2db", linecolor="#cdd2db",
                automargin=True, ticklabeloverflow="allow", exponentformat="e",
                tickfont=dict(size=size), title=dict(font=dict(size=size)))
    return {"layout": dict(
        font=dict(family='"Source Sans", "Source Sans Pro", sans-serif', color="#31333f",
                  size=size),
        title=dict(font=dict(size=size + 2), subtitle=dict(font=dict(size=size))),
        legend=dict(font=dict(size=size)),
        annotationdefaults=dict(font=dict(size=size)),
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis=axis, yaxis=axis, hoverlabel=dict(font=dict(size=size)),
        modebar=dict(orientation="v", bgcolor="rgba(255,255,255,0.85)"),
        colorway=["#1f5fa8", "#f28e2b", "#2ca02c", "#8e6bbf", "#9c755f", "#7f7f7f"],
    ), "data": {"heatmap": [dict(colorbar=dict(exponentformat="e"))],
                "bar": [dict(marker=dict(colorbar=dict(exponentformat="e")))]}}


TEMPLATE = template(FONT)
PRESENT_TEMPLATE = template(PRESENT_FONT)


def num(x, digits=3):
    """``x`` in the app's one notation: ``digits`` significant digits, plain from 0.001
    up to 100000 ("0.0107", "101", "11928"), e-notation outside ("3e-8", "1.2e-5",
    "2.5e6"); "0" for zero, "n/a" for a missing or non-finite value."""
    if x is None:
        return "n/a"
    x = float(x)
    if not np.isfinite(x):
        return "n/a" if np.isnan(x) else ("∞" if x > 0 else "−∞")
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        if abs(x) >= 10 ** digits:
            return f"{x:.0f}"
        return f"{x:.{digits}g}"
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def plural(n, word, many=None):
    """"1 row", "2 rows", "1,234 iterations": a count with its noun in the right number
    (``many``: the plural when it is not word + "s")."""
    shown = f"{n:,.0f}" if isinstance(n, float) else f"{n:,}"
    return f"{shown} {word if round(n) == 1 else many or word + 's'}"


def split_title(title):
    """(title, subtitle or None): a title's trailing "<br><sup>…</sup>" or
    " <sup>(…)</sup>" note becomes plotly's subtitle, drawn at the template's label size
    (as <sup> it shrank to 11 px)."""
    for start, end in (("<br><sup>", "</sup>"), (" <sup>(", ")</sup>")):
        if title.endswith(end) and start in title:
            head, _, tail = title.rpartition(start)
            return head, tail[: -len(end)]
    return title, None


def layout(title, xaxis_title, yaxis_title, uirevision, height=320, **extra):
    """A layout dict: title with code name and math, labelled axes, zoom kept across
    updates (``uirevision``)."""
    title, subtitle = split_title(title)
    base = dict(
        title=dict(text=title, x=0.0, xanchor="left",
                   **({"subtitle": dict(text=subtitle)} if subtitle else {})),
        xaxis=dict(title=dict(text=xaxis_title)),
        yaxis=dict(title=dict(text=yaxis_title)),
        uirevision=uirevision, height=height,
        margin=dict(l=60, r=30, t=55, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
    )
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    if subtitle:                        # room for the second line above the plot
        base["margin"] = {**base["margin"], "t": max(base["margin"].get("t", 55), 85)}
    return base


def hline(y, text=None, colour=GUIDE, dash="dash", yref="y", log=False):
    """A horizontal guide across the whole plot (a layout shape: cheaper than add_hline).
    ``log``: the axis is a log axis, where a note's y is log10 of the value (a shape's
    is the value itself): the note at 1 sat at 10."""
    shape = dict(type="line", xref="paper", x0=0, x1=1, yref=yref, y0=y, y1=y,
                 line=dict(color=colour, width=1.5, dash=dash))
    note = None
    if text:
        note = dict(xref="paper", x=1.0, xanchor="right", yref=yref,
                    y=float(np.log10(y)) if log else y, yanchor="bottom",
                    text=text, showarrow=False, font=dict(color=colour))
    return shape, note


def vband(x, xref="x", yref="paper"):
    """Highlight the column of the current timestep."""
    return dict(type="rect", name=CURRENT_T, xref=xref, x0=x - 0.5, x1=x + 0.5, yref=yref,
                y0=0, y1=1, line=dict(color=CURRENT, width=2.5), fillcolor="rgba(0,0,0,0)")


def mark_timestep(fig, t):
    """Move the current-timestep outlines of ``fig`` to ``t``, in place (cheaper than
    rebuilding a window's figure when only the selected step changes). Returns fig."""
    for shape in fig.layout.shapes:
        if shape.name == CURRENT_T:
            shape.update(x0=t - 0.5, x1=t + 0.5)
    return fig


def downsample(n, max_points=MAX_POINTS):
    """Indices of at most ``max_points`` evenly spread rows of ``n``, always keeping the
    last one (the newest iteration)."""
    if n <= max_points:
        return np.arange(n)
    idx = np.linspace(0, n - 1, max_points).round().astype(int)
    return np.unique(idx)


def positive(values):
    """Values for a log axis: non-positive and non-finite entries become gaps (None)."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def log_axis(*series):
    """A log axis whose every tick is a labelled power of ten ("0.01", "1e-6"), never
    plotly's in-between digits ("5, 10, 2", where 2 meant 20). The range covers whole
    decades around the data, at least one, so a flat line reads as flat and always
    has ticks; a long span labels every k-th decade."""
    values = np.concatenate([positive(np.ravel(s)) for s in series]) if series else []
    finite = np.asarray(values)[np.isfinite(values)] if len(values) else np.array([])
    axis = dict(type="log")
    if finite.size:
        lo = int(np.floor(np.log10(finite.min()) - 0.02))
        hi = int(np.ceil(np.log10(finite.max()) + 0.02))
        hi = max(hi, lo + 1)
        step = _nice_step((hi - lo) / 8)
        decades = [k for k in range(lo, hi + 1) if k % step == 0]
        axis.update(range=[lo, hi], tickmode="array", tickvals=[10.0 ** k for k in decades],
                    ticktext=[decade(k) for k in decades])
    return axis


def decade(k):
    """10^k as a tick label, in ``num``'s notation: "1e-4", "0.001", "1", "1e5"."""
    return num(10.0 ** k)


def count_axis(n, most=10):
    """An axis of whole numbers 0..n-1 (hidden units, timesteps, lags, indices): integer
    ticks only, about ``most`` of them, never 0.5."""
    step = _nice_step(max(n - 1, 1) / most)
    return dict(tick0=0, dtick=step, tickformat="d")


def _nice_step(raw):
    """The smallest of 1, 2, 5, 10, 20, 50, ... at least ``raw`` (an integer >= 1)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if step * m >= raw:
                return step * m
        step *= 10


def iteration_axis(x):
    """An axis of iterations: whole numbers (",d": 12,000, not 12k), integer steps even
    when only a few iterations are drawn."""
    x = np.asarray(x, dtype=float)
    axis = dict(tickformat=",d")
    if x.size and np.isfinite(x).any():
        span = float(np.nanmax(x) - np.nanmin(x))
        if span < 10:
            axis.update(tick0=0, dtick=1)
    return axis


def line_mode(n):
    """Markers too while there are few points (a single point has no line to draw)."""
    return "lines+markers" if n <= 60 else "lines"


def symmetric_range(values):
    """(-m, m) with m the largest |value|: white sits exactly at zero."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    m = float(np.max(np.abs(finite))) if finite.size else 1.0
    return (-m, m) if m > 0 else (-1.0, 1.0)


def show_char(c):
    """A character as a person can read it in a label: whitespace made visible."""
    return {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}.get(c, c if c.isprintable() else
                                                          f"\\x{ord(c):02x}")


# Runs: one colour and one dash per run, the same in every chart and legend. None of
# them is a blue or a red, which mean forward and backward in the single-run charts;
# the dashes tell runs apart in black and white too.
RUN_COLOURS = ("#222222", "#1b9e77", "#8e44ad", "#d4a017")
RUN_DASHES = ("solid", "dash", "dot", "dashdot")


def run_colours(names):
    """Run name -> colour, in run order."""
    return {n: RUN_COLOURS[i % len(RUN_COLOURS)] for i, n in enumerate(names)}


def run_dashes(names):
    return {n: RUN_DASHES[i % len(RUN_DASHES)] for i, n in enumerate(names)}


# Attribution: how strongly a loss depends on an input or a step, a backward quantity,
# so oranges to dark red; pale = weak. SALIENCY_DECADES decades below the largest value
# of a row are shaded; anything weaker is left blank.
SALIENCY = ("#fff0dc", "#fdd0a2", "#fdae6b", "#f16913", "#d94801", "#a63603", "#67000d")
SALIENCY_DECADES = 6
# Distance d between a loss and the step its gradient reaches: near = dark red, far = pale.
DISTANCE = ("#67000d", "#cb181d", "#f16913", "#fdae6b", "#fde0c0", "#eeeeee")
GHOST = "rgba(225, 87, 89, 0.45)"       # dhnext's red, faint: what truncation discards


def ramp(palette, u):
    """The colour at ``u`` in [0, 1] along ``palette`` (hex colours), as 'rgb(r,g,b)'."""
    u = min(max(float(u), 0.0), 1.0) * (len(palette) - 1)
    i = min(int(u), len(palette) - 2)
    a, b = palette[i], palette[i + 1]
    mix = [round(int(a[k:k + 2], 16) * (i + 1 - u) + int(b[k:k + 2], 16) * (u - i))
           for k in (1, 3, 5)]
    return f"rgb({mix[0]},{mix[1]},{mix[2]})"


def relative_decades(values, decades=SALIENCY_DECADES):
    """Each value's shade in [0, 1] on a log scale relative to the largest finite
    positive value: 1 at the largest, 0 at ``decades`` decades below; NaN where the
    value is missing, zero, or weaker than that (left blank)."""
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) & (v > 0)
    out = np.full(v.shape, np.nan)
    if ok.any():
        level = 1.0 + np.log10(v[ok] / v[ok].max()) / decades
        out[ok] = np.where(level >= 0.0, level, np.nan)
    return out


def float64_floor(*series):
    """1e-16 of the largest finite value in ``series``: below it a value cannot change a
    float64 sum that includes the largest, so charts leave it out."""
    values = np.concatenate([np.ravel(np.asarray(s, dtype=float)) for s in series])
    finite = values[np.isfinite(values)]
    return float(np.abs(finite).max()) * 1e-16 if finite.size else 0.0


def share_text(share):
    """A share as a person reads it: '12%', '0.35%', '3e-8 %'; 'none' for 0."""
    if share is None or not np.isfinite(share):
        return "n/a"
    if share == 0:
        return "none"
    if share >= 0.1:
        return f"{share:.0%}"
    if share >= 1e-4:
        return f"{share:.2%}"
    return f"{num(share * 100, 1)} %"
