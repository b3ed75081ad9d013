"""English for the intervals app's strings (merged by scripts/i18n)."""

EN = {
    "校准间隔建议": "Calibration interval advice",
    "强制检定目录周期": "Compulsory-verification catalogue period",
    "记录间隔中位数": "Median recorded interval",
    "分组": "Group",
    "间隔数": "Intervals",
    "到期合格数": "Found in tolerance",
    "观测可靠度": "Observed reliability",
    "现行间隔（天）": "Current interval (days)",
    "现行间隔依据": "Current interval from",
    "建议间隔（天）": "Recommended interval (days)",
    "置信度": "Confidence",
    "方法": "Method",
    "数据不足原因": "Why the data are insufficient",
    "间隔（天）": "Interval (days)",
    "到期时合格": "In tolerance when due",
    "target：须为 0 与 1 之间的数": "target: must be a number between 0 and 1",
    "仅监管人员可查看": "For regulators and inspectors only",
    "group_by：须为 owner 或 region": "group_by: must be owner or region",
    "region：须为 1–6 位区划代码前缀": "region: must be a region-code prefix of 1–6 digits",
    "有检定/校准间隔记录的器具类（类别×型号×制造商×%(group)s）中，观测可靠度（到期时合格的"
    "比例）低于目标 %(target)s 者；间隔为同一器具相邻两次检定/校准的日期差，合格与否取后一次"
    "的结论；建议间隔由 S2 可靠性模型法给出，数据不足时由 A3 区间检验法给出。": (
        "Instrument classes (category × model × manufacturer × %(group)s) with recorded "
        "intervals whose observed reliability (the fraction found in tolerance when due) is "
        "below the target %(target)s. An interval is the time between two consecutive "
        "calibrations or verifications of one instrument, judged by the later one's "
        "conformity; the advice is method S2 (reliability models), or A3 (interval test) when "
        "S2 has too few data."
    ),
    "没有低于目标的器具类": "No class below the target",
    "未找到器具类": "Instrument class not found",
    "区划代码前缀": "Region-code prefix",
    "可靠度目标": "Reliability target",
    "未计入": "not counted",
    "观测可靠度低于目标 %(target)s 的器具类，建议间隔与现行间隔并列；点击类别查看其数据。": (
        "Instrument classes whose observed reliability is below the target %(target)s, with "
        "the advice beside the current interval; open a class for the data behind it."
    ),
    "标准器漂移": "Drift of the standard",
    "证书数": "Certificates",
    "单位（SI）": "Unit (SI)",
    "漂移速率（每天）": "Drift rate (per day)",
    "显著": "significant",
    "允许漂移量（扩展）": "Drift allowance (expanded)",
    "预测值": "Predicted value",
    "漂移用尽允许量的预警日期": "Warning date (the drift uses up the allowance)",
    "证书": "Certificates",
    "值": "Value",
    "on：须为 1900-01-01 至 2199-12-31 之间的日期": "on: must be a date between 1900-01-01 and 2199-12-31",
}
