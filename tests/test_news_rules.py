"""Rules as data: every trigger rule of ``data/triggers.yaml`` matches its own invented examples and none of
its counterexamples; the engine compiles the table syntax; bad tables fail with a clear error."""

from __future__ import annotations

import re

import pytest

from critmin.errors import DataError
from critmin.news.rules import Lexicon, inflect, inflect_it, rulebook

RULES = [r for rules in rulebook().triggers.values() for r in rules]


def test_every_rule_has_invented_examples():
    missing = [r.id for r in RULES if not r.examples]
    assert missing == [], f"rules without examples: {missing}"
    assert len({r.id for r in RULES}) == len(RULES), "rule ids must be unique"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_matches_its_examples_and_not_its_counterexamples(rule):
    for example in rule.examples:
        assert rule.pattern.search(example), f"{rule.id} does not match its example {example!r}"
        if rule.requires is not None:
            assert rule.requires.search(example), f"{rule.id}: 'requires' misses {example!r}"
        assert rule.id in rulebook().keywords.names(example.lower()), f"{rule.id}: no keyword in {example!r}"
    for counter in rule.counterexamples:
        # a counterexample is not proposed: the pattern misses it, or what the rule requires is absent, or
        # what it excludes is present
        proposed = (
            rule.pattern.search(counter)
            and (rule.requires is None or rule.requires.search(counter))
            and not (rule.unless is not None and rule.unless.search(counter))
        )
        assert not proposed, f"{rule.id} proposes its counterexample {counter!r}"


def test_no_table_syntax_survives_compilation():
    book = rulebook()
    patterns = [r.pattern.pattern for r in RULES] + [p.pattern for p in book.cues.values()]
    for p in patterns:
        assert "~" not in p and not re.search(r"\{(?:gap:\d+|[a-z_]+)\}", p), p


@pytest.mark.parametrize(
    ("lemma", "forms"),
    [
        ("ban", {"ban", "bans", "banned", "banning"}),
        ("impose", {"impose", "imposes", "imposed", "imposing"}),
        ("ratify", {"ratifies", "ratified"}),
        ("commit", {"committed", "committing"}),
        ("halt", {"halts", "halted", "halting"}),
    ],
)
def test_inflections_cover_the_regular_forms(lemma, forms):
    assert forms <= set(inflect(lemma))


@pytest.mark.parametrize(
    ("infinitive", "forms"),
    [
        (
            "vietare",
            ["vieta", "vietano", "vietato", "vietata", "vietati", "vietate", "vieterà", "vietò", "vietare"],
        ),
        ("bloccare", ["blocca", "bloccherà", "bloccheranno", "bloccate"]),
        ("lanciare", ["lancia", "lancerà", "lanciato"]),
        ("abolire", ["abolisce", "aboliscono", "abolita", "abolirà", "abolire"]),
        ("riaprire", ["riapre", "riaprono", "riaprirà"]),
        ("chiudere", ["chiude", "chiudono", "chiuderà", "chiudere"]),
    ],
)
def test_italian_inflections_cover_the_forms_news_writes(infinitive, forms):
    pat = re.compile(r"\b(?:" + "|".join(inflect_it(infinitive)) + r")\b")
    for form in forms:
        assert pat.fullmatch(form), form
    assert not pat.fullmatch(infinitive[:-3] + "x")


def test_italian_inflection_does_not_make_adjectives_of_isc_verbs():
    pat = re.compile(r"\b(?:" + "|".join(inflect_it("stabilire") + inflect_it("bandire")) + r")\b")
    assert pat.fullmatch("stabilisce") and pat.fullmatch("bandisce")
    assert not pat.fullmatch("stabile") and not pat.fullmatch("bande")


def test_an_italian_verb_is_one_entry_and_not_an_english_one():
    lex = Lexicon({"lift": ["abolire~it (?:il|i) divieto"]})
    pat = re.compile(lex.expand("{lift}"), re.I)
    assert pat.search("Ruritania ha abolito il divieto") and pat.search("Freedonia abolisce il divieto")
    assert not pat.search("Ruritania ha abolire~it il divieto") and "~" not in pat.pattern


