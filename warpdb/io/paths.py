"""Paths to files: local paths, globs, directories and fsspec URLs; hive partition values."""
from __future__ import annotations

import glob as globmod
import os
import re

from ..errors import BindError, ExecutionError

_GLOB = re.compile(r"[*?\[]")
_HIVE = re.compile(r"^([^=/]+)=([^/]*)$")


def is_url(path: str) -> bool:
    """Whether `path` names a file through fsspec (anything with a scheme but file://)."""
    return "://" in path and not path.startswith("file://")


def filesystem(url: str):
    """The fsspec filesystem of a URL; a missing driver package (s3fs, gcsfs) is an ExecutionError."""
    import fsspec

    try:
        return fsspec.core.url_to_fs(url)[0]
    except ImportError as e:
        raise ExecutionError(f"cannot read '{url}': {e}") from None


def stamp(path: str) -> tuple:
    """A file's version: (size, mtime) locally; (size, etag or modification time) for a URL, as far
    as its filesystem tells."""
    if not is_url(path):
        st = os.stat(path.removeprefix("file://"))
        return st.st_size, st.st_mtime_ns
    info = filesystem(path).info(path)
    version = next((info[k] for k in ("ETag", "etag", "mtime", "LastModified", "last_modified", "created")
                    if info.get(k) is not None), None)
    return info.get("size"), str(version)


def _visible(path: str) -> bool:
    return not os.path.basename(path.rstrip("/")).startswith((".", "_"))


def _expand_url(path: str) -> list[str]:
    if path.startswith(("http://", "https://")):
        return [path]
    fs = filesystem(path)
    proto = path.split("://", 1)[0]

    def url(p: str) -> str:
        return p if "://" in p else f"{proto}://{p.lstrip('/') if proto != 'memory' else p}"

    try:
        if _GLOB.search(path):
            hits = sorted(fs.glob(path))
            if not hits:
                raise BindError(f"no files match '{path}'")
            return [url(h) for h in hits if _visible(h)]
        if fs.isdir(path):
            return [url(p) for p in sorted(fs.find(path)) if _visible(p)]
        if fs.exists(path):
            return [path]
    except BindError:
        raise
    except Exception as e:
        raise ExecutionError(f"cannot list '{path}': {type(e).__name__}: {e}") from None
    raise BindError(f"no such file: '{path}'")


def expand(paths: list[str]) -> list[str]:
    """Paths, globs and directories (local or fsspec URLs) -> the files they name, sorted per path;
    a path that names nothing is a BindError."""
    out = []
    for p in paths:
        if is_url(p):
            out += _expand_url(p)
            continue
        p = p[len("file://"):] if p.startswith("file://") else p
        if _GLOB.search(p):
            hits = sorted(h for h in globmod.glob(p, recursive=True) if os.path.isfile(h) and _visible(h))
            if not hits:
                raise BindError(f"no files match '{p}'")
            out += hits
        elif os.path.isdir(p):
            out += sorted(
                os.path.join(dp, f) for dp, dirs, fs in os.walk(p) for f in fs
                if _visible(f) and all(_visible(d) for d in os.path.relpath(dp, p).split(os.sep) if d != ".")
            )
        elif os.path.exists(p):
            out.append(p)
        else:
            raise BindError(f"no such file: '{p}'")
    return out


def hive_values(path: str) -> dict[str, str]:
    """The key=value directory segments of a path, in order (a hive-style partition)."""
    parts = path.split("://", 1)[-1].split("/")[:-1]
    return dict(m.groups() for m in map(_HIVE.match, parts) if m)


def partitions(files: list[str], option) -> dict[str, list[str]] | None:
    """Hive partition columns (ordered by name, as DuckDB does) -> one value per file, or None. With
    option None (not given) files are partitioned when every path has the same key=value keys."""
    if option is False or not files:
        return None
    per_file = [hive_values(f) for f in files]
    keys = list(per_file[0])
    same = keys and all(list(v) == keys for v in per_file)
    if not same:
        if option:
            bad = next((f for f, v in zip(files, per_file) if list(v) != keys or not keys), files[0])
            raise BindError(f"hive_partitioning: '{bad}' does not have the partition keys {keys} of '{files[0]}'")
        return None
    return {k.lower(): [v[k] for v in per_file] for k in sorted(keys)}
