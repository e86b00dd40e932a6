"""Views of one recorded run: pickers (step, module, layer, example), then tabs. Every
number comes from the engine (engine.logdir, engine.recorded, the diagnostics run on a
recorded layer's Trace); every figure from dashboard.charts.recorded."""
import math
import os

import numpy as np
import streamlit as st

import engine
from dashboard.charts import recorded as charts
from dashboard.charts import style
from dashboard.plotly_element import plotly_chart
from dashboard.views.sections.common import PLOT_CONFIG
from engine.cost import horizon_affordable
from engine.recorded import depth_time_norms

HORIZON_STEPS = 40          # recorded steps the horizon over training is computed for


def plot(fig, key, caption=None):
    plotly_chart(fig, PLOT_CONFIG, key=f"rec_{key}")
    if caption:
        st.caption(caption)


@st.cache_resource(max_entries=12, show_spinner=False)
def _record(path, step, stamp, _run):
    return _run.read(step)


def read(run, step):
    """The Record of ``step`` (cached by file size and time); None, with the reason on
    screen, when its file cannot be used."""
    try:
        stat = os.stat(run.file(step))
        return _record(run.file(step), step, (stat.st_size, stat.st_mtime_ns), run)
    except (OSError, ValueError) as err:
        st.warning(f"Step {step} cannot be shown: {err}", icon=":material/warning:")
        return None


def render(run):
    sb = st.sidebar
    if sb.button("Refresh", key="rec_refresh", help="Rescan the folder for new steps"):
        run.refresh()
    steps = run.steps
    for problem in run.problems[-5:]:
        sb.warning(problem, icon=":material/warning:")
    if not steps:
        st.info(f"Run **{run.name}** has no recorded step yet. Steps are written every "
                f"`every` optimizer steps; press **Refresh** to look again.")
        return
    follow = sb.toggle("Follow the newest step", value=True, key="rec_follow",
                       help="While training runs, show each new step as it is written.")
    if follow or st.session_state.get("rec_step") not in steps:
        step = steps[-1]
    else:
        step = st.session_state["rec_step"]
    step = sb.select_slider("Step (optimizer step)", options=steps, value=step,
                            key="rec_step", disabled=follow or len(steps) == 1)
    record = read(run, step)
    if record is None or not record.layers:
        if record is not None:
            st.warning(f"Step {step} holds no recorded layer.")
        return
    modules = list(dict.fromkeys(n.rsplit(".l", 1)[0] for n in record.layers))
    module = sb.selectbox("Module", modules, key="rec_module")
    names = [n for n in record.layers if n.rsplit(".l", 1)[0] == module]
    layer_name = sb.selectbox("Layer", names, key="rec_layer",
                              format_func=lambda n: f"layer {n.rsplit('.l', 1)[1]} ({n})")
    layer = record.layers[layer_name]
    example = sb.selectbox("Example (sequence of the batch)", list(range(layer.examples)),
                           key="rec_example")
    top = names.index(layer_name) == len(names) - 1
    _header(run, record, layer, layer_name, example, top)
    trace = layer.trace(example)
    tabs = st.tabs(["Training", "Timestep tape", "Gradient flow", "Gates",
                    "Other views"])
    with tabs[0]:
        _training(run, step, layer_name, example)
    with tabs[1]:
        _tape(trace, layer, example, top)
    with tabs[2]:
        _flow(record, trace, layer, example, top)
    with tabs[3]:
        _gates(trace, layer)
    with tabs[4]:
        st.info("Text samples, the gradient check and the BPTT code need the model "
                "BPTT Scope trains itself (its vocabulary, its output layer and its loss): "
                "a recorded run has your model's recurrent layers only, so those views "
                "are not shown here. Run `bpttscope` without --logdir for them.",
                icon=":material/info:")


def _header(run, record, layer, name, example, top):
    meta = run.meta
    kind = {"rnn": f"RNN ({layer.nonlinearity})", "lstm": "LSTM", "gru": "GRU"}[layer.cell]
    loss = "" if math.isnan(record.loss) else f" · loss {record.loss:.4g}"
    st.markdown(f"#### {run.name} · step {record.step}{loss} · `{name}` ({kind}, "
                f"H = {layer.h.shape[2]}) · example {example} of {layer.examples}, "
                f"T = {int(layer.lengths[example])}")
    if meta.get("versions"):
        st.caption(f"Model {meta.get('model', '?')}, {meta.get('parameters', '?'):,} "
                   f"parameters, {meta.get('dtype', '?')}; recorded every "
                   f"{meta.get('every', '?')} optimizer steps; torch "
                   f"{meta['versions'].get('torch', '?')}.")
    if not top:
        st.caption("This is a lower layer: what enters it at step t is the gradient from "
                   "the layer above at step t, not the loss at t. Charts say 'entering'.")


