"""The rules the layout rests on, read from the source: the engine never imports the
dashboard, Streamlit, plotly or torch; its modules import each other without a cycle;
the cells are peers with one interface."""
import ast
import re
from pathlib import Path

import numpy as np
import pytest

import engine
from engine import cells

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("dashboard", "streamlit", "plotly", "torch")
# The command line is the engine's front end, not the library: its `handout` command
# builds the dashboard's offline page and imports it inside that command only.
FRONT_ENDS = {"engine.__main__"}


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path, top_level_only):
    """Absolute names of the modules ``path`` imports (relative imports resolved;
    ``from package import module`` counts as the module)."""
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else \
        module_name(path).rpartition(".")[0]
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                is_module = (ROOT / Path(*sub.split("."))).with_suffix(".py").exists() or \
                    (ROOT / Path(*sub.split(".")) / "__init__.py").exists()
                found.add(sub if is_module else base)
    return found


ENGINE = sorted((ROOT / "engine").rglob("*.py"))


def test_the_rules_see_every_engine_module():
    names = {module_name(p) for p in ENGINE}
    assert {"engine.trace", "engine.bptt", "engine.cells.rnn", "engine.cells.lstm",
            "engine.cells.gru"} <= names


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: module_name(p))
def test_engine_never_imports_the_dashboard_streamlit_plotly_or_torch(path):
    if module_name(path) in FRONT_ENDS:
        found = imports(path, top_level_only=True)
    else:
        found = imports(path, top_level_only=False)
    bad = sorted(n for n in found if n.split(".")[0] in FORBIDDEN)
    assert not bad, f"{module_name(path)} imports {bad}"


def test_a_forbidden_import_is_seen(tmp_path, monkeypatch):
    """The rule can fail: an import inside a function, and a relative one, are found."""
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    (tmp_path / "engine").mkdir()
    probe = tmp_path / "engine" / "probe.py"
    probe.write_text("from .cells import x\n\ndef f():\n    import streamlit.testing\n")
    assert imports(probe, top_level_only=False) == {"engine.cells", "streamlit.testing"}
    assert imports(probe, top_level_only=True) == {"engine.cells"}


def cycles(graph):
    """Every import cycle found by a depth-first walk: lists of module names."""
    state, found = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_engine_modules_import_each_other_without_a_cycle():
    """Imports inside functions count, as in the dashboard's test: an import put off
    until a call is still a dependency (engine.claims once reached up to the lessons
    built from it that way; engine.cost to engine.attribution)."""
    names = {module_name(p) for p in ENGINE}
    graph = {module_name(p): {n for n in imports(p, top_level_only=False) if n in names}
             - {module_name(p)} for p in ENGINE}
    assert not cycles(graph), f"import cycles: {cycles(graph)}"


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


INTERFACE = ("BLOCKS", "GATES", "SIGMOID_GATES", "STATE", "LABEL", "ARTICLE", "CHOICE",
             "BACK_STEP_SECONDS", "RECORDED_FIELDS", "CARRIER", "forward", "backward", "record",
             "back_factors", "back_step", "step")


@pytest.mark.parametrize("cell", cells.CELLS)
def test_cells_are_peers_with_one_interface(cell):
    module = cells.MODULES[cell]
    missing = [name for name in INTERFACE if not hasattr(module, name)]
    assert not missing, f"engine/cells/{cell}.py lacks {missing}"
    assert len(module.GATES) in (0, module.BLOCKS)
    assert module.STATE[0] == "h"
    if module.CARRIER is None:
        assert not module.GATES
    else:
        state, gate = module.CARRIER
        assert state in module.STATE and gate in module.SIGMOID_GATES


@pytest.mark.parametrize("cell", cells.CELLS)
def test_every_cell_table_is_derived_from_the_modules(cell):
    from engine import cost, limits, params
    assert cell in limits.LIMITS["cell"].choices
    assert cost.GATES[cell] == cells.MODULES[cell].BLOCKS
    assert cost.SECONDS_PER_BACK_STEP[cell] == cells.MODULES[cell].BACK_STEP_SECONDS
    shape = params.shapes(5, 3, cell)["Whh"]
    assert shape == (cells.MODULES[cell].BLOCKS * 3, 3)


