"""The character vocabulary (corpus checks live in corpus.py)."""
from dataclasses import dataclass

import numpy as np

from .corpus import DEFAULT_MAX_BYTES, LARGE_VOCAB, corpus_warnings, load_corpus, read_capped
from .limits import MAX_VOCAB

__all__ = ["Vocab", "load_corpus", "read_capped", "corpus_warnings", "DEFAULT_MAX_BYTES",
           "MAX_VOCAB", "LARGE_VOCAB"]


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
        table = self._table
        return "".join([table[i] for i in np.asarray(ids, dtype=np.intp).tolist()])
