"""GB 17167-2006 energy-metering configuration rates (能源计量器具配备率), issue 16.

Rates: GB 17167-2006 Table 3 (§4.3.2) as shipped in data/energy-gb17167-2006.yaml
(confirmed: false — see that file). Rate definition: §3.2 (configured / required × 100 %).
"""

from __future__ import annotations

import pytest

from jiliang.core.indicators.energy import (
    Level,
    MeterLine,
    check_unit,
    configuration_rate,
    load_rate_table,
    metering_rate,
    parse_rate_table,
)


def test_table_3_rates():
    t = load_rate_table()
    assert t.edition == "GB 17167-2006"
    assert [t.required_rate("electricity", lv) for lv in Level] == [100, 100, 95]
    assert [t.required_rate("steam", lv) for lv in Level] == [100, 80, 70]
    assert [t.required_rate("water", lv) for lv in Level] == [100, 95, 80]
    assert [t.required_rate("coal_gas", lv) for lv in Level] == [100, 90, 80]
    assert t.required_rate("waste_energy", "equipment") is None  # "—" in the table
    assert len(t.rates) == 13 and not t.confirmed
    with pytest.raises(ValueError, match="energy"):
        t.required_rate("hydrogen", "unit")
    with pytest.raises(ValueError, match="level"):
        t.required_rate("water", "building")


def test_configuration_rate():
    assert configuration_rate(19, 20) == pytest.approx(95.0)
    assert configuration_rate(7, 8) == pytest.approx(87.5)
    with pytest.raises(ValueError, match="required"):
        configuration_rate(0, 0)
    with pytest.raises(ValueError, match="configured"):
        configuration_rate(21, 20)
    with pytest.raises(ValueError, match="configured"):
        configuration_rate(-1, 20)


def test_unit_check_against_table_3():
    lines = [
        MeterLine("electricity", Level.UNIT, 2, 2),  # 100 % ≥ 100 %
        MeterLine("electricity", Level.EQUIPMENT, 20, 19),  # 95 % ≥ 95 % (boundary)
        MeterLine("steam", Level.SUB_UNIT, 5, 4),  # 80 % ≥ 80 %
        MeterLine("water", Level.EQUIPMENT, 10, 7),  # 70 % < 80 %
        MeterLine("waste_energy", Level.EQUIPMENT, 3, 0),  # no requirement
    ]
    check = check_unit("91500000MA5U000000", lines)
    assert [r.compliant for r in check.lines] == [True, True, True, False, None]
    assert [r.rate for r in check.lines] == pytest.approx([100, 95, 80, 70, 0])
    assert not check.compliant
    assert [(f.energy, f.level, f.required_rate) for f in check.failures] == [
        ("water", Level.EQUIPMENT, 80.0)
    ]
    assert check_unit("u", lines[:3]).compliant
    # Electricity on main equipment at 18/20 = 90 % fails the 95 % requirement.
    assert not check_unit("u", [MeterLine("electricity", Level.EQUIPMENT, 20, 18)]).compliant
    with pytest.raises(ValueError, match="given twice"):
        check_unit("u", [lines[0], lines[0]])


def test_region_metering_rate_of_main_equipment():
    # Σ configured / Σ required at equipment level: (19 + 7) / (20 + 10) = 86.67 %.
    lines = [
        MeterLine("electricity", Level.EQUIPMENT, 20, 19),
        MeterLine("water", Level.EQUIPMENT, 10, 7),
        MeterLine("electricity", Level.UNIT, 2, 1),  # other level, not counted
    ]
    assert metering_rate(lines) == pytest.approx(100 * 26 / 30)
    assert metering_rate(lines, "unit") == pytest.approx(50.0)
    with pytest.raises(ValueError, match="lines"):
        metering_rate(lines, "sub_unit")


def test_rate_table_validation_names_the_field():
    doc = {
        "kind": "energy_configuration_rates",
        "edition": "x",
        "source": "x",
        "effective_from": "2007-01-01",
        "entries": [{"energy": "electricity", "unit": 100, "sub_unit": 100, "equipment": 195}],
    }
    with pytest.raises(
        ValueError, match=r"t.yaml: entries\[0\] \(electricity\): field 'equipment'"
    ):
        parse_rate_table(doc, "t.yaml")
    del doc["entries"][0]["sub_unit"]
    with pytest.raises(ValueError, match="field 'sub_unit' is required"):
        parse_rate_table(doc, "t.yaml")
