"""``isamm studio``: a local web app (Streamlit) over the isamm pipeline.

Pages, in pipeline order: Regimen, Exposure, Washout, Response, Cohort, Trial, and the Evidence browser. Each page
calls the same library functions as the matching CLI command and computes no
number itself; user mistakes show the library's one-line
:class:`~isamm.errors.InputError` message, never a traceback; every user value is
rendered as text (no HTML from user data).

Public names
------------
APP_PATH
    The Streamlit entry script (``streamlit run APP_PATH``).
MAX_UPLOAD_MB
    Largest accepted upload (Streamlit's ``server.maxUploadSize``).
streamlit_argv
    The command line that serves the app (localhost, headless, no usage statistics).
"""

from isamm.web._server import APP_PATH as APP_PATH
from isamm.web._server import LOCAL_HOSTS as LOCAL_HOSTS
from isamm.web._server import MAX_UPLOAD_MB as MAX_UPLOAD_MB
from isamm.web._server import streamlit_argv as streamlit_argv

__all__ = ["APP_PATH", "LOCAL_HOSTS", "MAX_UPLOAD_MB", "streamlit_argv"]
