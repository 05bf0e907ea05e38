"""Reading the text files people bring (edge lists, parameter and experiment files, cascades).

One rule for all of them: UTF-8, with or without a byte-order mark (Excel and Notepad write one),
and an error that names the file and the line when the bytes are not UTF-8 text, instead of a
``UnicodeDecodeError`` that names neither.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path


def read_text(path: str | Path, what: str = "file") -> str:
    """The text of ``path``: UTF-8, a leading byte-order mark dropped, line ends as written.

    Raises:
        FileNotFoundError: no such file (``what`` says which kind was expected).
        ValueError: the bytes are not UTF-8 text or hold a NUL byte; names the file and the line.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such {what}")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ValueError(f"{path}: cannot read it ({e.strerror or e})") from None
    return decode(data, path)


def decode(data: bytes, path: str | Path) -> str:
    """``data`` as text (see :func:`read_text`); ``path`` names it in errors."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ValueError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as UTF-8"
        ) from None
    nul = text.find("\0")
    if nul >= 0:
        raise ValueError(f"{path}, line {text.count(chr(10), 0, nul) + 1}: a NUL byte; expected a text file")
    return text


def lines(path: str | Path) -> Iterator[str]:
    """The lines of a text file one at a time, as :func:`read_text` decodes it (for files too large
    to hold whole); a line that is not UTF-8 is an error naming the file and the line."""
    with Path(path).open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ValueError(
                    f"{path}, line {number}: not UTF-8 text (byte 0x{raw[e.start]:02x}); save the file as UTF-8"
                ) from None
