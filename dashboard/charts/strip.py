"""The window's characters as a strip of boxes: inputs above, targets below."""
import html

from .style import show_char

_CSS = (
    "<style>.bptt-strip{display:flex;flex-wrap:wrap;gap:3px;margin:4px 0 8px 0}"
    ".bptt-cell{display:flex;flex-direction:column;align-items:center;min-width:30px;"
    "border:1px solid #ccc;border-radius:4px;padding:1px 3px;background:#fafafa}"
    ".bptt-cell.now{border:3px solid #f0b400;background:#fff6d6}"
    ".bptt-cell.done{background:#eef4fb}"
    ".bptt-t{font-size:10px;color:#888}"
    ".bptt-in{font-family:monospace;font-size:17px;color:#1f5fa8;font-weight:600}"
    ".bptt-out{font-family:monospace;font-size:15px;color:#a50026;"
    "border-top:1px dashed #bbb;width:100%;text-align:center}"
    ".bptt-loss{font-size:9px;color:#666}</style>")


def window_strip_html(inputs, targets, t, losses=None):
    """HTML for the strip. ``inputs`` and ``targets`` are strings of equal length T;
    box t shows x_t (blue) over target_t (red) and, if given, the loss at t."""
    cells = []
    for i, (x, y) in enumerate(zip(inputs, targets, strict=True)):
        cls = "bptt-cell now" if i == t else "bptt-cell"
        loss = (f"<span class='bptt-loss'>{losses[i]:.2f}</span>"
                if losses is not None else "")
        cells.append(
            f"<div class='{cls}' title='t={i}: input {html.escape(repr(x))}, "
            f"target {html.escape(repr(y))}'><span class='bptt-t'>{i}</span>"
            f"<span class='bptt-in'>{html.escape(show_char(x))}</span>"
            f"<span class='bptt-out'>{html.escape(show_char(y))}</span>{loss}</div>")
    return _CSS + "<div class='bptt-strip'>" + "".join(cells) + "</div>"
