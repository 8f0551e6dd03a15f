"""``critmin serve``: the REST API and the dashboard on http://127.0.0.1:8765 (loopback only by default)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated

import typer

# Pages computed in the background at start-up, so the first visitor of the landing view does not wait.
WARM_URLS = ("/", "/profile/JPN", "/profile/ITA", "/profile/JPN+ITA")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def _token(token_file: Path | None) -> str | None:
    from critmin.errors import CritminError

    if token_file is not None:
        try:
            text = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CritminError(f"cannot read the token file {token_file}: {exc.strerror or exc}") from None
        if len(text) < 16:
            raise CritminError(f"{token_file}: the token must be at least 16 characters")
        return text
    env = os.environ.get("CRITMIN_TOKEN", "").strip()
    if env and len(env) < 16:
        raise CritminError("CRITMIN_TOKEN must be at least 16 characters")
    return env or None


def _warm(base: str, urls: tuple[str, ...]) -> None:
    """Request ``urls`` once the server answers (failures are ignored: this only fills the cache)."""
    import time
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/api/v1/commodities", timeout=5).read()
            break
        except OSError:
            time.sleep(0.2)
    for url in urls:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(base + url, timeout=300).read()


def serve(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Option(
            help="Address to bind. The default answers this machine only; anything else exposes the data."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8765,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="File holding the token that enables writes (else $CRITMIN_TOKEN; none: read-only).",
        ),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host", help="Host name the server answers to when bound beyond loopback (repeatable)."
        ),
    ] = None,
    warm: Annotated[
        bool, typer.Option("--warm/--no-warm", help="Compute the landing and profile pages at start-up.")
    ] = True,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /api/v1/openapi.json) and the dashboard, e.g.
    ``critmin serve`` then open http://127.0.0.1:8765 . Read-only unless a token is configured."""
    import threading

    from rich.console import Console

    from critmin.errors import CritminError

    try:
        import uvicorn

        from critmin.web.app import create_app
        from critmin.web.guard import LOOPBACK_HOSTS
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise CritminError(
            f"the web interface needs the web extra: pip install 'critmin[web]' ({exc.name} missing)"
        ) from None
    token = _token(token_file)
    loopback = host in ("127.0.0.1", "localhost", "::1")
    hosts: tuple[str, ...] | None = (
        LOOPBACK_HOSTS if loopback else (tuple(allow_host) if allow_host else None)
    )
    if allow_host and loopback:
        hosts = LOOPBACK_HOSTS + tuple(allow_host)
    console = Console(stderr=True)
    db = (ctx.obj or {}).get("db")
    app = create_app(db, token=token, allowed_hosts=hosts)
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    console.print(
        f"critmin {'[bold]read-write[/]' if token else 'read-only'} on [bold]{base}[/] "
        f"(store {app.state.service.path}); API {base}/api/v1, OpenAPI {base}/api/v1/openapi.json",
        highlight=False,
    )
    if not loopback:
        console.print(
            f"[yellow]warning:[/] bound to {host}: other machines can reach this server", highlight=False
        )
    if warm:
        probe = f"http://127.0.0.1:{port}" if host in ("0.0.0.0", "127.0.0.1", "localhost") else base
        threading.Thread(target=_warm, args=(probe, WARM_URLS), daemon=True).start()
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False, proxy_headers=False)
