"""The store's schema: tables, columns, the parts an ingest replaces, and the ingest history.

The lowest layer of the store: :mod:`critmin.store` creates these tables and :mod:`critmin.ingest.writer`
writes into them; both import this module and neither imports the other for it.
"""

from __future__ import annotations

# The version of the store's schema, kept in ``meta.schema_version``. A store built with another version (or
# whose tables lack the columns below) is upgraded when opened (:mod:`critmin.upgrade`).
# 1: the first store; 2: hs_codes carries each code's form, content basis and factors (value-chain basis).
SCHEMA_VERSION = 2

# Tables loaded from the embedded dataset, with their column types. Ingest writes the same schema.
SCHEMA: dict[str, str] = {
    "countries": """iso3 VARCHAR PRIMARY KEY, name VARCHAR, iso2 VARCHAR, baci_codes INTEGER[], wgi_code VARCHAR,
                    wmd_code VARCHAR, cow_code INTEGER, is_aggregate BOOLEAN, aliases VARCHAR[]""",
    "hs_codes": """hs6 VARCHAR, description VARCHAR, commodity VARCHAR, stage VARCHAR, form VARCHAR, basis VARCHAR,
                   content_factor DOUBLE, content_approximate BOOLEAN, ore_basis VARCHAR, ore_content_factor DOUBLE,
                   unit_value_floor DOUBLE, reason VARCHAR""",
    "trade": """year SMALLINT, exporter VARCHAR, importer VARCHAR, hs6 VARCHAR, value_kusd DOUBLE, tonnes DOUBLE,
                source VARCHAR, edition VARCHAR""",
    "production": """commodity VARCHAR, stage VARCHAR, country VARCHAR, year SMALLINT, tonnes DOUBLE, basis VARCHAR,
                     estimated BOOLEAN, series VARCHAR, source VARCHAR, edition VARCHAR""",
    "governance": """country VARCHAR, year SMALLINT, indicator VARCHAR, estimate DOUBLE, stddev DOUBLE,
                     nsource DOUBLE, pctrank DOUBLE, source VARCHAR, edition VARCHAR""",
    "ideal_points": """country VARCHAR, cow_code SMALLINT, session SMALLINT, year SMALLINT, ideal_point DOUBLE,
                       q05 DOUBLE, q95 DOUBLE, n_votes INTEGER, agree_usa DOUBLE, agree_chn DOUBLE,
                       agree_rus DOUBLE, source VARCHAR, edition VARCHAR""",
    "blocs": """bloc VARCHAR, bloc_name VARCHAR, country VARCHAR, joined VARCHAR, "left" VARCHAR, source VARCHAR,
                note VARCHAR""",
    # IEA outlook: supply by country (2023 + base-case projections) and demand by sector and scenario, kt
    "supply_outlook": """commodity VARCHAR, stage VARCHAR, country VARCHAR, year SMALLINT, supply_kt DOUBLE,
                         projection BOOLEAN, "case" VARCHAR, basis VARCHAR, series VARCHAR, note VARCHAR,
                         source VARCHAR, edition VARCHAR""",
    "demand_outlook": """commodity VARCHAR, sector VARCHAR, sector_kind VARCHAR, scenario VARCHAR, year SMALLINT,
                         demand_kt DOUBLE, projection BOOLEAN, basis VARCHAR, series VARCHAR, source VARCHAR,
                         edition VARCHAR""",
}
DATA_TABLES = ("trade", "production", "governance", "ideal_points", "supply_outlook", "demand_outlook")
REFERENCE_TABLES = ("countries", "hs_codes", "blocs")
SOURCES_DDL = """CREATE TABLE IF NOT EXISTS sources (
    source VARCHAR, edition VARCHAR, data_table VARCHAR, origin VARCHAR, file VARCHAR, sha256 VARCHAR,
    rows BIGINT, licence VARCHAR, citation VARCHAR, loaded_at VARCHAR)"""
META_DDL = "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
# which parts of an ingested (source, edition) each ingested file holds (see PART_SQL)
PARTS_DDL = """CREATE TABLE IF NOT EXISTS ingest_parts (
    data_table VARCHAR, source VARCHAR, edition VARCHAR, sha256 VARCHAR, part VARCHAR)"""


def split_columns(cols: str) -> list[str]:
    """Column definitions of a ``SCHEMA`` entry, split on top-level commas."""
    out, depth, cur = [], 0, ""
    for ch in cols:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return [c.strip() for c in out]


def column_names(table: str) -> tuple[str, ...]:
    """Column names of ``table`` in store order (quoted where SQL needs it, e.g. ``"left"``)."""
    return tuple(c.split()[0] for c in split_columns(SCHEMA[table]))


