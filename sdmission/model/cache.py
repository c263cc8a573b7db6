"""The on-disk cache (translations, batch IR, ensemble chunks): private, checked, authenticated.

Guarantees (see ``SECURITY.md``):

- every folder is created ``0700`` and every file ``0600``; a folder or file owned by another user
  is refused with a :class:`CacheError` (exit 1), and so is ``SDMISSION_CACHE`` naming a file;
- a folder of ours with looser permissions (an old cache, umask 000) is tightened to ``0700``;
- data that is read back and trusted (the batch IR, the hash of PySD's generated module) is
  *signed*: an HMAC-SHA256 with a per-user key kept in the cache root (``key``, ``0600``). A file
  whose signature does not match — truncated, tampered with, written by another program — is
  reported, deleted and rebuilt, never used;
- every write is atomic (:func:`sdmission.io.atomic_write`): a kill or a full disk leaves the
  earlier entry or none, never half a file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import sys
import time
from pathlib import Path

from sdmission.errors import SdmissionError
from sdmission.io import STALE_SECONDS, atomic_write_bytes, describe_os_error

__all__ = ["CacheError", "cache_dir", "check_file", "model_cache_folder", "note",
           "read_signed", "secure_folder", "write_signed"]

ENV = "SDMISSION_CACHE"
_MAGIC = b"SDMSIG1\n"
_KEY_FILE = "key"


class CacheError(SdmissionError):
    """The cache folder cannot be used safely (not a folder, another user's, unreadable …)."""


def note(message: str) -> None:
    """Tell the user about a cache entry that was rebuilt (stderr; never a warning that fails tests)."""
    print(f"note: {message}", file=sys.stderr)


def _where() -> str:
    return f"the cache folder (${ENV})" if os.environ.get(ENV) else "the cache folder"


def secure_folder(path: Path) -> Path:
    """Create ``path`` (``0700``) when missing; refuse it when it is not a folder or not ours."""
    try:
        if path.exists() and not path.is_dir():
            raise CacheError(f"{_where()} {path} is not a folder; point ${ENV} at a folder")
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
        if st.st_uid != os.getuid():
            raise CacheError(f"{_where()} {path} belongs to another user (uid {st.st_uid}); "
                             f"point ${ENV} at a folder of your own")
        if stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, 0o700)
    except OSError as exc:
        raise CacheError(f"cannot use {_where()} {path}: {describe_os_error(exc)}") from exc
    return path


def cache_dir() -> Path:
    """Root of the cache: ``$SDMISSION_CACHE`` or ``~/.cache/sdmission`` (``0700``, ours)."""
    root = os.environ.get(ENV)
    return secure_folder(Path(root) if root else Path.home() / ".cache" / "sdmission")


def model_cache_folder(digest: str) -> Path:
    """The cache folder of one model version: ``cache_dir()/<first 16 hex of its sha256>/``.

    Temporary files a killed write left there (``.*.tmp``, older than an hour) are removed.
    """
    folder = secure_folder(cache_dir() / digest[:16])
    now = time.time()
    for tmp in folder.glob(".*.tmp"):
        try:
            st = tmp.lstat()
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime > STALE_SECONDS:
                tmp.unlink()
        except OSError:
            continue
    return folder


def check_file(path: Path) -> bool:
    """True when ``path`` is a regular file of ours that only we can write (a symlink is refused)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise CacheError(f"cannot read cache file {path}: {describe_os_error(exc)}") from exc
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
        raise CacheError(f"cache file {path} is not a regular file of yours; delete it or point "
                         f"${ENV} at a folder of your own")
    if stat.S_IMODE(st.st_mode) & 0o022:
        os.chmod(path, 0o600)
    return True


def _key() -> bytes:
    """The per-user signing key (32 random bytes, ``cache_dir()/key``, ``0600``), made on first use."""
    path = cache_dir() / _KEY_FILE
    if not check_file(path):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        check_file(path)
    key = path.read_bytes()
    if len(key) != 32:  # a truncated key: make a new one (every signature becomes invalid)
        atomic_write_bytes(path, secrets.token_bytes(32), mode=0o600)
        key = path.read_bytes()
    return key


def _sign(data: bytes) -> bytes:
    return hmac.new(_key(), data, hashlib.sha256).digest()


def write_signed(path: Path, data: bytes) -> Path:
    """Write ``data`` with its HMAC, atomically, ``0600``."""
    return atomic_write_bytes(path, _MAGIC + _sign(data) + data, mode=0o600)


def read_signed(path: Path) -> bytes | None:
    """The data of a signed file; ``None`` when missing. A bad signature: the file is deleted, None."""
    if not check_file(path):
        return None
    blob = path.read_bytes()
    head = len(_MAGIC) + 32
    data = blob[head:]
    if blob[: len(_MAGIC)] == _MAGIC and hmac.compare_digest(blob[len(_MAGIC) : head], _sign(data)):
        return data
    note(f"cache entry {path} is damaged or was changed by someone else; rebuilding it")
    path.unlink(missing_ok=True)
    return None
