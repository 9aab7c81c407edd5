"""``isamm studio``: serve the local web app (:mod:`isamm.web`) on 127.0.0.1."""

from __future__ import annotations

import os
import sys

import typer

from isamm.cli._common import err_console
from isamm.errors import InputError


def _exec(argv: list[str]) -> None:  # replaced in tests
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)


def _check_bind(host: str, port: int) -> None:
    """InputError now for an address that does not resolve or a port that cannot be bound; Streamlit would
    fail after starting, with a traceback."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError):
        raise InputError("unknown address", option="--host", expected="an IP address or a host name of this "
                         "computer, e.g. 127.0.0.1", got=host) from None
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRNOTAVAIL:
                raise InputError("not an address of this computer", option="--host",
                                 expected="one of this computer's addresses, e.g. 127.0.0.1", got=host) from None
            raise InputError(f"cannot listen on {host}:{port} ({exc.strerror or exc})", option="--port",
                             expected="a free port (ports below 1024 need administrator rights)", got=port) from None


def register(app: typer.Typer) -> None:
    @app.command("studio")
    def studio_cmd(
        port: int = typer.Option(8501, "--port", help="TCP port to serve on."),
        host: str = typer.Option("127.0.0.1", "--host",
                                 help="Address to bind. The default serves this computer only; the app has no "
                                      "authentication, so any other address exposes it (and uploaded data) to the network."),
    ) -> None:  # fmt: skip
        """Open the local web app: regimen, exposure, washout, IMWG response and cohort pages in the browser."""
        from isamm.web import LOCAL_HOSTS, MAX_UPLOAD_MB, streamlit_argv

        if not 1 <= port <= 65535:
            raise InputError("invalid port", option="--port", expected="an integer from 1 to 65535", got=port)
        if not host.strip():
            raise InputError("empty address", option="--host", expected="an IP address or host name, e.g. 127.0.0.1")
        _check_bind(host, port)
        if host not in LOCAL_HOSTS:
            err_console.print(f"warning: isamm studio has no authentication: anyone who can reach {host}:{port} can use "
                              "it and see what is uploaded to it. Use the default --host 127.0.0.1 unless you mean this.",
                              style="bold yellow", highlight=False, markup=False, soft_wrap=True)  # fmt: skip
        shown = f"[{host}]" if ":" in host else host
        typer.echo(f"isamm studio: http://{shown}:{port}  (uploads up to {MAX_UPLOAD_MB} MB, kept in memory; Ctrl-C stops)")
        _exec(streamlit_argv(port, host))
