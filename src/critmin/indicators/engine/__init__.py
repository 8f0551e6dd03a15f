"""One vectorised engine for every supply-risk method (see :mod:`critmin.indicators.engine.core`)."""

from critmin.indicators.engine.core import (
    COLUMNS,
    DEFAULT_METHODS,
    METHODS,
    UNITS,
    Options,
    Result,
    check_methods,
    run,
)

__all__ = ["COLUMNS", "DEFAULT_METHODS", "METHODS", "UNITS", "Options", "Result", "check_methods", "run"]
