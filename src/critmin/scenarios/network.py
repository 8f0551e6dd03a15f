"""The stage-specific trade network of one commodity and year: production, bilateral flows, consumption.

Built from the data layer's one basis per stage (:mod:`critmin.data.basis`, docs/data.md), so every tonne
of the network — production, flows, consumption — is on the stage's content basis (REO for rare earths,
Co for cobalt, product weight for graphite ...):

* flows: ``ds.trade(commodity, stage, year)`` content tonnes (CEPII BACI, HS92, converted with the
  catalogue's factors; quantities BACI lacks estimated from values), summed by exporter → importer. Flows of
  the stage's codes that the data layer judged ore or intermediate (unit-value and exporter rules) are not
  part of the network; ``Network.notes`` says how much was left out.
* production: ``ds.stage_production(commodity, stage, year)``, the stage's preferred series converted to
  the stage basis. A rest-of-world residual (``ROW``) is output of countries the series does not name: it is
  given to unnamed countries that export more than they produce and import, in proportion to that excess
  and never beyond it (:func:`allocate_rest_of_world`); what is left has no trade partner and stays out
  (its tonnes are in the notes).
* consumption: apparent consumption C = P + I − E (Marchand et al. 2016: net supply S). Summed over the
  world, Σ C = Σ P; what makes the two disagree is countries with C < 0 (exports that neither production
  nor imports explain: re-exports from stocks, missing producers, residual misclassification).
  :meth:`Network.balance` reports Σ max(C, 0) against Σ P; the documented margin is
  ``BALANCE_MARGIN`` (10%): a network beyond it says so in its notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.data.basis import allocate_rest_of_world
from critmin.errors import NoDataError, UnknownValueError

# Σ max(−C, 0) / Σ P beyond which a network says its apparent consumption and production disagree
BALANCE_MARGIN = 0.10


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

    def balance(self) -> dict[str, float]:
        """World apparent consumption against production (same basis).

        ``production_tonnes`` Σ P; ``consumption_tonnes`` Σ max(C, 0); ``unexplained_exports_tonnes``
        Σ max(−C, 0) (Σ C = Σ P, so the two differ by exactly this); ``margin`` = unexplained / Σ P."""
        c = self.consumption
        p = float(self.production.sum())
        neg = float(np.maximum(-c, 0.0).sum())
        return {
            "production_tonnes": p,
            "consumption_tonnes": float(np.maximum(c, 0.0).sum()),
            "unexplained_exports_tonnes": neg,
            "margin": neg / p if p > 0 else float("nan"),
        }

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


def _stage_production(ds, commodity, stage, year: int, source: str | None) -> pd.DataFrame:
    st = commodity.stages[stage]
    if source is None:
        return ds.stage_production(commodity.id, stage, year)
    df = ds.production(commodity.id, stage, year, source=source)
    if df.empty or st.basis is None:
        return df
    from critmin.reference.units import convertible

    bases = set(df["basis"])
    if not all(convertible(b, st.basis) for b in bases):
        raise NoDataError(
            f"{source} reports {commodity.id} {stage} as {', '.join(sorted(bases))}, which does not convert to "
            f"the stage basis {st.basis}; choose another production source"
        )
    return ds.production(commodity.id, stage, year, source=source, basis=st.basis)


def build_network(
    ds,
    commodity: str,
    stage: str,
    year: int,
    *,
    production_source: str | None = None,
    countries: Iterable[str] | str | None = None,
    min_tonnes: float = 0.0,
    allocate_rest: bool = True,
) -> Network:
    """The trade network of one commodity stage and year on the stage's content basis (see the module
    docstring for the method).

    ``countries='all'`` adds every country of the trade table as a node (isolated ones included) — the full
    ~230-country network; an iterable adds those codes. ``min_tonnes`` drops smaller links.
    ``production_source`` picks a production series (converted to the stage basis) instead of the
    catalogue's preferred one. ``allocate_rest=False`` leaves a rest-of-world residual out entirely.
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
    unit_basis = st.basis or "gross weight"
    approx = [h.code for h in st.codes if h.approximate]
    notes.append(
        f"flows in t {unit_basis}: BACI gross tonnes × the catalogue's content factors "
        + ", ".join(f"{h.code}×{h.content:g}" for h in st.codes if h.content is not None)
        + (f" (typical grades for {', '.join(approx)})" if approx else "")
    )
    n_est = int(tr["tonnes_estimated"].sum())
    if n_est:
        notes.append(
            f"{n_est} of {len(tr)} BACI flows had no quantity; estimated at the median unit value of their HS6 code"
        )
    flagged = ds.trade(c.id, st.name, int(year), flagged=True)
    flagged = flagged[flagged["flag"] != "ok"]
    if len(flagged):
        notes.append(
            f"{len(flagged)} flows ({flagged['gross_tonnes'].sum():,.0f} t gross, "
            f"{flagged['value_kusd'].sum() / 1e3:,.0f} M USD) of the stage's codes were judged ore or "
            "intermediate (unit-value and exporter rules, docs/data.md) and are not part of the network"
        )
    prod = _stage_production(ds, c, st.name, int(year), production_source)
    if prod.empty and production_source is None:
        # the stage's series may stop before the trade year (IEA refining: 2023 only): the nearest year
        # within the data layer's window stands in, as in the exporter rule
        from critmin.data.basis import PRODUCTION_YEAR_WINDOW, nearest_year

        have = ds.stage_production(c.id, st.name)["year"]
        py = nearest_year(have, int(year), PRODUCTION_YEAR_WINDOW) if len(have) else None
        if py is not None:
            prod = ds.stage_production(c.id, st.name, py)
            notes.append(f"production of {py} stands in for {year} (the stage's series has no {year} figure)")
    if prod.empty:
        notes.append(f"no production data for {c.id} {st.name} {year}: P = 0 everywhere (trade only)")

    tr = tr[tr["content_tonnes"].notna()]
    flows = tr.groupby(["exporter", "importer"], as_index=False)["content_tonnes"].sum()
    flows = flows.rename(columns={"content_tonnes": "tonnes"})
    flows = flows[(flows["exporter"] != flows["importer"]) & (flows["tonnes"] > min_tonnes)]

    is_row = prod["country"] == "ROW" if not prod.empty else pd.Series(dtype=bool)
    prod_country = prod[~is_row] if not prod.empty else prod
    row_t = float(prod.loc[is_row, "tonnes"].sum()) if not prod.empty else 0.0
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
    named = np.zeros(len(order), dtype=bool)
    if not prod.empty:
        agg = prod_country.groupby("country")["tonnes"].sum()
        P[[pos[k] for k in agg.index]] = agg.to_numpy(dtype=float)
        named[[pos[k] for k in agg.index]] = True
    src = flows["exporter"].map(pos).to_numpy(dtype=np.int64)
    dst = flows["importer"].map(pos).to_numpy(dtype=np.int64)
    F = flows["tonnes"].to_numpy(dtype=float)
    if row_t > 0:
        given = np.zeros(len(order))
        if allocate_rest:
            imports = np.bincount(dst, weights=F, minlength=len(order))
            exports = np.bincount(src, weights=F, minlength=len(order))
            given = allocate_rest_of_world(row_t, exports - P - imports, ~named)
            P = P + given
        got = np.nonzero(given > 0)[0]
        notes.append(
            f"rest-of-world production ({row_t:,.0f} t {unit_basis}): "
            + (
                f"{given.sum():,.0f} t given to {len(got)} unnamed net exporters "
                f"({', '.join(order[i] for i in got[np.argsort(-given[got])][:5])}"
                + (", ..." if len(got) > 5 else "")
                + "); "
                if len(got)
                else ""
            )
            + f"{row_t - given.sum():,.0f} t have no trade partner and are left out"
        )
    srcs = [str(tr["source"].iloc[0])] + ([str(prod["source"].iloc[0])] if not prod.empty else [])
    eds = [str(tr["edition"].iloc[0])] + ([str(prod["edition"].iloc[0])] if not prod.empty else [])
    if not prod.empty and prod.get("conversion_approximate", pd.Series(False)).any():
        rep = ", ".join(sorted(set(prod["basis_reported"]) - {unit_basis}))
        notes.append(
            f"production converted from {rep} to {unit_basis} (approximate, critmin.reference.units)"
        )
    net = Network(
        c.id,
        st.name,
        int(year),
        order,
        P,
        src,
        dst,
        F,
        unit="tonnes",
        basis=unit_basis,
        source="; ".join(srcs),
        edition="; ".join(eds),
        notes=tuple(notes),
    )
    extra = []
    neg = int((net.consumption < -1e-9).sum())
    if neg:
        extra.append(
            f"{neg} countries export more than they produce and import "
            "(apparent consumption < 0; re-exports or missing production): no stocks"
        )
    bal = net.balance()
    if not prod.empty and bal["margin"] > BALANCE_MARGIN:
        extra.append(
            f"apparent consumption ({bal['consumption_tonnes']:,.0f} t) exceeds production "
            f"({bal['production_tonnes']:,.0f} t) by {bal['margin']:.0%}, beyond the {BALANCE_MARGIN:.0%} margin: "
            "exports that neither production nor imports explain"
        )
    if extra:
        object.__setattr__(net, "notes", (*net.notes, *extra))
    return net


