""".npz files read defensively: sizes are checked before anything is decompressed.

``numpy.load`` inflates a member in full before its caller can look at it, so a small
file that inflates to gigabytes (a zip bomb) costs that much memory first. Here the
zip's directory is read on its own (member count, each member's declared uncompressed
size, their total), then each member's .npy header (dtype and shape) is read and checked
against what its caller expects, and only then its data. zipfile never returns more than
a member's declared size, so the declared sizes bound the memory.
Never unpickles: object arrays are refused from their header.
"""
import math
import zipfile

import numpy as np

_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}
_MAX_DIRECTORY_BYTES = 1 << 20      # 1 MB of zip directory: thousands of members


class Npz:
    """An open .npz whose members are read one at a time, on request, after checks.

    ``limits``: ``members`` (count), ``member_bytes`` (each, uncompressed) and
    ``total_bytes`` (all). ValueError for anything beyond them, or not a plain .npz."""

    def __init__(self, source, members, member_bytes, total_bytes):
        self._zip = _open_zip(source)
        try:
            infos = self._zip.infolist()
            if len(infos) > members:
                raise ValueError(f"it has {len(infos):,} members; a checkpoint has at most "
                                 f"{members:,}")
            self.sizes = {}
            for info in infos:
                if not info.filename.endswith(".npy") or info.is_dir():
                    raise ValueError(f"it holds {info.filename!r}, which is not a numpy "
                                     "array")
                if info.file_size > member_bytes:
                    raise ValueError(f"{info.filename} declares {info.file_size:,} bytes "
                                     f"uncompressed; the limit is {member_bytes:,}")
                self.sizes[info.filename[:-4]] = info.file_size
            total = sum(self.sizes.values())
            if total > total_bytes:
                raise ValueError(f"its members declare {total:,} bytes uncompressed in "
                                 f"all; the limit is {total_bytes:,}")
        except Exception:
            self._zip.close()
            raise

    @property
    def files(self):
        return list(self.sizes)

    def read(self, key, max_bytes=None, max_ndim=None):
        """The array ``key``, after checking from its header that its data is at most
        ``max_bytes`` (and at most its declared size) and has at most ``max_ndim`` axes."""
        limit = self.sizes[key] if max_bytes is None else min(max_bytes, self.sizes[key])
        try:
            with self._zip.open(key + ".npy") as f:
                version = np.lib.format.read_magic(f)
                reader = _HEADER_READERS.get(version)
                if reader is None:
                    raise ValueError(f"{key} uses .npy format {version}, which is not read")
                shape, fortran, dtype = reader(f)
                if dtype.hasobject or dtype.names is not None or dtype.subdtype is not None:
                    raise ValueError(f"{key} holds Python objects or records, which are "
                                     "never loaded")
                if max_ndim is not None and len(shape) > max_ndim:
                    raise ValueError(f"{key} has {len(shape)} axes; expected at most "
                                     f"{max_ndim}")
                nbytes = math.prod(shape) * dtype.itemsize
                if nbytes > limit:
                    raise ValueError(f"{key} declares {nbytes:,} bytes of data; expected at "
                                     f"most {limit:,}")
                data = f.read(nbytes)
                if len(data) != nbytes:
                    raise ValueError(f"{key} is truncated")
                if f.read(1):
                    raise ValueError(f"{key} has data beyond its array")
        except ValueError:
            raise
        except Exception as err:    # bad CRC, corrupt deflate stream, malformed header
            raise ValueError(f"{key} cannot be read ({type(err).__name__}: {err})") from None
        return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")

    def close(self):
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _open_zip(source):
    try:
        _check_directory_size(source)
        return zipfile.ZipFile(source)
    except ValueError:
        raise
    except Exception as err:      # not a zip, truncated, unreadable
        raise ValueError(f"it is not a readable .npz (zip) file ({type(err).__name__}: "
                         f"{err})") from None


def _check_directory_size(source):
    """Refuse a huge zip directory before zipfile parses it into memory: read the end
    record (zipfile's own reader for it) and look at the directory's size and count."""
    end_record = getattr(zipfile, "_EndRecData", None)
    if end_record is None:      # a Python without it: the member count is checked after
        return
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        with open(source, "rb") as f:
            rec = end_record(f)
    else:
        start = source.tell()
        rec = end_record(source)
        source.seek(start)
    if rec is None:
        raise ValueError("it is not a zip file (no end-of-directory record)")
    if rec[zipfile._ECD_SIZE] > _MAX_DIRECTORY_BYTES:
        raise ValueError(f"its zip directory is {rec[zipfile._ECD_SIZE]:,} bytes; a "
                         "checkpoint's is a few kilobytes")
