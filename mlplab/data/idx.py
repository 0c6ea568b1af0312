"""A reader for the IDX files that MNIST and Fashion-MNIST are distributed in.

An IDX file is a 4-byte big-endian magic number, one big-endian uint32 per
dimension, then the values in row-major order. The magic number's third byte
is the value type (``0x08``: unsigned byte) and its fourth the number of
dimensions. This reader accepts the two kinds MNIST uses:

* ``0x00000803`` images: uint8 of shape ``(N, rows, cols)``;
* ``0x00000801`` labels: uint8 of shape ``(N,)``.

Files may be gzip-compressed (``.gz``, as downloaded) or plain; compression is
recognised from the file's first two bytes, so the name does not matter.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from mlplab.data.exceptions import DataError

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

_KINDS = {IMAGES_MAGIC: ("images", 3), LABELS_MAGIC: ("labels", 1)}
_GZIP_SIGNATURE = b"\x1f\x8b"
_CHUNK = 1 << 20


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads an IDX file of images or labels.

    Args:
        path: an IDX file, plain or gzip-compressed.

    Returns:
        For images (magic ``0x00000803``) a uint8 array of shape
        ``(N, rows, cols)``; for labels (magic ``0x00000801``) a uint8 array
        of shape ``(N,)``. The array is writable and owns its memory.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        DataError: if the file is not a supported IDX file, is truncated
            (fewer bytes than its header promises), has trailing bytes, or is
            a corrupt gzip stream. The message names the file, the magic number
            seen and the expected against the found size.
    """
    path = Path(path)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_SIGNATURE
        raw.seek(0)
        stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        seen: dict[str, str] = {}
        try:
            return _read_idx_stream(stream, path, compressed, seen)
        except (OSError, EOFError, zlib.error) as error:
            # gzip.BadGzipFile is an OSError; a cut-off gzip stream is an EOFError.
            if not compressed:
                raise
            context = "".join(f"; {key} {value}" for key, value in seen.items())
            raise DataError(
                f"{path}: corrupt or truncated gzip data ({error}){context}; delete the file and download it again"
            ) from error
        finally:
            if compressed:
                stream.close()


def _read_idx_stream(stream: BinaryIO, path: Path, compressed: bool, seen: dict[str, str]) -> np.ndarray:
    """Reads the IDX data from ``stream``; records what it has seen so far in ``seen``."""
    what = "decompressed bytes" if compressed else "bytes"
    magic_bytes = _read_up_to(stream, 4)
    if len(magic_bytes) < 4:
        raise DataError(
            f"{path}: expected an IDX file starting with a 4-byte magic number "
            f"(0x{IMAGES_MAGIC:08x} for images or 0x{LABELS_MAGIC:08x} for labels), "
            f"found only {len(magic_bytes)} {what}"
        )
    (magic,) = struct.unpack(">I", magic_bytes)
    seen["magic number"] = f"0x{magic:08x}"
    if magic not in _KINDS:
        raise DataError(
            f"{path}: expected IDX magic number 0x{IMAGES_MAGIC:08x} (uint8 images) or "
            f"0x{LABELS_MAGIC:08x} (uint8 labels), found 0x{magic:08x}; "
            "is this an MNIST-style IDX file?"
        )
    kind, ndim = _KINDS[magic]
    header_size = 4 + 4 * ndim
    dims_bytes = _read_up_to(stream, 4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise DataError(
            f"{path}: expected a {header_size}-byte header for IDX {kind} (magic 0x{magic:08x}), "
            f"found only {4 + len(dims_bytes)} {what}; the file is truncated"
        )
    shape = struct.unpack(f">{ndim}I", dims_bytes)
    expected = header_size + int(np.prod(shape, dtype=np.int64))
    seen["expected"] = f"{expected} decompressed bytes for {_describe(kind, shape)}"

    data = np.empty(shape, dtype=np.uint8)
    filled = _read_into(stream, data.reshape(-1))
    trailing = len(_read_up_to(stream, _CHUNK)) if filled == data.size else 0
    if filled < data.size or trailing:
        found = header_size + filled + trailing
        more = " or more" if trailing == _CHUNK else ""
        fix = "the file is truncated" if filled < data.size else "the file has trailing data"
        raise DataError(
            f"{path}: expected {expected} {what} for {_describe(kind, shape)}, "
            f"found {found}{more} (magic number 0x{magic:08x}); {fix}, download it again"
        )
    return data


def _describe(kind: str, shape: tuple[int, ...]) -> str:
    if kind == "images":
        return f"{shape[0]} images of {shape[1]}x{shape[2]}"
    return f"{shape[0]} labels"


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    """Reads ``size`` bytes, or fewer only at the end of the stream."""
    parts, remaining = [], size
    while remaining:
        part = stream.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _read_into(stream: BinaryIO, flat: np.ndarray) -> int:
    """Fills the 1-D uint8 array ``flat`` from ``stream``; returns how many bytes were read."""
    view = memoryview(flat).cast("B")
    filled = 0
    while filled < len(view):
        count = stream.readinto(view[filled : filled + _CHUNK * 16])
        if not count:
            break
        filled += count
    return filled
