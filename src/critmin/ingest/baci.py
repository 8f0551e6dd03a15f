"""CEPII BACI bilateral trade: a yearly CSV (``BACI_HS92_Y2023_V202501.csv``) or the release zip.

Format (CEPII, BACI readme): header ``t,i,j,k,v,q`` — year, exporter and importer (BACI numeric country
codes, ISO 3166 numeric with CEPII's own codes for groupings such as 490 "Other Asia, nes"), HS 6-digit
product (leading zeros dropped), value in thousand current USD (FOB) and quantity in metric tons (``NA`` where
unknown). The release zip holds one CSV per year plus ``country_codes_V2025xx.csv`` and
``product_codes_HS92_V2025xx.csv``.

Only the catalogue's HS92 codes are kept (:func:`critmin.reference.commodities.hs_index`); the number of rows
outside the catalogue is reported. Files are streamed in blocks with pyarrow, so memory stays bounded for
the ~200 MB yearly files (a few tens of MB whatever the file size).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import DataError
from critmin.ingest.common import (
    FIRST_YEAR,
    BadRow,
    Parsed,
    ProgressFn,
    Rejects,
    country_index,
    last_plausible_year,
)

SOURCE = "BACI"
COLUMNS = ("t", "i", "j", "k", "v", "q")
BLOCK_BYTES = 1 << 18  # pyarrow CSV block: 256 KB of text per batch (its memory pool keeps what it used)
VALIDATE_ROWS = 4_096  # catalogue rows validated together (a dense block is validated on its own)
NAME_RX = re.compile(r"BACI_(HS\d\d)_(?:Y(\d{4})_)?(V\d{6}[a-z]?)", re.I)
YEAR_FILE_RX = re.compile(r"BACI_HS\d\d_Y(\d{4})_V\d{6}[a-z]?\.csv$", re.I)
# BACI/WMD special codes that are not ISO 3166 alpha-3 for the same entity
SPECIAL_ISO3 = {"S19": "TWN"}


def edition_from_name(name: str) -> str | None:
    """'BACI_HS92_Y2023_V202501.csv' -> 'HS92 V202501' (the release, not the year)."""
    m = NAME_RX.search(name)
    return f"{m.group(1).upper()} {m.group(3)}" if m else None


def _country_map_from_dictionary(df: pd.DataFrame, name: str) -> dict[int, str]:
    """code -> ISO3 from a BACI ``country_codes_*.csv`` (V2024+ or the older column names)."""
    cols = {c.lower(): c for c in df.columns}
    code_col = cols.get("country_code")
    iso_col = cols.get("country_iso3") or cols.get("iso_3digit_alpha")
    if code_col is None or iso_col is None:
        raise DataError("country dictionary without country_code/country_iso3 columns", path=name)
    index = country_index()
    out: dict[int, str] = {}
    for code, iso3 in zip(df[code_col], df[iso_col], strict=True):
        iso3 = SPECIAL_ISO3.get(str(iso3).strip(), str(iso3).strip())
        if iso3 in index.names:
            out[int(code)] = iso3
    return out


class _Counting(io.RawIOBase):
    """Wraps a binary stream and counts the bytes read (for the progress callback)."""

    def __init__(self, raw):
        self.raw = raw
        self.bytes = 0
        self.last = b""  # the last byte read: a complete CSV ends with a line break

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self.raw.read(len(b))
        n = len(data)
        b[:n] = data
        self.bytes += n
        if n:
            self.last = data[-1:]
        return n


def _members(path: Path) -> tuple[list[tuple[str, int]], dict[int, str] | None]:
    """(csv members with their sizes, country map from the zip's dictionary or None)."""
    if path.suffix.lower() != ".zip":
        return [(path.name, path.stat().st_size)], None
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise DataError(f"not a readable zip file ({exc})", path=str(path)) from exc
    with zf:
        names = zf.namelist()
        years = sorted((n for n in names if YEAR_FILE_RX.search(Path(n).name)), key=lambda n: Path(n).name)
        if not years:
            raise DataError(
                "the zip holds no BACI yearly file (BACI_HS92_Y<year>_V<release>.csv)", path=str(path)
            )
        dictionary = [n for n in names if re.search(r"country_codes_V\d{6}[a-z]?\.csv$", n, re.I)]
        cmap = None
        if dictionary:
            with zf.open(dictionary[0]) as fh:
                cmap = _country_map_from_dictionary(
                    pd.read_csv(fh, keep_default_na=False, encoding="utf-8", encoding_errors="replace"),
                    f"{path.name}/{dictionary[0]}",
                )
        return [(n, zf.getinfo(n).file_size) for n in years], cmap


def parse(
    path: str | Path,
    *,
    edition: str | None = None,
    progress: ProgressFn | None = None,
    rejects: Rejects | None = None,
) -> Parsed:
    """Parse a BACI yearly CSV or release zip into chunks of ``trade`` rows (see module docstring)."""
    path = Path(path)
    edition = edition or edition_from_name(path.name)
    if not edition:
        raise DataError(
            "cannot tell the BACI release from the file name (expected e.g. "
            "BACI_HS92_Y2023_V202501.csv or BACI_HS92_V202501.zip); pass --edition 'HS92 V202501'",
            path=str(path),
        )
    named = edition_from_name(path.name)
    if named and not named.startswith("HS92"):
        raise DataError(
            "only the HS92 nomenclature is supported (the catalogue's codes are HS92)", path=str(path)
        )
    members, cmap = _members(path)
    rejects = rejects or Rejects()
    stats = {"rows_read": 0, "outside_catalogue": 0, "kept": 0}
    parsed = Parsed(
        source=SOURCE,
        key="baci",
        table="trade",
        edition=edition,
        chunks=iter(()),
        rejects=rejects,
        stats=stats,
        extra_columns=("_file", "_line", "_i", "_j"),
        # the file's own codes: two rows of the same year, exporter, importer and product are one flow twice
        # (distinct legacy codes mapped to one ISO3, e.g. Belgium-Luxembourg and Belgium, are summed)
        duplicate_key=("year", "_i", "_j", "hs6"),
        duplicate_key_name="year, exporter, importer and product",
    )
    parsed.chunks = _chunks(path, members, cmap, edition, parsed, progress)
    return parsed


def _chunks(
    path: Path,
    members: list[tuple[str, int]],
    cmap: dict[int, str] | None,
    edition: str,
    parsed: Parsed,
    progress: ProgressFn | None,
) -> Iterator[pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    from critmin.reference.commodities import hs_index

    hs_codes = pa.array(sorted(int(h) for h in hs_index()), type=pa.int64())
    index = country_index()
    lookup = dict(index.baci)
    if cmap:
        lookup.update(cmap)
    total = sum(size for _, size in members)
    done_before = 0
    is_zip = path.suffix.lower() == ".zip"
    zf = zipfile.ZipFile(path) if is_zip else None
    try:
        for member, size in members:
            label = f"{path.name}/{member}" if is_zip else path.name
            raw = zf.open(member) if zf else open(path, "rb")  # noqa: SIM115 - closed below
            counter = _Counting(raw)
            try:
                skipped: list[int] = []
                reader = _open_csv(counter, label, skipped, parsed, pacsv)
                row0 = 0  # accepted rows before this batch
                kept, lines, n_kept = [], [], 0  # catalogue rows waiting to be validated together
                for batch in _batches(reader, label, pa):
                    found = _catalogue_rows(batch, row0, skipped, label, hs_codes, parsed, pa, pc)
                    row0 += batch.num_rows
                    if found is not None:
                        kept.append(found[0])
                        lines.append(found[1])
                        n_kept += found[0].num_rows
                    if n_kept >= VALIDATE_ROWS:
                        yield from _validate_kept(kept, lines, label, lookup, edition, parsed, pa)
                        kept, lines, n_kept = [], [], 0
                    if progress:
                        progress("reading", done_before + counter.bytes, total)
                if kept:
                    yield from _validate_kept(kept, lines, label, lookup, edition, parsed, pa)
                if counter.last not in (b"", b"\n", b"\r"):
                    raise DataError(
                        "the file does not end with a line break: it looks cut short (an interrupted download "
                        "or copy?) and its last row would be read as complete; download it again",
                        path=label,
                        line=row0 + len(skipped) + 1,
                    )
            except (zipfile.BadZipFile, EOFError) as exc:
                raise DataError(f"damaged zip member ({exc})", path=label) from None
            finally:
                raw.close()
            done_before += size
    finally:
        if zf:
            zf.close()


def _open_csv(stream, label: str, skipped: list[int], parsed: Parsed, pacsv):
    """A streaming pyarrow reader; rows with the wrong number of fields go to the rejects with their line."""
    import pyarrow as pa

    def invalid(row) -> str:
        skipped.append(int(row.number))
        parsed.rejects.add(
            BadRow(
                label,
                row.number,
                "row",
                f"{row.actual_columns} fields instead of {row.expected_columns}",
                row.text[:80],
            )
        )
        return "skip"

    # single-threaded parsing keeps physical line numbers for the rejects
    read_opts = pacsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False)
    conv = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in COLUMNS},
        strings_can_be_null=False,
        include_columns=list(COLUMNS),
    )
    try:
        return pacsv.open_csv(
            io.BufferedReader(stream, buffer_size=1 << 20),
            read_options=read_opts,
            parse_options=pacsv.ParseOptions(invalid_row_handler=invalid),
            convert_options=conv,
        )
    except pa.ArrowKeyError as exc:
        raise DataError(
            f"missing BACI column(s): expected the header {','.join(COLUMNS)} ({exc})",
            path=label,
            line=1,
            field="header",
        ) from exc
    except pa.ArrowException as exc:
        raise DataError(f"unreadable CSV ({_first_line(exc)})", path=label, line=1) from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]


