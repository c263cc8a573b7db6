"""Atomic file writing: every file sdmission writes goes through here.

A write goes to a temporary file beside the target and is moved into place with ``os.replace``, so an
interrupted or failed write leaves any earlier file untouched and no temporary file behind.
"""

from __future__ import annotations

import csv
import errno
import glob
import io
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from sdmission.errors import SdmissionError


class WriteError(SdmissionError):
    """A file could not be written (no space left, no permission, a folder in the way …)."""


def describe_os_error(exc: OSError) -> str:
    """``strerror`` of an OSError (``'No space left on device'``), or its text when it has none."""
    return exc.strerror or str(exc)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def atomic_write(path: Path | str, write: Callable[[Path], None], *, mode: int | None = None) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place.

    ``mode`` is the file's permission bits (default: ``0o666`` less the umask, as for any output;
    the cache passes ``0o600``). An ``OSError`` (full disk, no permission, a folder in the way)
    becomes a :class:`WriteError` naming the file and the cause; the earlier file is untouched and
    no temporary file is left behind.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(target))
        remove_stale_temporaries(target)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise WriteError(f"cannot write {target}: {describe_os_error(exc)}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, (0o666 & ~_umask()) if mode is None else mode)  # mkstemp creates 0600
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteError(f"cannot write {target}: {describe_os_error(_real_cause(tmp.parent, exc))}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


#: Free space (bytes) below which a vague write failure is taken for a full disk.
FULL_DISK_BYTES = 2**20


def _real_cause(folder: Path, exc: OSError) -> OSError:
    """A full disk behind a library's 'Permission denied' / I/O error on a file we just created.

    netCDF/HDF5 report a full disk as ``EACCES`` (or ``EIO``); the temporary file was created in
    ``folder``, so permission was not the problem. With less than :data:`FULL_DISK_BYTES` free,
    the cause is named ``No space left on device``.
    """
    if exc.errno not in (errno.EACCES, errno.EPERM, errno.EIO, None):
        return exc
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return exc
    if free < FULL_DISK_BYTES:
        return OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} ({free / 2**10:.0f} KiB free)")
    return exc


#: Age (seconds) after which a temporary file of ours is taken as left by a killed run.
STALE_SECONDS = 3600.0


def remove_stale_temporaries(target: Path, max_age: float = STALE_SECONDS) -> int:
    """Delete ``.<name>.*.tmp`` files beside ``target`` older than ``max_age`` (a killed write's)."""
    now = time.time()
    removed = 0
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        try:
            st = tmp.lstat()
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime > max_age:
                tmp.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def atomic_write_bytes(path: Path | str, data: bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (``mode`` as for :func:`atomic_write`)."""
    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    return atomic_write(path, write, mode=mode)


def atomic_write_text(path: Path | str, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return atomic_write(path, write)


def atomic_write_csv(rows: Sequence[Mapping[str, object]], path: Path | str) -> Path:
    """Write ``rows`` (dicts with the same keys; floats as ``%.6g``) to CSV atomically."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    return atomic_write_text(path, buf.getvalue())


def _nearest_existing(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _check_writable(folder: Path, shown: Path, key: str) -> None:
    """``folder`` exists (or can be made) and accepts a new file; raise WriteError otherwise."""
    base = _nearest_existing(folder)
    if not base.is_dir():
        raise WriteError(f"{key} {shown}: {base} is a file, not a folder")
    readonly = bool(os.statvfs(base).f_flag & os.ST_RDONLY)
    if readonly:
        raise WriteError(f"{key} {shown}: the folder {base} is on a read-only file system "
                         f"({os.strerror(errno.EROFS)})")
    if not os.access(base, os.W_OK | os.X_OK):
        raise WriteError(f"{key} {shown}: the folder {base} is not writable (Permission denied)")
    if base == folder.absolute():  # an existing folder: try it (a read-only file system says so)
        try:
            with tempfile.TemporaryFile(dir=base):
                pass
        except OSError as exc:
            raise WriteError(f"{key} {shown}: cannot write in {base}: {describe_os_error(exc)}") from exc


def check_output_folder(path: Path | str, key: str = "--out") -> Path:
    """Check an output folder before any work: not a file, writable (made later, when missing)."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise WriteError(f"{key} {folder}: is an existing file, not a folder; choose a folder")
    _check_writable(folder, folder, key)
    return folder


def check_output_file(path: Path | str, key: str = "--out", suffix: str | None = None) -> Path:
    """Check an output file before any work: the right suffix, not a folder, its folder writable."""
    target = Path(path)
    if suffix is not None and target.suffix != suffix:
        raise WriteError(f"{key} {target}: the output must be a {suffix} file")
    if target.is_dir():
        raise WriteError(f"{key} {target}: is a folder; give a file name ending in "
                         f"{suffix or 'the file type'}")
    if target.exists() and not target.is_file():
        raise WriteError(f"{key} {target}: is not a regular file")
    _check_writable(target.parent, target, key)
    return target


def library_write_error(folder: Path, need: float, exc: Exception) -> OSError:
    """The real cause behind a library's vague write error (netCDF's 'HDF error').

    When the folder has less free space than the write needed, the cause is a full disk
    (``ENOSPC``); otherwise the library's own message is kept.
    """
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if free is not None and free < need + 2**20:
        return OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} ({free / 2**20:.1f} MiB free, "
                                     f"about {need / 2**20:.1f} MiB needed)")
    return OSError(errno.EIO, f"the writer failed: {type(exc).__name__}: {exc}")
