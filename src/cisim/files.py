"""Writing pipeline files: atomically, with the permissions of a normal open(), failures named by cause.

Every file the pipeline keeps (netCDF through `cisim.datasets.write`, pages through `publish_page`)
is written to a temporary file in its target folder and renamed into place (POSIX rename(2) is
atomic within one file system), so a file under its final name is always complete and a failed
write leaves the previous version untouched (docs/reliability.md).

The temporary file is created with mode 0o666 and the process umask applies, exactly as for
`open(path, "w")`: a group-writable umask (002) on shared cluster storage gives group-readable and
-writable files, the usual 022 gives 0644 (tempfile.mkstemp would give 0600 whatever the umask).

A write that fails for lack of space or permission raises `WriteError` with one line naming the
cause ("no space left on device", "permission denied", "read-only file system") and the file.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path

# Below this many free bytes a failed write is put down to a full disk even when the library
# (netCDF/HDF5) reports only its own error code: no pipeline file is that small.
LOW_SPACE_BYTES = 1 << 20

CAUSES = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
}


class WriteError(OSError):
    """A pipeline file could not be written: one line with the cause and the path."""


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def describe(error: BaseException, path: Path, needed: int = 0) -> str | None:
    """One line naming why writing `path` failed, or None when the failure is not about storage.

    OSError codes are read directly; other errors (netCDF raises RuntimeError or an OSError with a
    negative netCDF code for a full disk) count as a full disk when the folder has less than
    max(needed, LOW_SPACE_BYTES) bytes free.
    """
    path = Path(path)
    code = getattr(error, "errno", None)
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        where = getattr(error, "filename", None)
        if not where or Path(where).name.startswith(f".{path.name}."):  # our temporary file: the folder refuses it
            where = path.parent
        return f"cannot write {path}: {CAUSES[code]} ({where})"
    free = _free_bytes(path.parent if path.parent.exists() else Path("."))
    if code in (errno.ENOSPC, errno.EDQUOT) or (free is not None and free < max(needed, LOW_SPACE_BYTES)):
        cause = CAUSES.get(code, CAUSES[errno.ENOSPC])
        return f"cannot write {path}: {cause} ({free if free is not None else 'unknown'} bytes free in {path.parent})"
    if isinstance(error, OSError) and code is not None and code > 0:
        return f"cannot write {path}: {os.strerror(code).lower()}"
    return None


def _temporary(path: Path) -> Path:
    """A new empty file beside `path`, created as open() creates files (0o666 minus the umask)."""
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:  # another writer's name: draw again
            continue


@contextmanager
def atomic(path, needed: int = 0):
    """Yields a temporary path in `path`'s folder to write; renames it to `path` when the block ends.

    On any error the temporary file is removed and `path` keeps its previous content; storage
    errors (space, permission; `describe`) become a one-line WriteError. `needed`: the expected
    size in bytes, used to recognise a full disk behind a library's own error code.
    Stale temporary files of a killed earlier write of `path` are removed first.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        tmp = _temporary(path)
    except OSError as e:
        raise WriteError(describe(e, path, needed) or f"cannot write {path}: {e}") from None
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as e:
        # Diagnose while the partial file still occupies the disk: removing it frees the space.
        storage = isinstance(e, (OSError, RuntimeError)) and not isinstance(e, WriteError)
        line = describe(e, path, needed) if storage else None
        tmp.unlink(missing_ok=True)
        if line:
            raise WriteError(line) from None
        raise


def write_bytes(path, data: bytes) -> None:
    """Write `data` to `path` atomically (see `atomic`)."""
    with atomic(path, needed=len(data)) as tmp:
        tmp.write_bytes(data)


def checksum_line(path) -> str:
    """`<sha256>  <file name>` as sha256sum(1) prints it: `sha256sum -c` in the folder checks it."""
    path = Path(path)
    return f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"


PUBLISHED_SUFFIX = ".sha256"


def publish_page(receipt, html: str) -> Path:
    """Put a page in place, then its receipt; returns the page's path.

    `receipt` is what the page rule declares as output, `<page>.sha256` (`published`,
    workflow/rules/provenance.smk). Snakemake deletes a job's declared outputs before it reruns it
    and after it fails; the page itself is therefore not declared, so a failing rerun deletes only
    the receipt (and the next run retries), while the last good page stays where readers look for
    it. The receipt holds the page's checksum line, proving which page the finished job wrote.
    """
    receipt = Path(receipt)
    if receipt.suffix != PUBLISHED_SUFFIX:
        raise ValueError(f"{receipt}: a page rule's output is the page's receipt <page>{PUBLISHED_SUFFIX}")
    page = receipt.with_suffix("")
    write_bytes(page, html.encode())
    write_bytes(receipt, checksum_line(page).encode())
    return page


@contextmanager
def locked(lock_path):
    """An exclusive flock(2) on `lock_path` (created if absent) for the block: serialises writers of
    one shared file across processes, e.g. two studies refreshing reports/index.html at once."""
    lock_path = Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