def _lines(rows: np.ndarray, skipped: list[int]) -> np.ndarray:
    """Physical line numbers of accepted rows ``rows`` (0-based among accepted rows), given skipped lines."""
    lines = rows + 2
    if not skipped:
        return lines
    s = np.asarray(sorted(skipped))
    while True:
        new = rows + 2 + np.searchsorted(s, lines, side="right")
        if np.array_equal(new, lines):
            return lines
        lines = new


def _batches(reader, label: str, pa):
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowException as exc:
            raise DataError(f"unreadable CSV ({_first_line(exc)})", path=label) from None
        yield batch


def _catalogue_rows(batch, row0: int, skipped: list[int], label: str, hs_codes, parsed: Parsed, pa, pc):
    """(the batch's catalogue rows, their physical lines) or None; counts the rest, rejects bad HS codes."""
    stats = parsed.stats
    n = batch.num_rows
    stats["rows_read"] += n
    k = pc.utf8_trim_whitespace(batch.column("k"))
    k_ok = pc.and_(pc.utf8_is_digit(k), pc.less_equal(pc.utf8_length(k), 6))
    k_ok = pc.fill_null(k_ok, False)
    k_int = pc.cast(pc.if_else(k_ok, k, pa.scalar("-1")), pa.int64())
    in_cat = pc.is_in(k_int, value_set=hs_codes)
    bad_k = pc.invert(k_ok)
    n_bad_k = pc.sum(bad_k).as_py() or 0
    if n_bad_k:
        idx = np.flatnonzero(bad_k.to_numpy(zero_copy_only=False))
        vals = k.take(pa.array(idx)).to_pylist()
        for ln, v in zip(_lines(idx + row0, skipped), vals, strict=True):
            parsed.rejects.add(BadRow(label, int(ln), "k", "HS code is not 1-6 digits", str(v)))
    n_kept = pc.sum(in_cat).as_py() or 0
    stats["outside_catalogue"] += n - n_kept - n_bad_k
    if not n_kept:
        return None
    pos = np.flatnonzero(in_cat.to_numpy(zero_copy_only=False))
    return batch.take(pa.array(pos)), _lines(pos + row0, skipped)


