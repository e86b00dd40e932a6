"""Hostile input, third round, tested by class: a link's replay is bounded by the time
the engine's cost model gives it and can be stopped; nothing from a link is rendered
as markdown; links say what they ignore; the tour closes with its lesson; every text
obeys load_corpus's rules wherever it comes from; every costly analysis refuses work
over the cost model's limits; sample_saliency checks its arguments; the sampling limit
blames what costs; fork names unknown settings; checkpoint paths must be regular files.
"""
import io
import os
import re
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest
import streamlit as st
from apptest import VIEWS, sess, show, start

import engine
from dashboard import links, models, session, share
from dashboard.literal import literal
from engine import cost
from engine.checkpoint import to_bytes

PROSE = engine.read_sample("prose.txt")


def alerts(at):
    return [e.value for kind in ("warning", "info", "error", "success")
            for e in getattr(at, kind)]


# -- 1. replay bounded by the cost model, and stoppable --------------------------------
MODELS = {     # (lesson query, settings): one run of each cell and size, and 3 runs
    "tiny rnn": {"lesson": "custom", "text": "prose.txt", "hidden_size": "1",
                 "seq_length": "1"},
    "lstm": {"lesson": "custom", "text": "prose.txt", "cell": "lstm", "hidden_size": "64"},
    "gru long window": {"lesson": "custom", "text": "prose.txt", "cell": "gru",
                        "seq_length": "200"},
    "comparison": {"lesson": "seq-length"},
}


@pytest.mark.parametrize("kind", list(MODELS))
def test_the_replay_budget_is_the_engines_estimate_of_every_run(kind, monkeypatch):
    """Just under the budget replays, just over is refused, whatever the cell, size or
    number of runs: the budget counts estimated seconds, not iterations."""
    link, problems = links.decode({**MODELS[kind], "it": "1"})
    assert not problems
    runs = links.link_replay(link).runs
    under, over = links.replay_seconds(runs, 40), links.replay_seconds(runs, 41)
    monkeypatch.setattr(links, "REPLAY_SECONDS", (under + over) / 2)
    start_it = next(iter(runs.values())).iteration
    for todo, refused in ((40, False), (41, True)):
        link.iteration = start_it + todo
        replay = links.link_replay(link)
        assert (replay.total == 0) == refused, (todo, replay.total)
        said = " ".join(text for _, text in replay.notes)
        assert ("replay budget" in said) == refused


@pytest.mark.slow       # replays for the whole budget
def test_the_longest_replay_the_budget_allows_takes_about_the_budget(monkeypatch):
    """The smallest model is where a fixed price per iteration went wrong: its longest
    allowed replay must take about the budget. Timed in this process's CPU seconds, which
    other work on a shared machine does not inflate as it does wall time (3x slack)."""
    monkeypatch.setattr(links, "REPLAY_SECONDS", 1.0)
    link, _ = links.decode({**MODELS["tiny rnn"], "it": "1"})
    runs = links.link_replay(link).runs
    lo, hi = 1, 10**9
    while lo < hi:
        mid = (lo + hi + 1) // 2
        fits = links.replay_seconds(runs, mid) <= links.REPLAY_SECONDS
        lo, hi = (mid, hi) if fits else (lo, mid - 1)
    link.iteration = next(iter(runs.values())).iteration + lo
    t0 = time.process_time()
    runs, *_ = links.from_link(link)
    assert next(iter(runs.values())).iteration == link.iteration
    assert time.process_time() - t0 < 3 * links.REPLAY_SECONDS


@pytest.mark.parametrize("kind", list(MODELS))
def test_a_billion_iterations_is_refused_at_once_with_a_sentence(kind):
    t0 = time.perf_counter()
    at = start({**MODELS[kind], "it": str(10**9)})
    assert time.perf_counter() - t0 < 60        # the warm-up only (busy shared machine)
    (message,) = [w for w in alerts(at) if "replay budget" in w]
    assert "1,000,000,000" in message and "press Run" in message
    assert all(tr.iteration < 50 for tr in sess(at).runs.values())