@pytest.mark.parametrize("cell", cells.CELLS)
def test_the_window_function_runs_every_cell_and_its_step_matches(cell):
    """bptt's forward (the cell's window recurrence) against the cell's own one-step
    function, which sampling uses: the two implementations agree."""
    p = engine.init_params(6, 4, seed=1, cell=cell)
    inputs, targets = np.array([0, 3, 5, 1, 2]), np.array([3, 5, 1, 2, 4])
    hprev = np.linspace(-0.5, 0.5, 4)
    trace = engine.bptt(p, inputs, targets, hprev, cell=cell)
    state = (hprev,) + ((np.zeros(4),) if "c" in cells.STATE[cell] else ())
    for t, ix in enumerate(inputs):
        state = cells.MODULES[cell].step(p, ix, state)
        np.testing.assert_allclose(state[0], trace.hs[t], rtol=1e-12, atol=1e-15)
    assert engine.bptt.__module__ == "engine.bptt"
    assert type(trace).__module__ == "engine.trace"


# -- the dashboard ------------------------------------------------------------------------
DASHBOARD = sorted(p for p in (ROOT / "dashboard").rglob("*.py") if "static" not in p.parts)
PURE = ("dashboard.names", "dashboard.models", "dashboard.links", "dashboard.background",
        "dashboard.session", "dashboard.window", "dashboard.views.registry",
        "dashboard.pacing")


def dashboard_graph():
    """Module -> the dashboard modules it imports anywhere (inside functions too: an
    import put off until a call is still a dependency)."""
    names = {module_name(p) for p in DASHBOARD}
    return {module_name(p): {n for n in imports(p, top_level_only=False) if n in names}
            - {module_name(p)} for p in DASHBOARD}


def test_dashboard_modules_import_each_other_without_a_cycle():
    graph = dashboard_graph()
    assert {"dashboard.session", "dashboard.links", "dashboard.names"} <= set(graph)
    assert not cycles(graph), f"import cycles: {cycles(graph)}"


@pytest.mark.parametrize("name", PURE)
def test_pure_dashboard_modules_never_import_streamlit(name):
    """Nor does anything they import from the dashboard (followed to the end)."""
    graph = dashboard_graph()
    paths = {module_name(p): p for p in DASHBOARD}
    seen, todo = set(), [name]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += graph[module]
    bad = {m: sorted(n for n in imports(paths[m], top_level_only=False)
                     if n.split(".")[0] in ("streamlit", "plotly"))
           for m in seen}
    assert not any(bad.values()), f"{name} reaches streamlit: {bad}"


def test_the_shared_names_are_one_leaf_with_one_custom():
    from dashboard import links, names, session
    assert dashboard_graph()["dashboard.names"] == set()
    assert session.CUSTOM is links.CUSTOM is names.CUSTOM
    for path in DASHBOARD:        # no second definition anywhere
        if path.name != "names.py":
            assert not re.search(r"^CUSTOM\s*=", path.read_text(), re.M), path


# -- one view registry -----------------------------------------------------------------------
def test_every_module_of_views_is_a_registered_view_and_back():
    from dashboard.views import registry
    files = {p.stem for p in (ROOT / "dashboard" / "views").glob("*.py")} - {"__init__",
                                                                            "registry"}
    assert files == {v.key for v in registry.VIEWS}
    assert len(set(registry.TITLES)) == len(registry.TITLES) and registry.FIRST in \
        registry.TITLES
    for view in registry.VIEWS:
        assert callable(view.render), view


def test_links_tour_exercises_and_lessons_name_registered_views():
    from dashboard import links, tour
    from dashboard.views import registry
    assert links.VIEWS is registry.TITLES
    named = {("tour", s.view) for s in tour.STOPS}
    named |= {("exercise " + n, e.view) for n, e in engine.EXERCISES.items()}
    for lesson in [*engine.PRESETS.values(), *engine.COMPARISONS.values()]:
        named |= {(lesson.name, getattr(c, "view", None) or c[0]) for c in lesson.look_for}
    missing = sorted((who, view) for who, view in named if view not in registry.TITLES)
    assert not missing, missing
    with pytest.raises(KeyError, match="the views: Training"):
        registry.by_title("Nowhere")


# -- session state is written by dashboard/session.py only ----------------------------------
MUTATORS = {"pop", "popitem", "setdefault", "update", "clear", "append", "extend", "insert",
            "remove", "add", "discard", "__setitem__", "__delitem__"}
SESSION_CALLS = {"get", "_ss"}          # session.get(ss), actions._ss(): the session


