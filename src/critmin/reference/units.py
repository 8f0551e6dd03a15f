"""Content bases of production figures and conversions between them.

World Mining Data reports some minerals as oxide content (Li2O, Nb2O5, Ta2O5, Cr2O3, TiO2, U3O8, P2O5, K2O,
B2O3, REO) where USGS reports element content (Li, Nb, Ta, ...). The factors below are element mass fractions
of the oxide (stoichiometry, IUPAC 2021 standard atomic weights), except REO → REE, which depends on the
element mix: 0.853 is the value for the typical light-REE mix (Nd2O3 → Nd 0.857, La2O3 → La 0.853,
CeO2 → Ce 0.814) and is flagged as approximate.
"""

from __future__ import annotations

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


def factor(from_basis: str, to_basis: str) -> tuple[float, bool]:
    """Multiply tonnes on ``from_basis`` by the returned factor to get tonnes on ``to_basis``."""
    if from_basis == to_basis:
        return 1.0, False
    if (from_basis, to_basis) in OXIDE_TO_ELEMENT:
        return OXIDE_TO_ELEMENT[(from_basis, to_basis)]
    if (to_basis, from_basis) in OXIDE_TO_ELEMENT:
        f, approx = OXIDE_TO_ELEMENT[(to_basis, from_basis)]
        return 1.0 / f, approx
    known = sorted({b for pair in OXIDE_TO_ELEMENT for b in pair})
    raise UnknownValueError(
        "basis conversion",
        f"{from_basis} -> {to_basis}",
        known,
        hint="conversions exist between an oxide and its element, e.g. Li2O -> Li",
    )


def convert(tonnes: float, from_basis: str, to_basis: str) -> float:
    return tonnes * factor(from_basis, to_basis)[0]
