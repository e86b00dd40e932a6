"""The plotly graph objects the chart builders use: plotly's own, built without
plotly.py's check of every property on the way in.

That check was most of a chart's cost on the server: the explorer's dh split took
4.1 ms to build and 4.9 ms to build and serialise, against 0.8 and 2.1 ms unchecked,
for the same JSON; a Step in the explorer builds six figures, one in Gradient flow ten.
The objects are the same classes (``isinstance`` holds, attributes read back), and
the AppTests check every figure the views draw with plotly's validation on
(``tests/apptest.charts``), so a misspelt property still fails a test."""
import functools

import plotly.graph_objects as _go

Figure = functools.partial(_go.Figure, _validate=False)
Bar = functools.partial(_go.Bar, _validate=False)
Scatter = functools.partial(_go.Scatter, _validate=False)
Heatmap = functools.partial(_go.Heatmap, _validate=False)
