"""Central finite differences against the analytic gradients of bptt()."""
import numpy as np
import pandas as pd

from .bptt import (
    bptt,
    checked_params,
    loss_of_window,
    window_loss,  # noqa: F401  (re-exported: tests import it from here)
)
from .cells import cell_of, check_cell
from .cost import check_analysis
from .limits import LIMITS, Limit
from .params import NAMES
from .threads import single_threaded

DEFAULT_EPS = 1e-5      # finite-difference step: float64 truncation vs round-off balance
# Below MIN_EPS the round-off floor (10 float64 eps |L| / eps) reaches 2e-5 |L|: as large
# as the gradients themselves, so every row would pass by the floor and check nothing.
MIN_EPS = 1e-10
PASS_REL_ERROR = 1e-5   # relative error below this: analytic and numeric agree
FLOAT_EPS = np.finfo(np.float64).eps


def roundoff_floor(loss, eps=DEFAULT_EPS):
    """The smallest gradient difference central differences can resolve: the loss is
    known to about machine epsilon times its size, and the difference of two such
    losses is divided by 2 eps (times 10 for margin). Below it, a large relative error
    is round-off in the numeric estimate, not a wrong gradient."""
    return 10 * FLOAT_EPS * max(abs(loss), 1.0) / eps


@single_threaded
def gradient_check(params, inputs, targets, hprev, checks_per_param=10, eps=DEFAULT_EPS,
                   seed=0, cell=None, cprev=None):
    """Compare analytic gradients (before clipping) with (L(w+eps) - L(w-eps)) / 2eps
    on ``checks_per_param`` random entries of each parameter, drawn among the entries
    the window can move (``live_entries``): a column of Wxh belongs to one character,
    and the columns of characters absent from the window's inputs have a gradient of
    exactly 0 = 0 (with a 65-character vocabulary and 25 inputs, most of the entries
    drawn from all of Wxh were such zeros, and checked nothing).

    One row per entry checked: param, index, analytic, numeric, rel_error, abs_error,
    floor (``roundoff_floor`` of this window's loss) and ``ok``: rel_error below
    PASS_REL_ERROR or abs_error below the floor. ``gradient_check_summary`` sums it up.
    ``cell``: None reads it from Whh's shape; ``cprev``: the LSTM's c_{-1} (zeros if
    None)."""
    checks_per_param = Limit(int, 1, 10**6).check("checks_per_param", checks_per_param)
    eps = Limit(float, MIN_EPS, 1.0).check("eps", eps)
    seed = LIMITS["seed"].check("seed", seed)
    # its own float copies (entries are moved below) of parameters checked as bptt
    # checks them: a missing or misshapen array is named, not a KeyError
    params = {n: np.array(p, dtype=np.float64) for n, p in checked_params(params).items()
              if n in NAMES}
    for name, p in params.items():
        if not np.isfinite(p).all():
            raise ValueError(f"{name} holds NaN or infinite entries: no gradient to check. "
                             "Check a model whose weights are finite.")
    cell = cell_of(params) if cell is None else cell
    H, V = params["Whh"].shape[1], params["Why"].shape[0]
    check_analysis("gradient_check", max(np.size(inputs), 1), H, V, check_cell(cell),
                   checks=checks_per_param)
    trace = bptt(params, inputs, targets, hprev, clip="none", cell=cell, cprev=cprev)
    if not np.isfinite(trace.loss):
        raise ValueError(f"The window's loss is {trace.loss}: these weights overflow on "
                         "this window, and a finite difference cannot measure that.")
    # the window as bptt checked and ran it, for the losses below
    inputs, targets = trace.inputs, trace.targets
    state = (trace.hprev,) if trace.cprev is None else (trace.hprev, trace.cprev)
    rng = np.random.default_rng(seed)
    rows = []
    for name in NAMES:
        p = params[name]
        flat = p.reshape(-1)     # a view: perturbing it perturbs the parameter
        live = live_entries(name, p.shape, inputs)
        for i in live[rng.integers(0, live.size, size=checks_per_param)]:
            old = flat[i]
            flat[i] = old + eps
            plus = loss_of_window(params, inputs, targets, state, trace.cell)
            flat[i] = old - eps
            minus = loss_of_window(params, inputs, targets, state, trace.cell)
            flat[i] = old
            numeric = (plus - minus) / (2 * eps)
            analytic = float(trace.grads[name].reshape(-1)[i])
            scale = max(abs(analytic), abs(numeric))
            # NaN when either is not finite: such a row never passes
            rel = abs(analytic - numeric) / scale if scale > 0 else \
                (0.0 if analytic == numeric == 0.0 else float("nan"))
            rows.append({"param": name, "index": np.unravel_index(i, p.shape),
                         "analytic": analytic, "numeric": numeric, "rel_error": rel})
    table = pd.DataFrame(rows, columns=["param", "index", "analytic", "numeric",
                                        "rel_error"])
    table["abs_error"] = (table["analytic"] - table["numeric"]).abs()
    table["floor"] = roundoff_floor(trace.loss, eps)
    table["ok"] = (table["rel_error"] < PASS_REL_ERROR) | (table["abs_error"] < table["floor"])
    table.attrs["loss"] = trace.loss
    return table


def live_entries(name, shape, inputs):
    """Flat indices of the entries of parameter ``name`` (of ``shape``) whose gradient
    the window ``inputs`` can make non-zero. Input x_t is one-hot, so Wxh's column j
    enters the loss only if character j is among the inputs (every cell reads x_t
    through Wxh alone); every entry of the other parameters can move the loss.
    Structural, never from the gradient's values, so an analytic gradient that is
    wrongly zero is still checked."""
    size = int(np.prod(shape))
    if name != "Wxh":
        return np.arange(size)
    columns = np.unique(np.asarray(inputs, dtype=np.intp))
    rows = np.arange(shape[0])
    return (rows[:, None] * shape[1] + columns[None, :]).reshape(-1)


def gradient_check_summary(table):
    """The verdict of a ``gradient_check`` table: passed (rows ok), total, ok (all of
    them), floor, and the row with the largest relative error (worst_param,
    worst_index as a tuple of ints, worst_rel_error)."""
    if len(table) == 0:
        return {"passed": 0, "total": 0, "ok": False, "floor": float("nan"),
                "worst_param": None, "worst_index": None, "worst_rel_error": float("nan")}
    worst = table.loc[table["rel_error"].idxmax()]
    return {"passed": int(table["ok"].sum()), "total": len(table), "ok": bool(table["ok"].all()),
            "floor": float(table["floor"].max()), "worst_param": worst["param"],
            "worst_index": tuple(int(i) for i in worst["index"]),
            "worst_rel_error": float(worst["rel_error"])}
