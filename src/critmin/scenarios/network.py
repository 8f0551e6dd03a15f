"""The stage-specific trade network of one commodity and year: production, bilateral flows, consumption.

Built from ``ds.trade(commodity, stage, year)`` (CEPII BACI, HS92) and ``ds.production(commodity, stage, year)``
on one mass basis:

* flows: BACI tonnes of each HS6 code, summed by exporter → importer. Where the catalogue gives a content
  factor on the production series' basis (e.g. antimony ores 0.5 t Sb per tonne), flows are converted to that
  basis; otherwise they stay in gross product weight and ``Network.notes`` says so. BACI rows without a
  quantity get one from the value at the median unit value of the same HS6 code and year.
* production: the first source in the catalogue's order with data for that year (as the exposure tables do);
  the rest-of-world aggregate (``ROW``) has no trade partner and is left out (its tonnes are in the notes).
* consumption: apparent consumption C = P + I − E (Marchand et al. 2016: net supply S). Re-export hubs can
  show C < 0 when their own production is not in the data; such countries keep their trade but get no stocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.errors import NoDataError, UnknownValueError


@dataclass(frozen=True)
class Network:
    """Arrays of one commodity/stage/year network. Countries are ISO3 codes; mass in ``unit``."""

    commodity: str
    stage: str
    year: int
    countries: tuple[str, ...]
    production: np.ndarray  # (n,)
    src: np.ndarray  # (m,) exporter index
    dst: np.ndarray  # (m,) importer index
    flow: np.ndarray  # (m,) tonnes per year
    unit: str = "tonnes"
    basis: str = "gross weight"
    source: str = ""
    edition: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        return len(self.countries)

    @property
    def m(self) -> int:
        return len(self.flow)

    def index(self, iso3: str) -> int:
        """Position of a country; raises with close matches when it is not in the network."""
        pos = self._positions.get(iso3)
        if pos is None:
            from critmin.reference import countries as cmod

            try:
                code = cmod.resolve(iso3)
            except UnknownValueError:
                code = None
            pos = self._positions.get(code) if code else None
            if pos is None:
                raise UnknownValueError(
                    f"country in the {self.commodity} {self.stage} {self.year} network",
                    iso3,
                    self.countries,
                    hint="it neither produces nor trades this stage that year" if code else None,
                )
        return pos

    def indices(self, codes: Iterable[str]) -> np.ndarray:
        return np.array([self.index(c) for c in codes], dtype=np.int64)

    @property
    def _positions(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.countries)}

    @property
    def imports(self) -> np.ndarray:
        return np.bincount(self.dst, weights=self.flow, minlength=self.n)

    @property
    def exports(self) -> np.ndarray:
        return np.bincount(self.src, weights=self.flow, minlength=self.n)

    @property
    def consumption(self) -> np.ndarray:
        """Apparent consumption P + I − E (can be negative for re-export hubs)."""
        return self.production + self.imports - self.exports

    def dense(self) -> np.ndarray:
        """Trade matrix F (n×n), F[j, k] = exports j → k."""
        F = np.zeros((self.n, self.n))
        F[self.src, self.dst] = self.flow
        return F

    def flows(self) -> pd.DataFrame:
        """Tidy flows: exporter, importer, tonnes (+ provenance)."""
        c = np.array(self.countries)
        return pd.DataFrame(
            {
                "exporter": c[self.src],
                "importer": c[self.dst],
                self.unit: self.flow,
                "source": self.source,
                "edition": self.edition,
            }
        )

    def stocks(self, days: dict[str, float] | float | None = None, default_days: float = 0.0) -> np.ndarray:
        """Stocks in tonnes from days of consumption: R_j = days_j / 365 · max(C_j, 0)."""
        return self.stock_days(days, default_days) / 365.0 * np.maximum(self.consumption, 0.0)

    def stock_days(
        self, days: dict[str, float] | float | None = None, default_days: float = 0.0
    ) -> np.ndarray:
        """Days of cover per country: ``default_days`` everywhere, ``days[iso3]`` where given."""
        if days is not None and not isinstance(days, dict):
            return np.full(self.n, float(days))
        out = np.full(self.n, float(default_days))
        for code, v in (days or {}).items():
            if v < 0:
                raise ValueError(f"stock days must be >= 0, got {code}={v}")
            out[self.index(code)] = float(v)
        return out


def from_matrix(
    countries: Iterable[str],
    production: Iterable[float],
    F: np.ndarray,
    *,
    commodity: str = "toy",
    stage: str = "mine",
    year: int = 0,
    **kw,
) -> Network:
    """A network from a dense matrix (tests, user-built networks). Self-flows are dropped."""
    countries = tuple(countries)
    F = np.asarray(F, dtype=float)
    F = F * (1 - np.eye(len(countries)))
    src, dst = np.nonzero(F)
    return Network(
        commodity,
        stage,
        int(year),
        countries,
        np.asarray(production, dtype=float),
        src,
        dst,
        F[src, dst],
        **kw,
    )


def _content_factors(stage, basis: str | None) -> dict[str, float]:
    if basis is None:
        return {}
    return {hs: cf.factor for hs, cf in stage.content.items() if cf.basis.lower() == basis.lower()}


def _preferred_production(ds, commodity, stage: str, year: int, source: str | None) -> pd.DataFrame:
    df = ds.production(commodity.id, stage, year, source=source)
    if df.empty:
        return df
    order = {p.source.upper(): i for i, p in enumerate(commodity.stages[stage].production)}
    rank = df["source"].str.upper().map(order).fillna(99)
    return df[rank == rank.min()].reset_index(drop=True)


def build_network(
    ds,
    commodity: str,
    stage: str,
    year: int,
    *,
    production_source: str | None = None,
    countries: Iterable[str] | str | None = None,
    min_tonnes: float = 0.0,
) -> Network:
    """The trade network of one commodity stage and year (see the module docstring for the method).

    ``countries='all'`` adds every country of the trade table as a node (isolated ones included) — the full
    ~230-country network; an iterable adds those codes. ``min_tonnes`` drops smaller links.
    """
    from critmin.reference import commodities as cat

    c = cat.get(commodity)
    st = c.stage(stage)
    if not st.hs92:
        raise NoDataError(
            f"{c.id} {st.name} has no HS92 code in the catalogue, so there is no trade network "
            f"(stages with trade: {', '.join(c.trade_stages) or 'none'})"
        )
    tr = ds.trade(c.id, st.name, int(year))
    if tr.empty:
        lo, hi = ds.trade_years()
        raise NoDataError(
            f"no BACI flows of {c.id} {st.name} (HS {', '.join(st.hs92)}) in {year}; "
            f"the store has trade for {lo}-{hi}"
        )
    notes: list[str] = []
    prod = _preferred_production(ds, c, st.name, int(year), production_source)
    basis = prod["basis"].iloc[0] if not prod.empty else None
    if prod.empty:
        notes.append(f"no production data for {c.id} {st.name} {year}: P = 0 everywhere (trade only)")

    tr = tr.copy()
    missing = tr["tonnes"].isna() | (tr["tonnes"] <= 0)
    if missing.any():
        known = tr[~missing]
        uv = (known["tonnes"] / known["value_kusd"]).groupby(known["hs6"]).median()
        tr.loc[missing, "tonnes"] = tr.loc[missing, "value_kusd"] * tr.loc[missing, "hs6"].map(uv)
        notes.append(
            f"{int(missing.sum())} of {len(tr)} BACI flows had no quantity; imputed at the median "
            "unit value of their HS6 code"
        )
        tr["tonnes"] = tr["tonnes"].fillna(0.0)
    factors = _content_factors(st, basis)
    if factors and set(factors) >= set(tr["hs6"].unique()):
        tr["tonnes"] = tr["tonnes"] * tr["hs6"].map(factors)
        unit_basis = basis
        approx = [hs for hs, cf in st.content.items() if cf.approximate and hs in factors]
        notes.append(
            f"flows converted to {basis} content with the catalogue factors "
            + ", ".join(f"{hs}×{f:g}" for hs, f in factors.items())
            + (f" (approximate for {', '.join(approx)})" if approx else "")
        )
    else:
        unit_basis = "gross weight"
        if basis:
            notes.append(
                f"flows are gross product weight while production is {basis}: no content factor for "
                "every HS code, so the two bases differ (apparent consumption is approximate)"
            )
    flows = tr.groupby(["exporter", "importer"], as_index=False)["tonnes"].sum()
    flows = flows[(flows["exporter"] != flows["importer"]) & (flows["tonnes"] > min_tonnes)]

    prod_country = prod[prod["country"] != "ROW"] if not prod.empty else prod
    if not prod.empty and (prod["country"] == "ROW").any():
        row_t = float(prod.loc[prod["country"] == "ROW", "tonnes"].sum())
        notes.append(
            f"rest-of-world production aggregate ({row_t:,.0f} t) has no trade partner and is left out"
        )
    codes = (
        set(flows["exporter"])
        | set(flows["importer"])
        | set(prod_country["country"] if not prod.empty else [])
    )
    if isinstance(countries, str) and countries == "all":
        allc = ds.con.execute(
            "SELECT DISTINCT exporter FROM trade UNION SELECT DISTINCT importer FROM trade"
        ).fetchall()
        codes |= {r[0] for r in allc}
    elif countries is not None:
        codes |= set(countries)
    order = tuple(sorted(codes))
    pos = {k: i for i, k in enumerate(order)}
    P = np.zeros(len(order))
    if not prod.empty:
        agg = prod_country.groupby("country")["tonnes"].sum()
        P[[pos[k] for k in agg.index]] = agg.to_numpy(dtype=float)
    src = flows["exporter"].map(pos).to_numpy(dtype=np.int64)
    dst = flows["importer"].map(pos).to_numpy(dtype=np.int64)
    srcs = [str(tr["source"].iloc[0])] + ([str(prod["source"].iloc[0])] if not prod.empty else [])
    eds = [str(tr["edition"].iloc[0])] + ([str(prod["edition"].iloc[0])] if not prod.empty else [])
    net = Network(
        c.id,
        st.name,
        int(year),
        order,
        P,
        src,
        dst,
        flows["tonnes"].to_numpy(dtype=float),
        unit="tonnes",
        basis=unit_basis,
        source="; ".join(srcs),
        edition="; ".join(eds),
        notes=tuple(notes),
    )
    neg = int((net.consumption < -1e-9).sum())
    if neg:
        object.__setattr__(
            net,
            "notes",
            (
                *net.notes,
                f"{neg} countries export more than they produce and import "
                "(apparent consumption < 0; re-exports or missing production): no stocks",
            ),
        )
    return net
