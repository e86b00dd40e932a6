"""Settings of the Streamlit server process that the app's speed depends on."""
import gc

import plotly.io as pio

_frozen = False


def freeze_imports():
    """Move every object alive now (the imported modules of streamlit, plotly, pandas,
    numpy and ours: about 115,000) out of the cyclic garbage collector's sight, once
    per process.

    Streamlit runs a full ``gc.collect(2)`` after every script run
    (``runner.postScriptGC``, which ``.streamlit/config.toml`` and ``bpttscope`` switch
    off), and Python runs one now and then on its own. Each walked all those objects:
    50 to 70 ms on this 2-core machine, during which the server answers nothing, so
    every click waited for it (bench/browser_latency.py). Frozen objects are still freed
    by reference counting; only cycles among them are never collected, and modules live
    for the whole process anyway."""
    global _frozen
    if not _frozen:
        gc.freeze()
        _frozen = True


def figures_without_plotly_template():
    """Build this process's figures on plotly's empty template ("none").

    plotly copies its default template ("plotly": 7 kB of JSON, some 600 Python
    objects) into every figure it builds and again whenever the figure is serialised,
    and the app throws it away: the page draws every chart in ``style.TEMPLATE``
    (plotly_element._serialise; the handout leaves templates out). That was 0.7 ms a
    figure: without it a Step click's server time fell from 47 to 43 ms in the Timestep
    explorer, 54 to 47 in Training and 172 to 160 in Gradient flow
    (bench/dashboard_speed.py, medians of runs interleaved with the code before). The
    charts look the same; only the default of this process, the app's server, changes.
    Called on every script run: setting the default costs 60 us, reading it nothing."""
    if pio.templates.default != "none":
        pio.templates.default = "none"
