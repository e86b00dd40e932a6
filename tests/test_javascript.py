"""Every JavaScript file parses: the dashboard's, and the scripts the benches and browser
tests run in the page (bench/js/, tests/js/); part of ``make test`` and of the quick
subset. The parser is tree-sitter's JavaScript grammar (the [test] extra): it reads
today's syntax (``?.``, ``??``, modules), runs in-process in milliseconds, and needs no
browser, so a syntax error is caught even where Chromium is missing; the browser tests
then run the same files for real. Vendored plotly.js (dashboard/static/) is not ours.
"""
from pathlib import Path

import pytest
import tree_sitter  # the [test] extra: a missing parser fails, never skips
import tree_sitter_javascript

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(p for p in (ROOT / "dashboard").rglob("*.js") if "static" not in p.parts),
                  *(ROOT / "bench" / "js").glob("*.js"), *(ROOT / "tests" / "js").glob("*.js")])
# Streamlit components v2 load these as ES modules whose default export draws the element
COMPONENTS = {"plotly_element.js", "keys.js", "link.js", "pacer.js", "scroll.js"}
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))


def syntax_errors(source):
    """(line, column, text) of each place the parser could not read, 1-based."""
    found, todo = [], [PARSER.parse(source.encode()).root_node]
    while todo:
        node = todo.pop()
        if node.is_error or node.is_missing:
            line, column = node.start_point
            found.append((line + 1, column + 1, node.text.decode(errors="replace")[:40]))
        elif node.has_error:
            todo.extend(node.children)
    return sorted(found)


def test_every_javascript_file_is_seen():
    assert {p.name for p in SOURCES} >= COMPONENTS | {"handout.js", "latency_page.js",
                                                       "latency_watch.js", "probes.js"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_javascript_parses(path):
    source = path.read_text(encoding="utf-8")
    assert not syntax_errors(source), f"{path.name}: syntax errors at {syntax_errors(source)}"
    if path.name in COMPONENTS:
        assert "export default function" in source, f"{path.name}: no default export"


@pytest.mark.parametrize("broken", [
    "function f( { return 1; }",
    "const a = ;",
    "export default function ({ data }) { if (data) { return 1; }",
    "let x = a ?. ;",
])
def test_a_syntax_error_is_found(broken):
    assert syntax_errors(broken)


def test_todays_syntax_is_not_an_error():
    assert not syntax_errors("const a = b?.c ?? 1; x ??= 2; const y = { ...z };\n"
                             "export default function ({ data }) { return data?.[0]; }")
