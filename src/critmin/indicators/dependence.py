"""Import dependence: net import reliance and supplier concentration of an importer.

Pure functions over arrays (no I/O).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def import_reliance(
    imports: npt.ArrayLike, exports: npt.ArrayLike, production: npt.ArrayLike, clip: bool = True
) -> np.ndarray:
    """Net import reliance NIR = (I − E) / (P + I − E), the share of apparent consumption met by net imports.

    As defined by USGS (Mineral Commodity Summaries, "net import reliance as a percentage of apparent
    consumption", here without stock changes) and used as IR in the EU CRM method (European Commission
    2017, eq. 5). ``clip`` bounds the result to [0, 1] (a net exporter has NIR 0). NaN where apparent
    consumption P + I − E is not positive.
    """
    i = np.asarray(imports, dtype=float)
    e = np.asarray(exports, dtype=float)
    p = np.asarray(production, dtype=float)
    net = i - e
    consumption = p + net
    with np.errstate(divide="ignore", invalid="ignore"):
        nir = np.where(consumption > 0, net / consumption, np.nan)
    if clip:
        nir = np.where(np.isnan(nir), np.nan, np.clip(nir, 0.0, 1.0))
    return nir