def test_a_replay_runs_in_chunks_and_the_stop_button_ends_it(monkeypatch):
    monkeypatch.setattr(share, "CHUNK_SECONDS", 1e-6)     # one iteration per script run
    monkeypatch.setattr(share, "_next_chunk", st.stop)    # the test drives the reruns
    at = start({"lesson": "min-char-rnn", "it": "40"})
    s = sess(at)
    assert s.replay is not None and s.replay.done == 1
    assert at.button(key="replay_stop") is not None
    assert "Replaying the shared lesson: iteration 0 of 39" in at.get("progress")[0].proto.text
    at.run()
    assert sess(at).replay.done == 2
    at.button(key="replay_stop").click().run()
    s = sess(at)
    assert s.replay is None and s.trainer.iteration == 3    # warm-up 1, then 2 replayed
    assert any("Replay stopped at iteration 3 of 40" in m for m in alerts(at))
    at.button(key="step").click().run()
    assert not at.exception and sess(at).trainer.iteration == 4


def test_an_unstopped_replay_arrives_at_the_iteration(monkeypatch):
    monkeypatch.setattr(share, "CHUNK_SECONDS", 1e-6)
    at = start({"lesson": "min-char-rnn", "it": "12"})    # st.rerun per chunk
    assert sess(at).replay is None and sess(at).trainer.iteration == 12


# -- 2. nothing a link carries is rendered as markdown -----------------------------------
PAYLOADS = ["[x](http://evil.example/)", "<img src=x onerror=alert(1)>",
            "javascript:alert(1)", "![i](http://evil.example/i.png)", "http://evil.example",
            "www.evil.example", "me@evil.example", ":red[big] :material/home: :smile:",
            "$\\frac{1}{2}$", "**bold** _it_ `code` ~~s~~", "<http://evil.example>",
            "a\n# heading\n- item", "&lt;b&gt; &#x5b;", "| a | b |"]
# An opener of a markdown construct, not escaped by a backslash.
UNESCAPED = re.compile(r"(?<!\\)(?:[\[\]<>`*_~$|&!#]|:(?!\u200b)|@|www\.)")


def _query_positions(payload):
    """The payload in every place of a link: each key's value, and a key itself."""
    yield {payload: "1"}
    for key in links.KEYS:
        base = {"lesson": "custom", "text": "prose.txt"} if key not in ("lesson", "text") \
            else {}
        yield {**base, key: payload}
    yield {"lesson": "seq-length", "focus": payload}


def _check_quoted(payload, messages):
    """The payload appears in ``messages`` only escaped (dashboard.literal), never raw."""
    value = payload.strip()
    escaped = literal(value[:40])
    for message in messages:
        raw = message.replace(escaped, "")          # what is left must not hold it raw
        assert value[:20] not in raw or not UNESCAPED.search(value[:20]), message
    return [m for m in messages if escaped in m]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_link_values_are_escaped_in_every_message(payload):
    quoted = 0
    for query in _query_positions(payload):
        _, problems = links.decode(query)
        quoted += len(_check_quoted(payload, problems))
    assert quoted >= 5          # key, lesson, text, view, focus, numbers quote the value


@pytest.mark.parametrize("payload", PAYLOADS[:6])
def test_hostile_values_reach_the_page_escaped(payload):
    at = start({"lesson": "custom", "text": payload, "view": payload, payload: "x"})
    shown = [m for m in alerts(at) if "could not be followed" in m]
    assert shown and not at.exception
    assert _check_quoted(payload, alerts(at) + [m.value for m in at.markdown])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_literal_escapes_every_opener_and_loses_nothing(payload):
    out = literal(payload)
    assert not UNESCAPED.search(out)
    assert "\n" not in out
    back = re.sub(r"\\(.)", r"\1", out.replace("\u200b", ""))
    assert back == " ".join(payload.splitlines())


