"""Network helpers shared by the two places critmin goes online (``data update`` and the news fetch)."""

from __future__ import annotations

import socket
import threading


def getaddrinfo(host: str, port: int, timeout: float | None) -> list:
    """``socket.getaddrinfo`` (TCP), given up after ``timeout`` seconds: it has no timeout of its own.

    Raises :class:`TimeoutError` when no answer came in time and the lookup's own :class:`OSError`
    (``socket.gaierror``) when it failed.
    """
    if timeout is None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    result: dict = {}

    def run() -> None:
        try:
            result["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            result["error"] = exc

    t = threading.Thread(target=run, daemon=True)  # left to finish on its own when given up
    t.start()
    t.join(max(0.0, timeout))
    if t.is_alive():
        raise TimeoutError(f"no DNS answer within {timeout:g} s")
    if "error" in result:
        raise result["error"]
    return result["infos"]