def world_balance(ds, year: int, commodities=None) -> pd.DataFrame:
    """World apparent consumption against production for every stage with trade codes in ``year``.

    One row per commodity and trade stage: production_tonnes, consumption_tonnes (Σ max(C, 0)),
    unexplained_exports_tonnes, margin, within_margin (margin ≤ ``BALANCE_MARGIN``), basis, and a note
    when the stage has no network or no production that year. Uses :func:`build_network`, so it is the
    balance every scenario and optimiser of that stage works on.
    """
    from critmin.reference import commodities as cat

    rows = []
    for c in cat.resolve_many(commodities):
        for s in c.trade_stages:
            row = {"commodity": c.id, "stage": s, "year": int(year), "basis": c.stages[s].basis}
            try:
                net = build_network(ds, c.id, s, int(year))
            except NoDataError as exc:
                rows.append({**row, "note": str(exc)})
                continue
            bal = net.balance()
            has_p = bal["production_tonnes"] > 0
            rows.append(
                {
                    **row,
                    **bal,
                    "margin": bal["margin"] if has_p else np.nan,
                    "within_margin": bool(bal["margin"] <= BALANCE_MARGIN) if has_p else None,
                    "note": "" if has_p else "no production series for the stage: trade only",
                }
            )
    cols = [
        "commodity", "stage", "year", "basis", "production_tonnes", "consumption_tonnes",
        "unexplained_exports_tonnes", "margin", "within_margin", "note",
    ]  # fmt: skip
    return pd.DataFrame(rows).reindex(columns=cols)


def world_balance_markdown(balance: pd.DataFrame) -> str:
    """:func:`world_balance` as the Markdown table of docs/data.md (``critmin data stages --balance``)."""

    def t(v) -> str:
        return "—" if v != v else f"{v:,.0f}"

    lines = [
        "| mineral | stage | basis | production t | apparent consumption t | unexplained exports t | margin |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in balance.itertuples(index=False):
        if r.margin == r.margin:
            m = f"{r.margin:.1%}" + ("" if r.within_margin else " ⚠")
        else:
            m = r.note.split(";")[0] if isinstance(r.note, str) and r.note else "—"
        lines.append(
            f"| {r.commodity} | {r.stage} | {r.basis} | {t(r.production_tonnes)} | {t(r.consumption_tonnes)} | "
            f"{t(r.unexplained_exports_tonnes)} | {m} |"
        )
    return "\n".join(lines) + "\n"