# -- 3. links say what they ignore -------------------------------------------------------
IGNORED = {
    "settings with a comparison": ({"lesson": "seq-length", "hidden_size": "7",
                                    "clip": "none"}, ["hidden_size", "clip", "ignored"]),
    "text with a comparison": ({"lesson": "clipping", "text": "tanh.txt"},
                               ["'text'", "ignored"]),
    "focus naming no run": ({"lesson": "seq-length", "focus": "T 99"},
                            ["'focus'", "T 99", "T 10, T 25, T 50"]),
    "focus without a comparison": ({"lesson": "min-char-rnn", "focus": "min-char-rnn"},
                                   ["'focus'", "ignored"]),
    "everything after an unknown lesson": ({"lesson": "nope", "it": "5", "view": "Training"},
                                           ["it, view", "ignored"]),
    "everything after a custom lesson without text": ({"lesson": "custom", "seed": "3"},
                                                      ["seed", "ignored"]),
    "a key given twice": ({"lesson": "min-char-rnn", "it": ["3", "4"]},
                          ["'it'", "2 times"]),
}


@pytest.mark.parametrize("kind", list(IGNORED))
def test_what_a_link_drops_is_said(kind):
    query, words = IGNORED[kind]
    _, problems = links.decode(query)
    said = " ".join(problems)
    assert all(w in said for w in words), (words, problems)


def test_a_lesson_link_with_other_settings_says_it_opens_as_custom():
    link, _ = links.decode({"lesson": "min-char-rnn", "hidden_size": "12"})
    replay = links.link_replay(link)
    assert replay.lesson == session.CUSTOM
    assert any("opens as your own settings" in text for _, text in replay.notes)
    link, _ = links.decode({"lesson": "min-char-rnn", "hidden_size": "100"})   # its own
    assert not links.link_replay(link).notes


def test_dropped_settings_are_not_used_and_a_timestep_past_the_window_is_named():
    at = start({"lesson": "seq-length", "hidden_size": "7", "t": "400", "focus": "T 10"})
    s = sess(at)
    assert {tr.config.hidden_size for tr in s.runs.values()} != {7}
    said = " ".join(alerts(at))
    assert "hidden_size" in said and "ignored" in said
    assert "t = 400" in said and at.session_state["timestep"] == 9


# -- 4. the tour closes with its lesson --------------------------------------------------
@pytest.mark.parametrize("change", ["preset", "comparison", "retune", "sample_text"])
def test_the_tour_closes_when_the_lesson_changes(change):
    at = start()
    at.button(key="tour_start").click().run()
    at.button(key="tour_next").click().run()
    assert sess(at).tour_step == 1
    if change == "preset":
        at.selectbox(key="preset").set_value("lstm-memory" if "lstm-memory" in
                                             engine.PRESETS else list(engine.PRESETS)[1])
    elif change == "comparison":
        at.selectbox(key="comparison").set_value("seq-length")
    elif change == "retune":
        at.number_input(key="hp_learning_rate").set_value(0.05).run()
        at.button(key="apply").click()
    else:
        other = [n for n in engine.sample_text_names() if n != "prose.txt"][0]
        at.selectbox(key="sample_text").set_value(other)
    at.run()
    assert not at.exception
    assert sess(at).tour_step is None
    assert not any("Guided tour, stop" in m.value for m in at.markdown)


