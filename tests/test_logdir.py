"""engine.open_logdir and the dashboard's --logdir mode, without torch: step files are
written from engine Traces (an LSTM, a GRU and a vanilla RNN window), read back, and the
recorded layer's Trace rebuilt from them must give back the engine's own backward;
hostile, truncated, half-written and huge files are skipped with a message."""
import json
import os
import zipfile

import numpy as np
import pytest

import engine
from dashboard import logdir_mode
from engine import cells, logformat
from engine.logformat import layer_key
from tests.apptest import app, charts

V, H, T = 6, 5, 7


def window(cell, seed=0):
    rng = np.random.default_rng(seed)
    params = engine.init_params(V, H, seed=seed, scale=0.5, cell=cell)
    inputs, targets = rng.integers(0, V, T), rng.integers(0, V, T)
    hprev = rng.normal(size=H) * 0.3
    extra = {"cprev": rng.normal(size=H) * 0.3} if cell == "lstm" else {}
    return engine.bptt(params, inputs, targets, hprev, clip="none", cell=cell, **extra), \
        params


def layer_arrays(trace, params):
    """One layer's step-file arrays (E = 1) from an engine Trace: h, dh, dhnext..."""
    one = lambda a: np.asarray(a)[None]
    out = {"cell": np.array(trace.cell), "h": one(trace.hs), "dh": one(trace.dh),
           "dhnext": one(trace.dhnext), "h0": one(trace.hprev), "lengths": np.array([T]),
           "dh_norms": np.linalg.norm(trace.dh, axis=1)[None], "Whh": params["Whh"]}
    if trace.cell != "rnn":
        out["gates"] = one(np.stack([trace.gates[g] for g in cells.GATES[trace.cell]], 1))
    if trace.cell == "lstm":
        out.update(c=one(trace.cs), dc=one(trace.dc), c0=one(trace.cprev))
    if trace.cell == "gru":
        out["whn_h"] = one(trace.whn_h)
    return out


def write(folder, step, layers, loss=1.5, norms=None):
    arrays = {"step": np.int64(step), "loss": np.float64(loss)}
    for name, value in (norms or {"global": (2.0, 1.0, 1.0), "w": (2.0, 1.0, 1.0)}).items():
        before, after, frac = value
        arrays.update({f"norm_before:{name}": before, f"norm_after:{name}": after,
                       f"clip_fraction:{name}": frac})
    for name, fields in layers.items():
        arrays.update({layer_key(name, f): v for f, v in fields.items()})
    logformat.write_step(str(folder), step, arrays)


