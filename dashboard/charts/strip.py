"""Text as a strip of boxes: the window's characters (inputs above, targets below), and a
sample's characters; either shaded by how strongly a chosen prediction depends on them."""
import html

import numpy as np

from . import style
from .style import decade, show_char

_CSS = (
    "<style>.bptt-strip{display:flex;flex-wrap:wrap;gap:3px;margin:4px 0 8px 0}"
    ".bptt-cell{display:flex;flex-direction:column;align-items:center;min-width:36px;"
    "border:1px solid #ccc;border-radius:4px;padding:1px 3px;background:#fafafa}"
    ".bptt-cell.now{border:3px solid #f0b400;background:#fff6d6}"
    ".bptt-cell.later{opacity:0.45;border-style:dashed}"
    ".bptt-t{font-size:14px;color:#777}"
    ".bptt-in{font-family:monospace;font-size:17px;color:#1f5fa8;font-weight:600;"
    "width:100%;text-align:center;border-radius:3px}"
    ".bptt-out{font-family:monospace;font-size:15px;color:#a50026;"
    "border-top:1px dashed #bbb;width:100%;text-align:center}"
    ".bptt-loss{font-size:14px;color:#666}"
    ".bptt-legend{display:flex;flex-wrap:wrap;align-items:center;gap:4px;font-size:14px;"
    "color:#444;margin:0 0 6px 0}"
    ".bptt-swatch{display:inline-block;min-width:34px;padding:0 3px;text-align:center;"
    "border:1px solid #ccc;border-radius:3px;font-size:14px}"
    ".bptt-sample{display:flex;flex-wrap:wrap;gap:2px;font-family:monospace;font-size:15px;"
    "margin:4px 0 6px 0}"
    ".bptt-ch{min-width:13px;text-align:center;border:1px solid transparent;"
    "border-radius:3px;padding:0 1px;color:#1f5fa8}"
    ".bptt-ch.seed{border:1px dashed #888}"
    ".bptt-ch.chosen{border:3px solid #f0b400;background:#fff6d6;font-weight:700}"
    ".bptt-ch.later{color:#bbb}"
    ".bptt-break{flex-basis:100%;height:0}</style>")


def _shade(level):
    """Inline CSS for a shade level in [0, 1] (NaN: blank, no background)."""
    if not np.isfinite(level):
        return ""
    text = "#ffffff" if level > 0.55 else "#1f5fa8"
    return f"background:{style.ramp(style.SALIENCY, level)};color:{text};"


def saliency_legend_html(what):
    """One line saying what the shading means: a swatch per decade below the largest."""
    d = style.SALIENCY_DECADES
    swatches = "".join(
        f"<span class='bptt-swatch' style='{_shade(1.0 - k / d)}'>"
        f"{'largest' if k == 0 else decade(-k)}</span>" for k in range(d + 1))
    return (f"<div class='bptt-legend'><span>{what}, relative to the largest:</span>"
            f"{swatches}<span class='bptt-swatch'>weaker</span>"
            "<span>(log scale: each step is 10× weaker)</span></div>")


def window_strip_html(inputs, targets, t, losses=None, saliency=None):
    """HTML for the window's strip. ``inputs`` and ``targets`` are strings of equal length
    T; box t shows x_t (blue) over target_t (red) and, if given, the loss at t.

    ``saliency`` (optional, (T,)): row t of engine.input_saliency, ||dL_t/dx_s|| (NaN for
    s > t). The input half of each box s <= t is shaded by it on a log scale relative to
    the row's largest (see saliency_legend_html); boxes after t, which cannot affect the
    loss at t, are faded."""
    levels = None if saliency is None else style.relative_decades(saliency)
    cells = []
    for i, (x, y) in enumerate(zip(inputs, targets, strict=True)):
        cls = "bptt-cell now" if i == t else "bptt-cell"
        tip = f"t={i}: input {x!r}, target {y!r}"
        shade = ""
        if levels is not None:
            if i > t:
                cls += " later"
                tip += f"; after t={t}: cannot affect the loss at t={t}"
            else:
                shade = _shade(levels[i])
                tip += f"; ‖∂L_{t}/∂x_{i}‖ = {style.num(saliency[i])}"
        loss = (f"<span class='bptt-loss'>{losses[i]:.2f}</span>"
                if losses is not None else "")
        cells.append(
            f"<div class='{cls}' title='{html.escape(tip)}'><span class='bptt-t'>{i}</span>"
            f"<span class='bptt-in' style='{shade}'>{html.escape(show_char(x))}</span>"
            f"<span class='bptt-out'>{html.escape(show_char(y))}</span>{loss}</div>")
    legend = ("" if saliency is None else saliency_legend_html(
        f"Input shading: ‖∂L<sub>{t}</sub>/∂x<sub>s</sub>‖, how strongly the loss at "
        f"t = {t} depends on each input x<sub>s</sub>"))
    return _CSS + legend + "<div class='bptt-strip'>" + "".join(cells) + "</div>"


def sample_strip_html(text, saliency, index, seed_length=1):
    """HTML for a sample: ``text`` is what the sampler read (its seed, then the sampled
    characters); ``index`` marks the chosen character, ``saliency`` ((index,)) shades the
    characters before it (engine.sample_saliency), on the same log scale as the window
    strip. The seed (the first ``seed_length`` characters) is outlined; characters after
    the chosen one are greyed out. A newline breaks the line after its ↵."""
    levels = style.relative_decades(saliency)
    cells = []
    for i, c in enumerate(text):
        classes = ["bptt-ch"]
        if i < seed_length:
            classes.append("seed")
            tip = f"seed {c!r}: the next character of the training text"
        else:
            tip = f"sample position {i - seed_length}: {c!r}"
        shade = ""
        if i < index:
            shade = _shade(levels[i])
            tip += f"; ‖∂ log p/∂x‖ = {style.num(saliency[i])}"
        elif i == index:
            classes.append("chosen")
            tip += " (the chosen character)"
        else:
            classes.append("later")
        cells.append(f"<span class='{' '.join(classes)}' style='{shade}' "
                     f"title='{html.escape(tip)}'>{html.escape(show_char(c))}</span>")
        if c == "\n":
            cells.append("<span class='bptt-break'></span>")
    legend = saliency_legend_html(
        "Shading: ‖∂ log p(chosen)/∂x<sub>s</sub>‖, how strongly the chosen character's "
        "probability depends on each earlier character")
    return _CSS + legend + "<div class='bptt-sample'>" + "".join(cells) + "</div>"