def _training(run, step, layer_name, example):
    history = run.history()
    if history.empty:
        st.info("No step could be read yet.")
        return
    steps = history["step"].to_numpy()
    if history["loss"].notna().any():
        plot(charts.over_training_chart(
            steps, {"loss": (history["loss"], style.FORWARD, "solid")},
            "loss — as your loop gave it (scope.note_loss)", "loss", "rec_loss", log=False,
            selected=step), "loss")
    params = [c[len("before:"):] for c in history.columns if c.startswith("before:")]
    params = ["global"] + [p for p in params if p != "global"]
    which = st.selectbox("Parameter", params, key="rec_param",
                         help="'global': all parameters together, what clip_grad_norm_ "
                              "measures.")
    plot(charts.clip_norms_chart(steps, history[f"before:{which}"],
                                 history[f"after:{which}"], which, selected=step), "clip",
         "Before: as backward left the gradient. After: what the optimizer used, after "
         "your clipping. A gap means clipping changed this step.")
    plot(charts.over_training_chart(
        steps, {"clip fraction": (history[f"fraction:{which}"], style.DHRAW, "solid")},
        f"clip_fraction — share of {which}'s entries your clipping changed", "fraction",
        "rec_fraction", log=False, selected=step), "fraction")
    _horizon_over_training(run, layer_name, example, step)


def _horizon_over_training(run, layer_name, example, step):
    st.markdown("**Gradient horizon over training** — the mean distance between where "
                "the gradient entered this layer and where W_hh is used "
                "(engine.gradient_horizon), per recorded step.")
    if not st.toggle(f"Compute it (up to {HORIZON_STEPS} recorded steps)",
                     key="rec_horizon"):
        return
    steps = run.steps
    picked = sorted({steps[int(i)] for i in np.linspace(0, len(steps) - 1,
                                                        min(HORIZON_STEPS, len(steps)))})
    xs, ys, skipped = [], [], 0
    for s in picked:
        rec = read(run, s)
        layer = rec.layers.get(layer_name) if rec is not None else None
        if layer is None or example >= layer.examples:
            skipped += 1
            continue
        k = engine.cells.BLOCKS[layer.cell]
        if not horizon_affordable(int(layer.lengths[example]), layer.h.shape[2], k):
            st.info("This layer's windows are too large for the horizon here (the cost "
                    "guard of engine.cost.horizon_affordable).")
            return
        xs.append(s)
        ys.append(engine.gradient_horizon(layer.trace(example), layer.params()))
    plot(charts.over_training_chart(
        xs, {"horizon": (ys, style.DH, "solid")},
        f"gradient_horizon of {layer_name}, example {example} (steps)",
        "mean distance d (steps)", "rec_horizon_chart", log=False, selected=step),
        "horizon", f"{len(xs)} recorded steps" + (f"; {skipped} skipped" if skipped else ""))


def _tape(trace, layer, example, top):
    dc = trace.dc if layer.cell == "lstm" else None
    plot(charts.tape_norms_chart(trace.dh, trace.dy, trace.dhnext, dc, lower=not top),
         "tape", "dh_t is the sum of two vectors: the output part, "
         + charts.source_words(not top) + ", and dhnext_t, what step t+1 sent back. "
         "Where dhnext dominates, the gradient at h_t comes from the future.")
    entering = "gradient entering from the layer above at t" if not top else \
        "gradient through the output at t"
    plot(charts.signed_heatmap(trace.dy, f"output part — {entering}", "rec_hm_out",
                               "dh_out"), "hm_out")
    plot(charts.signed_heatmap(trace.dhnext, "dhnext — gradient reaching h_t from "
                               "step t+1", "rec_hm_next", "dhnext"), "hm_next")
    if dc is not None:
        plot(charts.signed_heatmap(dc, "dc — ∂L/∂c_t, the LSTM's cell state on the way "
                                   "back", "rec_hm_dc", "dc"), "hm_dc")


def _flow(record, trace, layer, example, top):
    names, norms = depth_time_norms(record, example)
    plot(charts.depth_time_heatmap(norms, names), "depth",
         "Top layer first. Along a row the gradient travels back in time; down a column "
         "it travels from one layer to the one below.")
    plot(charts.batch_band_chart(layer.batch_dh_quantiles(), not top), "batch",
         f"Every sequence of the batch ({layer.dh_norms.shape[0]}) at this layer, not "
         "only the recorded examples.")
    T, H, k = trace.T, trace.hs.shape[1], engine.cells.BLOCKS[layer.cell]
    if not horizon_affordable(T, H, k):
        st.info(f"The per-loss views need T² kH H / 2 multiply-adds (T = {T}, H = {H}): too "
                "many to draw here (engine.cost.horizon_affordable).")
        return
    params = layer.params()
    plot(charts.entry_to_state_heatmap(engine.loss_to_state(trace, params), not top),
         "entry", "Each row: one step's entering gradient, followed back through the "
         "recurrence to every earlier state.")
    norms_d = engine.whh_distance_norms(trace, params)
    plot(charts.distance_chart(norms_d, engine.horizon_from_norms(norms_d), not top),
         "distance", "The bars add up (as matrices) to this example's part of "
         "weight_hh's gradient.")


def _gates(trace, layer):
    sat = engine.gate_saturation(trace)
    if layer.cell == "rnn" and layer.nonlinearity == "relu":
        st.info("A ReLU layer has no gate and no saturating nonlinearity: nothing to show "
                "here (a unit at 0 passes no gradient; see the tape).")
        return
    plot(charts.saturation_chart(sat), "saturation",
         "A saturated gate learns slowly but still passes what it multiplies: an LSTM's "
         "f near 1 is the memory working.")