def test_table_syntax_spaces_classes_gaps_and_verbs():
    lex = Lexicon({"noun": ["export bans?", "quotas?"], "verb": ["ban~"]})
    pat = re.compile(lex.expand("{verb} {gap:3}{noun}"), re.I)
    assert pat.search("Ruritania banned  all cobalt export bans")
    assert pat.search("They ban\tsome quotas")
    assert not pat.search("a bank of quotas")  # a verb only as a whole word
    assert re.fullmatch(lex.expand("[a b]+"), "a b")  # a space inside a class stays a space
    # an optional space is optional ("dell' ?accordo" reads "dell'accordo" and "dell' accordo")
    opt = re.compile(lex.expand("dell' ?accordo"), re.I)
    assert opt.fullmatch("dell'accordo") and opt.fullmatch("dell'  accordo")
    assert re.fullmatch(lex.expand("a *b"), "ab") and not re.fullmatch(lex.expand("a b"), "ab")


def test_unknown_class_and_self_reference_are_clear_errors():
    with pytest.raises(DataError, match="unknown lexicon class"):
        Lexicon({}).expand("{nothing}")
    with pytest.raises(DataError, match="refers to itself"):
        Lexicon({"a": ["{a}"]}).group("a")


def test_cues_and_tables_answer():
    from critmin.news.rules import cue, label

    assert cue("negation").search("Japan will refrain from imposing controls")
    assert cue("speculation").search("China could ban exports")
    assert label("measure_type", "export quotas") == "quota"
    assert label("agreement_level", "a memorandum of understanding") == "MoU"


def test_every_flag_is_declared_and_used_and_an_unknown_flag_is_a_clear_error(monkeypatch):
    import critmin.news.rules as rules_mod

    declared = set(rules_mod._read("triggers.yaml")["flags"])
    used = {f for r in RULES for f in r.flags}
    assert used == declared, (declared - used, used - declared)

    real = rules_mod._read

    def with_bad_flag(name):
        doc = real(name)
        if name == "triggers.yaml":
            doc["rules"][0] = {**doc["rules"][0], "flags": ["no_such_flag"]}
        return doc

    monkeypatch.setattr(rules_mod, "_read", with_bad_flag)
    rules_mod.rulebook.cache_clear()
    try:
        with pytest.raises(DataError, match="unknown flag 'no_such_flag'"):
            rules_mod.rulebook()
    finally:
        monkeypatch.undo()
        rules_mod.rulebook.cache_clear()


def test_an_italian_companion_is_read_as_part_of_its_class_and_cue():
    """A lexicon class or a cue named "<name>_it" holds the Italian forms of "<name>": Italian lines live in a
    block of their own, yet the English class and cue answer for them."""
    lex = Lexicon({"money": ["[$]\\d+"], "money_it": ["\\d+ milioni di euro"]})
    pat = re.compile(lex.expand("{money}"))
    assert pat.fullmatch("$5") and pat.fullmatch("50 milioni di euro")
    assert not Lexicon({"money": ["[$]\\d+"]}).expand("{money}").count("milioni")

    from critmin.news.rules import _with_companions

    merged = _with_companions({"neg": ["not"], "neg_it": {"pattern": "smentit\\w*"}, "other": ["x"]})
    assert merged["neg"] == {"words": ["not"], "pattern": "(?:smentit\\w*)"}
    assert merged["other"] == {"words": ["x"]}
    with pytest.raises(DataError, match="case sensitivity"):
        _with_companions({"a": {"pattern": "A", "case": "sensitive"}, "a_it": {"pattern": "b"}})
    # the shipped tables: an Italian denial is a negation, an Italian conditional a speculation, and "avrebbe"
    # after a reporting verb a reported decision as "would" is
    from critmin.news.rules import cue

    assert cue("negation").search("Pechino ha smentito di voler bloccare l'export")
    assert cue("speculation").search("La Ruritania starebbe per imporre restrizioni")
    assert cue("reported_modal").fullmatch("avrebbe") and cue("reported_modal").fullmatch("would")
    assert "scort" in rulebook().keywords.by_prefix  # the stockpile stage's Italian prefilter ("una scorta")


def test_acronyms_written_as_names_match_bodies_only():
    """Italian and British style write acronyms as names ("Jogmec", "Maeci"); such a word matches a body or a
    company, never a country code or a person."""
    from critmin.news.gazetteer import find

    assert [(m.kind, m.value) for m in find("la Jogmec e il Maeci")] == [
        ("institution", "JPN"),
        ("institution", "ITA"),
    ]
    assert [m.value for m in find("DPRK")] == ["PRK"] and find("Dprk") == []  # a country code stays a code
    assert [m.value for m in find("il governo malese e la Corte suprema serba")] == ["MYS", "SRB"]
    # a generic Italian ministry name is not Italy's: "il ministero degli Esteri cinese" is China's
    assert [m.value for m in find("il ministero degli Esteri cinese")] == ["CHN"]
