"""The views: the tabs right of the sidebar, in order. The one list the app draws its
tabs from (streamlit_app.py), that links accept in ``?view=`` (links.py), that the tour
and exercises open, and that the tests walk through. Every module of ``dashboard/views/``
is one of these (tests/test_structure.py); what they are built from is in ``sections/``.

Pure (no streamlit): a view's module is imported only when its ``render`` is asked for,
so ``links`` reads the titles without importing the views.
"""
import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class View:
    key: str        # its module, dashboard/views/<key>.py
    title: str      # the tab's label: also the value of ?view= in a link and of the
                    # view a tour stop, an exercise or a lesson's claim names

    @property
    def render(self):
        """The view's ``render(ss)``."""
        return importlib.import_module(f"dashboard.views.{self.key}").render


VIEWS = (
    View("training", "Training"),
    View("explorer", "Timestep explorer"),
    View("flow", "Gradient flow"),
    View("code", "BPTT code"),
    View("gradcheck", "Gradient check"),
    View("export", "Export"),
)
TITLES = tuple(v.title for v in VIEWS)
FIRST = "Timestep explorer"     # the tab the first screen opens on


def by_title(title):
    """The view called ``title``; KeyError that names the views if there is none."""
    for view in VIEWS:
        if view.title == title:
            return view
    raise KeyError(f"there is no view called {title!r} (the views: {', '.join(TITLES)})")
