"""The dashboard on a log folder (``bpttscope --logdir PATH``): a user's own PyTorch
model, recorded by bpttscope.torch.watch, step by step.

The folder is the server's (dashboard/logdir_mode.py); the sidebar picks among the runs
found in it. Runs and steps are rescanned on every rerun, so steps written by a training
in another process appear on the next refresh."""
import streamlit as st

import engine
from dashboard.views.sections import recorded


@st.cache_resource(show_spinner=False)
def _runs_of(path):
    """The server's one dict of Runs for ``path`` (run objects cache what they read)."""
    return {}


def runs(path):
    """Runs under ``path``, rescanned: new runs added, every run's steps refreshed."""
    known = _runs_of(path)
    try:
        found = engine.open_logdir(path)
    except ValueError as err:
        st.error(str(err))
        return {}
    for name, run in found.items():
        if name in known:
            known[name].refresh()
        else:
            known[name] = run
    return {name: known[name] for name in found}


def render(path):
    st.sidebar.markdown("### BPTT Scope — recorded runs")
    st.sidebar.caption(f"Log folder (set when the server started): `{path}`")
    found = runs(path)
    if not found:
        st.title("BPTT Scope")
        st.info(f"No recorded run in `{path}` yet. Start your training with "
                "`scope = bpttscope.torch.watch(model, optimizer, logdir=...)` pointing "
                "into this folder, then press **Refresh**: steps appear as they are "
                "written.", icon=":material/hourglass_empty:")
        st.button("Refresh", key="rec_refresh")
        return
    name = st.sidebar.selectbox("Run", list(found), key="rec_run",
                                help="Each folder with a meta.json or step files is a run.")
    recorded.render(found[name])
