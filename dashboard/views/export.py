"""Export what you saw; resume from a checkpoint."""
import html

import streamlit as st

from dashboard import actions, exports, handout
from dashboard.charts import style
from dashboard.session import get
from engine.checkpoint import MAX_TOTAL_BYTES, to_bytes

# Compressed upload size, in MB. Loading then checks the zip's declared uncompressed
# sizes (engine/checkpoint.py) before inflating anything, so neither limit can be
# passed by a small file that inflates to gigabytes.
MAX_CHECKPOINT_UPLOAD_MB = 200


def render(ss):
    s = get(ss)
    trainer = s.trainer
    trace = trainer.trace
    if len(s.runs) > 1:
        _runs(s)
    st.markdown("#### Download" + (f" run '{s.focus}'" if len(s.runs) > 1 else ""))
    c = st.columns(3)
    # Data is made on click (a callable), so an open Export tab costs nothing per refresh.
    c[0].download_button("History (CSV)", lambda: exports.history_csv(trainer.history),
                         file_name=f"bpttscope_history_it{trainer.iteration}.csv",
                         mime="text/csv", key="download_history", on_click="ignore")
    c[0].caption(f"{style.plural(len(trainer.history_store), 'row')}: loss, gradient "
                 "norms, clipping, reach, spectrum per iteration.")
    if trace is not None:
        c[1].download_button("Current window (NPZ)",
                             lambda: exports.trace_npz(trace, trainer.vocab.chars),
                             file_name=f"bpttscope_trace_it{trace.iteration}.npz",
                             mime="application/octet-stream", key="download_trace",
                             on_click="ignore")
        c[1].caption("Every array of the last window: hs, ps, dy, dh, dhraw, dhnext, "
                     + {"lstm": "cs, dc, dcnext, the gates (gate_i, …), ",
                        "gru": "the gates (gate_r, …), dh_pre, "}.get(trace.cell, "")
                     + "gradients before and after clipping. numpy.load it.")
    c[2].download_button("Checkpoint (NPZ)", lambda: to_bytes(trainer),
                         file_name=f"bpttscope_checkpoint_it{trainer.iteration}.npz",
                         mime="application/octet-stream", key="download_checkpoint",
                         on_click="ignore")
    c[2].caption("Weights, Adagrad memory, text, settings and history: upload it below "
                 "(or in another session) to resume exactly here.")
    if trace is not None:
        st.download_button("Handout of this window (HTML, works offline)",
                           lambda: _handout(trainer, s.lesson),
                           file_name=f"bpttscope_handout_it{trace.iteration}.html",
                           mime="text/html", key="handout", on_click="ignore",
                           icon=":material/school:")
        st.caption("One page a student opens in any browser with no server and no "
                   "network: the character strip, every timestep's charts and numbers "
                   "(Previous / Next and a slider), the window's heatmaps and the lesson's "
                   "text. At most 5 MB.")
    st.markdown("#### Resume from a checkpoint")
    st.file_uploader("Upload a BPTT Scope checkpoint (.npz)", type=["npz"],
                     key="checkpoint_upload", on_change=actions.on_checkpoint,
                     max_upload_size=MAX_CHECKPOINT_UPLOAD_MB,
                     help="Only files saved by BPTT Scope are accepted; they are read "
                          "without pickle, so a file can never run code. At most "
                          f"{MAX_CHECKPOINT_UPLOAD_MB} MB, and at most "
                          f"{MAX_TOTAL_BYTES / 1e9:.1f} GB once decompressed.")
    st.caption(f"Current model: {s.corpus_label}, iteration {trainer.iteration}. Loading "
               "a checkpoint replaces every run with the resumed one.")


def _handout(trainer, lesson):
    """The handout's bytes, or a page saying why there is none (a too-large window)."""
    try:
        return handout.build(trainer, lesson=lesson).encode("utf-8")
    except ValueError as err:
        return (f"<!doctype html><meta charset='utf-8'><p>No handout: "
                f"{html.escape(str(err))}</p>").encode()


def _runs(s):
    """All runs at once: one history CSV with a ``run`` column, a checkpoint each."""
    st.markdown("#### Download every run")
    histories = {name: tr.history for name, tr in s.runs.items()}
    st.download_button("History of all runs (CSV)", lambda: exports.runs_csv(histories),
                       file_name="bpttscope_history_runs.csv", mime="text/csv",
                       key="download_runs_history", on_click="ignore")
    st.caption("One row per run and iteration; the `run` column names the run.")
    cols = st.columns(len(s.runs))
    for i, (name, tr) in enumerate(s.runs.items()):
        cols[i].download_button(f"Checkpoint '{name}'", lambda tr=tr: to_bytes(tr),
                                file_name=f"bpttscope_{exports.slug(name)}_it{tr.iteration}.npz",
                                mime="application/octet-stream", key=f"download_run_{i}",
                                on_click="ignore")