def _validate_kept(kept: list, lines: list, label: str, lookup, edition: str, parsed: Parsed, pa):
    """Validate the catalogue rows of several batches at once (pandas has a fixed cost per call)."""
    sub = pa.Table.from_batches(kept).to_pandas()
    sub.index = np.concatenate(lines)
    yield from _validate(sub, label, lookup, edition, parsed)


def _validate(
    df: pd.DataFrame, label: str, lookup: dict[int, str], edition: str, parsed: Parsed
) -> Iterator[pd.DataFrame]:
    """Check each kept row; add bad ones to the rejects and yield the good ones in the store schema."""
    bad = pd.Series(False, index=df.index)
    found: list[BadRow] = []

    def flag(mask: pd.Series, field: str, reason: str) -> None:
        nonlocal bad
        mask = mask & ~bad
        for ln in df.index[mask]:
            found.append(BadRow(label, int(ln), field, reason, str(df.at[ln, field]).strip()))
        bad = bad | mask

    def num(col: str) -> pd.Series:
        s = df[col].str.strip()
        return pd.to_numeric(s.where(~s.isin(["NA", "", "na", "nan"])), errors="coerce")

    t = num("t")
    flag(t.isna() | (t != t.round()), "t", "year is not an integer")
    flag((t < FIRST_YEAR) | (t > last_plausible_year()), "t", "implausible year")
    codes = {}
    for col in ("i", "j"):
        c = num(col)
        whole = c.notna() & np.isfinite(c.fillna(0.0)) & (c == c.round())
        flag(~whole, col, "country code is not an integer")
        iso = c.where(whole).map(lambda x: lookup.get(int(x)) if x == x else None)
        flag(iso.isna(), col, "unknown BACI country code (not in the BACI/critmin country dictionary)")
        codes[col] = iso
    v = num("v")
    flag(v.isna(), "v", "trade value missing or not a number")
    flag(~np.isfinite(v.fillna(0.0)), "v", "trade value is not a finite number")
    flag(v < 0, "v", "negative trade value")
    q_raw = df["q"].str.strip()
    q = num("q")
    flag(q.isna() & ~q_raw.isin(["NA", "", "na", "nan"]), "q", "quantity is not a number")
    flag(~np.isfinite(q.fillna(0.0)), "q", "quantity is not a finite number")
    flag(q < 0, "q", "negative quantity")
    parsed.rejects.extend(found)
    good = ~bad
    if not good.any():
        return
    parsed.stats["kept"] += int(good.sum())
    yield pd.DataFrame(
        {
            "year": t[good].astype("int16").to_numpy(),
            "exporter": codes["i"][good].to_numpy(),
            "importer": codes["j"][good].to_numpy(),
            "hs6": df.loc[good, "k"].str.strip().str.zfill(6).to_numpy(),
            "value_kusd": v[good].astype("float64").to_numpy(),
            "tonnes": q[good].astype("float64").to_numpy(),
            "source": SOURCE,
            "edition": edition,
            "_file": label,
            "_line": df.index[good].to_numpy(),
            "_i": df.loc[good, "i"].str.strip().to_numpy(),
            "_j": df.loc[good, "j"].str.strip().to_numpy(),
        }
    )
