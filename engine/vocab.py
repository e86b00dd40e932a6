"""Corpus validation and the character vocabulary."""
from dataclasses import dataclass

import numpy as np

from .errors import CorpusError

DEFAULT_MAX_BYTES = 5_000_000   # uploads above this are refused; say it in the UI
MAX_VOCAB = 10_000              # output layer and Adagrad memory grow with V * hidden
LARGE_VOCAB = 300               # above this we warn: slow and hard to learn


def load_corpus(data, max_bytes=DEFAULT_MAX_BYTES):
    """Validate ``data`` (bytes or str) and return it as text, or raise CorpusError."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        _check_size(len(raw), max_bytes)
        if b"\x00" in raw:
            raise CorpusError("This looks like a binary file (it contains NUL bytes), "
                              "not text. Upload a plain-text file (.txt) saved as UTF-8.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise CorpusError(f"This file is not valid UTF-8 text (bad byte at offset "
                              f"{err.start}). Save it as UTF-8 plain text and try again.") from None
    elif isinstance(data, str):
        text = data
        _check_size(len(text.encode("utf-8", "surrogatepass")), max_bytes)
        if "\x00" in text:
            raise CorpusError("This text contains NUL characters, so it looks like binary "
                              "data. Paste or upload plain text.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise CorpusError(f"This text contains an invalid character (a lone surrogate "
                              f"at position {err.start}); it cannot be saved as UTF-8. "
                              "Remove it and try again.") from None
    else:
        raise CorpusError(f"Expected text or bytes, got {type(data).__name__}.")
    if not text:
        raise CorpusError("The text is empty. Paste or upload some text to train on.")
    if not text.strip():
        raise CorpusError("The text contains only whitespace. Give the model some "
                          "characters to learn.")
    if _control_fraction(text) > 0.1:
        raise CorpusError("This looks like a binary file: more than 10% of its characters "
                          "are control codes. Upload a plain-text file instead.")
    n_chars = len(set(text))
    if n_chars < 2:
        raise CorpusError(f"The text uses a single distinct character ({text[0]!r}); there "
                          "is nothing to predict. Use a text with at least two different "
                          "characters.")
    if n_chars > MAX_VOCAB:
        raise CorpusError(f"The text uses {n_chars:,} distinct characters; the limit is "
                          f"{MAX_VOCAB:,}. Use a shorter or less varied text.")
    return text


def corpus_warnings(text):
    """Things worth telling the user about a valid corpus."""
    notes = []
    n_chars = len(set(text))
    if n_chars > LARGE_VOCAB:
        notes.append(f"The text uses {n_chars:,} distinct characters. The model works, but "
                     "each step is slower and most characters are rare, so learning is slow.")
    return notes


def _check_size(n_bytes, max_bytes):
    if n_bytes > max_bytes:
        raise CorpusError(f"The text is {n_bytes / 1e6:.1f} MB; the limit is "
                          f"{max_bytes / 1e6:.1f} MB. Use an excerpt: a few hundred KB is "
                          "plenty for a character model.")


def _control_fraction(text):
    sample = text[:100_000]
    bad = sum(1 for c in sample if (c < " " and c not in "\n\r\t\f\v") or c == "\x7f")
    return bad / len(sample)


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

    def __contains__(self, char):
        return char in self._index

    def encode(self, text):
        try:
            return np.fromiter((self._index[c] for c in text), dtype=np.intp, count=len(text))
        except KeyError as err:
            raise ValueError(f"Character {err.args[0]!r} is not in the vocabulary "
                             f"of this model.") from None

    def decode(self, ids):
        table = self._table
        return "".join([table[i] for i in np.asarray(ids, dtype=np.intp).tolist()])
