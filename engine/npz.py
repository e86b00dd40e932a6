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
import os
import stat
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
        try:
            self._zip, self._owned = _open_zip(source, total_bytes)
        except ValueError:
            raise
        except FileNotFoundError:
            raise ValueError("there is no such file") from None
        except IsADirectoryError:
            raise ValueError("it is a folder, not a file") from None
        except Exception as err:      # unreadable, not a zip, truncated
            raise ValueError(f"it is not a readable .npz (zip) file ({type(err).__name__}: "
                             f"{err})") from None
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
            self.close()
            raise

    @property
    def files(self):
        return list(self.sizes)

    def data_bytes(self, key):
        """The size of array ``key``'s data as its header declares it (only the header
        is read)."""
        try:
            with self._zip.open(key + ".npy") as f:
                shape, dtype, _ = _header(f, key)
        except ValueError:
            raise
        except Exception as err:
            raise ValueError(f"{key} cannot be read ({type(err).__name__}: {err})") from None
        return math.prod(shape) * dtype.itemsize

    def read(self, key, max_bytes=None, max_ndim=None):
        """The array ``key``, after checking from its header that its data is at most
        ``max_bytes`` (and at most its declared size) and has at most ``max_ndim`` axes."""
        limit = self.sizes[key] if max_bytes is None else min(max_bytes, self.sizes[key])
        try:
            with self._zip.open(key + ".npy") as f:
                shape, dtype, fortran = _header(f, key)
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
        if self._owned is not None:     # the file this object opened from a path
            self._owned.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _header(f, key):
    """(shape, dtype, fortran order) from the .npy header at the start of ``f``."""
    version = np.lib.format.read_magic(f)
    reader = _HEADER_READERS.get(version)
    if reader is None:
        raise ValueError(f"{key} uses .npy format {version}, which is not read")
    shape, fortran, dtype = reader(f)
    if dtype.hasobject or dtype.names is not None or dtype.subdtype is not None:
        raise ValueError(f"{key} holds Python objects or records, which are never loaded")
    return shape, dtype, fortran


def _open_zip(source, total_bytes):
    """A ZipFile on ``source``. A path is opened here, and only if it names a regular
    file no larger than ``total_bytes`` (os.stat before opening, fstat after: a device
    such as /dev/zero, a FIFO or a folder would be read without end, or block); an
    open file is checked the same way through its descriptor."""
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        _check_regular(os.stat(source), total_bytes + _MAX_DIRECTORY_BYTES)
        f = open(source, "rb")
    else:
        f = source
    try:
        fileno = getattr(f, "fileno", None)
        try:
            fd = fileno() if fileno is not None else None
        except (OSError, ValueError):     # io.BytesIO and friends: bounded in memory
            fd = None
        if fd is not None:
            _check_regular(os.fstat(fd), total_bytes + _MAX_DIRECTORY_BYTES)
        _check_directory_size(f)
        return zipfile.ZipFile(f), (f if f is not source else None)
    except BaseException:
        if f is not source:
            f.close()
        raise


def _check_regular(info, total_bytes):
    if stat.S_ISDIR(info.st_mode):
        raise ValueError("it is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("it is not a regular file (a device, a FIFO or a socket); a "
                         "checkpoint is a .npz file saved by BPTT Scope")
    if info.st_size > total_bytes:
        raise ValueError(f"it is {info.st_size:,} bytes; a checkpoint is at most "
                         f"{total_bytes:,}")


def _check_directory_size(source):
    """Refuse a huge zip directory before zipfile parses it into memory: read the end
    record (zipfile's own reader for it) and look at the directory's size and count."""
    end_record = getattr(zipfile, "_EndRecData", None)
    if end_record is None:      # a Python without it: the member count is checked after
        return
    start = source.tell()
    rec = end_record(source)
    source.seek(start)
    if rec is None:
        raise ValueError("it is not a zip file (no end-of-directory record)")
    if rec[zipfile._ECD_SIZE] > _MAX_DIRECTORY_BYTES:
        raise ValueError(f"its zip directory is {rec[zipfile._ECD_SIZE]:,} bytes; a "
                         "checkpoint's is a few kilobytes")