# -- 5. one set of text rules, wherever the text comes from ------------------------------
BAD_TEXTS = {
    "over 5 MB": "ab" * (engine.DEFAULT_MAX_BYTES // 2) + "c",
    "NUL bytes": "ab\x00cd" * 50,
    "control codes": "\x01\x02\x03ab" * 100,
    "one character": "a" * 500,
    "whitespace": " \n" * 200,
}


def _checkpoint_with_text(text):
    tr = engine.Trainer("abcdefgh" * 40, hidden_size=4, seq_length=5)
    tr.run(2)
    with np.load(io.BytesIO(to_bytes(tr))) as npz:
        arrays = {k: npz[k] for k in npz.files if k != "vocab"}
    arrays["text_utf8"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


@pytest.mark.parametrize("kind", list(BAD_TEXTS))
def test_a_checkpoints_text_obeys_the_upload_rules(kind):
    text = BAD_TEXTS[kind]
    with pytest.raises(engine.CorpusError) as upload:      # a file: bytes
        engine.load_corpus(text.encode("utf-8"))
    with pytest.raises(ValueError) as loaded:
        engine.Trainer.load(io.BytesIO(_checkpoint_with_text(text)))
    assert str(upload.value) in str(loaded.value)
    with pytest.raises(engine.CorpusError) as pasted:      # pasted: a str
        engine.load_corpus(text)
    tr = engine.Trainer("abcdefgh" * 40, hidden_size=4, seq_length=5)
    with pytest.raises(ValueError) as state:        # the state dict route too
        engine.Trainer.from_state({**tr.state_dict(), "text": text})
    assert str(pasted.value) in str(state.value)


def test_a_large_checkpoint_text_is_refused_before_it_is_inflated():
    import tracemalloc
    raw = _checkpoint_with_text("ab" * 20_000_000)       # 40 MB of text, compressed small
    assert len(raw) < 1_000_000
    tracemalloc.start()
    with pytest.raises(ValueError, match="The text is 40,000,000 bytes .*; the limit is"):
        engine.Trainer.load(io.BytesIO(raw))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20_000_000


def test_a_fork_shares_the_text_instead_of_copying_it():
    tr = engine.Trainer(PROSE, hidden_size=8, seq_length=5)
    twin = tr.fork(learning_rate=0.05)
    assert twin.text is tr.text and twin.data is tr.data
    with pytest.raises(ValueError):
        twin.data[0] = 1                # read-only: neither run can change the other's


# -- 6. every costly analysis refuses work over the cost model's limits ------------------
def _fake_trace(T, H, V, cell="rnn"):
    """A window's shapes without its memory (zero-stride arrays): the guards look at
    shapes before anything the size of the work is allocated."""
    k = engine.cost.GATES[cell]
    z = lambda *shape: np.broadcast_to(0.0, shape)
    trace = SimpleNamespace(T=T, hs=z(T, H), ps=z(T, V), dy=z(T, V), dhraw=z(T, k * H),
                            cell=cell, position=10**7, hprev=z(H), tanh_grad=z(T, H),
                            dh_pre=None)
    params = {"Wxh": z(k * H, V), "Whh": z(k * H, H), "Why": z(V, H), "bh": z(k * H, 1),
              "by": z(V, 1)}
    return trace, params


GUARDED = {
    "input_saliency": engine.input_saliency,
    "whh_gradient_by_distance": engine.whh_gradient_by_distance,
    "gradient_horizon": engine.gradient_horizon,
    "whh_distance_norms": engine.whh_distance_norms,
    "whh_piece_norms": engine.whh_piece_norms,
    "whh_horizon_parts": engine.whh_horizon_parts,
    "loss_to_state": engine.loss_to_state,
    "jacobian_norms": engine.jacobian_norms,
}


@pytest.mark.parametrize("name", list(GUARDED))
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_window_analyses_refuse_the_largest_window_at_once(name, cell):
    trace, params = _fake_trace(1000, 2048, 100, cell)
    gated_jacobian = name == "jacobian_norms" and cell != "rnn"     # vanilla cell only
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="vanilla cell" if gated_jacobian else "refused") \
            as info:
        GUARDED[name](trace, params)
    assert time.perf_counter() - t0 < 1.0
    if not gated_jacobian:
        assert "seq_length" in str(info.value) and "hidden_size" in str(info.value)


def test_every_analysis_refuses_exactly_what_the_cost_model_puts_over_its_limits():
    for what in cost.ANALYSES:
        for T, H in ((25, 100), (200, 256), (1000, 512), (1000, 2048)):
            work = cost.analysis_cost(what, T, H, 80, steps=5 * T)
            over = work.seconds > cost.ANALYSIS_SECONDS or work.peak_bytes > cost.ANALYSIS_BYTES
            try:
                cost.check_analysis(what, T, H, 80, steps=5 * T)
                refused = False
            except ValueError as err:
                refused = True
                assert "use " in str(err)        # what to lower
            assert refused == over, (what, T, H)


def test_the_analysis_estimates_grow_with_every_size():
    for what in cost.ANALYSES:
        base = cost.analysis_cost(what, 50, 100, 60, steps=100)
        for bigger in (dict(seq_length=100), dict(hidden_size=200)):
            args = {**dict(seq_length=50, hidden_size=100, vocab_size=60, steps=100),
                    **bigger}
            if what in ("beyond_window", "sample_saliency") and "seq_length" in bigger:
                args["steps"] = 200
            assert cost.analysis_cost(what, **args).seconds > base.seconds, (what, bigger)
        assert cost.analysis_cost(what, 50, 100, 60, "lstm", steps=100).seconds > \
            base.seconds or what in ("sample_saliency", "jacobian_norms")     # rnn only


def test_the_default_models_analyses_all_run():
    tr = engine.Trainer(PROSE)
    tr.run(5)
    trace, p = tr.trace, tr.trace.params
    for fn in GUARDED.values():
        fn(trace, p)
    engine.beyond_window(tr, windows=4)
    engine.gradient_check(p, trace.inputs, trace.targets, trace.hprev)


def test_beyond_window_refuses_too_many_windows_and_says_how_many_fit():
    tr = engine.Trainer(PROSE, hidden_size=512, seq_length=200)
    tr.trace = SimpleNamespace(T=200, position=200 * 10_000)     # deep into a long text
    with pytest.raises(ValueError, match=r"fewer windows \(at most [\d,]+ here\)"):
        engine.beyond_window(tr, windows=5000)


def test_gradient_check_refuses_a_million_checks_and_says_how_many_fit():
    tr = engine.Trainer(PROSE, hidden_size=100, seq_length=25)
    tr.run(1)
    t = tr.trace
    with pytest.raises(ValueError, match=r"checks_per_param to [\d,]+ or less"):
        engine.gradient_check(tr.params, t.inputs, t.targets, t.hprev,
                              checks_per_param=10**6)


def test_sample_saliency_refuses_a_reading_too_long_for_its_model():
    params = engine.init_params(100, 2048)
    ids = np.zeros(100_001, dtype=np.intp)
    with pytest.raises(ValueError, match="earlier character"):
        engine.sample_saliency(params, ids, np.zeros(2048), 100_000)


# -- 7. sample_saliency checks its arguments --------------------------------------------
SALIENCY_BAD = {
    "id equal to V": (lambda V, H: ([0, 1, V], np.zeros(H), 2), "ids run from 0"),
    "id -1": (lambda V, H: ([0, -1, 2], np.zeros(H), 2), "ids run from 0"),
    "id far out": (lambda V, H: ([0, 10**9, 2], np.zeros(H), 2), "ids run from 0"),
    "float ids": (lambda V, H: ([0.0, 1.5, 2.0], np.zeros(H), 2), "whole-number"),
    "2-D ids": (lambda V, H: ([[0, 1, 2]], np.zeros(H), 2), "1-D"),
    "one id": (lambda V, H: ([0], np.zeros(H), 1), "at least 2"),
    "short hprev": (lambda V, H: ([0, 1, 2], np.zeros(H - 1), 2), "hidden units"),
    "long hprev": (lambda V, H: ([0, 1, 2], np.zeros(H + 1), 2), "hidden units"),
    "matrix hprev": (lambda V, H: ([0, 1, 2], np.zeros((H, 2)), 2), "hidden units"),
    "nan hprev": (lambda V, H: ([0, 1, 2], np.full(H, np.nan), 2), "NaN"),
    "target past the end": (lambda V, H: ([0, 1, 2], np.zeros(H), 3), "target_index"),
    "target 0": (lambda V, H: ([0, 1, 2], np.zeros(H), 0), "target_index"),
}


@pytest.mark.parametrize("kind", list(SALIENCY_BAD))
def test_sample_saliency_names_what_is_wrong(kind):
    V, H = 6, 10
    make, words = SALIENCY_BAD[kind]
    with pytest.raises(ValueError) as info:
        engine.sample_saliency(engine.init_params(V, H), *make(V, H))
    assert type(info.value) is ValueError and words in str(info.value)


# -- 8. the sampling limit blames what costs --------------------------------------------
def test_the_sampling_limit_blames_the_seed_or_n(monkeypatch):
    tr = engine.Trainer(PROSE, hidden_size=32, seq_length=10)
    per_char = cost.sample_seconds(1, len(tr.vocab), 32)
    monkeypatch.setattr(cost, "SAMPLE_SECONDS", 1000 * per_char)
    seed = PROSE[:3000]
    with pytest.raises(ValueError) as info:
        tr.sample(10, seed_text=seed)
    assert "seed_text" in str(info.value) and "n=" not in str(info.value)
    assert "shorter seed_text" in str(info.value)
    with pytest.raises(ValueError) as info:
        tr.sample(5000, seed_text="t")
    assert "n=5,000" in str(info.value) and "fewer characters" in str(info.value)
    with pytest.raises(ValueError) as info:     # both: n over what the seed leaves
        tr.sample(600, seed_text=PROSE[:600])
    assert "n=600" in str(info.value) and "seed_text of 600" in str(info.value)
    assert len(tr.sample(100, seed_text=PROSE[:100])) == 100


# -- 9. fork and retune name unknown settings as unknown ---------------------------------
@pytest.mark.parametrize("method", ["fork", "retune"])
def test_unknown_settings_are_named_unknown_and_fixed_ones_fixed(method):
    tr = engine.Trainer(PROSE, hidden_size=8, seq_length=5)
    for typo in ("learnign_rate", "lr", "Clip", "x" * 300):
        with pytest.raises(ValueError) as info:
            getattr(tr, method)(**{typo: 0.1})
        msg = str(info.value)
        assert msg.startswith("Unknown setting") and "architecture" not in msg
        assert all(n in msg for n in engine.Trainer.LIVE_SETTINGS) and len(msg) < 300
    for fixed in set(engine.Config.names()) - set(engine.Trainer.LIVE_SETTINGS):
        with pytest.raises(ValueError, match="cannot change on a live model"):
            getattr(tr, method)(**{fixed: 3})


# -- 10. checkpoint paths that are not regular files -------------------------------------
def _refused_quickly(path_or_file):
    done = {}

    def load():
        try:
            engine.Trainer.load(path_or_file)
        except ValueError as err:
            done["message"] = str(err)
        except Exception as err:            # noqa: BLE001 - reported below
            done["other"] = err
    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "the load blocked or read without end"
    assert "other" not in done, done
    return done["message"]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_device_is_refused_before_it_is_read(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    assert "not a regular file" in _refused_quickly(device)
    with open(device, "rb") as f:                       # an open one too
        assert "not a regular file" in _refused_quickly(f)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "checkpoint.npz"
    os.mkfifo(fifo)                      # opening it would block until a writer came
    assert "not a regular file" in _refused_quickly(str(fifo))
    assert "not a regular file" in _refused_quickly(fifo)


def test_a_folder_and_a_missing_file_get_a_sentence(tmp_path):
    assert "folder" in _refused_quickly(str(tmp_path))
    assert "no such file" in _refused_quickly(str(tmp_path / "missing.npz"))


def test_a_regular_checkpoint_still_loads_from_a_path(tmp_path):
    tr = engine.Trainer(PROSE, hidden_size=8, seq_length=5)
    tr.run(3)
    tr.save(tmp_path / "c.npz")
    back = engine.Trainer.load(tmp_path / "c.npz")
    assert back.iteration == 3 and np.array_equal(back._flat, tr._flat)


def test_every_view_draws_when_the_cost_model_refuses_every_analysis(monkeypatch):
    """A refusal is a sentence on the page, never an error box or a lost view."""
    monkeypatch.setattr(cost, "ANALYSIS_SECONDS", 1e-9)
    at = start()
    said = {}
    for view in VIEWS:
        show(at, view, no_errors=True)
        said[view] = " ".join(m.value for m in at.info)
    assert "refused rather than left to run" in said["Gradient flow"], said
    assert "skipped" in said["Training"], said


def test_names_from_outside_are_escaped_in_upload_and_checkpoint_messages():
    name = "[x](http://evil.example).txt"
    with pytest.raises(engine.CorpusError) as info:
        models.from_upload(name, b"\x00\x01" * 100, {})
    assert literal(name) in str(info.value) and name not in str(info.value)
    with pytest.raises(ValueError) as info:
        models.from_checkpoint(name, b"not a zip")
    assert literal(name) in str(info.value) and name not in str(info.value)
