"""critmin's web interface: a REST API (OpenAPI 3, /api/v1) and an offline dashboard over the Python API.

``critmin serve`` starts it on 127.0.0.1:8765; :func:`create_app` builds the ASGI app for other servers.
Needs the ``web`` extra (FastAPI, uvicorn, Jinja2, plotly for plotly.js).
"""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(*args, **kwargs):
    """The ASGI app (see :func:`critmin.web.app.create_app`)."""
    from critmin.web.app import create_app as _create

    return _create(*args, **kwargs)
