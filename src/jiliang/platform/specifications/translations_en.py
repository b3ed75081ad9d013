"""English for the specifications app's strings (merged by scripts/i18n)."""

EN = {
    "计量技术规范": "Technical specifications",
    "技术规范": "Specifications",
    "国家计量检定规程": "National verification regulation",
    "国家计量技术规范": "National metrological technical specification",
    "地方计量检定规程": "Local verification regulation",
    "地方计量技术规范": "Local metrological technical specification",
    "部门计量检定规程/技术规范": "Departmental verification regulation / technical specification",
    "制定中": "Being drafted",
    "现行": "In force",
    "废止": "Withdrawn",
    "规范编号": "Number",
    "发布区划": "Issuing region",
    "实施日期": "Effective date",
    "废止日期": "Withdrawal date",
    "代替的版本": "Replaces",
    "代替本版本": "replaces this edition",
    "强制管理目录条目": "Catalogue items (compulsory management)",
    "依据的规范": "Specification applied",
    "检定/校准依据": "Specification applied to a verification/calibration",
    "版本沿革": "Editions",
    "修订影响": "Revision impact",
    "按您可查看的记录统计：在用器具、强检备案、所用计量标准、授权/认可范围覆盖的机构。": (
        "Counted over the records you may read: instruments in use, compulsory filings, "
        "standards used, institutions whose authorised/accredited scopes cover the document."
    ),
    "在用计量器具": "Instruments in use",
    "依据本版本的检定/校准": "Verifications to this edition",
    "依据被代替版本的检定/校准": "Verifications to the replaced edition",
    "新增覆盖": "Newly covered",
    "不再覆盖": "No longer covered",
    "涉及机构": "Institutions concerned",
    "有效范围数": "Valid scopes",
    "发布区划的省级市场监管部门": "the provincial market regulator of the issuing region",
    "国家市场监管总局或国家计量院": "SAMR or the national metrology institute",
    "只有%(who)s可以登记此规范": "Only %(who)s may register this specification",
    "只有出具该记录的机构可以登记其依据的规范": (
        "Only the institution that issued the record may register the specification it applied"
    ),
    "平台口径：计量技术规范登记中，发布区划在本区域内、类型为地方计量检定规程或地方计量技术"
    "规范、在统计日现行（已实施且未废止）的版本数": (
        "Platform selection: editions in the technical specifications registry issued in this "
        "region, of kind local verification regulation or local technical specification, in "
        "force on the reporting date (effective and not withdrawn)"
    ),
}
