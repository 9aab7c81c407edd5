"""How ``isamm studio`` starts Streamlit: the entry script and the server options."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["APP_PATH", "LOCAL_HOSTS", "MAX_UPLOAD_MB", "streamlit_argv"]

APP_PATH = Path(__file__).with_name("app.py")
MAX_UPLOAD_MB = 50
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def streamlit_argv(port: int, host: str = "127.0.0.1") -> list[str]:
    """``python -m streamlit run app.py`` with the studio's server settings.

    Headless (no browser opened), usage statistics off (no network calls), uploads
    capped at :data:`MAX_UPLOAD_MB`, error details (tracebacks) never sent to the
    browser, no file watcher and no developer menu.
    """
    return [
        sys.executable, "-m", "streamlit", "run", str(APP_PATH),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.maxUploadSize", str(MAX_UPLOAD_MB),
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--browser.gatherUsageStats", "false",
        "--client.showErrorDetails", "false",
        "--client.toolbarMode", "viewer",
        "--global.developmentMode", "false",
        "--theme.base", "light",
    ]  # fmt: skip
