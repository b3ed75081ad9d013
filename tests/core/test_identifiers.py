"""Lifetime IDs and GB 32100 credit codes."""

from __future__ import annotations

import random

import pytest

from jiliang.core.identifiers import (
    ALPHABET,
    IdentifierError,
    check_character,
    credit_code_check,
    make_lifetime_id,
    validate_credit_code,
    validate_lifetime_id,
)


def test_lifetime_id_round_trip():
    value = make_lifetime_id("330106", "FDP", 2024, 123)
    assert value.startswith("330106-FDP-2024-0000123-")
    assert validate_lifetime_id(value) == value


def test_every_single_character_error_is_detected():
    value = make_lifetime_id("330106", "FDP", 2024, 123)
    for pos, ch in enumerate(value):
        if ch == "-":
            continue
        for other in ALPHABET:
            if other == ch:
                continue
            typo = value[:pos] + other + value[pos + 1 :]
            with pytest.raises(IdentifierError):
                validate_lifetime_id(typo)


def test_adjacent_transpositions_are_almost_always_detected():
    """ISO/IEC 7064 hybrid MOD 37,36 misses a small share of adjacent transpositions."""
    rng = random.Random(7064)
    missed = trials = 0
    while trials < 20_000:
        payload = "".join(rng.choice(ALPHABET) for _ in range(20))
        i = rng.randrange(19)
        if payload[i] == payload[i + 1]:
            continue
        swapped = payload[:i] + payload[i + 1] + payload[i] + payload[i + 2 :]
        trials += 1
        missed += check_character(swapped) == check_character(payload)
    assert missed / trials < 0.0025


@pytest.mark.parametrize("bad", ["", "330106-FDP-2024-123-1", "33010-FDP-2024-0000123-1"])
def test_malformed_lifetime_ids(bad):
    with pytest.raises(IdentifierError):
        validate_lifetime_id(bad)


def test_credit_code_check_matches_published_example():
    # GB 32100-2015 worked example code 91350100M000100Y43 (check character '3').
    assert credit_code_check("91350100M000100Y4") == "3"
    assert validate_credit_code("91350100M000100Y43")
    with pytest.raises(IdentifierError):
        validate_credit_code("91350100M000100Y44")


def test_certificate_numbers_are_nfkc_and_refuse_invisible_or_confusable_characters():
    """Issue 17: a zero-width space made a look-alike of a withdrawn certificate's number."""
    from jiliang.core.identifiers import certificate_lookup_key, normalise_certificate_no

    assert normalise_certificate_no("ＪＤ－２０２６－１") == "JD-2026-1"  # fullwidth folds (NFKC)
    assert normalise_certificate_no(" 浙计检字(2026)001 ") == "浙计检字(2026)001"
    for bad in [
        "JD-1\u200b2",
        "JD-1\u202e2",
        "JD 12",
        "JD-\u04101",
    ]:  # ZWSP, RLO, space, Cyrillic А
        with pytest.raises(IdentifierError, match="certificate number"):
            normalise_certificate_no(bad)
    assert certificate_lookup_key("JD-1\u200b2") == "JD-12"
