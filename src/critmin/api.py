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

from critmin.errors import NoDataError, UnknownValueError
from critmin.indicators.dependence import import_reliance
from critmin.indicators.tables import REST_OF_WORLD, group_concentration
from critmin.reference import blocs as blocs_mod
from critmin.reference import commodities as cat
from critmin.reference import countries as countries_mod
from critmin.reference.blocs import Party
from critmin.store import Store

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
        self.store = Store(db)

    @property
    def con(self):
        return self.store.con

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

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
    @functools.cached_property
    def _trade_all(self) -> pd.DataFrame:
        df = self.con.execute(
            "SELECT t.year, t.exporter, t.importer, t.hs6, t.value_kusd, t.tonnes, h.commodity, h.stage, "
            "t.source, t.edition FROM trade t JOIN hs_codes h USING (hs6)").df()
        for col in ("exporter", "importer", "hs6", "commodity", "stage", "source", "edition"):
            df[col] = df[col].astype("category")
        df["year"] = df["year"].astype("int16")
        return df

    def trade(self, commodity: str, stage: str | None = None, years: int | Iterable[int] | None = None,
              *, hs6: Iterable[str] | None = None) -> pd.DataFrame:
        """Bilateral flows of a commodity's HS92 codes: year, exporter, importer, hs6, value_kusd, tonnes.

        ``stage`` defaults to all trade stages of the commodity. Values are thousand current USD (FOB),
        quantities metric tonnes of gross product weight, as in BACI.
        """
        c = cat.get(commodity)
        stages = [c.stage(stage).name] if stage else c.trade_stages
        codes = [h for s in stages for h in c.stages[s].hs92]
        if hs6 is not None:
            codes = [h for h in codes if h in set(hs6)]
        df = self._trade_all
        mask = df["hs6"].isin(codes)
        ys = _years(years)
        if ys is not None:
            mask &= df["year"].isin(ys)
        out = df[mask].copy()
        for col in ("exporter", "importer", "hs6", "commodity", "stage", "source", "edition"):
            out[col] = out[col].astype(str)
        return out.reset_index(drop=True)

    def trade_years(self) -> tuple[int, int]:
        lo, hi = self.con.execute("SELECT min(year), max(year) FROM trade").fetchone()
        return int(lo), int(hi)

    def production(self, commodity: str, stage: str, years: int | Iterable[int] | None = None,
                   source: str | None = None, *, all_editions: bool = False) -> pd.DataFrame:
        """Production by country (tonnes of the series' content basis), one source and edition per year.

        Without ``source`` every source of the stage is returned. Unless ``all_editions``, only the latest
        edition per (source, year) is kept (e.g. MCS 2024's revised 2022 figure over MCS 2023's estimate).
        A row with country ``ROW`` is a residual "rest of world / other countries" aggregate.
        """
        c = cat.get(commodity)
        st = c.stage(stage)
        params: list = [c.id, st.name]
        sql = "SELECT * FROM production WHERE commodity = ? AND stage = ?"
        if source:
            sql += " AND lower(source) = lower(?)"
            params.append(source)
        ys = _years(years)
        if ys is not None:
            sql += f" AND year IN ({', '.join('?' * len(ys))})"
            params.extend(ys)
        df = self.con.execute(sql + " ORDER BY source, edition, year, country", params).df()
        if df.empty or all_editions:
            return df
        latest = df.groupby(["source", "year"])["edition"].transform("max")
        return df[df["edition"] == latest].reset_index(drop=True)

    def governance(self, indicator: str = "pv", years: int | Iterable[int] | None = None,
                   edition: str | None = None) -> pd.DataFrame:
        """WGI estimates (−2.5 … +2.5, higher = better governance) by country and year.

        ``indicator``: va, pv, ge, rq, rl, cc. Default edition: the 2025 release for pv (covers 2024, as used
        by GeoPolRisk), the 2024 release for the others. Editions are never mixed within one call.
        """
        valid = ("va", "pv", "ge", "rq", "rl", "cc")
        if indicator not in valid:
            raise UnknownValueError("WGI indicator", indicator, valid)
        if edition is None:
            edition = "2025 release (PV only)" if indicator == "pv" else "2024 release"
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
        return self.con.execute("SELECT * FROM ideal_points WHERE session = ? ORDER BY country", [session]).df()

    def sources(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM sources ORDER BY data_table, source, edition").df()

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

    def concentration(self, commodity: str | Iterable[str] | None = None, stage: str | None = None,
                      years: int | Iterable[int] | None = None, *, source: str | None = None,
                      share_of: str = "CHN", top: int = 3) -> pd.DataFrame:
        """World production concentration by commodity, stage and year.

        Columns: commodity, stage, year, world_tonnes, n_producers, hhi (0-1), hhi_10000, top{top}_share,
        share_<party> (share of ``share_of``: a country or bloc), leader, leader_share, basis, source, edition.
        """
        comms = cat.resolve_many(commodity) if not isinstance(commodity, str) else [cat.get(commodity)]
        if stage is not None:
            cat.check_stage(stage)
        who = blocs_mod.party(share_of)
        rows = []
        for c in comms:
            for sname in c.stages:
                if stage and sname != stage:
                    continue
                df = self._preferred_production(c, sname, source)
                ys = _years(years)
                if ys is not None:
                    df = df[df["year"].isin(ys)]
                if df.empty:
                    continue
                g = group_concentration(df, ["year", "source", "edition", "basis"], "country", "tonnes",
                                        top=top, named={"x": set(who.members)}, leaders=1)
                g.insert(0, "stage", sname)
                g.insert(0, "commodity", c.id)
                rows.append(g)
        if not rows:
            what = ", ".join(c.id for c in comms)
            raise NoDataError(f"no production data for {what}" + (f" at stage {stage!r}" if stage else "")
                              + (f" in {years}" if years is not None else ""))
        out = pd.concat(rows, ignore_index=True)
        out = out.rename(columns={"total": "world_tonnes", "n_suppliers": "n_producers", "share_x": f"share_{who.label}",
                                  "supplier_1": "leader", "supplier_1_share": "leader_share"})
        out["hhi_10000"] = out["hhi"] * 10_000
        cols = ["commodity", "stage", "year", "world_tonnes", "n_producers", "hhi", "hhi_10000", f"top{top}_share",
                f"share_{who.label}", "leader", "leader_share", "basis", "source", "edition"]
        return out[cols].sort_values(["commodity", "stage", "year"]).reset_index(drop=True)

    # -- imports --------------------------------------------------------------------------------------------
    def _party_frame(self, parties: list[Party], year: int | None) -> pd.DataFrame:
        return pd.DataFrame([(p.label, m) for p in parties for m in p.members], columns=["party", "member"])

    def bilateral(self, parties: str | Iterable[str | Party], commodity: str | Iterable[str] | None = None,
                  years: int | Iterable[int] | None = None, *, stage: str | None = None,
                  intra_bloc: bool = False, direction: str = "imports") -> pd.DataFrame:
        """Imports (or exports) of each party by partner: party, commodity, stage, year, partner, value_kusd,
        tonnes. For a bloc, members' flows with other members are dropped unless ``intra_bloc``.
        """
        if direction not in ("imports", "exports"):
            raise UnknownValueError("direction", direction, ["imports", "exports"])
        ps = self.parties(parties) if not isinstance(parties, Party) else [parties]
        comms = cat.resolve_many(commodity) if not isinstance(commodity, str) else [cat.get(commodity)]
        if stage is not None:
            cat.check_stage(stage)
        df = self._trade_all
        mask = df["commodity"].isin([c.id for c in comms])
        if stage:
            mask &= df["stage"] == stage
        ys = _years(years)
        if ys is not None:
            mask &= df["year"].isin(ys)
        own, other = ("importer", "exporter") if direction == "imports" else ("exporter", "importer")
        pf = self._party_frame(ps, None)
        t = df.loc[mask & df[own].isin(pf["member"]),
                   ["year", "exporter", "importer", "commodity", "stage", "value_kusd", "tonnes"]]
        for col in ("exporter", "importer", "commodity", "stage"):
            t[col] = t[col].astype(str)
        t = t.merge(pf, left_on=own, right_on="member")
        if not intra_bloc:
            inside = pd.MultiIndex.from_frame(t[["party", other]]).isin(pd.MultiIndex.from_frame(pf[["party", "member"]]))
            t = t[~inside]
        out = t.groupby(["party", "commodity", "stage", "year", other], as_index=False, observed=True).agg(
            value_kusd=("value_kusd", "sum"), tonnes=("tonnes", lambda s: s.sum(min_count=1)))
        return out.rename(columns={other: "partner"})

    def exposure(self, parties: str | Iterable[str | Party], year: int | None = None, *,
                 years: Iterable[int] | None = None, commodities: str | Iterable[str] | None = None,
                 basis: str = "value", intra_bloc: bool = False, share_from: str = "CHN",
                 progress=None) -> pd.DataFrame:
        """Exposure of importers to every critical mineral: the main table of critmin.

        For each party (country or bloc), commodity and trade stage: import value (kUSD) and tonnes, exports,
        the top three suppliers with shares, supplier HHI, the share of imports from ``share_from`` (China
        by default), net import reliance where production is known, and world production concentration
        (HHI, top-3 share, China share) for the mine and refined stages. Shares are of import value unless
        ``basis='tonnes'``. ``year`` defaults to the latest year with trade data; ``years`` gives a time series.
        Commodities or stages with no HS92 code in the data get a row whose ``coverage`` says so.
        """
        if basis not in ("value", "tonnes"):
            raise UnknownValueError("basis", basis, ["value", "tonnes"])
        lo, hi = self.trade_years()
        ys = _years(years) if years is not None else [int(year) if year is not None else hi]
        bad = [y for y in ys if y < lo or y > hi]
        if bad:
            raise NoDataError(f"no trade data for year(s) {bad}: the store has {lo}-{hi}")
        comms = cat.resolve_many(commodities)
        ps = self.parties(parties, max(ys))
        src = self.party(share_from)
        qty = "value_kusd" if basis == "value" else "tonnes"

        imp = self.bilateral(ps, [c.id for c in comms], ys, intra_bloc=intra_bloc)
        exp = self.bilateral(ps, [c.id for c in comms], ys, intra_bloc=intra_bloc, direction="exports")
        keys = ["party", "commodity", "stage", "year"]
        conc = group_concentration(imp, keys, "partner", qty, top=3, named={"from": set(src.members)},
                                   rest=None, leaders=3)
        totals = imp.groupby(keys, as_index=False, observed=True).agg(
            import_value_kusd=("value_kusd", "sum"), import_tonnes=("tonnes", lambda s: s.sum(min_count=1)))
        etot = exp.groupby(keys, as_index=False, observed=True).agg(
            export_value_kusd=("value_kusd", "sum"), export_tonnes=("tonnes", lambda s: s.sum(min_count=1)))

        # the full grid of rows that should exist, so "no imports" is explicit rather than missing
        grid = []
        for p in ps:
            for c in comms:
                stages = c.trade_stages or [next(iter(c.stages))]
                for s in stages:
                    for y in ys:
                        grid.append((p.label, c.id, s, y))
        out = pd.DataFrame(grid, columns=keys)
        out = out.merge(totals, on=keys, how="left").merge(etot, on=keys, how="left")
        out = out.merge(conc.drop(columns=["total"]), on=keys, how="left")
        out = out.rename(columns={"hhi": "supplier_hhi", "share_from": f"share_from_{src.label}",
                                  "n_suppliers": "n_suppliers"})
        has_hs = out.apply(lambda r: bool(cat.get(r["commodity"]).stages[r["stage"]].hs92), axis=1)
        for col in ("import_value_kusd", "export_value_kusd"):
            out[col] = np.where(has_hs, out[col].fillna(0.0), np.nan)
        out["n_suppliers"] = np.where(has_hs, out["n_suppliers"].fillna(0), np.nan)

        out = self._add_reliance(out, ps)
        out = self._add_world_concentration(out, comms, progress)

        meta = {p.label: p for p in ps}
        out.insert(1, "party_name", out["party"].map(lambda lab: meta[lab].name))
        out.insert(2, "members", out["party"].map(lambda lab: ",".join(meta[lab].members)))
        out.insert(4, "commodity_name", out["commodity"].map(lambda cid: cat.get(cid).name))
        out["hs_codes"] = [",".join(cat.get(c).stages[s].hs92) for c, s in zip(out["commodity"], out["stage"], strict=True)]
        out["coverage"] = [self._coverage_note(c, s, n) for c, s, n in
                           zip(out["commodity"], out["stage"], out["import_value_kusd"], strict=True)]
        out["share_basis"] = basis
        out["trade_source"] = f"{TRADE_SOURCE} {self._trade_edition()}"
        return out.sort_values(["party", "commodity", "stage", "year"], key=self._order_key).reset_index(drop=True)

    @staticmethod
    def _order_key(col: pd.Series) -> pd.Series:
        if col.name == "party":
            return col.map({lab: i for i, lab in enumerate(dict.fromkeys(col))})
        if col.name == "commodity":
            order = {cid: i for i, cid in enumerate(cat.catalogue())}
            return col.map(order)
        if col.name == "stage":
            return col.map({s: i for i, s in enumerate(cat.STAGES)})
        return col

    @functools.cache  # noqa: B019 - one Dataset per store, cheap
    def _trade_edition(self) -> str:
        row = self.con.execute("SELECT any_value(edition) FROM trade").fetchone()
        return str(row[0]) if row else ""

    @staticmethod
    def _coverage_note(commodity: str, stage: str, imports: float) -> str:
        st = cat.get(commodity).stages[stage]
        if not st.hs92:
            return st.hs_note or "no HS92 code in the trade data"
        if st.hs_note:
            return st.hs_note
        if imports == 0:
            return "no recorded imports"
        return ""

    def _add_reliance(self, out: pd.DataFrame, parties: list[Party]) -> pd.DataFrame:
        """Net import reliance on a content basis where production and a content factor are known."""
        nir, prod_t, notes = [], [], []
        cache: dict[tuple[str, str], pd.DataFrame] = {}
        pmap = {p.label: p for p in parties}
        for r in out.itertuples(index=False):
            c = cat.get(r.commodity)
            st = c.stages[r.stage]
            key = (c.id, r.stage)
            if key not in cache:
                cache[key] = self._preferred_production(c, r.stage, None)
            prod = cache[key]
            if not st.hs92:
                nir.append(np.nan), prod_t.append(np.nan), notes.append("no trade data")
                continue
            py = prod[prod["year"] == r.year]
            members = set(pmap[r.party].members)
            own = float(py.loc[py["country"].isin(members), "tonnes"].sum()) if not py.empty else np.nan
            if py.empty:
                nir.append(np.nan), prod_t.append(np.nan), notes.append(f"no production data for {r.year}")
                continue
            prod_t.append(own)
            # trade in content tonnes of the production basis, per HS code
            flows = self._content_flows(c.id, r.stage, r.year, pmap[r.party])
            if own == 0:
                # unit-free: with no domestic production NIR is 1 for a net importer, 0 for a net exporter
                i_raw, e_raw = flows["imports_raw"], flows["exports_raw"]
                nir.append(float(import_reliance(i_raw, e_raw, 0.0)) if (i_raw - e_raw) != 0 else np.nan)
                notes.append("no domestic production")
            elif flows["ok"]:
                nir.append(float(import_reliance(flows["imports"], flows["exports"], own)))
                notes.append("content-adjusted (approximate grade)" if flows["approx"] else "content-adjusted")
            else:
                nir.append(np.nan)
                notes.append("trade and production on different bases (no content factor)")
        out["production_tonnes"] = prod_t
        out["import_reliance"] = nir
        out["import_reliance_note"] = notes
        return out

    def _content_flows(self, commodity: str, stage: str, year: int, party: Party) -> dict:
        c = cat.get(commodity)
        st = c.stages[stage]
        basis = st.production[0].basis if st.production else None
        t = self._trade_all
        sel = t[(t["commodity"] == commodity) & (t["stage"] == stage) & (t["year"] == year)]
        members = set(party.members)
        imp = sel[sel["importer"].isin(members) & ~sel["exporter"].isin(members)]
        exp = sel[sel["exporter"].isin(members) & ~sel["importer"].isin(members)]
        res = {"imports_raw": float(imp["tonnes"].sum()), "exports_raw": float(exp["tonnes"].sum()),
               "ok": True, "approx": False, "imports": 0.0, "exports": 0.0}
        for hs in st.hs92:
            f = st.content.get(hs)
            if f is None or (basis is not None and f.basis != basis):
                res["ok"] = False
                continue
            res["approx"] |= f.approximate
            res["imports"] += float(imp.loc[imp["hs6"] == hs, "tonnes"].sum()) * f.factor
            res["exports"] += float(exp.loc[exp["hs6"] == hs, "tonnes"].sum()) * f.factor
        return res

    def _add_world_concentration(self, out: pd.DataFrame, comms: list[cat.Commodity], progress=None) -> pd.DataFrame:
        for stage in ("mine", "refined"):
            cols = {f"world_{stage}_{k}": [] for k in ("hhi", "top3_share", "china_share", "year", "source")}
            cache: dict[str, pd.DataFrame] = {}
            for r in out.itertuples(index=False):
                c = cat.get(r.commodity)
                if stage not in c.stages:
                    for k in cols:
                        cols[k].append(np.nan if not k.endswith(("year", "source")) else None)
                    continue
                if c.id not in cache:
                    try:
                        cache[c.id] = self.concentration(c.id, stage)
                    except NoDataError:
                        cache[c.id] = pd.DataFrame()
                conc = cache[c.id]
                if conc.empty:
                    for k in cols:
                        cols[k].append(np.nan if not k.endswith(("year", "source")) else None)
                    continue
                upto = conc[conc["year"] <= r.year]
                row = (upto if not upto.empty else conc).sort_values("year").iloc[-1]
                cols[f"world_{stage}_hhi"].append(row["hhi"])
                cols[f"world_{stage}_top3_share"].append(row["top3_share"])
                cols[f"world_{stage}_china_share"].append(row["share_CHN"])
                cols[f"world_{stage}_year"].append(int(row["year"]))
                cols[f"world_{stage}_source"].append(f"{row['source']} {row['edition']} ({row['basis']})")
            for k, v in cols.items():
                out[k] = v
        return out


def open(db: str | Path | None = None) -> Dataset:  # noqa: A001 - the natural name: critmin.open()
    """Open critmin's data: the store at ``db`` (default: the user data directory), built on first use."""
    return Dataset(db)


__all__ = ["Dataset", "open", "REST_OF_WORLD", "countries_mod"]
