"""The character vocabulary (corpus checks live in corpus.py)."""
from dataclasses import dataclass

import numpy as np

from .corpus import DEFAULT_MAX_BYTES, LARGE_VOCAB, corpus_warnings, load_corpus, read_capped
from .limits import MAX_VOCAB

__all__ = ["Vocab", "check_ids", "load_corpus", "read_capped", "corpus_warnings",
           "DEFAULT_MAX_BYTES", "MAX_VOCAB", "LARGE_VOCAB"]


@dataclass(frozen=True)
class Vocab:
    """The sorted set of characters of a corpus, as min-char-rnn builds it."""

    chars: str

    @classmethod
    def from_text(cls, text):
        return cls("".join(sorted(set(text))))

    def __post_init__(self):
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(self.chars)})
        object.__setattr__(self, "_table", list(self.chars))

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        try:
            return np.fromiter((self._index[c] for c in text), dtype=np.intp, count=len(text))
        except KeyError as err:
            raise ValueError(f"Character {err.args[0]!r} is not in the vocabulary "
                             f"of this model.") from None

    def decode(self, ids):
        """The text of character ids 0..V-1; ValueError for anything else (a cast took
        -1 for the last character, 1.7 for 1 and True for 1; 99 raised IndexError)."""
        table = self._table
        return "".join([table[i] for i in check_ids("ids", ids, len(table)).tolist()])


def check_ids(name, values, V):
    """``values`` as an intp vector of character ids 0..V-1 (V: the vocabulary's size,
    Why's rows). One checker for every entry point that takes ids. A cast alone
    would wrap -1 to the last character, cut 1.7 to 1 and take True for 1."""
    try:
        ids = np.asarray(values)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} is not a sequence of character ids ({err}).") from None
    if ids.dtype.kind in "US":
        raise ValueError(f"{name} must be character ids, not text: engine.Vocab turns a "
                         f"text into ids (Vocab.from_text(text).encode(text)).")
    if ids.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence of character ids; got shape "
                         f"{ids.shape}.")
    if ids.dtype.kind not in "iuf" or ids.dtype.names is not None or \
            (ids.dtype.kind == "f" and not np.array_equal(ids, np.trunc(ids))):
        raise ValueError(f"{name} must hold whole numbers (character ids); got values of "
                         f"type {ids.dtype}" + (", not all whole" if ids.dtype.kind == "f"
                                                else "") + ".")
    if ids.size and not (ids.min() >= 0 and ids.max() < V):
        bad = ids[(ids < 0) | (ids >= V)][0]
        raise ValueError(f"{name} holds the id {bad:g}; character ids run from 0 to {V - 1} "
                         f"(a vocabulary of {V} characters: Why has a row for each).")
    return ids.astype(np.intp, copy=False)
