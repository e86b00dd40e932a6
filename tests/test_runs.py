"""Runs side by side: Trainer.fork and the comparisons, each phenomenon measured."""
import numpy as np
import pytest

import engine

PROSE = engine.read_sample("prose.txt")


def _arrays(tr):
    """Every array a trainer owns, by attribute name (views included)."""
    out = {k: v for k, v in vars(tr).items() if isinstance(v, np.ndarray)}
    for group in ("params", "mem"):
        out.update({f"{group}.{n}": a for n, a in getattr(tr, group).items()})
    return out


def test_fork_shares_no_array_and_copies_the_whole_state():
    tr = engine.Trainer(PROSE, hidden_size=30, seq_length=12)
    tr.run(7)
    twin = tr.fork()
    mine, theirs = _arrays(tr), _arrays(twin)
    assert mine.keys() == theirs.keys()
    for name in mine:
        # the encoded text is shared, read-only (a fork must not copy a 5 MB text)
        writable = mine[name].flags.writeable or theirs[name].flags.writeable
        assert not (writable and np.shares_memory(mine[name], theirs[name])), name
        np.testing.assert_array_equal(mine[name], theirs[name])
    assert twin.data is tr.data and not tr.data.flags.writeable
    assert (twin.iteration, twin.position, twin.smooth_loss) == \
        (tr.iteration, tr.position, tr.smooth_loss)
    assert twin.history.equals(tr.history)
    assert twin.trace is not tr.trace and twin.trace.loss == tr.trace.loss
    # training the fork leaves the original untouched
    before = tr._flat.copy(), tr._mem_flat.copy(), len(tr.history)
    twin.run(3)
    np.testing.assert_array_equal(tr._flat, before[0])
    np.testing.assert_array_equal(tr._mem_flat, before[1])
    assert len(tr.history) == before[2] and len(twin.history) == before[2] + 3


