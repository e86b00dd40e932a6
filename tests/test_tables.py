"""The tiny model's tables: redoing the backward pass with the numbers as shown (rounded
to 4 significant digits) gives the shown results to within that rounding."""
import re

import numpy as np
import pytest

import engine
from dashboard.charts import tables


def shown(value):
    return float(tables.num(value).replace("−", "-"))


def ulp(value):
    """Half a unit of the last shown digit: the rounding of ``num``."""
    text = tables.num(value)
    if text == "0":
        return 0.0
    mantissa = text.replace("−", "-").split("e")[0]
    exponent = int(text.split("e")[1]) if "e" in text else 0
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 0.5 * 10.0 ** (exponent - decimals)


def shown_table(table):
    values = np.vectorize(shown)(table.values)
    errors = np.vectorize(ulp)(table.values)
    return values, errors


@pytest.fixture(scope="module")
def tiny():
    preset = engine.PRESETS["tiny"]
    tr = engine.Trainer(preset.text, **preset.settings)
    tr.run(preset.steps)
    return tr


def within(result, result_err, computed, computed_err):
    """|computed - shown result| within both roundings (plus float slack)."""
    return np.all(np.abs(computed - result) <= result_err + computed_err + 1e-12)


@pytest.mark.parametrize("t", range(4))
def test_backward_arithmetic_with_the_shown_numbers(tiny, t):
    trace, chars = tiny.trace, tiny.vocab.chars
    assert tables.hand_sized(trace, len(chars))
    per_char, per_unit = tables.step_tables(trace, chars, t)
    Why_t, Whh_t = tables.weight_tables(trace, chars)
    (x, p, onehot, dy), (x_e, p_e, o_e, dy_e) = (np.array(a).T for a in shown_table(per_char))
    assert within(dy, dy_e, p - onehot, p_e)                              # dy = p - onehot
    (h, from_out, dhnext, dh, tanh_grad, dhraw, handed), errs = shown_table(per_unit)
    h_e, from_out_e, dhnext_e, dh_e, tg_e, dhraw_e, handed_e = errs
    Why, Why_e = shown_table(Why_t)
    Whh, Whh_e = shown_table(Whh_t)
    # Why^T dy, one product at a time, with the error each rounded factor brings
    product = Why.T @ dy
    product_err = np.abs(Why.T) @ dy_e + Why_e.T @ np.abs(dy) + Why_e.T @ dy_e
    assert within(from_out, from_out_e, product, product_err)
    assert within(dh, dh_e, from_out + dhnext, from_out_e + dhnext_e)
    assert within(tanh_grad, tg_e, 1 - h * h, 2 * np.abs(h) * h_e + h_e ** 2)
    assert within(dhraw, dhraw_e, tanh_grad * dh,
                  np.abs(tanh_grad) * dh_e + tg_e * np.abs(dh) + tg_e * dh_e)
    handed_back = Whh.T @ dhraw
    handed_err = np.abs(Whh.T) @ dhraw_e + Whh_e.T @ np.abs(dhraw) + Whh_e.T @ dhraw_e
    assert within(handed, handed_e, handed_back, handed_err)
    if t == trace.T - 1:
        assert not dhnext.any()                         # shown as exact zeros
    if t > 0:                                           # handed to the step before
        before = shown_table(tables.step_tables(trace, chars, t - 1)[1])[0][2]
        assert np.array_equal(before, handed)
    # x_t is the input's one-hot, p_t sums to 1 within rounding
    assert x[int(trace.inputs[t])] == 1 and x.sum() == 1
    assert abs(p.sum() - 1) <= p_e.sum() + 1e-12


def test_gradients_mark_exactly_the_clipped_entries(tiny):
    trace = tiny.trace
    grads = tables.gradient_tables(trace, tiny.vocab.chars)
    marked = sum(int(t.marked.sum()) for t in grads)
    assert marked == engine.EXERCISES["clipped-entries"].answer({"tiny": tiny}) > 0
    for table in grads:
        assert np.all(table.marked == (np.abs(table.values) > trace.threshold))
    html = tables.tables_html(grads)
    assert html.count("✂") == marked


def test_numbers_have_four_significant_digits():
    assert tables.num(1.0) == "1.000"
    assert tables.num(-0.43621) == "−0.4362"
    assert tables.num(0.0027) == "0.002700"
    assert tables.num(0) == "0"
    assert re.fullmatch(r"1\.235e\+0?5", tables.num(123456.0))


def test_large_models_get_no_tables():
    tr = engine.Trainer("hello world, a longer text" * 4, hidden_size=9, seq_length=4)
    tr.step()
    assert not tables.hand_sized(tr.trace, len(tr.vocab))
