"""Helpers every page uses: errors as one line, text-only rendering, uploads kept in memory, downloads.

Nothing here computes a number: pages pass library results through these helpers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
import contextlib
from contextlib import contextmanager
from typing import Any

import pandas as pd
import streamlit as st

from isamm._io import to_json
from isamm.errors import InputError, ModelError
from isamm.web._server import MAX_UPLOAD_MB

__all__ = ["plain", "text", "user_errors", "upload", "upload_id", "csv_bytes", "json_bytes", "show_table", "show_figure", "remember",
           "recall"]  # fmt: skip

# Every character Markdown (CommonMark + Streamlit's extensions) gives a meaning to; escaped, it shows as itself.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=&])")


def plain(value: Any) -> str:
    """``value`` as text whose Markdown characters are escaped, so it shows literally in st.error/st.markdown.

    Streamlit renders no HTML from Markdown unless a page asks (none does); escaping the Markdown
    keeps a user value from becoming a link, an image (a network request) or formatting.
    """
    return _MARKDOWN.sub(r"\\\1", str(value)).replace("\n", " ")


def text(value: Any) -> None:
    """Write ``value`` as literal text (a paragraph)."""
    st.markdown(plain(value))


@contextmanager
def user_errors() -> Iterator[None]:
    """Show an :class:`InputError` or :class:`ModelError` as its one-line message (no traceback) and stop the page."""
    try:
        yield
    except (InputError, ModelError) as exc:
        st.error(plain(f"error: {exc}"), icon="⚠️")
        st.stop()


def upload(label: str, types: list[str], key: str, help: str | None = None) -> io.BytesIO | None:
    """A file uploader whose file stays in memory: a ``BytesIO`` named like the upload, or ``None``.

    Files larger than :data:`isamm.web.MAX_UPLOAD_MB` are refused by the uploader itself
    (its message: "File must be … MB or smaller").
    """
    file = st.file_uploader(f"{label} — at most {MAX_UPLOAD_MB} MB", type=types, key=key,
                            help=(help or "") + " The file stays in this app's memory and is never written to disk. "
                            "A larger file is refused: its name turns red, and hovering over it says why.",
                            max_upload_size=MAX_UPLOAD_MB)  # fmt: skip
    if file is None:
        return None
    buffer = io.BytesIO(file.getvalue())
    buffer.name = file.name
    return buffer


def upload_id(file: io.BytesIO | None) -> tuple[str, int, int] | None:
    """Name, size and a hash of an upload: a stored result is shown only beside the file it came from."""
    if file is None:
        return None
    data = file.getvalue()
    return (file.name, len(data), hash(data))


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV for a download button."""
    return frame.to_csv(index=False).encode("utf-8")


def json_bytes(obj: Any) -> bytes:
    """Results as JSON (the CLI's ``--json`` serialisation: NaN → null)."""
    return (to_json(obj) + "\n").encode("utf-8")


def show_table(frame: pd.DataFrame, key: str | None = None) -> None:
    """A table (rendered by Streamlit's grid as text, never as HTML)."""
    st.dataframe(frame, hide_index=True, key=key)


def show_figure(fig) -> None:
    """A matplotlib figure made by the library."""
    st.pyplot(fig, clear_figure=False, width="content")


def remember(page: str, value: Any) -> None:
    """Keep a page's last result across reruns (download clicks, axis toggles)."""
    st.session_state[f"isamm:{page}"] = value


def recall(page: str) -> Any:
    """The page's last result, or ``None``."""
    return st.session_state.get(f"isamm:{page}")


def form_page(page: str, inputs: Any, compute, show, *, spinner: str | None = None) -> None:
    """The body every page shares: compute when the form was submitted (a mistake shows as one line),
    keep the result for reruns of the page, and show the last result."""
    if inputs is not None:
        remember(page, None)
        with user_errors(), (st.spinner(plain(spinner)) if spinner else contextlib.nullcontext()):
            remember(page, compute(inputs))
    res = recall(page)
    if res is not None:
        show(res)
