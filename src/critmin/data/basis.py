"""One physical basis per stage: every traded tonne is assigned to one value-chain stage and converted to
that stage's content basis here, once, before it meets production.

The store holds the result as two tables that pandas (``critmin.Dataset``) and SQL engines read alike
(columns documented in docs/data.md, "Trade and production on the stage basis"):

* ``production_basis``: production of every (commodity, stage, country, year) from the stage's preferred
  series, converted to the stage's content basis (:mod:`critmin.reference.units`);
* ``trade_basis``: every BACI flow (winning edition) with the stage it counts in, its gross and content
  tonnes on that stage's basis, its unit value against the code's world unit value, and a flag.

How a flow gets its stage (each step is a small function below, tested on hand-computed cases):

1. **Code rule.** The catalogue puts every HS92 code in exactly one stage, with its physical form and a
   content factor (t of the stage basis per t of gross weight; ``hs_codes`` table).
2. **Quantity.** A flow without a quantity gets one from its value at the median unit value of the same code
   and year (``tonnes_estimated``).
3. **Unit-value rule** (stages above mine). A flow whose unit value is below ``unit_value_floor`` (default
   0.25) times the code's world unit value that year — the quantity-weighted mean unit value of the code's
   *other* flows (leave-one-out, at least 5 of them) — from an exporter that the stage's production series
   does not name as a producer, is not the stage's product: refined and ore prices of the same content
   differ by the processing margin and payables, while one refined product sells to different buyers at
   far less than a fourfold spread. Known producers are spared because a refiner sells cheap grades of its
   own output (China's lanthanum and cerium compounds at 1-3 USD/kg sit far below HS 2846.90's mean).
   Example: Australia (named by the IEA with no refining) to Malaysia 2023, HS 280530 ("rare-earth
   metals"), 28,616 t at 5.2 USD/kg against 34.2 USD/kg for the code's other flows (ratio 0.15): Mt Weld
   concentrate for Lynas's plant in Kuantan. Such flows are flagged ``low_unit_value`` and counted in no
   stage (their mine stage either has no HS code of its own or must not borrow another stage's flows).
4. **Exporter rule** (stages above mine that have a production series within 5 years). An exporter that
   mines the commodity and ships more of a refined code than it can have refined or imported —
   exports E > 2·(I + P), i.e. the excess E − I − P exceeds half of E, with P its production at the stage
   (the whole rest-of-world residual as an upper bound when the series does not name it) — is shipping
   concentrate or intermediate (Myanmar's and Laos's mixed rare-earth carbonates under 2846.90, the DR
   Congo's crude cobalt hydroxide under 2822.00 and 8105.10). All of that exporter's flows of the stage that
   year are flagged ``exceeds_exporter_supply`` and counted in no stage.

Flagged flows stay in the table (``stage`` is NULL) with their content on the mine basis where the catalogue
gives an ore grade (``ore_content``), so what was moved out can be audited.

The tables are built with a new store opened by :class:`critmin.Dataset` (in the same write) and rebuilt
whenever its sources, the catalogue or these rules change (``meta.trade_basis_digest``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import numpy as np
import numpy.typing as npt

# pandas is imported where a frame is built: `critmin risk` checks the basis digest without it
if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

from critmin.data.basis_key import RULES_VERSION, digest  # noqa: F401  (re-exported)

MIN_REFERENCE_FLOWS = 5  # other flows needed for a code's world unit value
EXPORTER_EXCESS_SHARE = 0.5  # share of an exporter's stage exports it cannot have made or imported
PRODUCTION_YEAR_WINDOW = 5  # years a production figure stands in for a missing year (exporter rule)
BATCH_FLOWS = 245_760  # flows written at a time: two DuckDB row groups (see refresh)

FLAGS = {
    "ok": "counted in its code's stage",
    "low_unit_value": "unit value below the floor of the code's world unit value: ore/concentrate, not counted",
    "exceeds_exporter_supply": "a miner exporting more than it refines and imports: intermediate, not counted",
}

# (column, SQL type, meaning): the interface of the trade_basis table (docs/data.md repeats it)
TRADE_BASIS_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("year", "SMALLINT", "trade year"),
    ("exporter", "VARCHAR", "ISO3 of the exporter"),
    ("importer", "VARCHAR", "ISO3 of the importer"),
    ("hs6", "VARCHAR", "HS92 code"),
    ("commodity", "VARCHAR", "catalogue commodity of the code"),
    ("hs_stage", "VARCHAR", "the catalogue stage of the code"),
    ("stage", "VARCHAR", "the stage the flow counts in (NULL: counted in no stage, see flag)"),
    (
        "form",
        "VARCHAR",
        "physical form: the code's form, or ore/concentrate or intermediate for flagged flows",
    ),
    ("value_kusd", "DOUBLE", "value, thousand current USD, FOB (BACI)"),
    ("tonnes", "DOUBLE", "quantity as BACI reports it, t of gross product weight (NULL if none)"),
    ("gross_tonnes", "DOUBLE", "t of gross weight; estimated from the value where BACI has no quantity"),
    (
        "tonnes_estimated",
        "BOOLEAN",
        "gross_tonnes estimated from the value at the code-year median unit value",
    ),
    ("content_tonnes", "DOUBLE", "t of `basis` content (NULL where the catalogue has no factor)"),
    ("basis", "VARCHAR", "content basis of content_tonnes (the stage's; the mine stage's for flagged flows)"),
    ("content_approximate", "BOOLEAN", "the content factor is a typical grade, not stoichiometry"),
    ("unit_value_usd_per_kg", "DOUBLE", "value / reported tonnes (USD per kg gross)"),
    (
        "world_unit_value_usd_per_kg",
        "DOUBLE",
        "quantity-weighted unit value of the code's other flows that year",
    ),
    ("flag", "VARCHAR", "ok, low_unit_value or exceeds_exporter_supply"),
    ("source", "VARCHAR", "BACI"),
    ("edition", "VARCHAR", "BACI edition (the winning one for the year)"),
)

PRODUCTION_BASIS_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("commodity", "VARCHAR", "catalogue commodity"),
    ("stage", "VARCHAR", "value-chain stage"),
    ("country", "VARCHAR", "ISO3, or ROW for a rest-of-world residual"),
    ("year", "SMALLINT", "production year"),
    ("tonnes", "DOUBLE", "t of `basis` content"),
    ("basis", "VARCHAR", "the stage's content basis"),
    ("basis_reported", "VARCHAR", "the series' own basis"),
    ("conversion_approximate", "BOOLEAN", "the basis conversion is approximate (units.py)"),
    ("estimated", "BOOLEAN", "the source marks the figure as an estimate"),
    ("series", "VARCHAR", "the source's series"),
    ("source", "VARCHAR", "WMD, USGS, IEA, ..."),
    ("edition", "VARCHAR", "edition of the source"),
)


# -- the catalogue as a table ---------------------------------------------------------------------------------
def hs_code_table(descriptions: dict[str, str] | None = None) -> pd.DataFrame:
    """The ``hs_codes`` table: one row per catalogue HS92 code with its stage, form, content factor on the
    stage basis, the ore grade for flows judged ore, the unit-value floor and the reason."""
    import pandas as pd

    from critmin.reference import commodities as cat

    rows = []
    for c in cat.catalogue().values():
        mine_basis = c.stages["mine"].basis if "mine" in c.stages else None
        for st in c.stages.values():
            for h in st.codes:
                rows.append(
                    {
                        "hs6": h.code,
                        "description": (descriptions or {}).get(h.code),
                        "commodity": c.id,
                        "stage": st.name,
                        "form": h.form,
                        "basis": st.basis,
                        "content_factor": h.content,
                        "content_approximate": h.approximate,
                        "ore_basis": mine_basis if h.ore_content is not None else None,
                        "ore_content_factor": h.ore_content,
                        "unit_value_floor": h.unit_value_floor,
                        "reason": h.reason,
                    }
                )
    df = pd.DataFrame(rows).sort_values("hs6").reset_index(drop=True)
    if df["hs6"].duplicated().any():
        dup = df.loc[df["hs6"].duplicated(keep=False), ["hs6", "commodity", "stage"]].to_dict("records")
        raise ValueError(f"HS codes in more than one stage: {dup}")
    return df


def stage_audit() -> pd.DataFrame:
    """The stage audit: one row per HS92 code of every stage, and one row per stage without a code saying
    why — commodity, stage, basis, hs6, form, content_factor, approximate, ore_content_factor, reason,
    production (the stage's series in order of preference)."""
    import pandas as pd

    from critmin.reference import commodities as cat

    rows = []
    for c in cat.catalogue().values():
        for st in c.stages.values():
            prod = "; ".join(f"{p.source.upper()} ({p.basis})" for p in st.production) or "none"
            base = {"commodity": c.id, "stage": st.name, "basis": st.basis, "production": prod}
            if not st.codes:
                rows.append(
                    {
                        **base,
                        "hs6": None,
                        "form": None,
                        "content_factor": np.nan,
                        "approximate": None,
                        "ore_content_factor": np.nan,
                        "reason": st.hs_note or "no HS92 code of this stage in the BACI subset",
                    }
                )
            for h in st.codes:
                rows.append(
                    {
                        **base,
                        "hs6": h.code,
                        "form": h.form,
                        "content_factor": h.content,
                        "approximate": h.approximate,
                        "ore_content_factor": h.ore_content,
                        "reason": h.reason,
                    }
                )
    cols = ["commodity", "stage", "basis", "hs6", "form", "content_factor", "approximate",
            "ore_content_factor", "reason", "production"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def stage_audit_markdown(audit: pd.DataFrame) -> str:
    """The audit as the Markdown table of docs/data.md (generated: ``critmin data stages --markdown``)."""

    def cell(v) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return "—"
        return str(v).replace("|", "/")

    lines = [
        "| mineral | stage | basis | HS92 | form | t basis per t | reason (or why no code) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in audit.itertuples(index=False):
        factor = "—"
        if r.content_factor == r.content_factor:
            factor = f"{r.content_factor:g}" + (" ~" if r.approximate else "")
            if r.ore_content_factor == r.ore_content_factor:
                factor += f" (ore {r.ore_content_factor:g})"
        lines.append(
            f"| {r.commodity} | {r.stage} | {cell(r.basis)} | {cell(r.hs6)} | {cell(r.form)} | {factor} | "
            f"{cell(r.reason)} |"
        )
    return "\n".join(lines) + "\n"


def columns_markdown(columns) -> str:
    """A table interface (``TRADE_BASIS_COLUMNS``, ``PRODUCTION_BASIS_COLUMNS``) as docs/data.md shows it."""
    rows = [f"| `{c}` | {t} | {d} |" for c, t, d in columns]
    return "\n".join(["| column | type | meaning |", "|---|---|---|", *rows]) + "\n"


# -- pure functions ---------------------------------------------------------------------------------------------
def leave_one_out_unit_value(
    value_kusd: npt.ArrayLike,
    tonnes: npt.ArrayLike,
    group_value_kusd: npt.ArrayLike,
    group_tonnes: npt.ArrayLike,
    group_flows: npt.ArrayLike,
    min_flows: int = MIN_REFERENCE_FLOWS,
) -> np.ndarray:
    """World unit value of a code-year without the flow itself: (V − v) / (Q − q), USD per kg.

    ``group_*`` are the code-year sums over flows with a quantity (the flow included) and their number. NaN
    when fewer than ``min_flows`` other flows remain or they carry no tonnes. Leaving the flow out keeps a
    large flow (the Australian concentrate was 68% of HS 280530's 2023 tonnage) from setting its own yardstick.
    """
    v, q = np.asarray(value_kusd, dtype=float), np.asarray(tonnes, dtype=float)
    gv, gq = np.asarray(group_value_kusd, dtype=float), np.asarray(group_tonnes, dtype=float)
    n = np.asarray(group_flows, dtype=float)
    rest_q = gq - q
    ok = (n - 1 >= min_flows) & (rest_q > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, (gv - v) / np.where(ok, rest_q, 1.0), np.nan)


def below_unit_value_floor(
    unit_value: npt.ArrayLike, world_unit_value: npt.ArrayLike, floor: npt.ArrayLike
) -> np.ndarray:
    """The unit-value rule: uv < floor · world uv (False where either is unknown or floor is 0)."""
    uv, ref = np.asarray(unit_value, dtype=float), np.asarray(world_unit_value, dtype=float)
    f = np.broadcast_to(np.asarray(floor, dtype=float), uv.shape)
    known = np.isfinite(uv) & np.isfinite(ref) & (ref > 0) & (f > 0)
    return known & (uv < f * np.where(known, ref, 0.0))


def exporter_excess_share(
    exports: npt.ArrayLike, imports: npt.ArrayLike, production_bound: npt.ArrayLike
) -> np.ndarray:
    """(E − I − P) / E: the share of a country's stage exports it cannot have produced or imported at that
    stage (0 when E = 0; negative means no excess). All in content tonnes of the stage basis."""
    e, i, p = (np.asarray(x, dtype=float) for x in (exports, imports, production_bound))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(e > 0, (e - i - p) / np.where(e > 0, e, 1.0), 0.0)


def exceeds_exporter_supply(
    exports: npt.ArrayLike,
    imports: npt.ArrayLike,
    production_bound: npt.ArrayLike,
    is_miner: npt.ArrayLike,
    threshold: float = EXPORTER_EXCESS_SHARE,
) -> np.ndarray:
    """The exporter rule: a miner whose excess share exceeds ``threshold`` ships ore or intermediates."""
    share = exporter_excess_share(exports, imports, production_bound)
    return np.asarray(is_miner, dtype=bool) & (share > threshold)


def nearest_year(available: npt.ArrayLike, year: int, window: int | None) -> int | None:
    """The available year closest to ``year`` (ties to the earlier one), or None beyond ``window``."""
    ys = np.asarray(sorted(set(int(y) for y in available)), dtype=int)
    if not ys.size:
        return None
    d = np.abs(ys - int(year))
    i = int(np.lexsort((ys, d))[0])
    if window is not None and d[i] > window:
        return None
    return int(ys[i])


def preferred_stage_production(production: pd.DataFrame) -> pd.DataFrame:
    """Production on each stage's content basis, one series per (commodity, stage, year).

    For each year the first series in the catalogue's order whose basis converts to the stage basis
    (:func:`critmin.reference.units.factor`); series that do not convert are left out. Columns as
    ``PRODUCTION_BASIS_COLUMNS``.
    """
    import pandas as pd

    from critmin.reference import commodities as cat
    from critmin.reference import units

    cols = [c for c, _, _ in PRODUCTION_BASIS_COLUMNS]
    if production.empty:
        return pd.DataFrame(columns=cols)
    ranks, bases = {}, {}
    for c in cat.catalogue().values():
        for st in c.stages.values():
            bases[(c.id, st.name)] = st.basis
            for k, p in enumerate(st.production):
                ranks.setdefault((c.id, st.name, p.source.upper()), k)
    df = production.copy()
    keys = list(zip(df["commodity"], df["stage"], strict=True))
    df["_target"] = [bases.get(k) for k in keys]
    df["_rank"] = [
        ranks.get((c, s, str(src).upper()), 99)
        for c, s, src in zip(df["commodity"], df["stage"], df["source"], strict=True)
    ]
    conv = {}
    for b, t in set(zip(df["basis"], df["_target"], strict=True)):
        if t is None:
            conv[(b, t)] = (np.nan, False)
            continue
        try:
            conv[(b, t)] = units.factor(str(b), str(t))
        except Exception:  # not convertible: the series is left out
            conv[(b, t)] = (np.nan, False)
    f = [conv[(b, t)] for b, t in zip(df["basis"], df["_target"], strict=True)]
    df["_factor"] = [x[0] for x in f]
    df["conversion_approximate"] = [x[1] for x in f]
    df = df[np.isfinite(df["_factor"])]
    best = df.groupby(["commodity", "stage", "year"])["_rank"].transform("min")
    df = df[df["_rank"] == best].copy()
    df["basis_reported"] = df["basis"]
    df["basis"] = df["_target"]
    df["tonnes"] = df["tonnes"].astype(float) * df["_factor"]
    for col in ("estimated", "series"):
        if col not in df:
            df[col] = None
    out = df[cols].sort_values(["commodity", "stage", "year", "country"]).reset_index(drop=True)
    out["year"] = out["year"].astype("int16")
    return out


def production_year_map(stage_production: pd.DataFrame, years: npt.ArrayLike, window: int) -> pd.DataFrame:
    """(commodity, stage, year, production_year): for each stage with a series and each of ``years``, the
    series' nearest year within ``window`` (ties to the earlier year); years beyond it are left out."""
    import pandas as pd

    rows = []
    ys = sorted(set(int(v) for v in np.asarray(years)))
    for (c, s), g in stage_production.groupby(["commodity", "stage"]):
        have = g["year"].unique()
        for y in ys:
            py = nearest_year(have, y, window)
            if py is not None:
                rows.append((c, s, y, py))
    return pd.DataFrame(rows, columns=["commodity", "stage", "year", "production_year"])


def stage_producers(stage_production: pd.DataFrame, years: npt.ArrayLike, window: int) -> pd.DataFrame:
    """(commodity, stage, year, country) of every country the stage's series names with output > 0 in the
    nearest year within ``window`` of each of ``years``: the known producers of the stage."""
    import pandas as pd

    cols = ["commodity", "stage", "year", "country"]
    if stage_production.empty:
        return pd.DataFrame(columns=cols)
    ymap = production_year_map(stage_production, years, window)
    named = stage_production[(stage_production["tonnes"] > 0) & (stage_production["country"] != "ROW")]
    named = named[["commodity", "stage", "year", "country"]].rename(columns={"year": "production_year"})
    out = ymap.merge(named, on=["commodity", "stage", "production_year"])
    return out[cols].drop_duplicates().reset_index(drop=True)


def allocate_rest_of_world(rest_tonnes: float, deficit: npt.ArrayLike, eligible: npt.ArrayLike) -> np.ndarray:
    """Share a rest-of-world production residual among eligible countries in proportion to their deficit
    (exports − production − imports, > 0), never beyond it: returns the tonnes each country receives.

    The residual is output of countries the series does not name; the unnamed countries whose exports
    nothing else explains are where it is most likely made. Whatever exceeds their total deficit is left out.
    """
    d = np.where(np.asarray(eligible, dtype=bool), np.maximum(np.asarray(deficit, dtype=float), 0.0), 0.0)
    total = float(d.sum())
    if rest_tonnes <= 0 or total <= 0:
        return np.zeros_like(d)
    return d * min(1.0, float(rest_tonnes) / total)


def production_bounds(
    stage_production: pd.DataFrame, keys: pd.DataFrame, window: int, deficit: npt.ArrayLike | None = None
) -> np.ndarray:
    """Upper bound on each key's (commodity, stage, country, year) production on the stage basis.

    The nearest year of the stage's series within ``window``: the country's own figure when the series names
    it; else its share of the rest-of-world residual (ROW). With ``deficit`` (exports − imports of each key)
    the residual is shared among the unnamed keys of the same stage and year in proportion to their deficit
    (:func:`allocate_rest_of_world`, as the networks do); without it each unnamed key gets the whole
    residual. 0 when the series has no residual; NaN when the stage has no series within the window (the
    exporter rule then does not apply).
    """
    if stage_production.empty or keys.empty:
        return np.full(len(keys), np.nan)
    k = keys[["commodity", "stage", "country", "year"]].reset_index(drop=True)
    k["_i"] = np.arange(len(k))
    k["_deficit"] = np.inf if deficit is None else np.asarray(deficit, dtype=float)
    ymap = production_year_map(stage_production, k["year"], window)
    k = k.merge(ymap, on=["commodity", "stage", "year"], how="left")
    prod = stage_production.groupby(["commodity", "stage", "country", "year"], as_index=False)["tonnes"].sum()
    own = prod.rename(columns={"year": "production_year", "tonnes": "_own"})
    row = own[own["country"] == "ROW"].drop(columns="country").rename(columns={"_own": "_row"})
    k = k.merge(own, on=["commodity", "stage", "country", "production_year"], how="left")
    k = k.merge(row, on=["commodity", "stage", "production_year"], how="left")
    k["_row"] = k["_row"].fillna(0.0)
    share = k["_row"].to_numpy(dtype=float)
    if deficit is not None:
        unnamed = k["_own"].isna().to_numpy()
        for _, idx in k.groupby(["commodity", "stage", "year"]).indices.items():
            share[idx] = allocate_rest_of_world(
                float(k["_row"].iloc[idx[0]]), k["_deficit"].to_numpy()[idx], unnamed[idx]
            )
    bound = np.where(k["_own"].notna(), k["_own"], share)
    bound = np.where(k["production_year"].notna(), bound, np.nan)
    out = np.full(len(keys), np.nan)
    out[k["_i"].to_numpy()] = bound
    return out


# -- building the tables --------------------------------------------------------------------------------------
def _ddl(name: str, columns) -> str:
    return f"CREATE TABLE {name} (" + ", ".join(f"{c} {t}" for c, t, _ in columns) + ")"


def _flows_sql(years: tuple[int, int] | None = None) -> str:
    """Steps 1-3 in SQL: winning edition (``_best_trade``), code attributes, estimated quantities, unit values
    and the unit-value rule's reference (leave-one-out) per code and year; for the (first, last) ``years``
    or all.

    The code-year sums are a grouped aggregate joined back to the flows (hash tables the size of the
    code-years), not window functions, which would sort every flow."""
    where = "" if years is None else f"WHERE t.year BETWEEN {int(years[0])} AND {int(years[1])}"
    return f"""
    WITH t AS (
        SELECT t.year, t.exporter, t.importer, t.hs6, t.value_kusd, t.tonnes, t.source, t.edition,
               h.commodity, h.stage AS hs_stage, h.form AS hs_form, h.basis AS stage_basis, h.content_factor,
               h.content_approximate, h.ore_basis, h.ore_content_factor, h.unit_value_floor,
               (t.tonnes > 0 AND t.value_kusd > 0) AS has_q
        FROM trade t JOIN _best_trade b USING (source, year, edition) JOIN hs_codes h USING (hs6) {where}
    ), g AS (
        SELECT hs6, year,
            sum(value_kusd) FILTER (WHERE has_q) AS v_sum,
            sum(tonnes) FILTER (WHERE has_q) AS q_sum,
            count(*) FILTER (WHERE has_q) AS n_q,
            median(value_kusd / tonnes) FILTER (WHERE has_q) AS uv_median
        FROM t GROUP BY hs6, year
    ), w AS (SELECT t.*, g.v_sum, g.q_sum, g.n_q, g.uv_median FROM t JOIN g USING (hs6, year))
    SELECT *,
        CASE WHEN has_q THEN tonnes
             WHEN value_kusd > 0 AND uv_median > 0 THEN value_kusd / uv_median
             ELSE coalesce(tonnes, 0.0) END AS gross_tonnes,
        (NOT coalesce(has_q, false)) AND value_kusd > 0 AND coalesce(uv_median, 0) > 0 AS tonnes_estimated,
        CASE WHEN has_q THEN value_kusd / tonnes END AS unit_value_usd_per_kg,
        CASE WHEN has_q AND n_q - 1 >= {MIN_REFERENCE_FLOWS} AND q_sum - tonnes > 0
                  THEN (v_sum - value_kusd) / (q_sum - tonnes)
             WHEN NOT coalesce(has_q, false) AND n_q >= {MIN_REFERENCE_FLOWS} AND q_sum > 0
                  THEN v_sum / q_sum END AS world_unit_value_usd_per_kg
    FROM w
    """


def _ruled_flows_sql(years: tuple[int, int] | None = None) -> str:
    """The flows of :func:`_flows_sql` with the unit-value rule applied (``low_uv``).

    The rule spares exporters the stage's series names as producers (the registered ``_producers``): a
    refiner sells cheap grades of its own output (China's lanthanum and cerium compounds), which are not ore.
    """
    return f"""
    SELECT f.*, f.hs_stage <> 'mine' AND p.country IS NULL AND coalesce(f.unit_value_usd_per_kg
               < f.unit_value_floor * f.world_unit_value_usd_per_kg, false) AS low_uv
    FROM ({_flows_sql(years)}) f
    LEFT JOIN _producers p ON p.commodity = f.commodity AND p.stage = f.hs_stage
         AND p.year = f.year AND p.country = f.exporter"""


def _exporter_totals_sql(years: tuple[int, int]) -> str:
    """Each (commodity, stage, year, country)'s exports and imports of the stage in content tonnes, and
    whether it mines the commodity (some series names its mine output within the window), for ``years``."""
    return f"""
        WITH f AS (
            SELECT commodity, hs_stage AS stage, year, exporter, importer, gross_tonnes * content_factor AS c
            FROM ({_ruled_flows_sql(years)})
            WHERE hs_stage <> 'mine' AND NOT low_uv AND content_factor IS NOT NULL AND exporter <> importer
        ), e AS (SELECT commodity, stage, year, exporter AS country, sum(c) AS exports FROM f GROUP BY ALL),
        i AS (SELECT commodity, stage, year, importer AS country, sum(c) AS imports FROM f GROUP BY ALL)
        SELECT e.*, coalesce(i.imports, 0) AS imports,
               EXISTS (SELECT 1 FROM production p WHERE p.commodity = e.commodity AND p.stage = 'mine'
                       AND p.country = e.country AND p.tonnes > 0
                       AND abs(p.year - e.year) <= {PRODUCTION_YEAR_WINDOW}) AS is_miner
        FROM e LEFT JOIN i USING (commodity, stage, year, country)
        WHERE e.exports > 0
        ORDER BY ALL
        """


def _exporter_decisions(
    con: duckdb.DuckDBPyConnection, stage_production: pd.DataFrame, batches: list[tuple[int, int]]
) -> pd.DataFrame:
    """Step 4: (commodity, stage, exporter, year) whose exports exceed what they can have refined or imported.

    The totals are per year, so they are summed a batch of years at a time (the flows are never held whole)."""
    import pandas as pd

    frames = [con.execute(_exporter_totals_sql(b)).df() for b in batches]
    agg = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    cols = ["commodity", "stage", "exporter", "year"]
    if agg.empty:
        return pd.DataFrame(columns=cols)
    # an unnamed exporter is bounded by the whole rest-of-world residual: only clear cases are moved out.
    # (Sharing the residual by net exports, as the networks do, would let the largest intermediate shipper
    # (the DRC) absorb it and push genuine unnamed refiners -- Madagascar's and Australia's cobalt metal at
    # 37-39 USD/kg -- over the threshold.)
    bound = production_bounds(stage_production, agg, PRODUCTION_YEAR_WINDOW)
    is_miner = agg["is_miner"].to_numpy(dtype=bool)
    has_bound = np.isfinite(bound)
    hit = has_bound & exceeds_exporter_supply(
        agg["exports"], agg["imports"], np.where(has_bound, bound, 0.0), is_miner
    )
    return agg.loc[hit, ["commodity", "stage", "country", "year"]].rename(columns={"country": "exporter"})


def _insert_trade_basis_sql(years: tuple[int, int]) -> str:
    """The flows of the (first, last) ``years`` with their flag, stage, form and content on the stage basis."""
    return f"""
        INSERT INTO trade_basis
        WITH f AS (
            SELECT b.*, CASE WHEN b.low_uv THEN 'low_unit_value'
                             WHEN x.exporter IS NOT NULL THEN 'exceeds_exporter_supply'
                             ELSE 'ok' END AS flag
            FROM ({_ruled_flows_sql(years)}) b
            LEFT JOIN _exporter_hits x ON x.commodity = b.commodity AND x.stage = b.hs_stage
                 AND x.exporter = b.exporter AND x.year = b.year
        )
        SELECT year, exporter, importer, hs6, commodity, hs_stage,
               CASE WHEN flag = 'ok' THEN hs_stage END AS stage,
               CASE WHEN flag = 'ok' THEN hs_form
                    WHEN ore_content_factor IS NULL THEN NULL
                    WHEN flag = 'low_unit_value' THEN 'ore/concentrate' ELSE 'intermediate' END AS form,
               value_kusd, tonnes, gross_tonnes, tonnes_estimated,
               CASE WHEN flag = 'ok' THEN gross_tonnes * content_factor
                    ELSE gross_tonnes * ore_content_factor END AS content_tonnes,
               CASE WHEN flag = 'ok' THEN stage_basis ELSE ore_basis END AS basis,
               CASE WHEN flag = 'ok' THEN content_approximate ELSE ore_content_factor IS NOT NULL END
                   AS content_approximate,
               unit_value_usd_per_kg, world_unit_value_usd_per_kg, flag, source, edition
        FROM f
        ORDER BY year, commodity, hs_stage, exporter, importer, hs6
        """


def year_batches(years: npt.ArrayLike, flows: npt.ArrayLike, max_flows: int) -> list[tuple[int, int]]:
    """Consecutive runs of ``years`` (ascending) holding at most ``max_flows`` flows each (a year with more
    stands alone): the (first, last) year of each run."""
    out: list[tuple[int, int]] = []
    total = 0
    for y, n in zip(np.asarray(years, dtype=int), np.asarray(flows, dtype=int), strict=True):
        if out and total + n <= max_flows:
            out[-1] = (out[-1][0], int(y))
            total += n
        else:
            out.append((int(y), int(y)))
            total = n
    return out


def refresh(con: duckdb.DuckDBPyConnection) -> dict:
    """(Re)build ``production_basis`` and ``trade_basis`` in ``con`` (inside the caller's transaction).

    Returns counts of flows per flag. The flows are never held whole: the exporter rule reads their
    aggregates, and ``trade_basis`` is written a few years at a time, sorted by year first (a query for one
    year, as ``critmin risk`` makes, then reads one row group, not the whole table). A batch of up to
    :data:`BATCH_FLOWS` (two DuckDB row groups) fills whole row groups, which DuckDB writes to the file as the
    insert runs rather than holding them in memory until the commit."""
    from critmin.store import best_editions_sql

    con.execute("SET enable_progress_bar = false")
    best = best_editions_sql("production", "commodity, stage, source, year")
    prod = con.execute(
        f"SELECT p.* FROM production p JOIN ({best}) b USING (commodity, stage, source, year, edition)"
    ).df()
    stage_prod = preferred_stage_production(prod)
    con.execute("DROP TABLE IF EXISTS production_basis")
    con.execute(_ddl("production_basis", PRODUCTION_BASIS_COLUMNS))
    con.register("_stage_prod", stage_prod)
    con.execute(
        "INSERT INTO production_basis SELECT "
        + ", ".join(c for c, _, _ in PRODUCTION_BASIS_COLUMNS)
        + " FROM _stage_prod"
    )
    con.unregister("_stage_prod")

    con.execute(f"CREATE OR REPLACE TEMP TABLE _best_trade AS {best_editions_sql('trade', 'source, year')}")
    per_year = con.execute(
        "SELECT year, count(*) FROM trade JOIN _best_trade USING (source, year, edition) GROUP BY year ORDER BY year"
    ).fetchall()
    years = [y for y, _ in per_year]
    con.register("_producers", stage_producers(stage_prod, years, PRODUCTION_YEAR_WINDOW))
    batches = year_batches(years, [n for _, n in per_year], BATCH_FLOWS)
    con.register("_exporter_hits", _exporter_decisions(con, stage_prod, batches))
    con.execute("DROP TABLE IF EXISTS trade_basis")
    con.execute(_ddl("trade_basis", TRADE_BASIS_COLUMNS))
    for batch in batches:
        con.execute(_insert_trade_basis_sql(batch))
    con.unregister("_exporter_hits")
    con.unregister("_producers")
    con.execute("DROP TABLE _best_trade")
    return dict(con.execute("SELECT flag, count(*) FROM trade_basis GROUP BY flag").fetchall())


__all__ = [
    "FLAGS",
    "PRODUCTION_BASIS_COLUMNS",
    "TRADE_BASIS_COLUMNS",
    "allocate_rest_of_world",
    "below_unit_value_floor",
    "columns_markdown",
    "exceeds_exporter_supply",
    "exporter_excess_share",
    "hs_code_table",
    "leave_one_out_unit_value",
    "nearest_year",
    "preferred_stage_production",
    "production_bounds",
    "production_year_map",
    "refresh",
    "stage_audit",
    "stage_audit_markdown",
    "stage_producers",
]
