"""The numbers of one timestep as tables, for models small enough to check by hand.

Every value comes from the Trace (the engine computed it); these functions only lay it
out. Each number is shown with 4 significant digits (``num``), so redoing a line of the
backward pass with the shown numbers gives the shown result to within that rounding.
Names follow the seeds: h_t (a_t), p_t (ŷ_t), Why (V), Whh (W), dhraw_t (∂L/∂s_t).
Pure HTML strings: no streamlit.
"""
import html
from dataclasses import dataclass

import numpy as np

from . import style
from .style import show_char

HAND_SIZE = 8           # hidden units and characters at most: the tables are shown


def hand_sized(trace, vocab_size):
    """Whether the explorer prints this window's numbers (a vanilla cell, H and V <= 8)."""
    return trace.cell == "rnn" and trace.hs.shape[1] <= HAND_SIZE and vocab_size <= HAND_SIZE


def num(value):
    """4 significant digits, trailing zeros kept (1.000, -0.4362, 0.002700); 0 for zero."""
    value = float(value)
    return "0" if value == 0 else f"{value:#.4g}".replace("-", "−")


@dataclass(frozen=True)
class Table:
    title: str              # HTML
    rows: list              # row labels
    columns: list           # (header HTML, colour) per column
    values: np.ndarray      # (rows, columns)
    marked: np.ndarray | None = None    # bool (rows, columns): entries to highlight
    row_colours: list | None = None     # rows that are quantities: each one's colour


def step_tables(trace, chars, t):
    """The tables of timestep ``t``: per character, per hidden unit."""
    target, x = int(trace.targets[t]), int(trace.inputs[t])
    V, H = trace.ps.shape[1], trace.hs.shape[1]
    onehot_x, onehot_y = np.eye(V)[x], np.eye(V)[target]
    handed = trace.dhnext[t - 1] if t > 0 else trace.dhprev
    where = f"dhnext<sub>{t - 1}</sub>" if t > 0 else "dhprev (dropped)"
    f, b = style.FORWARD, style.DH
    per_char = Table(
        f"Per character at t = {t} (input '{html.escape(show_char(chars[x]))}', target "
        f"'{html.escape(show_char(chars[target]))}')",
        [show_char(c) for c in chars],
        [("x<sub>t</sub>", f), ("p<sub>t</sub> = ŷ<sub>t</sub>", f),
         ("onehot(target)", b), ("dy<sub>t</sub> = p<sub>t</sub> − onehot", style.DY)],
        np.column_stack([onehot_x, trace.ps[t], onehot_y, trace.dy[t]]))
    # one row per quantity, read top to bottom like the dh chart; a column per unit
    rows = [("h<sub>t</sub> = a<sub>t</sub>", f, trace.hs[t]),
            ("Why<sup>T</sup>dy<sub>t</sub>", style.DH_FROM_OUTPUT, trace.dh_from_output[t]),
            ("+ dhnext<sub>t</sub>", style.DHNEXT, trace.dhnext[t]),
            ("= dh<sub>t</sub>", b, trace.dh[t]),
            ("tanh'<sub>t</sub> = 1 − h<sub>t</sub><sup>2</sup>", style.TANH_GRAD,
             trace.tanh_grad[t]),
            ("dhraw<sub>t</sub> = tanh' · dh<sub>t</sub>", style.DHRAW, trace.dhraw[t]),
            (f"Whh<sup>T</sup>dhraw<sub>t</sub> → {where}", style.DHNEXT, handed)]
    per_unit = Table(
        f"Per hidden unit at t = {t} (columns: units)", [r[0] for r in rows],
        [(f"unit {i}", f) for i in range(H)], np.array([r[2] for r in rows]),
        row_colours=[r[1] for r in rows])
    return per_char, per_unit


def weight_tables(trace, chars):
    """Why (V) and Whh (W): the weights that produced the window (``trace.params``)."""
    p = trace.params
    H = p["Whh"].shape[0]
    units = [(str(j), style.FORWARD) for j in range(H)]
    return (Table("Why = V (rows: characters, columns: hidden units)",
                  [show_char(c) for c in chars], units, p["Why"]),
            Table("Whh = W (row i, column j: from h<sub>t−1</sub>[j] to h<sub>t</sub>[i])",
                  [str(i) for i in range(H)], units, p["Whh"]))


def gradient_tables(trace, chars):
    """The window's gradients before clipping; entries the clip changed are marked."""
    H = trace.hs.shape[1]
    units = [(str(j), style.DH) for j in range(H)]
    letters = [(html.escape(show_char(c)), style.DH) for c in chars]
    layout = {"Wxh": ([str(i) for i in range(H)], letters),
              "Whh": ([str(i) for i in range(H)], units),
              "Why": ([show_char(c) for c in chars], units),
              "bh": ([str(i) for i in range(H)], [("", style.DH)]),
              "by": ([show_char(c) for c in chars], [("", style.DH)])}
    return [Table(f"d{name}", rows, columns, trace.grads[name],
                  trace.grads[name] != trace.clipped[name])
            for name, (rows, columns) in layout.items()]


def table_html(table):
    head = "".join(f"<th style='color:{colour}'>{header}</th>"
                   for header, colour in table.columns)
    body = []
    for i, label in enumerate(table.rows):
        cells = []
        for j, value in enumerate(table.values[i]):
            mark = table.marked is not None and table.marked[i, j]
            cells.append(f"<td class='{'clipped' if mark else ''}'>{num(value)}"
                         f"{' ✂' if mark else ''}</td>")
        if table.row_colours is None:
            head_cell = f"<th>{html.escape(label)}</th>"
        else:                   # a quantity's name, written in HTML by this module
            head_cell = f"<th class='name' style='color:{table.row_colours[i]}'>{label}</th>"
        body.append(f"<tr>{head_cell}{''.join(cells)}</tr>")
    return (f"<table class='bptt-numbers'><caption>{table.title}</caption>"
            f"<thead><tr><th></th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


CSS = ("<style>.bptt-numbers{border-collapse:collapse;margin:4px 12px 10px 0;"
       "font-size:15px;display:inline-table;vertical-align:top}"
       ".bptt-numbers caption{text-align:left;font-weight:600;padding:2px 0;color:#333}"
       ".bptt-numbers td,.bptt-numbers th{border:1px solid #ddd;padding:2px 7px}"
       ".bptt-numbers td{font-family:monospace;text-align:right;white-space:nowrap}"
       ".bptt-numbers thead th{font-weight:600;font-size:14px;background:#fafafa}"
       ".bptt-numbers tbody th{background:#fafafa;font-family:monospace}"
       ".bptt-numbers tbody th.name{font-family:inherit;text-align:left;font-size:14px}"
       ".bptt-numbers td.clipped{background:#fde0dd;font-weight:700}</style>")


def tables_html(tables):
    """Several tables side by side (wrapping), with their style."""
    return CSS + "<div>" + "".join(table_html(t) for t in tables) + "</div>"
