"""What training changes in a Trainer, carried from one copy of a run to another.

The dashboard trains a session's runs in a separate process and shows copies of them in
the web server. After some iterations the training copy sends ``progress(trainer, rows)``
and the shown copy applies it with ``catch_up``: the weights, Adagrad's memory, the
carried state, the position, the iteration, the smooth loss, the last Trace and the new
rows of history. Everything else a step touches is scratch (Adagrad's spare buffer,
the step buffer), overwritten before it is read, so after ``catch_up`` the two copies
are the same run bit for bit and go on identically (tests/test_training_process.py).
The settings are not carried: a run's settings never change while it trains elsewhere.
"""

SCALARS = ("position", "iteration", "smooth_loss")


def progress(trainer, rows=0):
    """A picklable record of ``trainer``'s training state, with its history from row
    ``rows`` on (the rows the other copy already has)."""
    return {
        "flat": trainer._flat.copy(),
        "mem": trainer._mem_flat.copy(),
        "hprev": trainer.hprev.copy(),
        "cprev": None if trainer.cprev is None else trainer.cprev.copy(),
        **{k: getattr(trainer, k) for k in SCALARS},
        "trace": trainer.trace,
        "rows": rows,
        "history": trainer.history_store.rows_since(rows),
    }


def catch_up(trainer, record):
    """Apply ``progress`` (taken from a copy of ``trainer`` that had trained on from the
    same state) to ``trainer``. ValueError if it belongs to another run."""
    if record["flat"].shape != trainer._flat.shape or \
            record["rows"] != len(trainer.history_store):
        raise ValueError("This progress was taken from another run (its shape or its "
                         "history does not match).")
    trainer._flat[...] = record["flat"]          # in place: the named views stay valid
    trainer._mem_flat[...] = record["mem"]
    trainer._mem_peak = None                     # its bound is measured again (_update)
    trainer.hprev = record["hprev"]
    trainer.cprev = record["cprev"]
    for k in SCALARS:
        setattr(trainer, k, record[k])
    trainer.trace = record["trace"]
    trainer.history_store.extend(record["history"])
