"""Content bases of production figures and conversions between them.

World Mining Data reports some minerals as oxide content (Li2O, Nb2O5, Ta2O5, Cr2O3, TiO2, U3O8, P2O5, K2O,
B2O3, REO) where USGS reports element content (Li, Nb, Ta, ...). The factors below are element mass fractions
of the oxide (stoichiometry, IUPAC 2021 standard atomic weights), except REO → REE, which depends on the
element mix: 0.853 is the value for the typical light-REE mix (Nd2O3 → Nd 0.857, La2O3 → La 0.853,
CeO2 → Ce 0.814) and is flagged as approximate.

Two other kinds of conversion exist:

* **a subset of a basis**: the IEA counts only the magnet rare earths (Nd, Pr, Dy, Tb, element content)
  where USGS and WMD count all rare-earth oxide (REO). The magnet elements were 20.5% of the REO mass mined
  in 2023: 72,400 t of magnet REE (IEA Critical Minerals Data Explorer, May 2024, mining) against 353,320 t
  REO (USGS MCS 2024, the same year's country figures summed) — as oxide about 24%, the Nd+Pr+Dy+Tb share
  of bastnäsite and monazite ores. Separation does not change the mix, so the same ratio converts the IEA's
  refining figures to total REO (flagged approximate).
* **names of the same basis** (``natural graphite`` = ``graphite``): factor 1.

:func:`factor` chains these (e.g. magnet REE oxide → REO → REE).
"""

from __future__ import annotations

import functools

from critmin.errors import UnknownValueError

# (oxide basis, element basis) -> (element mass per oxide mass, approximate?)
OXIDE_TO_ELEMENT: dict[tuple[str, str], tuple[float, bool]] = {
    ("Li2O", "Li"): (0.4645, False),
    ("Nb2O5", "Nb"): (0.6990, False),
    ("Ta2O5", "Ta"): (0.8190, False),
    ("Cr2O3", "Cr"): (0.6842, False),
    ("TiO2", "Ti"): (0.5993, False),
    ("U3O8", "U"): (0.8480, False),
    ("P2O5", "P"): (0.4364, False),
    ("K2O", "K"): (0.8301, False),
    ("B2O3", "B"): (0.3106, False),
    ("As2O3", "As"): (0.7574, False),
    ("REO", "REE"): (0.853, True),
}

MAGNET_REO = "magnet REE content (Nd, Pr, Dy, Tb)"

# (subset basis, whole basis) -> (subset mass per whole mass, approximate?)
SUBSET_OF: dict[tuple[str, str], tuple[float, bool]] = {
    (MAGNET_REO, "REO"): (0.205, True),
}

# labels used by the sources for the same basis
SAME_BASIS: dict[str, str] = {
    "natural graphite": "graphite",
    "zircon (gross weight)": "zircon",
}


@functools.cache
def _edges() -> dict[str, list[tuple[str, float, bool]]]:
    out: dict[str, list[tuple[str, float, bool]]] = {}

    def add(a: str, b: str, f: float, approx: bool) -> None:
        out.setdefault(a, []).append((b, f, approx))
        out.setdefault(b, []).append((a, 1.0 / f, approx))

    for (a, b), (f, approx) in {**OXIDE_TO_ELEMENT, **SUBSET_OF}.items():
        # the subset table gives subset-per-whole; as a conversion subset → whole that is 1/share
        add(a, b, f if (a, b) in OXIDE_TO_ELEMENT else 1.0 / f, approx)
    for a, b in SAME_BASIS.items():
        add(a, b, 1.0, False)
    return out


def factor(from_basis: str, to_basis: str) -> tuple[float, bool]:
    """Multiply tonnes on ``from_basis`` by the returned factor to get tonnes on ``to_basis``.

    The second value is True when any step of the conversion is approximate.
    """
    if from_basis == to_basis:
        return 1.0, False
    edges = _edges()
    # breadth-first over the conversion graph: the fewest steps, each one documented above
    frontier = [(from_basis, 1.0, False)]
    seen = {from_basis}
    while frontier:
        nxt = []
        for node, f, approx in frontier:
            for b, g, a in edges.get(node, ()):
                if b in seen:
                    continue
                if b == to_basis:
                    return f * g, approx or a
                seen.add(b)
                nxt.append((b, f * g, approx or a))
        frontier = nxt
    known = sorted(edges)
    raise UnknownValueError(
        "basis conversion",
        f"{from_basis} -> {to_basis}",
        known,
        hint="conversions exist between an oxide and its element (Li2O -> Li), magnet REE oxide and REO, "
        "and names of the same basis",
    )


def convertible(from_basis: str, to_basis: str) -> bool:
    """Whether :func:`factor` knows a conversion."""
    try:
        factor(from_basis, to_basis)
    except UnknownValueError:
        return False
    return True


def convert(tonnes: float, from_basis: str, to_basis: str) -> float:
    return tonnes * factor(from_basis, to_basis)[0]
