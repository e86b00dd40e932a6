"""Corpus validation: is this text something a character model can train on?

Every check looks at the whole text, and costs a few milliseconds for the largest one
allowed: control codes are counted with ``bytes.translate`` and per-block sums over the
encoded bytes, never with a Python loop over characters.
"""
import os
import stat

import numpy as np

from .errors import CorpusError
from .limits import MAX_VOCAB, Limit

DEFAULT_MAX_BYTES = 5_000_000   # uploads above this are refused; say it in the UI
LARGE_VOCAB = 300               # above this we warn: slow and hard to learn

UTF8_BOM = b"\xef\xbb\xbf"
# Control codes other than the whitespace ones text legitimately holds. In UTF-8 these
# bytes never occur inside a multi-byte character, so counting bytes counts characters.
CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
CONTROL_SHARE = 0.10        # more than this over the whole text: binary
BLOCK = 4096                # ... or more than half of any block of this many bytes
BLOCK_SHARE = 0.5
_IS_CONTROL = np.zeros(256, dtype=bool)
_IS_CONTROL[list(CONTROL_BYTES)] = True

_MAX_BYTES_LIMIT = Limit(int, 1, 10**10)


def load_corpus(data, max_bytes=DEFAULT_MAX_BYTES):
    """Validate ``data`` and return it as text, or raise CorpusError.

    ``data`` is text (str), bytes, a binary file object or a path (``os.PathLike``);
    files and streams are read up to ``max_bytes + 1`` bytes, never further. A leading
    UTF-8 byte-order mark is dropped before anything is checked."""
    max_bytes = _MAX_BYTES_LIMIT.check("max_bytes", max_bytes)
    if isinstance(data, os.PathLike):
        data = read_capped(data, max_bytes)
    elif hasattr(data, "read") and not isinstance(data, (str, bytes, bytearray)):
        data = _read_stream(data, max_bytes, "The stream")
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        _check_size(len(raw), max_bytes)
        _check_not_utf16(raw)
        had_bom = raw.startswith(UTF8_BOM)
        if had_bom:
            raw = raw[len(UTF8_BOM):]
        if b"\x00" in raw:
            raise CorpusError("This looks like a binary file (it contains NUL bytes), "
                              "not text. Upload a plain-text file (.txt) saved as UTF-8.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            offset = err.start + (len(UTF8_BOM) if had_bom else 0)
            raise CorpusError(f"This file is not valid UTF-8 text (bad byte at offset "
                              f"{offset:,}). Save it as UTF-8 plain text and try "
                              "again.") from None
    elif isinstance(data, str):
        text = data
        raw = text.encode("utf-8", "surrogatepass")
        _check_size(len(raw), max_bytes)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise CorpusError(f"This text contains an invalid character (a lone surrogate "
                              f"at position {err.start:,}); it cannot be saved as UTF-8. "
                              "Remove it and try again.") from None
        _check_not_utf16(raw)
        had_bom = text.startswith("\ufeff")
        if had_bom:
            text, raw = text[1:], raw[len(UTF8_BOM):]
        if "\x00" in text:
            raise CorpusError("This text contains NUL characters, so it looks like binary "
                              "data. Paste or upload plain text.")
    else:
        raise CorpusError(f"Expected text or bytes, got {type(data).__name__}.")
    if not text:
        if had_bom:
            raise CorpusError("The file holds only a byte-order mark (an invisible marker "
                              "some editors put at the start of a file) and no text. "
                              "Paste or upload some text to train on.")
        raise CorpusError("The text is empty. Paste or upload some text to train on.")
    if not text.strip():
        raise CorpusError("The text contains only whitespace. Give the model some "
                          "characters to learn.")
    _check_control_codes(raw, len(text))
    n_chars = len(set(text))
    if n_chars < 2:
        raise CorpusError(f"The text uses a single distinct character ({text[0]!r}); there "
                          "is nothing to predict. Use a text with at least two different "
                          "characters.")
    if n_chars > MAX_VOCAB:
        raise CorpusError(f"The text uses {n_chars:,} distinct characters; the limit is "
                          f"{MAX_VOCAB:,}. Use a shorter or less varied text.")
    return text


def read_capped(path, max_bytes=DEFAULT_MAX_BYTES):
    """The bytes of the file at ``path``: CorpusError, having read at most
    ``max_bytes + 1`` bytes, if it is larger (so ``/dev/zero`` is refused, not read
    forever). OSError (missing, a directory, unreadable) passes through."""
    with open(path, "rb") as f:
        info = os.fstat(f.fileno())
        if stat.S_ISREG(info.st_mode):
            _check_size(info.st_size, max_bytes)    # the exact size, before reading
        return _read_stream(f, max_bytes, "The file")


def _read_stream(stream, max_bytes, what):
    data = stream.read(max_bytes + 1)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if not isinstance(data, (bytes, bytearray)):
        raise CorpusError(f"{what} did not give bytes or text (got {type(data).__name__}).")
    if len(data) > max_bytes:
        raise CorpusError(f"{what} is larger than the limit of {max_bytes:,} bytes"
                          f"{_mb(max_bytes)}. Use an excerpt: a few hundred KB is plenty "
                          "for a character model.")
    return bytes(data)


def corpus_warnings(text):
    """Things worth telling the user about a valid corpus."""
    notes = []
    n_chars = len(set(text))
    if n_chars > LARGE_VOCAB:
        notes.append(f"The text uses {n_chars:,} distinct characters. The model works, but "
                     "each step is slower and most characters are rare, so learning is slow.")
    return notes


def _mb(n_bytes):
    return f" ({n_bytes / 1e6:.1f} MB)" if n_bytes >= 1e6 else ""


def _check_size(n_bytes, max_bytes):
    if n_bytes > max_bytes:
        # exact byte counts: "5.0 MB; the limit is 5.0 MB" would hide a 1-byte difference
        raise CorpusError(f"The text is {n_bytes:,} bytes{_mb(n_bytes)}; the limit is "
                          f"{max_bytes:,} bytes{_mb(max_bytes)}. Use an excerpt: a few "
                          "hundred KB is plenty for a character model.")


def _check_not_utf16(raw):
    """UTF-16 and UTF-32 files are text, just not UTF-8: say so, not 'binary'."""
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        encoding = "UTF-32"
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "UTF-16"
    elif len(raw) >= 4 and b"\x00" in raw:
        # Latin text in UTF-16 has a NUL in every other byte and (almost) none between;
        # decoded that way, it must then read as text (binary data with such a pattern
        # does not)
        even, odd = raw[0::2].count(0), raw[1::2].count(0)
        half = len(raw) // 2
        if not (max(even, odd) > 0.4 * half and min(even, odd) < 0.05 * half):
            return
        decoded = raw[: len(raw) // 2 * 2].decode("utf-16-le" if odd > even else "utf-16-be",
                                                  errors="replace")
        bad = sum(decoded.count(c) for c in ("\ufffd", "\x00"))
        encoded = decoded.encode("utf-8", "replace")
        n_control = len(encoded) - len(encoded.translate(None, CONTROL_BYTES))
        if bad + n_control > CONTROL_SHARE * len(decoded):
            return
        encoding = "UTF-16"
    else:
        return
    raise CorpusError(f"This file is {encoding} text, not UTF-8. Open it in a text editor "
                      "and save it as UTF-8, then upload it again.")


def _check_control_codes(raw, n_chars):
    n_control = len(raw) - len(raw.translate(None, CONTROL_BYTES))
    if n_control == 0:
        return
    if n_control > CONTROL_SHARE * n_chars:
        raise CorpusError(f"This looks like a binary file: {n_control:,} of its {n_chars:,} "
                          f"characters ({n_control / n_chars:.0%}) are control codes. Upload "
                          "a plain-text file instead.")
    codes = _IS_CONTROL[np.frombuffer(raw, dtype=np.uint8)]
    n_blocks = -(-len(codes) // BLOCK)
    padded = np.zeros(n_blocks * BLOCK, dtype=bool)
    padded[: len(codes)] = codes
    per_block = padded.reshape(n_blocks, BLOCK).sum(axis=1)
    sizes = np.full(n_blocks, BLOCK)
    sizes[-1] = len(codes) - BLOCK * (n_blocks - 1)
    dense = np.flatnonzero(per_block > BLOCK_SHARE * np.maximum(sizes, 16))
    if len(dense):
        start = int(dense[0]) * BLOCK
        raise CorpusError(f"This looks like a binary file: the bytes from offset {start:,} "
                          f"on are mostly control codes ({int(per_block[dense[0]]):,} in "
                          f"{int(sizes[dense[0]]):,} bytes). Upload a plain-text file, or "
                          "remove the binary part.")