@pytest.fixture
def logdir(tmp_path):
    run = tmp_path / "runs" / "model"
    run.mkdir(parents=True)
    logformat.write_meta(str(run), {"model": "Test", "layers": [
        {"name": "rnn.l0"}, {"name": "rnn.l1"}], "every": 10})
    lstm, p_lstm = window("lstm")
    gru, p_gru = window("gru", 1)
    for step in (0, 10, 20):
        write(run, step, {"rnn.l0": layer_arrays(lstm, p_lstm),
                          "rnn.l1": layer_arrays(gru, p_gru)}, loss=3.0 - step / 10)
    return tmp_path / "runs"


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_a_recorded_layer_gives_back_the_engine_backward(tmp_path, cell):
    trace, params = window(cell, 3)
    write(tmp_path, 5, {"m.l0": layer_arrays(trace, params)})
    rec = engine.open_logdir(tmp_path)[tmp_path.name].read(5)
    layer = rec.layers["m.l0"]
    got = layer.trace(0)
    # the output layer is the identity: dy plays dh_t - dhnext_t = Why^T dy_t
    np.testing.assert_allclose(got.dy, trace.dy @ params["Why"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got.dhraw, trace.dhraw, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(got.dhprev, trace.dhprev, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(got.grads["Whh"], trace.grads["Whh"], rtol=1e-10, atol=1e-15)
    by_d = engine.whh_gradient_by_distance(got, layer.params())
    np.testing.assert_allclose(by_d, engine.whh_gradient_by_distance(trace, params),
                               rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(engine.loss_to_state(got, layer.params()),
                               engine.loss_to_state(trace, params), rtol=1e-9)


def test_runs_steps_history(logdir):
    runs = engine.open_logdir(logdir)
    assert list(runs) == ["model"]
    run = runs["model"]
    assert run.steps == [0, 10, 20] and run.meta["model"] == "Test"
    rec = run.read(10)
    assert list(rec.layers) == ["rnn.l0", "rnn.l1"]
    assert rec.layers["rnn.l0"].h.shape == (1, T, H) and rec.layers["rnn.l0"].c is not None
    assert rec.norms_before == {"global": 2.0, "w": 2.0}
    lstm = rec.layers["rnn.l0"]
    np.testing.assert_allclose(lstm.batch_dh_quantiles((0.5,))[0],
                               np.linalg.norm(lstm.dh[0], axis=1))     # a batch of one
    history = run.history()
    assert list(history["step"]) == [0, 10, 20]
    assert list(history["loss"]) == [3.0, 2.0, 1.0]
    write(logdir / "model", 30, {})
    assert run.refresh() == [0, 10, 20, 30]          # a step written meanwhile appears
    # the .json summaries hold what the .npz files hold; a bad or missing one is not used
    from_json = run.history()
    (logdir / "model" / logformat.summary_file(0)).write_text("{bad")
    (logdir / "model" / logformat.summary_file(10)).unlink()
    (logdir / "model" / logformat.summary_file(20)).write_text('{"step": 21}')
    from_npz = engine.open_logdir(logdir)["model"].history()
    assert from_json.equals(from_npz), (from_json, from_npz)


def _hostile_files(folder):
    """name -> writes a bad step file into ``folder``."""
    good = folder / logformat.step_file(20)

    def truncated(path):
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])

    def garbage(path):
        path.write_bytes(os.urandom(3000))

    def pickled(path):
        np.savez(path, step=np.array([object()], dtype=object))

    def bomb(path):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("step.npy", b"\0" * (300 << 20))

    def wrong_shape(path):
        np.savez(path, step=np.int64(int(path.name[5:14])), loss=np.float64(1),
                 **{layer_key("a.l0", "cell"): np.array("lstm"),
                    layer_key("a.l0", "h"): np.zeros((1, 3, 2)),
                    layer_key("a.l0", "dh"): np.zeros((1, 4, 2))})

    def mislabelled(path):
        np.savez(path, step=np.int64(999), loss=np.float64(1))

    def empty(path):
        path.write_bytes(b"")

    return {"truncated": truncated, "garbage": garbage, "pickled": pickled, "bomb": bomb,
            "wrong shape": wrong_shape, "mislabelled": mislabelled, "empty": empty}


def test_hostile_files_are_skipped_with_a_message(logdir):
    folder = logdir / "model"
    makers = _hostile_files(folder)
    steps = {}
    for k, (what, make) in enumerate(makers.items()):
        step = 100 + k
        make(folder / logformat.step_file(step))
        steps[step] = what
    (folder / ".tmp-abc.part").write_bytes(b"half written")     # never a step
    run = engine.open_logdir(logdir)["model"]
    assert run.steps == [0, 10, 20, *steps]
    for step, what in steps.items():
        with pytest.raises(ValueError, match="was skipped") as err:
            run.read(step)
        assert logformat.step_file(step) in str(err.value), what
    history = run.history()     # scalars only: the bad layer of "wrong shape" is not read
    wrong = next(s for s, what in steps.items() if what == "wrong shape")
    assert list(history["step"]) == [0, 10, 20, wrong]
    assert len(run.problems) == len(steps)


def test_bad_meta_and_not_a_folder(tmp_path):
    (tmp_path / "meta.json").write_text("{not json")
    run = engine.open_logdir(tmp_path)[tmp_path.name]
    assert run.meta == {} and "meta.json was ignored" in run.problems[0]
    with pytest.raises(ValueError, match="not a folder"):
        engine.open_logdir(tmp_path / "nothing")


def test_json_nested_past_the_recursion_limit_is_skipped_not_fatal(logdir):
    """100 kB of "[" raised RecursionError out of open_logdir: one hostile file ended the
    listing of every run."""
    folder = logdir / "model"
    deep = "[" * 100_000 + "]" * 100_000
    (folder / logformat.summary_file(10)).write_text(deep)
    (folder / "meta.json").write_text(deep)
    run = engine.open_logdir(logdir)["model"]
    assert run.meta == {} and "nests arrays or objects too deeply" in run.problems[0]
    assert list(run.history()["step"]) == [0, 10, 20]      # step 10 read from its .npz


def test_logdir_comes_from_the_server_only(tmp_path):
    assert logdir_mode.parse(["--server.port", "1", "--logdir", "x"]) == \
        (["--server.port", "1"], "x")
    assert logdir_mode.parse(["--logdir=y"]) == ([], "y")
    with pytest.raises(ValueError, match="needs a folder"):
        logdir_mode.parse(["--logdir"])
    assert logdir_mode.logdir([], {}) is None
    assert logdir_mode.logdir([], {"BPTTSCOPE_LOGDIR": str(tmp_path)}) == str(tmp_path)
    with pytest.raises(ValueError, match="no folder there"):
        logdir_mode.check(str(tmp_path / "missing"))


def test_cli_refuses_a_missing_logdir(tmp_path, capsys):
    from dashboard import cli
    assert cli.main(["--logdir", str(tmp_path / "missing")]) == 2
    assert "no folder there" in capsys.readouterr().err


def test_dashboard_opens_a_logdir(logdir, monkeypatch):
    monkeypatch.setenv("BPTTSCOPE_LOGDIR", str(logdir))
    at = app()
    at.query_params["logdir"] = "/etc"          # a browser cannot choose a folder
    at.run()
    assert not at.exception, at.exception
    assert not at.error and not at.warning, (at.error, at.warning)
    assert at.selectbox(key="rec_run").value == "model"
    assert at.select_slider(key="rec_step").value == 20       # the newest step
    assert "/etc" not in str(at.sidebar.caption[0].value)
    titles = [json.loads(spec)["layout"]["title"]["text"] for spec in charts(at)]
    assert any(t.startswith("norms_before") for t in titles)
    assert any(t.startswith("dh split") for t in titles)
    assert any(t.startswith("depth × time") for t in titles)
    assert any(t.startswith("whh_gradient_by_distance") for t in titles)
    assert any(t.startswith("gate_saturation") for t in titles)
    assert any(t.startswith("dh_norms") for t in titles)
    # the lower layer's charts say what enters it
    assert any("layer above" in t for t in titles)
    at.selectbox(key="rec_layer").select("rnn.l1").run()
    assert not at.exception, at.exception
    assert "not shown here" in " ".join(i.value for i in at.info)


def test_dashboard_on_an_empty_logdir(tmp_path, monkeypatch):
    monkeypatch.setenv("BPTTSCOPE_LOGDIR", str(tmp_path))
    at = app()
    at.run()
    assert not at.exception
    assert "No recorded run" in at.info[0].value


def test_meta_is_json(logdir):
    meta = json.loads((logdir / "model" / "meta.json").read_text())
    assert meta["format"] == logformat.FORMAT
