"""English for the registry app's display strings (merged by scripts/i18n).

The registry's model and page strings are in ``scripts/translations_en.py``; this table holds the
quantity formats of the ``metrology`` template tags and the detail rows of ``display.py``.
"""

EN = {
    "计量单位": "Unit",
    "U = %(u)s": "U = %(u)s",
    "%(value)s，U = %(u)s": "%(value)s, U = %(u)s",
    "%(text)s（k = %(k)s）": "%(text)s (k = %(k)s)",
    # risk levels and factors of the core's risk table (metrology.risk_level / risk_reason)
    "高风险": "High risk",
    "较高风险": "Medium-high risk",
    "一般风险": "Medium risk",
    "低风险": "Low risk",
    "超期天数": "Days overdue",
    "近三年检定不合格次数": "Failed verifications in the last three years",
    "防作弊报警": "Tamper alarms",
    # legal basis of a filing (supervision/templatetags/legal_basis.py)
    "不属于强制检定": "Not subject to compulsory verification",
    "周期检定，检定周期 %(months)s 个月（%(jjg)s）": "Periodic verification every %(months)s months (%(jjg)s)",
    "首次强制检定，使用寿命 %(months)s 个月，到期轮换（%(jjg)s）": "Initial verification only, service life %(months)s months, replace on expiry (%(jjg)s)",
    "首次强制检定，失准报废（%(jjg)s）": "Initial verification only, scrap on failure (%(jjg)s)",
    "%(item)s（%(edition)s）：%(rule)s": "%(item)s (%(edition)s): %(rule)s",
    "t 分布": "Student's t",
    # credit event kinds of the core's credit table (metrology.credit_event)
    "检定不合格": "Failed verification",
    "监督抽查不合格": "Failed spot check",
    "监督抽查合格": "Passed spot check",
    "投诉举报属实": "Substantiated complaint",
    "行政处罚": "Administrative penalty",
    "使用作弊装置": "Cheating device used",
    # supervision draw errors (supervision/draws.py DrawError)
    "至少需要一个检查项目": "At least one check item is required",
    "第 %(n)s 项：%(code)s 不是目录条目代码": "Item %(n)s: %(code)s is not a catalogue item code",
    "第 %(n)s 项：抽查比例须在 0 到 1 之间": "Item %(n)s: the ratio must be between 0 and 1",
    "抽取处于“%(stage)s”阶段，只能执行已承诺的抽取": "The draw is at stage “%(stage)s”; only a committed draw can be run",
    "抽取处于“%(stage)s”阶段：先抽取，再公开种子": "The draw is at stage “%(stage)s”: draw it before revealing the seed",
}
