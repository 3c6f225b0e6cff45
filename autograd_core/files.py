"""Writing a file, the one way this project does it: whole or not at all, and never over
something that is not a regular file.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_file(folder / "a.txt", b"hello").read_bytes()
b'hello'
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

__all__ = ["write_file"]

_KINDS = {stat.S_ISDIR: "a folder", stat.S_ISCHR: "a character device",
          stat.S_ISBLK: "a block device", stat.S_ISFIFO: "a FIFO (a named pipe)",
          stat.S_ISSOCK: "a socket"}


def write_file(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` so that it is either complete or not there, and return the path.

    The bytes go to a new file next to the target, are flushed to the disk, and the new file is
    renamed over the target: a crash or an error leaves the old file or the new one, never half
    of one. A symbolic link is followed (the file it points to is replaced; the link stays). A
    target that exists and is not a regular file (a folder, a device such as /dev/null, a FIFO,
    a socket) is refused, since replacing it would destroy it. An existing file keeps its mode;
    a new one gets the mode `open()` would give it (0o666 less the umask).
    """
    target = Path(os.path.realpath(path))
    try:
        mode: int | None = stat.S_IMODE(_regular(target, path).st_mode)
    except FileNotFoundError:
        mode = None
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # O_EXCL: never follows or reuses a file someone else put there; 0o666: the umask applies.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return Path(path)


def _regular(target: Path, given: str | os.PathLike[str]) -> os.stat_result:
    """The target's status, if it is a regular file (FileNotFoundError if it is not there)."""
    status = target.stat()
    for is_kind, kind in _KINDS.items():
        if is_kind(status.st_mode):
            raise ValueError(f"{os.fspath(given)} is {kind}, not a regular file: refusing to "
                             "replace it; give the name of a file to write")
    return status
