"""Reference tables: commodity catalogue, countries, blocs and parties."""

from __future__ import annotations

import pytest

from critmin.errors import DataError, UnknownValueError
from critmin.reference import blocs, commodities, countries


def test_catalogue_has_at_least_30_commodities_with_stages():
    cat = commodities.catalogue()
    assert len(cat) >= 30
    for required in (
        "rare_earths",
        "gallium",
        "germanium",
        "graphite",
        "lithium",
        "cobalt",
        "nickel",
        "manganese",
        "tungsten",
        "antimony",
        "magnesium",
        "niobium",
        "tantalum",
        "vanadium",
        "titanium",
        "platinum_group",
        "copper",
        "bauxite",
        "aluminium",
        "fluorspar",
        "borates",
        "beryllium",
        "tellurium",
        "selenium",
    ):
        assert required in cat
    for c in cat.values():
        assert c.stages, c.id
        assert set(c.stages) <= set(commodities.STAGES)


def test_every_stage_without_hs_codes_says_why():
    for c in commodities.catalogue().values():
        for s in c.stages.values():
            if not s.hs92:
                assert s.hs_note, f"{c.id}/{s.name} has no HS92 code and no note explaining it"


def test_gallium_records_missing_hs_coverage():
    ga = commodities.get("gallium")
    assert all(not s.hs92 for s in ga.stages.values())
    assert "no HS92" in ga.stages["refined"].hs_note


def test_hs_codes_are_six_digits_and_unique():
    index = commodities.hs_index()
    assert all(len(h) == 6 and h.isdigit() for h in index)
    assert index["284690"] == ("rare_earths", "refined")


def test_content_factors_only_for_codes_of_the_stage():
    for c in commodities.catalogue().values():
        for s in c.stages.values():
            assert set(s.content) <= set(s.hs92), f"{c.id}/{s.name}"
            for f in s.content.values():
                assert 0 < f.factor <= 2


@pytest.mark.parametrize(
    "text, expected",
    [
        ("rare earths", "rare_earths"),
        ("REE", "rare_earths"),
        ("Li", "lithium"),
        ("aluminum", "aluminium"),
        ("PGMs", "platinum_group"),
        ("terre rare", "rare_earths"),
        ("Tungsten", "tungsten"),
        ("wolfram", "tungsten"),
    ],
)
def test_commodity_resolution(text, expected):
    assert commodities.get(text).id == expected


def test_unknown_commodity_suggests_close_matches():
    with pytest.raises(UnknownValueError) as exc:
        commodities.get("lithum")
    assert "lithium" in str(exc.value)


def test_unknown_stage_lists_the_stages_of_the_commodity():
    with pytest.raises(UnknownValueError, match="stages: refined"):
        commodities.get("gallium").stage("mine")


@pytest.mark.parametrize(
    "text, iso3",
    [
        ("Japan", "JPN"),
        ("jp", "JPN"),
        ("JPN", "JPN"),
        ("Türkiye", "TUR"),
        ("Turkey", "TUR"),
        ("Korea, Rep.", "KOR"),
        ("DR Congo", "COD"),
        ("Congo (Kinshasa)", "COD"),
        ("ZAR", "COD"),
        ("ROM", "ROU"),
        ("KSV", "XKX"),
        ("Taiwan", "TWN"),
        ("S19", "TWN"),
        ("Other Asia, nes", "TWN"),
        ("United States", "USA"),
        ("Italia", "ITA"),
        ("Burma", "MMR"),
        ("Côte d'Ivoire", "CIV"),
        ("Viet Nam", "VNM"),
        ("Russian Federation", "RUS"),
    ],
)
def test_country_resolution(text, iso3):
    assert countries.resolve(text) == iso3


def test_china_is_china_not_taiwan():
    assert countries.resolve("China") == "CHN"
    assert countries.resolve("People's Republic of China") == "CHN"


def test_unknown_country_suggests_iso3_with_names():
    with pytest.raises(UnknownValueError) as exc:
        countries.resolve("Jpan")
    assert "JPN (Japan)" in str(exc.value)


def test_baci_codes_map_to_iso3():
    assert countries.from_baci(392) == "JPN"
    assert countries.from_baci(490) == "TWN"
    assert countries.from_baci(842) == "USA"
    assert countries.from_baci(251) == "FRA"


def test_blocs_known_and_dated():
    assert set(blocs.known()) >= {"G7", "EU27", "OECD", "G20", "QUAD", "MSP", "BRICS", "NATO"}
    assert len(blocs.members("G7")) == 7
    assert len(blocs.members("EU27")) == 27
    assert "HRV" not in blocs.members("EU27", 2012) and "HRV" in blocs.members("EU27", 2013)
    assert "IDN" not in blocs.members("BRICS", 2024) and "IDN" in blocs.members("BRICS", 2025)
    assert "SWE" in blocs.members("NATO", 2024) and "SWE" not in blocs.members("NATO", 2023)
    assert "ARG" in blocs.members("MSP", "2024-09-01") and "ARG" not in blocs.members("MSP", "2024-07-01")


def test_party_union_and_aliases():
    p = blocs.party("JPN+ITA")
    assert p.is_bloc and p.members == ("ITA", "JPN") and p.label == "JPN+ITA"
    assert blocs.party("EU").label == "EU27"
    assert blocs.party("Japan").label == "JPN" and not blocs.party("Japan").is_bloc
    g7aus = blocs.party("G7+AUS")
    assert len(g7aus.members) == 8


def test_parties_list_keeps_order_and_drops_repeats():
    ps = blocs.parties("ITA,JPN,Japan,JPN+ITA")
    assert [p.label for p in ps] == ["ITA", "JPN", "JPN+ITA"]


def test_unknown_party_mentions_close_matches():
    with pytest.raises(UnknownValueError, match="ITA"):
        blocs.party("JPN+Itly")


def test_user_bloc_file_yaml_and_toml(tmp_path):
    y = tmp_path / "blocs.yaml"
    y.write_text("PACIFIC: [Japan, Australia, KOR]\n", encoding="utf-8")
    assert blocs.load_user_blocs(y) == {"PACIFIC": ("AUS", "JPN", "KOR")}
    t = tmp_path / "blocs.toml"
    t.write_text('[blocs]\nNORDIC = ["SWE", "Finland", "NOR"]\n', encoding="utf-8")
    assert blocs.load_user_blocs(t) == {"NORDIC": ("FIN", "NOR", "SWE")}
    p = blocs.party("PACIFIC", user_blocs=blocs.load_user_blocs(y))
    assert p.is_bloc and p.members == ("AUS", "JPN", "KOR")


def test_user_bloc_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "blocs.yaml"
    bad.write_text("X: []\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"blocs\.yaml"):
        blocs.load_user_blocs(bad)
    bad.write_text("X: [Japan, Narnia]\n", encoding="utf-8")
    with pytest.raises(UnknownValueError, match="Narnia"):
        blocs.load_user_blocs(bad)


def test_content_basis_conversion():
    from critmin.reference import units

    assert units.convert(100, "Li2O", "Li") == pytest.approx(46.45)
    assert units.convert(46.45, "Li", "Li2O") == pytest.approx(100)
    assert units.factor("REO", "REE")[1] is True
    with pytest.raises(UnknownValueError, match="Li2O"):
        units.factor("Li2O", "Co")
