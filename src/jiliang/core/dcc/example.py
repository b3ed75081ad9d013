"""A complete sample :class:`CalibrationRecord` (a Pt100 thermometer) for docs and tests."""

from __future__ import annotations

import datetime as dt

from jiliang.core.dcc.records import (
    CalibrationRecord,
    Condition,
    Contact,
    Equipment,
    Identification,
    Item,
    Method,
    Person,
    Quantity,
    QuantityValues,
    Result,
    Statement,
)


def example_record(certificate_id: str = "JL-2026-000123") -> CalibrationRecord:
    """Return a realistic record exercising si:real, si:list, si:realListXMLList and si:hybrid."""
    lab = Contact(
        name={"zh": "某省计量测试研究院", "en": "Provincial Institute of Metrology"},
        email="lab@example.cn",
        phone="+86 10 1234 5678",
        city="北京",
        country_code="CN",
        post_code="100000",
        street="计量路",
        street_no="1",
    )
    customer = Contact(
        name={"zh": "某热电有限公司", "en": "Example Power Co., Ltd."},
        email="qa@example.com",
        city="天津",
        country_code="CN",
    )
    return CalibrationRecord(
        certificate_id=certificate_id,
        begin_date=dt.date(2026, 3, 2),
        end_date=dt.date(2026, 3, 3),
        receipt_date=dt.date(2026, 3, 1),
        items=[
            Item(
                name={"zh": "铂电阻温度计", "en": "Platinum resistance thermometer"},
                manufacturer="Example Sensors",
                model="PT100-A",
                identifications=[
                    Identification(
                        "manufacturer", "SN-2025-0042", {"zh": "出厂编号", "en": "Serial no."}
                    ),
                    Identification("customer", "EQ-17", {"zh": "设备编号", "en": "Equipment no."}),
                ],
            )
        ],
        laboratory=lab,
        laboratory_code="CNAS L0000",
        resp_persons=[
            Person("张三", role="校准员 / Calibration technician"),
            Person("李四", role="核验员 / Reviewer", main_signer=True),
        ],
        customer=customer,
        traceability={
            "zh": "测量结果可溯源至国家温度基准（ITS-90）。",
            "en": "The results are traceable to the national temperature standard (ITS-90).",
        },
        decision_rule={
            "zh": "按 ILAC-G8:09/2019 简单接受规则（w = 0）判定符合性。",
            "en": "Conformity decided by the ILAC-G8:09/2019 simple acceptance rule (w = 0).",
        },
        statements=[
            Statement(
                "basic_conformity",
                {
                    "zh": "在所有校准点均符合 AA 级允差。",
                    "en": "Within class AA tolerance at all points.",
                },
                conformity="pass",
            )
        ],
        methods=[
            Method({"zh": "比较法校准", "en": "Calibration by comparison"}, norm="JJG 229-2010")
        ],
        equipment=[
            Equipment(
                {"zh": "标准铂电阻温度计", "en": "Standard platinum resistance thermometer"},
                identifications=[Identification("calibrationLaboratory", "STD-001")],
                certificate_id="NIM-2025-0815",
            )
        ],
        conditions=[
            Condition(
                {"zh": "环境温度", "en": "Ambient temperature"},
                [
                    Quantity(
                        {"zh": "温度", "en": "Temperature"},
                        23.1,
                        r"\degreecelsius",
                        expanded_uncertainty=0.5,
                        ref_type="basic_temperature",
                    )
                ],
                ref_type="basic_temperature",
            )
        ],
        results=[
            Result(
                {"zh": "校准结果", "en": "Calibration results"},
                [
                    Quantity(
                        {"zh": "参考温度", "en": "Reference temperature"},
                        [273.16, 323.15, 373.15],
                        r"\kelvin",
                        alternatives=[QuantityValues([0.01, 50.0, 100.0], r"\degreecelsius")],
                        ref_type="basic_referenceValue",
                    ),
                    Quantity(
                        {"zh": "示值误差", "en": "Error of indication"},
                        [0.012, -0.018, 0.025],
                        r"\kelvin",
                        expanded_uncertainty=[0.02, 0.02, 0.03],
                        conformity=["pass", "pass", "pass"],
                        ref_type="basic_measurementError",
                    ),
                    Quantity(
                        {"zh": "电阻", "en": "Resistance"},
                        [100.0, 119.4],
                        r"\ohm",
                        expanded_uncertainty=0.002,
                        form="list",
                    ),
                    Quantity(
                        {"zh": "自热效应", "en": "Self-heating"},
                        0.004,
                        r"\milli\kelvin\milli\watt\tothe{-1}",
                        expanded_uncertainty=0.001,
                        coverage_factor=2.0,
                        coverage_probability=0.95,
                    ),
                ],
            )
        ],
    )
