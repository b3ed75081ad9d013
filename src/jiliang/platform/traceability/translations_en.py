"""English for the traceability app's strings (merged by scripts/i18n)."""

EN = {
    "量值溯源": "Traceability",
    "量值溯源链": "Traceability chain",
    "导入失败，未写入任何记录：%(err)s": "Import failed, nothing was written: %(err)s",
    "已导入 %(n)d 条 CMC（新增 %(c)d，更新 %(u)d）": (
        "Imported %(n)d CMCs (%(c)d created, %(u)d updated)"
    ),
    "按溯源等级": "By level",
    "按类别": "By category",
    "KCDB 检索结果 (JSON)": "KCDB search result (JSON)",
    "上传从 BIPM KCDB API v3 检索接口保存的 JSON 文件；整批导入，任一记录有误则不写入任何记录；"
    "按 KCDB 编号更新已有记录。": (
        "Upload a JSON file saved from a BIPM KCDB API v3 search endpoint. The file is imported "
        "as a whole: if any record is wrong nothing is written; existing records are updated "
        "by their KCDB id."
    ),
    "不可溯源": "Not traceable",
    "可溯源": "Traceable",
    "全部可见区划": "All visible regions",
    "分析": "Analyse",
    "器具总数": "Instruments",
    "器具数": "Instruments",
    "失去溯源的器具": "Instruments losing traceability",
    "失去溯源的计量标准": "Standards losing traceability",
    "导入 KCDB 校准测量能力": "Import KCDB calibration and measurement capabilities",
    "总数": "Total",
    "情景分析：计量标准撤销或失效": "What-if: a measurement standard withdrawn or expired",
    "断链器具": "Instruments with broken chains",
    "最小 MPE": "Smallest MPE",
    "溯源覆盖率": "Traceability coverage",
    "环节": "Link",
    "范围": "Range",
    "覆盖率": "Coverage",
    "评价日期": "Evaluation date",
    "量值传递空白": "Traceability gaps",
    "链长": "Chain length",
    "未知（数据不足）": "Unknown (missing data)",
    "问题": "Issues",
    "KCDB 机构代码 (nmiCode)": "KCDB institute code (nmiCode)",
    "文件含多个机构的 CMC 时必填，例如 NIM": "Required when the file holds CMCs of several institutes, e.g. NIM",
    "仅平台运维人员可导入 KCDB": "Only the platform operator imports the KCDB",
    "有证标准物质": "Certified reference material",
    "国家计量院校准测量能力": "NMI calibration and measurement capability",
    "没有覆盖该范围的计量标准或 CMC": "No standard or CMC covers this range",
    "有覆盖但能力不足（U 大于 MPE 的允许比例）": "Covered, but not capable enough (U above the allowed share of the MPE)",
}
