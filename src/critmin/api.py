"""The Python API: ``ds = critmin.open()`` and tidy tables with units and provenance.

Every method returns a pandas DataFrame with the inputs that identify each row (party, commodity, stage,
year, ...), the figures (units in the column names) and their provenance (source, edition). The CLI, the web
app and the reports call these same methods.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.data.basis import TRADE_BASIS_COLUMNS
from critmin.errors import NoDataError, UnknownValueError
from critmin.indicators import disagreement, materiality
from critmin.indicators.dependence import import_reliance
from critmin.indicators.tables import REST_OF_WORLD, group_concentration
from critmin.reference import blocs as blocs_mod
from critmin.reference import commodities as cat
from critmin.reference.blocs import Party
from critmin.store import EDITION_RANK, Store, best_editions_sql

TRADE_SOURCE = "BACI"


def _years(years: int | Iterable[int] | None) -> list[int] | None:
    if years is None:
        return None
    if isinstance(years, int | np.integer):
        return [int(years)]
    return [int(y) for y in years]


class Dataset:
    """critmin's data (a DuckDB store) with the indicator methods on top.

    >>> import critmin
    >>> ds = critmin.open()
    >>> ds.exposure(["JPN", "ITA"], year=2023)              # doctest: +SKIP
    >>> ds.concentration("rare_earths", stage="mine")       # doctest: +SKIP
    """

    def __init__(self, db: str | Path | None = None):
        self.store = Store(db, with_basis=True)  # a new store is built with its basis tables, in one go
        self.store.ensure_basis()  # stale ones (new data ingested) are rebuilt

    @property
    def con(self):
        return self.store.con

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _one(self, sql: str, params: list | None = None) -> tuple | None:
        """First row of a query. Fetches the whole (small) result: duckdb 2 refuses new work on a connection
        whose previous result was only partly fetched."""
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0] if rows else None

    # -- reference ------------------------------------------------------------------------------------------
    @staticmethod
    def commodity(name: str) -> cat.Commodity:
        return cat.get(name)

    @staticmethod
    def party(spec: str | Party, year: int | str | None = None) -> Party:
        """Resolve 'JPN', 'Japan', 'G7', 'JPN+ITA' ... (bloc membership as of ``year``)."""
        return spec if isinstance(spec, Party) else blocs_mod.party(spec, year)

    @staticmethod
    def parties(specs: str | Iterable[str | Party], year: int | str | None = None) -> list[Party]:
        if isinstance(specs, str):
            return blocs_mod.parties(specs, year)
        out = []
        for s in specs:
            out.extend([s] if isinstance(s, Party) else blocs_mod.parties(str(s), year))
        return out

    @staticmethod
    def members(bloc: str, date=None) -> tuple[str, ...]:
        return blocs_mod.members(bloc, date)

    # -- raw tables -----------------------------------------------------------------------------------------
    _EDITION_RANK = EDITION_RANK

    @staticmethod
    def _best_editions(table: str, keys: str) -> str:
        """SQL selecting, per ``keys`` (e.g. 'source, year'), the winning edition of ``table``."""
        return best_editions_sql(table, keys)

    _TRADE_CATEGORIES = (
        "exporter",
        "importer",
        "hs6",
        "commodity",
        "hs_stage",
        "stage",
        "form",
        "basis",
        "flag",
        "source",
        "edition",
    )

    @functools.cached_property
    def _trade_all(self) -> pd.DataFrame:
        """Every flow of the winning BACI edition on its stage basis: the ``trade_basis`` table
        (:mod:`critmin.data.basis`; columns in docs/data.md)."""
        cols = ", ".join(c for c, _, _ in TRADE_BASIS_COLUMNS)
        # a cursor of its own: independent of any half-fetched result on the shared connection
        rel = self.con.cursor().sql(f"SELECT {cols} FROM trade_basis")
        # duckdb 2 renamed the Arrow fetch; support both spellings
        tbl = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
        for col in self._TRADE_CATEGORIES:
            i = tbl.schema.get_field_index(col)
            tbl = tbl.set_column(i, col, tbl.column(col).dictionary_encode())
        df = tbl.to_pandas()
        df["year"] = df["year"].astype("int16")
        return df

    def trade(
        self,
        commodity: str,
        stage: str | None = None,
        years: int | Iterable[int] | None = None,
        *,
        hs6: Iterable[str] | None = None,
        flagged: bool = False,
    ) -> pd.DataFrame:
        """Bilateral flows counted in a commodity's stage, on the stage's content basis.

        Columns (docs/data.md, ``trade_basis``): year, exporter, importer, hs6, commodity, hs_stage, stage,
        form, value_kusd (thousand current USD, FOB), tonnes (as BACI reports it, gross weight, may be
        missing), gross_tonnes (estimated from the value where missing), tonnes_estimated, content_tonnes (t of
        ``basis``), basis, content_approximate, unit values, flag, source, edition.

        ``stage`` defaults to every stage of the commodity. Flows judged ore or intermediate inside a refined
        code (unit-value and exporter rules) count in no stage and are left out unless ``flagged``, which
        returns every flow of the stage's HS codes with its flag.
        """
        c = cat.get(commodity)
        df = self._trade_all
        mask = df["commodity"] == c.id
        if stage:
            st = c.stage(stage).name
            mask &= (df["hs_stage"] == st) if flagged else (df["stage"] == st)
        elif not flagged:
            mask &= df["stage"].notna()
        if hs6 is not None:
            mask &= df["hs6"].isin([str(h) for h in hs6])
        ys = _years(years)
        if ys is not None:
            mask &= df["year"].isin(ys)
        out = df[mask].copy()
        for col in self._TRADE_CATEGORIES:
            out[col] = out[col].astype(object).where(out[col].notna(), None)
        return out.reset_index(drop=True)

    def stage_production(
        self, commodity: str, stage: str, years: int | Iterable[int] | None = None
    ) -> pd.DataFrame:
        """Production on the stage's content basis: the stage's preferred series per year, converted
        (``production_basis`` table; :func:`critmin.data.basis.preferred_stage_production`). The basis every
        tonne of :meth:`trade` is also on. A row with country ``ROW`` is a rest-of-world residual."""
        c = cat.get(commodity)
        st = c.stage(stage)
        df = self._production_basis_all
        mask = (df["commodity"] == c.id) & (df["stage"] == st.name)
        ys = _years(years)
        if ys is not None:
            mask &= df["year"].isin(ys)
        return df[mask].reset_index(drop=True)

    @functools.cached_property
    def _production_basis_all(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM production_basis").df()

    def trade_years(self) -> tuple[int, int]:
        lo, hi = self._one("SELECT min(year), max(year) FROM trade")
        return int(lo), int(hi)

    def analysis_year(self) -> int:
        """The one year a run describes when none is given: the latest year of trade data.

        ``critmin exposure``, ``critmin report`` and the Python API all default to it, so one run states one
        year; stages whose production series ends earlier use their latest year before it, and say so.
        """
        return self.trade_years()[1]

    def production(
        self,
        commodity: str,
        stage: str,
        years: int | Iterable[int] | None = None,
        source: str | None = None,
        *,
        all_editions: bool = False,
        basis: str | None = None,
    ) -> pd.DataFrame:
        """Production by country (tonnes of the series' content basis), one source and edition per year.

        Without ``source`` every source of the stage is returned. Unless ``all_editions``, only the latest
        edition per (source, year) is kept (e.g. MCS 2024's revised 2022 figure over MCS 2023's estimate).
        A row with country ``ROW`` is a residual "rest of world / other countries" aggregate. ``basis``
        converts every series to one content basis (e.g. 'Li' turns WMD's Li2O into lithium content; see
        :mod:`critmin.reference.units`); the original basis stays in ``basis_reported``.
        """
        c = cat.get(commodity)
        st = c.stage(stage)
        df = self._production_all_editions if all_editions else self._production_all
        mask = (df["commodity"] == c.id) & (df["stage"] == st.name)
        if source:
            mask &= df["source"].str.lower() == source.lower()
        ys = _years(years)
        if ys is not None:
            mask &= df["year"].isin(ys)
        out = df[mask].sort_values(["source", "edition", "year", "country"]).reset_index(drop=True)
        if basis is not None:
            from critmin.reference.units import factor

            out["basis_reported"] = out["basis"]
            factors = {b: factor(b, basis) for b in out["basis"].unique()}
            out["tonnes"] = out["tonnes"] * out["basis"].map(lambda b: factors[b][0])
            out["basis"] = basis
            out["conversion_approximate"] = out["basis_reported"].map(lambda b: factors[b][1])
        return out

    @functools.cached_property
    def _production_all_editions(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM production").df()

    @functools.cached_property
    def _production_all(self) -> pd.DataFrame:
        best = self._best_editions("production", "commodity, stage, source, year")
        return self.con.execute(
            f"SELECT p.* FROM production p JOIN ({best}) b USING (commodity, stage, source, year, edition)"
        ).df()

    def governance(
        self, indicator: str = "pv", years: int | Iterable[int] | None = None, edition: str | None = None
    ) -> pd.DataFrame:
        """WGI estimates (−2.5 … +2.5, higher = better governance) by country and year.

        ``indicator``: va, pv, ge, rq, rl, cc. Default edition: the preferred one holding the indicator (an
        ingested release first; embedded: the 2025 release for pv, which covers 2024 as used by GeoPolRisk, and the
        2024 release for the others). Editions are never mixed within one call.
        """
        valid = ("va", "pv", "ge", "rq", "rl", "cc")
        if indicator not in valid:
            raise UnknownValueError("WGI indicator", indicator, valid)
        if edition is None:
            best = self._one(
                f"""SELECT arg_max(d.edition, {self._EDITION_RANK.replace("s.edition", "d.edition")})
                    FROM (SELECT DISTINCT source, edition FROM governance WHERE indicator = ?) d
                    LEFT JOIN sources s ON s.data_table = 'governance' AND s.source = d.source
                                         AND s.edition = d.edition""",
                [indicator],
            )
            if not best or best[0] is None:
                raise NoDataError(f"no governance data for indicator {indicator!r}")
            edition = best[0]
        params: list = [indicator, edition]
        sql = "SELECT * FROM governance WHERE indicator = ? AND edition = ?"
        ys = _years(years)
        if ys is not None:
            sql += f" AND year IN ({', '.join('?' * len(ys))})"
            params.extend(ys)
        return self.con.execute(sql + " ORDER BY country, year", params).df()

    def ideal_points(self, session: int | None = None) -> pd.DataFrame:
        """UNGA ideal points (Bailey, Strezhnev & Voeten 2017) by country and session (year = session + 1945)."""
        if session is None:
            return self.con.execute("SELECT * FROM ideal_points ORDER BY country, session").df()
        return self.con.execute(
            "SELECT * FROM ideal_points WHERE session = ? ORDER BY country", [session]
        ).df()

    def sources(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM sources ORDER BY data_table, source, edition").df()

    # -- IEA outlook (critmin.outlook) -------------------------------------------------------------------
    def _outlook_table(self, table: str) -> pd.DataFrame:
        # one edition per source: a later IEA edition has other years and must not be mixed with this one
        best = self._best_editions(table, "source")
        return self.con.execute(f"SELECT t.* FROM {table} t JOIN ({best}) b USING (source, edition)").df()

    @functools.cached_property
    def _supply_outlook_all(self) -> pd.DataFrame:
        return self._outlook_table("supply_outlook")

    @functools.cached_property
    def _demand_outlook_all(self) -> pd.DataFrame:
        return self._outlook_table("demand_outlook")

    def supply_outlook(
        self,
        commodity: str | Iterable[str] | None = None,
        stage: str | Iterable[str] | None = None,
        years: int | Iterable[int] | None = None,
    ) -> pd.DataFrame:
        """IEA supply by country (kt contained): 2023 observed and the base-case projections for 2030, 2035
        and 2040 (``projection``), for copper, cobalt, lithium, nickel, graphite and magnet rare earths at the
        mine and refined stages. The projections are the IEA's base case (announced projects weighted by
        their probability of coming online), not critmin's forecasts. ``country`` ROW = rest of world."""
        from critmin.outlook import iea

        df = self._supply_outlook_all
        mask = df["commodity"].isin(iea.check_minerals(commodity)) & df["stage"].isin(iea.check_stages(stage))
        if years is not None:
            mask &= df["year"].isin(iea.check_years(years))
        return df[mask].sort_values(["commodity", "stage", "year", "country"]).reset_index(drop=True)

    def demand_outlook(
        self,
        commodity: str | Iterable[str] | None = None,
        scenario: str | Iterable[str] | None = None,
        years: int | Iterable[int] | None = None,
    ) -> pd.DataFrame:
        """IEA demand by end-use sector (kt contained) under STEPS, APS and NZE, 2023-2050 (2023 observed and
        repeated under each scenario). ``sector_kind``: sector, subtotal (clean technologies) or total."""
        from critmin.outlook import iea

        df = self._demand_outlook_all
        mask = df["commodity"].isin(iea.check_minerals(commodity)) & df["scenario"].isin(
            iea.check_scenarios(scenario)
        )
        ys = _years(years)
        if ys is not None:
            mask &= df["year"].isin(ys)
        return df[mask].sort_values(["commodity", "scenario", "sector", "year"]).reset_index(drop=True)

    def outlook(
        self,
        commodity: str | Iterable[str] | None = None,
        stage: str | Iterable[str] | None = None,
        scenarios: str | Iterable[str] | None = None,
        years: int | Iterable[int] | None = None,
        *,
        share_of: str = "CHN",
    ) -> pd.DataFrame:
        """Projected concentration and world balance, 2023 -> 2030 -> 2035 -> 2040 (IEA base case).

        One row per commodity, stage, scenario and year: world supply (kt), HHI (0-1 and ×10,000), top-3
        share, leader, share of ``share_of`` (NaN when the IEA does not name it, with its upper bound in
        ``share_<label>_max``), the scenario's demand, balance_kt = supply − demand where like for like, and
        supply and demand growth since 2023. See :mod:`critmin.outlook.concentration`.
        """
        from critmin.outlook import iea
        from critmin.outlook.concentration import outlook_table

        who = self.party(share_of)
        sup = self.supply_outlook(commodity, stage)
        out = outlook_table(
            sup, self._demand_outlook_all, set(who.members), who.label, iea.check_scenarios(scenarios)
        )
        if years is not None:
            out = out[out["year"].isin(iea.check_years(years))].reset_index(drop=True)
        return out

    # -- production concentration -------------------------------------------------------------------------
    def _preferred_production(self, commodity: cat.Commodity, stage: str, source: str | None) -> pd.DataFrame:
        """Production of one stage from one source: ``source`` or the catalogue's first source with data.

        The source can differ by year only when ``source`` is None and the preferred one lacks a year
        (e.g. WMD to 2024, IEA only 2023): for each year the first source in catalogue order that has it.
        """
        df = self.production(commodity.id, stage, source=source)
        if df.empty:
            return df
        order = {p.source.upper(): i for i, p in enumerate(commodity.stages[stage].production)}
        df["_rank"] = df["source"].str.upper().map(order).fillna(99)
        best = df.groupby("year")["_rank"].transform("min")
        return df[df["_rank"] == best].drop(columns="_rank").reset_index(drop=True)

    def concentration(
        self,
        commodity: str | Iterable[str] | None = None,
        stage: str | None = None,
        years: int | Iterable[int] | None = None,
        *,
        source: str | None = None,
        share_of: str = "CHN",
        top: int = 3,
    ) -> pd.DataFrame:
        """World production concentration by commodity, stage and year.

        Columns: commodity, stage, year, world_tonnes, n_producers, hhi (0-1), hhi_10000, top{top}_share,
        share_<party> (share of ``share_of``: a country or bloc), leader, leader_share, basis, source, edition.
        """
        comms = cat.resolve_many(commodity) if not isinstance(commodity, str) else [cat.get(commodity)]
        if stage is not None:
            cat.check_stage(stage)
        who = blocs_mod.party(share_of)
        frames = []
        for c in comms:
            for sname in c.stages:
                if stage and sname != stage:
                    continue
                df = self._preferred_production(c, sname, source)
                ys = _years(years)
                if ys is not None:
                    df = df[df["year"].isin(ys)]
                if not df.empty:
                    frames.append(df)
        if not frames:
            what = ", ".join(c.id for c in comms)
            raise NoDataError(
                f"no production data for {what}"
                + (f" at stage {stage!r}" if stage else "")
                + (f" in {years}" if years is not None else "")
            )
        out = group_concentration(
            pd.concat(frames, ignore_index=True),
            ["commodity", "stage", "year", "source", "edition", "basis"],
            "country",
            "tonnes",
            top=top,
            named={"x": set(who.members)},
            leaders=1,
        )
        out = out.rename(
            columns={
                "total": "world_tonnes",
                "n_suppliers": "n_producers",
                "share_x": f"share_{who.label}",
                "supplier_1": "leader",
                "supplier_1_share": "leader_share",
            }
        )
        out["hhi_10000"] = out["hhi"] * 10_000
        cols = [
            "commodity",
            "stage",
            "year",
            "world_tonnes",
            "n_producers",
            "hhi",
            "hhi_10000",
            f"top{top}_share",
            f"share_{who.label}",
            "leader",
            "leader_share",
            "basis",
            "source",
            "edition",
        ]
        order = {cid: i for i, cid in enumerate(cat.catalogue())}
        out = out[cols].assign(_c=out["commodity"].map(order))
        return out.sort_values(["_c", "stage", "year"]).drop(columns="_c").reset_index(drop=True)

    # -- imports --------------------------------------------------------------------------------------------
    @staticmethod
    def _party_frame(parties: list[Party]) -> pd.DataFrame:
        return pd.DataFrame([(p.label, m) for p in parties for m in p.members], columns=["party", "member"])

    def bilateral(
        self,
        parties: str | Iterable[str | Party],
        commodity: str | Iterable[str] | None = None,
        years: int | Iterable[int] | None = None,
        *,
        stage: str | None = None,
        intra_bloc: bool = False,
        direction: str = "imports",
        by_hs: bool = False,
    ) -> pd.DataFrame:
        """Imports (or exports) of each party by partner, counted in the stage the flows belong to.

        Columns: party, commodity, stage, year, partner, [hs6,] value_kusd (thousand USD, FOB), tonnes (t of
        product weight as BACI reports it, NaN where it has none), gross_tonnes (the same, estimated from the
        value where BACI has no quantity), content_tonnes (t of the stage's content basis), basis. For a bloc, members' flows with other members are dropped
        unless ``intra_bloc``. Flows judged ore or intermediate inside refined codes are not counted
        (:meth:`trade` with ``flagged=True`` lists them).
        """
        if direction not in ("imports", "exports"):
            raise UnknownValueError("direction", direction, ["imports", "exports"])
        ps = self.parties(parties) if not isinstance(parties, Party) else [parties]
        comms = cat.resolve_many(commodity) if not isinstance(commodity, str) else [cat.get(commodity)]
        if stage is not None:
            cat.check_stage(stage)
        df = self._trade_all
        mask = df["commodity"].isin([c.id for c in comms]) & df["stage"].notna()
        if stage:
            mask &= df["stage"] == stage
        ys = _years(years)
        if ys is not None:
            mask &= df["year"].isin(ys)
        own, other = ("importer", "exporter") if direction == "imports" else ("exporter", "importer")
        pf = self._party_frame(ps)
        cols = [
            "year", "exporter", "importer", "hs6", "commodity", "stage", "value_kusd", "tonnes", "gross_tonnes",
            "content_tonnes", "basis",
        ]  # fmt: skip
        t = df.loc[mask & df[own].isin(pf["member"]), cols]
        for col in ("exporter", "importer", "hs6", "commodity", "stage", "basis"):
            t[col] = t[col].astype(str)
        t = t.merge(pf, left_on=own, right_on="member")
        if not intra_bloc:
            inside = pd.MultiIndex.from_frame(t[["party", other]]).isin(
                pd.MultiIndex.from_frame(pf[["party", "member"]])
            )
            t = t[~inside]
        keys = ["party", "commodity", "stage", "basis", "year", other] + (["hs6"] if by_hs else [])
        g = t.groupby(keys, observed=True, sort=False)
        out = pd.DataFrame(
            {
                "value_kusd": g["value_kusd"].sum(),
                "tonnes": g["tonnes"].sum(min_count=1),
                "gross_tonnes": g["gross_tonnes"].sum(min_count=1),
                "content_tonnes": g["content_tonnes"].sum(min_count=1),
            }
        )
        return out.reset_index().rename(columns={other: "partner"})

    def exposure(
        self,
        parties: str | Iterable[str | Party],
        year: int | None = None,
        *,
        years: Iterable[int] | None = None,
        commodities: str | Iterable[str] | None = None,
        basis: str = "value",
        intra_bloc: bool = False,
        share_from: str = "CHN",
    ) -> pd.DataFrame:
        """Exposure of importers to every critical mineral: the main table of critmin.

        For each party (country or bloc), commodity and trade stage: import value (kUSD), gross tonnes and
        content tonnes on the stage's basis (``content_basis``), exports, the top three suppliers with shares,
        supplier HHI, the share of imports from ``share_from`` (China by default), net import reliance where
        production is known, world production concentration (HHI, top-3 share, China share) for the mine and
        refined stages, and whether the row is ``material`` (:mod:`critmin.indicators.materiality`). Shares
        are of import value unless ``basis='tonnes'`` (content tonnes). ``year`` defaults to the latest year
        with trade data; ``years`` gives a time series. Commodities or stages with no HS92 code in the data
        get a row whose ``coverage`` says so. Flows of the stage's codes judged ore or intermediate are not
        counted (``import_flagged_value_kusd`` says how much was left out).
        """
        if basis not in ("value", "tonnes"):
            raise UnknownValueError("basis", basis, ["value", "tonnes"])
        lo, hi = self.trade_years()
        ys = _years(years) if years is not None else [int(year) if year is not None else hi]
        if not ys:
            raise NoDataError("no years requested")
        bad = [y for y in ys if y < lo or y > hi]
        if bad:
            from critmin.errors import year_spans

            raise NoDataError(f"no trade data for {year_spans(bad)}: the store has {lo}-{hi}")
        comms = cat.resolve_many(commodities)
        ps = self.parties(parties, max(ys))
        src = self.party(share_from)
        qty = "value_kusd" if basis == "value" else "content_tonnes"
        keys = ["party", "commodity", "stage", "year"]

        imp = self.bilateral(ps, [c.id for c in comms], ys, intra_bloc=intra_bloc, by_hs=True)
        exp = self.bilateral(
            ps, [c.id for c in comms], ys, intra_bloc=intra_bloc, direction="exports", by_hs=True
        )
        conc = group_concentration(
            imp, keys, "partner", qty, top=3, named={"from": set(src.members)}, rest=None, leaders=3
        )
        # the same share on the other basis, so that a value share far from the tonnes share is said
        alt_basis = "tonnes" if basis == "value" else "value"
        alt = group_concentration(
            imp,
            keys,
            "partner",
            "content_tonnes" if basis == "value" else "value_kusd",
            top=1,
            named={"from": set(src.members)},
            rest=None,
        )[[*keys, "share_from"]].rename(columns={"share_from": "alt_basis_share_from"})
        totals = self._flow_totals(imp, "import")
        etot = self._flow_totals(exp, "export")

        # the full grid of rows that should exist, so "no imports" is explicit rather than missing
        grid = [
            (p.label, c.id, s, y)
            for p in ps
            for c in comms
            for s in (c.trade_stages or [next(iter(c.stages))])
            for y in ys
        ]
        out = pd.DataFrame(grid, columns=keys)
        out = out.merge(totals, on=keys, how="left").merge(etot, on=keys, how="left")
        out = out.merge(conc.drop(columns=["total"]), on=keys, how="left")
        out = out.merge(alt, on=keys, how="left")
        out = out.rename(columns={"hhi": "supplier_hhi", "share_from": f"share_from_{src.label}"})
        # a stage has trade data for a year when BACI records any flow of its codes that year (germanium's
        # HS92 811230, for instance, stops in 2016): otherwise imports are unknown, not zero
        t = self._trade_all
        world = t[t["year"].isin(ys)].groupby(["commodity", "stage", "year"], observed=True).size()
        has_hs = np.array(
            [
                (c, s, y) in world.index and world[(c, s, y)] > 0
                for c, s, y in zip(out["commodity"], out["stage"], out["year"], strict=True)
            ]
        )
        for col in ("import_value_kusd", "export_value_kusd", "n_suppliers"):
            out[col] = np.where(has_hs, out[col].fillna(0.0), np.nan)
        out["n_suppliers"] = pd.array(out["n_suppliers"], dtype="Int64")  # a count, not a measurement
        out = out.merge(self._flagged_imports(ps, comms, ys, intra_bloc), on=keys, how="left")
        out["import_flagged_value_kusd"] = np.where(
            has_hs, out["import_flagged_value_kusd"].fillna(0.0), np.nan
        )
        out["content_basis"] = [
            cat.get(c).stages[s].basis for c, s in zip(out["commodity"], out["stage"], strict=True)
        ]
        # material: at least USD 1 M and 1 % of the party's imports of the mineral (all its stages)
        mineral_total = out.groupby(["party", "commodity", "year"])["import_value_kusd"].transform("sum")
        out["material"] = materiality.DEFAULT(out["import_value_kusd"], mineral_total)

        out = self._add_reliance(out, ps, has_hs)
        out = self._add_world_concentration(out, comms)
        out = self._add_disagreement(out, src.label, basis, alt_basis)

        meta = {p.label: p for p in ps}
        out.insert(1, "party_name", out["party"].map(lambda lab: meta[lab].name))
        out.insert(2, "members", out["party"].map(lambda lab: ",".join(meta[lab].members)))
        out.insert(4, "commodity_name", out["commodity"].map(lambda cid: cat.get(cid).name))
        out["hs_codes"] = [
            ",".join(cat.get(c).stages[s].hs92) for c, s in zip(out["commodity"], out["stage"], strict=True)
        ]
        out["coverage"] = [
            self._coverage_note(c, s, n, y)
            for c, s, n, y in zip(
                out["commodity"], out["stage"], out["import_value_kusd"], out["year"], strict=True
            )
        ]
        out["share_basis"] = basis
        out["trade_source"] = f"{TRADE_SOURCE} {self._trade_edition}"
        order_p = {lab: i for i, lab in enumerate(meta)}
        order_c = {cid: i for i, cid in enumerate(cat.catalogue())}
        order_s = {s: i for i, s in enumerate(cat.STAGES)}
        out = out.assign(
            _p=out["party"].map(order_p), _c=out["commodity"].map(order_c), _s=out["stage"].map(order_s)
        )
        return (
            out.sort_values(["_p", "_c", "_s", "year"])
            .drop(columns=["_p", "_c", "_s"])
            .reset_index(drop=True)
        )

    @staticmethod
    def _flow_totals(flows: pd.DataFrame, prefix: str) -> pd.DataFrame:
        """Value, gross tonnes and content tonnes (the stage's basis) per party/commodity/stage/year."""
        keys = ["party", "commodity", "stage", "year"]
        g = flows.groupby(keys, observed=True, sort=False)
        return pd.DataFrame(
            {
                f"{prefix}_value_kusd": g["value_kusd"].sum(),
                f"{prefix}_gross_tonnes": g["gross_tonnes"].sum(min_count=1),
                f"{prefix}_content_tonnes": g["content_tonnes"].sum(min_count=1),
            }
        ).reset_index()

    def _flagged_imports(
        self, parties: list[Party], comms, years: list[int], intra_bloc: bool
    ) -> pd.DataFrame:
        """Value of each party's imports of a stage's codes judged ore or intermediate (not counted)."""
        t = self._trade_all
        t = t[t["stage"].isna() & t["commodity"].isin([c.id for c in comms]) & t["year"].isin(years)]
        pf = self._party_frame(parties)
        t = t[t["importer"].isin(pf["member"])][
            ["year", "exporter", "importer", "commodity", "hs_stage", "value_kusd"]
        ]
        t = t.astype({"exporter": str, "importer": str, "commodity": str, "hs_stage": str})
        t = t.merge(pf, left_on="importer", right_on="member")
        if not intra_bloc:
            inside = pd.MultiIndex.from_frame(t[["party", "exporter"]]).isin(
                pd.MultiIndex.from_frame(pf[["party", "member"]])
            )
            t = t[~inside]
        out = t.groupby(["party", "commodity", "hs_stage", "year"], as_index=False)["value_kusd"].sum()
        return out.rename(columns={"hs_stage": "stage", "value_kusd": "import_flagged_value_kusd"})

    @functools.cached_property
    def _trade_edition(self) -> str:
        row = self._one("SELECT string_agg(DISTINCT edition, '; ') FROM trade")
        return str(row[0]) if row and row[0] else ""

    @staticmethod
    def _coverage_note(commodity: str, stage: str, imports: float, year: int) -> str:
        st = cat.get(commodity).stages[stage]
        if not st.hs92:
            return st.hs_note or "no HS92 code in the trade data"
        if imports != imports:  # NaN: codes exist but no flow recorded anywhere that year
            return f"no BACI flows of HS {', '.join(st.hs92)} in {year}" + (
                f"; {st.hs_note}" if st.hs_note else ""
            )
        if st.hs_note:
            return st.hs_note
        if imports == 0:
            return "no recorded imports"
        return ""

    def _add_reliance(self, out: pd.DataFrame, parties: list[Party], has_hs: np.ndarray) -> pd.DataFrame:
        """Net import reliance on the stage's content basis (USGS definition, see
        :func:`critmin.indicators.dependence.import_reliance`): trade and production both from the data
        layer's one basis per stage (``trade_basis``, ``production_basis``)."""
        prod = self._production_basis_all
        pf = self._party_frame(parties)
        own = (
            prod.merge(pf, left_on="country", right_on="member")
            .groupby(["party", "commodity", "stage", "year"], as_index=False)["tonnes"]
            .sum()
        )
        # production of the trade year, else of the year before (IEA refining ends a year before BACI): a
        # stage's reliance is then computed against its latest production, and the note says which year
        covered = set(map(tuple, prod[["commodity", "stage", "year"]].drop_duplicates().to_numpy()))
        pyear = [
            y if (c, s, y) in covered else (y - 1 if (c, s, y - 1) in covered else None)
            for c, s, y in zip(out["commodity"], out["stage"], out["year"], strict=True)
        ]
        out["production_year"] = pd.array(pyear, dtype="Int64")
        own = own.rename(columns={"tonnes": "production_tonnes", "year": "production_year"})
        own["production_year"] = own["production_year"].astype("Int64")
        out = out.merge(own, how="left", on=["party", "commodity", "stage", "production_year"])
        known = out["production_year"].notna().to_numpy()
        lagged = has_hs & known & (out["production_year"].fillna(0).to_numpy() != out["year"].to_numpy())
        out["production_tonnes"] = np.where(known, out["production_tonnes"].fillna(0.0), np.nan)
        content_ok = np.array(
            [
                bool(st.hs92) and all(h.content is not None for h in st.codes)
                for st in (cat.get(c).stages[s] for c, s in zip(out["commodity"], out["stage"], strict=True))
            ]
        )
        approx = np.array(
            [
                any(f.approximate for f in cat.get(c).stages[s].content.values())
                for c, s in zip(out["commodity"], out["stage"], strict=True)
            ]
        )
        imp_c = out["import_content_tonnes"].fillna(0.0).to_numpy()
        exp_c = out["export_content_tonnes"].fillna(0.0).to_numpy()
        p = out["production_tonnes"].to_numpy()
        no_prod = known & (p == 0)
        nir_content = import_reliance(imp_c, exp_c, p)
        nir = np.where(
            ~has_hs | ~known,
            np.nan,
            np.where(
                no_prod,
                np.where(imp_c - exp_c != 0, nir_content, np.nan),
                np.where(content_ok, nir_content, np.nan),
            ),
        )
        notes = np.where(
            ~has_hs,
            "no trade data",
            np.where(
                ~known,
                "no production data for the year",
                np.where(
                    no_prod,
                    # with nothing produced, exports above imports leave no apparent consumption to divide
                    # by: re-exports from stocks, or production the series does not record
                    np.where(
                        imp_c - exp_c > 0,
                        "no domestic production",
                        np.where(
                            imp_c - exp_c < 0,
                            "exports exceed imports and no production is recorded (re-exports or unrecorded "
                            "supply)",
                            "no net imports and no production",
                        ),
                    ),
                    np.where(
                        content_ok,
                        np.where(approx, "content-adjusted (approximate grade)", "content-adjusted"),
                        "trade and production on different bases (no content factor)",
                    ),
                ),
            ),
        )
        # produced and traded, yet no apparent consumption: exports above production plus imports
        notes = np.where(
            has_hs & known & ~no_prod & content_ok & np.isnan(nir),
            "exports exceed production and imports (re-exports or stocks)",
            notes,
        )
        out["import_reliance"] = nir
        out["import_reliance_note"] = [
            f"{n}; production {py} (latest)" if lag else n
            for n, py, lag in zip(notes, out["production_year"], lagged, strict=True)
        ]
        return out

    @functools.cached_property
    def _world_concentration(self) -> pd.DataFrame:
        return self.concentration(None)

    def world_concentration(self) -> pd.DataFrame:
        """:meth:`concentration` of every commodity, stage and year (computed once per Dataset; a copy)."""
        return self._world_concentration.copy()

    def _add_world_concentration(self, out: pd.DataFrame, comms: list[cat.Commodity]) -> pd.DataFrame:
        """World production concentration of the mine and refined stages, latest year <= the trade year."""
        conc = self._world_concentration
        for stage in ("mine", "refined"):
            c = conc[conc["stage"] == stage][
                ["commodity", "year", "hhi", "top3_share", "share_CHN", "source", "edition", "basis"]
            ].copy()
            label = np.where(
                [e.startswith(src) for src, e in zip(c["source"], c["edition"], strict=True)],
                c["edition"],
                c["source"] + " " + c["edition"],
            )
            c["src"] = label + " (" + c["basis"] + ")"
            c = c.rename(columns={"year": "pyear"})
            left = out[["commodity", "year"]].reset_index()
            m = left.merge(c, on="commodity", how="left")
            m = m[m["pyear"].isna() | (m["pyear"] <= m["year"])]
            m = m.sort_values(["index", "pyear"]).groupby("index").tail(1).set_index("index")
            # no production year at or before the trade year: fall back to the earliest available
            missing = out.index.difference(m.index[m["pyear"].notna()])
            if len(missing):
                first = c.sort_values("pyear").groupby("commodity").head(1).set_index("commodity")
                fb = out.loc[missing, ["commodity"]].join(first, on="commodity")
                m = pd.concat([m[m["pyear"].notna()], fb])
            m = m.reindex(out.index)
            out[f"world_{stage}_hhi"] = m["hhi"]
            out[f"world_{stage}_top3_share"] = m["top3_share"]
            out[f"world_{stage}_china_share"] = m["share_CHN"]
            out[f"world_{stage}_year"] = m["pyear"].astype("Int64")
            out[f"world_{stage}_source"] = m["src"]
        return out

    @functools.cached_property
    def source_disagreements(self) -> pd.DataFrame:
        """Commodity stages and years where two production sources on the same basis put China's share of
        world production more than :data:`critmin.indicators.disagreement.MARGIN` apart
        (:func:`critmin.indicators.disagreement.source_gaps`). The first source is the one critmin reports
        (catalogue order, per year)."""
        # every source's concentration in one pass (what :meth:`concentration` gives source by source)
        conc = group_concentration(
            self._production_all,
            ["commodity", "stage", "year", "source", "edition", "basis"],
            "country",
            "tonnes",
            named={"CHN": {"CHN"}},
        )
        rank = {
            (c.id, sname, p.source.upper()): i
            for c in cat.catalogue().values()
            for sname, st in c.stages.items()
            for i, p in enumerate(st.production)
        }
        conc["_rank"] = [
            rank.get((c, s, src.upper()), 99)
            for c, s, src in zip(conc["commodity"], conc["stage"], conc["source"], strict=True)
        ]
        conc = conc.sort_values(["commodity", "stage", "year", "_rank"], kind="mergesort")
        return disagreement.source_gaps(conc, "share_CHN")

    def _add_disagreement(self, out: pd.DataFrame, who: str, basis: str, alt_basis: str) -> pd.DataFrame:
        """Say where the share from ``who`` by value and by tonnes, or China's share of world production in
        two sources, are more than :data:`critmin.indicators.disagreement.MARGIN` apart. Sources are compared
        in the latest year both cover, at most one year before the production year shown."""
        share = out[f"share_from_{who}"].to_numpy(dtype=float)
        alt = out["alt_basis_share_from"].to_numpy(dtype=float)
        out["alt_basis"] = alt_basis
        out["basis_disagrees"] = disagreement.disagrees(share, alt)
        notes: list[list[str]] = [
            [disagreement.basis_note(who, a, b, basis, alt_basis)] if flag else []
            for a, b, flag in zip(share, alt, out["basis_disagrees"], strict=True)
        ]
        gaps = self.source_disagreements
        for stage in ("mine", "refined"):
            # per row, the gap of the latest year both sources cover, at most a year before the one shown
            g = gaps[gaps["stage"] == stage].assign(_abs=lambda d: d["gap"].abs())
            g = g.sort_values(["commodity", "year", "_abs"]).drop_duplicates(
                ["commodity", "year"], keep="last"
            )
            rows = out[["commodity", f"world_{stage}_year"]].reset_index()
            rows = rows.rename(columns={f"world_{stage}_year": "_py"}).dropna(subset=["_py"])
            m = rows.merge(g, on="commodity")
            m = m[(m["year"] <= m["_py"]) & (m["year"] >= m["_py"] - 1)]
            m = m.sort_values(["index", "year"]).drop_duplicates("index", keep="last").set_index("index")
            out[f"world_{stage}_china_share_alt"] = m["other_share"].reindex(out.index).astype(float)
            out[f"world_{stage}_alt_source"] = [
                f"{disagreement.edition_label(r.other_source, r.other_edition)}, {int(r.year)}"
                if i in m.index
                else None
                for i, r in zip(out.index, m.reindex(out.index).itertuples(index=False), strict=True)
            ]
            for i, r in zip(m.index, m.itertuples(index=False), strict=True):
                notes[out.index.get_loc(i)].append(f"world {stage}: " + disagreement.source_note("CHN", r))
        out["disagreement"] = ["; ".join(n) for n in notes]
        return out


def open(db: str | Path | None = None) -> Dataset:
    """Open critmin's data: the store at ``db`` (default: the user data directory), built on first use."""
    return Dataset(db)


__all__ = ["REST_OF_WORLD", "Dataset", "open"]