def test_unchanged_fork_continues_bit_identically_across_a_wrap():
    tr = engine.Trainer(PROSE[:400], hidden_size=20, seq_length=25)
    tr.run(5)
    twin = tr.fork()
    for _ in range(40):             # 400 characters: several wraps of the data pointer
        a, b = tr.step(), twin.step()
        assert a.position == b.position
        for name in ("hs", "ps", "dy", "dh", "dhraw", "dhnext", "dhprev", "flat_clipped"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(tr._flat, twin._flat) and tr.smooth_loss == twin.smooth_loss
    assert tr.history.equals(twin.history)


def test_fork_with_changes_applies_them_to_the_fork_only():
    tr = engine.Trainer(PROSE, hidden_size=20)
    tr.step()
    twin = tr.fork(clip="none", learning_rate=0.01, optimizer="sgd", threshold=2.0)
    assert twin.settings()["clip"] == "none" and twin.config.learning_rate == 0.01
    assert tr.settings()["clip"] == "value" and tr.config.learning_rate == 0.1
    a, b = tr.step(), twin.step()
    np.testing.assert_array_equal(a.grads["Whh"], b.grads["Whh"])  # same window, weights
    assert not np.array_equal(tr._flat, twin._flat)                # different updates


@pytest.mark.parametrize("changes, name", [
    ({"hidden_size": 30}, "hidden_size"), ({"learning_rate": -1.0}, "learning_rate"),
    ({"clip": "sometimes"}, "clip"), ({"optimizer": "adam"}, "optimizer"),
    ({"threshold": 0.0}, "threshold")])
def test_bad_fork_changes_name_the_setting(changes, name):
    tr = engine.Trainer(PROSE, hidden_size=10)
    with pytest.raises(ValueError, match=name):
        tr.fork(**changes)


def test_comparisons_have_what_the_dashboard_shows():
    assert {"clipping", "init", "seq-length", "optimizer"} <= set(engine.COMPARISONS)
    for comp in engine.COMPARISONS.values():
        assert comp.description and comp.look_for and 1 <= len(comp.runs) <= 4
        assert comp.corpus in engine.sample_text_names()


def test_runs_of_one_architecture_start_from_identical_weights():
    comp = engine.COMPARISONS["clipping"]
    runs = list(comp.trainers().values())
    first = [r.history_store.to_arrays()["grad_norm_global"][0] for r in runs]
    assert first[0] == first[1] == first[2]      # same weights, same first window
    fresh = [engine.Trainer(comp.text, **s) for s in comp.runs.values()]
    for r in fresh[1:]:
        np.testing.assert_array_equal(r._flat, fresh[0]._flat)


def _norms_before(trainer, n):
    """Global gradient norms before clipping for ``n`` more iterations, stopping at a
    divergence (None then ends the list)."""
    out = []
    for _ in range(n):
        try:
            out.append(trainer.step().norms_before["global"])
        except engine.DivergenceError:
            out.append(None)
            break
    return out


def test_clipping_comparison_phenomenon():
    runs = engine.COMPARISONS["clipping"].trainers()
    none, norm = runs["clip none"], runs["clip norm 5"]
    seen = list(none.history["grad_norm_global"]) + _norms_before(none, 99)
    assert None in seen or max(seen) > 1e3
    start = norm.iteration                             # the comparison's warm-up
    _norms_before(norm, 299)
    assert norm.iteration == start + 299               # no divergence
    loss = norm.history["loss"].to_numpy()
    assert loss[-50:].mean() < loss[:50].mean() - 1.0  # and it learns
    # the clipped update never exceeds the threshold
    assert norm.history["clipped_norm_global"].max() <= 5.0 + 1e-9


def test_init_comparison_reach_differs_by_decades_early():
    runs = engine.COMPARISONS["init"].trainers()
    reach = {name: tr.history["reach"].iloc[0] for name, tr in runs.items()}
    assert reach["Whh gaussian"] < 1e-15
    assert reach["Whh orthogonal"] > 1e10 * reach["Whh gaussian"]
    assert reach["Whh identity"] > 1e10 * reach["Whh gaussian"]


def test_seq_length_comparison_norm_grows_with_T():
    runs = engine.COMPARISONS["seq-length"].trainers()
    medians = []
    for name in ("T 10", "T 25", "T 50"):
        tr = runs[name]
        tr.run(100 - tr.iteration)
        medians.append(np.median(tr.history["grad_norm_global"]))
    assert medians[0] < medians[1] < medians[2]


@pytest.mark.slow       # trains a comparison
def test_optimizer_comparison_same_start_different_fates():
    runs = engine.COMPARISONS["optimizer"].trainers()
    first = {n: tr.history["loss"].iloc[0] for n, tr in runs.items()}
    assert len(set(first.values())) == 1
    for tr in runs.values():
        tr.run(1500 - tr.iteration)
    late = {n: tr.history["loss"].iloc[-300:].mean() for n, tr in runs.items()}
    start = first["adagrad lr 0.1"]
    assert late["adagrad lr 0.1"] < start - 10
    assert late["sgd lr 0.01"] < start - 10
    assert late["sgd lr 0.1"] > 10 * start


def test_an_lstm_fork_carries_its_own_cell_state():
    tr = engine.Trainer(engine.read_sample("long_gap.txt"), hidden_size=16, cell="lstm")
    tr.run(4)
    twin = tr.fork()
    assert twin.cprev is not None and not np.shares_memory(twin.cprev, tr.cprev)
    np.testing.assert_array_equal(twin.cprev, tr.cprev)
    for _ in range(5):
        a, b = tr.step(), twin.step()
        assert np.array_equal(a.cs, b.cs) and np.array_equal(a.flat_clipped, b.flat_clipped)


def test_cells_comparison_runs_the_three_cells_on_the_long_gap():
    comp = engine.COMPARISONS["cells"]
    assert comp.corpus == "long_gap.txt"
    runs = comp.trainers()
    assert [tr.config.cell for tr in runs.values()] == ["rnn", "lstm", "gru"]
    assert len({tr.config.hidden_size for tr in runs.values()}) == 1
    G = {name: engine.loss_to_state(tr.trace, tr.trace.params) for name, tr in runs.items()}
    assert all(g.shape == (25, 25) for g in G.values())
