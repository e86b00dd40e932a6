"""The rules the layout rests on, read from the source: the engine never imports the
dashboard, Streamlit, plotly or torch; its modules import each other without a cycle;
the cells are peers with one interface."""
import ast
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
    names = {module_name(p) for p in ENGINE}
    graph = {module_name(p): {n for n in imports(p, top_level_only=True) if n in names}
             for p in ENGINE}
    assert not cycles(graph), f"import cycles: {cycles(graph)}"


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


INTERFACE = ("BLOCKS", "GATES", "SIGMOID_GATES", "STATE", "LABEL", "ARTICLE", "CHOICE",
             "forward", "backward", "record", "back_step", "step")


@pytest.mark.parametrize("cell", cells.CELLS)
def test_cells_are_peers_with_one_interface(cell):
    module = cells.MODULES[cell]
    missing = [name for name in INTERFACE if not hasattr(module, name)]
    assert not missing, f"engine/cells/{cell}.py lacks {missing}"
    assert len(module.GATES) in (0, module.BLOCKS)
    assert module.STATE[0] == "h"


@pytest.mark.parametrize("cell", cells.CELLS)
def test_every_cell_table_is_derived_from_the_modules(cell):
    from engine import cost, limits, params
    assert cell in limits.LIMITS["cell"].choices
    assert cost.GATES[cell] == cells.MODULES[cell].BLOCKS
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