def _root(node, bound):
    """Whether the chain of attributes and subscripts ``node`` starts at the session."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute) and node.attr == "session_state":
            return True
        node = node.value
    if isinstance(node, ast.Name):
        return node.id in bound
    if isinstance(node, ast.Call):        # get(ss), session.get(ss), _ss()
        f = node.func
        if isinstance(f, ast.Attribute):
            return f.attr == "get" and isinstance(f.value, ast.Name) and \
                f.value.id == "session"
        return isinstance(f, ast.Name) and f.id in SESSION_CALLS
    return False


def session_writes(source):
    """(line, code) of every write to session state in ``source``: assignment, deletion
    or a mutating call on ``ss``, ``st.session_state``, ``get(ss)`` or a name bound to
    one of them."""
    tree = ast.parse(source)
    found = []
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef,
                                                          ast.AsyncFunctionDef))] + [tree]
    for scope in scopes:
        bound = {"ss"}
        if scope is not tree:           # a Session handed in (dashboard.window's)
            bound |= {a.arg for a in scope.args.args if a.arg in ("session", "s")}
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and _root(node.value, bound) and \
                    not isinstance(node.value, ast.Subscript):
                bound |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(scope):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            elif isinstance(node, ast.Delete):
                targets = node.targets
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in MUTATORS:
                targets = [node.func.value]
            for t in targets:
                for part in (t.elts if isinstance(t, ast.Tuple) else [t]):
                    if not isinstance(part, ast.Name) and _root(part, bound):
                        found.append((node.lineno, ast.unparse(node).split("\n")[0]))
    return sorted(set(found))


def test_the_session_write_finder_finds_writes():
    probe = (
        "import streamlit as st\n"
        "def a(ss):\n    ss['view'] = 'x'\n"
        "def b(ss):\n    s = get(ss)\n    s.focus = 'a'\n    s.runs.clear()\n"
        "def c():\n    st.session_state.pop('k', None)\n"
        "def d(ss):\n    session.get(ss).lapses['x'] = 1\n    del ss['y']\n"
        "def e(ss):\n    x = ss.get('a')\n    q = {}\n    q['a'] = ss['b']\n"
        "def f(d):\n    e = d.get('a')\n    e['b'] = 1\n"
        "def g(session, run):\n    session.window_cache[run] = {}\n"
    )
    lines = [line for line, _ in session_writes(probe)]
    assert lines == [3, 6, 7, 9, 11, 12, 21]


@pytest.mark.parametrize("path", DASHBOARD, ids=lambda p: module_name(p))
def test_only_session_py_writes_the_session(path):
    if path.name == "session.py" and path.parent.name == "dashboard":
        return
    writes = session_writes(path.read_text())
    assert not writes, f"{module_name(path)} writes session state: {writes}"


# -- JavaScript lives in .js files -----------------------------------------------------------
JS_SIGNS = re.compile(r"export\s+default|=>\s*\{|\bfunction\s*\w*\s*\([^)]*\)\s*\{"
                      r"|document\.(querySelector|getElementById|createElement)"
                      r"|[\w)\]]\s*=>")      # an arrow function: x => ..., (a, b) => ...


# Every Python file of ours: the dashboard, the engine, and the benches and browser tests,
# whose page scripts are bench/js/ and tests/js/ (Python names a function there). Two
# test files hold JavaScript on purpose: the parser's examples, and this rule's own.
HOLD_JAVASCRIPT = {"tests/test_javascript.py", "tests/test_structure.py"}
PYTHON = sorted(p for top in ("dashboard", "engine", "bpttscope", "bench", "tests", "examples",
                              "sample_texts")
                for p in (ROOT / top).rglob("*.py")
                if "static" not in p.parts
                and p.relative_to(ROOT).as_posix() not in HOLD_JAVASCRIPT)


def test_the_javascript_rule_sees_the_benches_and_tests():
    names = {p.relative_to(ROOT).as_posix() for p in PYTHON}
    assert {"bench/browser_latency.py", "bench/classroom.py", "tests/test_browser.py",
            "dashboard/plotly_element.py"} <= names


@pytest.mark.parametrize("path", PYTHON, ids=lambda p: module_name(p))
def test_no_javascript_in_python_strings(path):
    tree = ast.parse(path.read_text())
    found = [node.lineno for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and JS_SIGNS.search(node.value)]
    assert not found, f"{module_name(path)}: JavaScript in a string at lines {found}"


@pytest.mark.parametrize("source", [
    "els => els.map(e => e.textContent)", "() => window.__lat !== undefined",
    "(s, b) => s.t !== b.t", "div => { div.dataset.probe = 'x'; }",
    "document.querySelector('.x')", "export default function (c) {}",
])
def test_the_javascript_rule_knows_javascript(source):
    assert JS_SIGNS.search(source)


@pytest.mark.parametrize("text", ["a >= b", "x -> y", "loss <= 5", "Run, then Pause",
                                  "f(x) = {1, 2}"])
def test_the_javascript_rule_leaves_prose_alone(text):
    assert not JS_SIGNS.search(text)