def column_types(table: str) -> list[tuple[str, str]]:
    """(name, SQL type) of each column of ``table`` (constraints such as PRIMARY KEY left out)."""
    out = []
    for c in split_columns(SCHEMA[table]):
        name, _, rest = c.partition(" ")
        out.append((name, rest.replace("PRIMARY KEY", "").strip()))
    return out


# Columns of the tables an ingest writes, in store order.
COLUMNS: dict[str, tuple[str, ...]] = {t: column_names(t) for t in ("trade", "production", "governance")}

# The natural key of a row: two rows of one (source, edition) with the same key are duplicates.
KEYS: dict[str, tuple[str, ...]] = {
    "trade": ("year", "exporter", "importer", "hs6"),
    "production": ("commodity", "stage", "country", "year"),
    "governance": ("country", "year", "indicator"),
}

# An ingest replaces, within its (source, edition), only the parts of a table the file covers: a yearly BACI
# file replaces its year, a USGS commodity file its (commodity, stage), a WGI file its indicators.
PART_SQL: dict[str, str] = {
    "trade": "CAST({a}year AS VARCHAR)",
    "production": "{a}commodity || '/' || {a}stage",
    "governance": "{a}indicator",
}

# Within a part, the groups whose complete disappearance an ingest must not cause silently: an HS code of a
# BACI year, a year of a production series, a year of a governance indicator.
GROUP_SQL: dict[str, str] = {
    "trade": "{a}hs6",
    "production": "CAST({a}year AS VARCHAR)",
    "governance": "CAST({a}year AS VARCHAR)",
}
GROUP_NAME = {"trade": "HS codes", "production": "years", "governance": "years"}


def part_sql(table: str, alias: str = "") -> str | None:
    """SQL expression naming the part of ``table`` a row belongs to (None for tables ingest never writes)."""
    tpl = PART_SQL.get(table)
    return tpl.format(a=f"{alias}." if alias else "") if tpl else None


def group_sql(table: str, alias: str = "") -> str:
    return GROUP_SQL[table].format(a=f"{alias}." if alias else "")


def embedded_filter(table: str, alias: str = "t") -> str:
    """SQL predicate true for rows of ``table`` (aliased ``alias``) that no ingested file claims.

    Reloading the embedded dataset must neither delete nor duplicate the parts of an embedded (source,
    edition) that an ingested file replaced.
    """
    part = part_sql(table, alias)
    if part is None:
        return "TRUE"
    return (
        f"NOT EXISTS (SELECT 1 FROM ingest_parts p WHERE p.data_table = '{table}' AND p.source = {alias}.source "
        f"AND p.edition = {alias}.edition AND p.part = {part})"
    )


# ---------------------------------------------------------------------------------------------------------
# Ingest history: every ingest that changed the store, and what it replaced (for `critmin data undo`)

HISTORY_DDL = """CREATE TABLE IF NOT EXISTS ingest_history (
    id INTEGER PRIMARY KEY, data_table VARCHAR, source VARCHAR, edition VARCHAR, file VARCHAR,
    location VARCHAR, sha256 VARCHAR, parts VARCHAR[], rows_added BIGINT, rows_replaced BIGINT,
    rows_removed BIGINT, options VARCHAR, user_name VARCHAR, host VARCHAR, ingested_at VARCHAR,
    critmin_version VARCHAR, embedded_digest VARCHAR, status VARCHAR, undone_at VARCHAR, undone_by VARCHAR)"""


def saved_table(table: str) -> str:
    """Table holding, per ingest (``history_id``), the rows of ``table`` the ingest deleted."""
    return f"ingest_saved_{table}"


def saved_ddls() -> dict[str, str]:
    """DDL of the tables that keep what each ingest replaced (rows, ``sources`` rows, ``ingest_parts`` rows),
    by table."""
    out = {
        saved_table(t): f"CREATE TABLE IF NOT EXISTS {saved_table(t)} (history_id INTEGER, {SCHEMA[t]})"
        for t in COLUMNS
    }
    for name, table in (("sources", "sources"), ("parts", "ingest_parts")):
        out[saved_table(name)] = (
            f"CREATE TABLE IF NOT EXISTS {saved_table(name)} AS SELECT 0::INTEGER AS history_id, * "
            f"FROM {table} LIMIT 0"
        )
    return out


def core_ddls() -> dict[str, str]:
    """DDL of every table critmin itself creates in a store, by table, in an order that creates each after
    the tables it copies its columns from. The basis tables (:mod:`critmin.data.basis`) are rebuilt whole
    and not listed; nor are the tables of other layers (restrictions, news, watch), which keep their own."""
    ddls = {"meta": META_DDL, "sources": SOURCES_DDL, "ingest_parts": PARTS_DDL}
    ddls |= {t: f"CREATE TABLE IF NOT EXISTS {t} ({cols})" for t, cols in SCHEMA.items()}
    ddls["ingest_history"] = HISTORY_DDL
    return ddls | saved_ddls()
