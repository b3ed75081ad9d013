"""English for the indicators app's strings (merged by scripts/i18n)."""

EN = {
    "平台口径：参加机构在本区域内、在统计日（含）前已提交结果的比对与能力验证参加次数"
    "（每项比对每家机构计一次）": (
        "Platform query: participations in comparisons and proficiency testing of organisations "
        "in the region that submitted a result on or before the reporting date (one per "
        "campaign and organisation)"
    ),
    # plan tasks (任务分解、责任落实)
    "未开始": "Not started",
    "进行中": "In progress",
    "条款": "Paragraph",
    "任务（中文）": "Task (Chinese)",
    "任务（英文）": "Task (English)",
    "责任单位": "Responsible unit",
    "完成期限": "Deadline",
    "进度": "Progress",
    "佐证链接": "Evidence link",
    "佐证材料": "Evidence",
    "佐证材料 SHA-256": "Evidence SHA-256",
    "关联指标": "Linked indicators",
    "规划任务": "Plan tasks",
    "逾期": "Overdue",
    "链接": "Link",
    "任务": "Task",
    "未关联指标": "Not linked to an indicator",
    "新建和修改任务通过 API：": "Tasks are created and changed through the API:",
    "未知字段": "unknown field",
    "须为 http:// 或 https:// 链接": "must be an http:// or https:// link",
    "未知的统一社会信用代码“%(code)s”": "unknown unified social credit code “%(code)s”",
    "须为 %(v)s 之一": "must be one of %(v)s",
    "须为指标编号的列表": "must be a list of indicator ids",
    "未知的指标：%(ids)s": "unknown indicators: %(ids)s",
    "未知的规划“%(plan)s”": "unknown plan “%(plan)s”",
    "未找到任务 %(pk)s": "task %(pk)s not found",
    "任务的区划不可更改": "a task's region cannot be changed",
    # dashboard from snapshots, comparison of child regions
    "快照数据：统计日期 %(day)s，计算于 %(time)s（UTC）": (
        "Snapshot figures: reporting date %(day)s, computed at %(time)s (UTC)"
    ),
    "按当前记录计算": "Compute from the current records",
    "按当前记录计算（未使用快照）": "Computed from the current records (no snapshot used)",
    "下级区划比较": "Comparison of the subordinate regions",
    "比较": "Compare",
    "排名": "Rank",
    "报告": "Report",
    "指标“%(id)s”不由记录计算，无法比较": (
        "indicator “%(id)s” is not computed from records and cannot be compared"
    ),
    # mid-term evaluation report
    "规划指标中期评估报告": "Mid-term evaluation report of plan indicators",
    "中期评估报告": "Mid-term evaluation report",
    "区划 %(code)s 没有编号为 %(id)s 的快照": "region %(code)s has no snapshot number %(id)s",
    "区划 %(code)s 没有 %(day)s 的快照；请先保存快照": (
        "region %(code)s has no snapshot of %(day)s; save a snapshot first"
    ),
    "尚未写入透明日志": "not yet in the transparency log",
    "包含性证明已验证": "inclusion proof verified",
    "基期值": "Baseline",
    "基期年": "Baseline year",
    "指标值": "Value",
    "记录条数": "Records",
    "%(year)s 年目标": "Target %(year)s",
    "规划来源": "Source",
    "快照编号": "Snapshot number",
    "快照摘要 SHA-256": "Snapshot digest SHA-256",
    "检查点大小": "Checkpoint size",
    "检查点根哈希": "Checkpoint root hash",
    "日志核验": "Log verification",
    "须为 pdf 或 xlsx": "must be pdf or xlsx",
    "不是有效的编号": "not a valid number",
    "%(day)s 在未来（今天是 %(today)s，UTC）": "%(day)s is in the future (today is %(today)s, UTC)",
    "as_of：不是日期": "as_of: not a date",
    "不允许的文件类型“%(ext)s”；允许：%(allowed)s": (
        "file type “%(ext)s” is not allowed; allowed: %(allowed)s"
    ),
    "不是数值": "not a number",
    "不是日期": "not a date",
    "人工填报指标值": "Entered indicator values",
    "仅该区域的市场监管部门或管理员可写入指标记录": (
        "only the regulator of the region or an administrator may write indicator records"
    ),
    "保存快照": "Save snapshot",
    "创建人": "Created by",
    "单位“%(unit)s”与指标定义的单位“%(defined)s”不符": (
        "unit “%(unit)s” differs from the indicator's defined unit “%(defined)s”"
    ),
    "填报人": "Entered by",
    "填报时间": "Entered at",
    "属性": "Kind",
    "已保存快照，摘要 %(digest)s": "Snapshot saved, digest %(digest)s",
    "平台口径：保存单位在本区域内、等级为计量基准、状态在用，且证书在统计日有效": (
        "Platform query: primary standards (level = primary) in use, kept by an organisation in "
        "the region, certificate valid on the reporting date"
    ),
    "平台口径：建标单位在本区域内、等级为社会公用、状态在用，且考核证书在统计日有效"
    "（未登记证书日期的按有效计）": (
        "Platform query: public measurement standards in use, owned by an organisation in the "
        "region, assessment certificate valid on the reporting date (no recorded certificate "
        "dates counts as valid)"
    ),
    "平台口径：建标单位在本区域内的计量标准中，溯源引擎判定溯源链完整的比例（统计日）": (
        "Platform query: share of the measurement standards owned in the region whose "
        "traceability chain the traceability engine finds complete (on the reporting date)"
    ),
    "平台口径：强制检定目录项目中，本区域内有效机构持有在统计日有效的计量授权或法定检定"
    "范围的项目所占比例；其余项目为能力空白": (
        "Platform query: share of the compulsory-verification catalogue items for which an "
        "active institution in the region holds an authorisation or statutory scope valid on "
        "the reporting date; the other items are the capability gaps"
    ),
    "平台口径：强检监管看板的按期检定率（在用备案的强检器具，规则见强制管理目录）": (
        "Platform query: the supervision dashboard's verified-on-time share (filed instruments "
        "under compulsory verification, rules from the compulsory catalogue)"
    ),
    "平台口径：提供机构在本区域内的 CMC 条目": (
        "Platform query: CMC entries of providers in the region"
    ),
    "平台口径：本区域内在统计日处于示范期（起始日不晚于统计日、未撤销或撤销日晚于统计日）"
    "的诚信计量示范单位数（按单位计）": (
        "Platform query: organisations in the region named honest-metrology demonstration "
        "units on the reporting date (since on or before it, not withdrawn or withdrawn after "
        "it), counted once each"
    ),
    "平台口径：本区域在用的社会公用计量标准中，截至统计日未由本区域其他社会公用计量标准"
    "检定/校准的（本区域量值传递的顶端）": (
        "Platform query: public measurement standards of the region in use that no other public "
        "standard of the region has calibrated or verified up to the reporting date (the top of "
        "the region's dissemination chain)"
    ),
    "平台口径：研制单位在本区域内、有效期至不早于统计日的有证标准物质": (
        "Platform query: certified reference materials produced in the region, not expired on "
        "the reporting date"
    ),
    "平台口径：统计日前最近一次人工填报的数值（附证明材料）": (
        "Platform query: the latest entered value dated on or before the reporting date (with "
        "evidence)"
    ),
    "指标": "Indicator",
    "指标“%(id)s”由记录计算，不可人工填报": (
        "indicator “%(id)s” is computed from records and cannot be entered"
    ),
    "指标快照": "Indicator snapshots",
    "指标记录": "Records behind the indicator",
    "指标趋势（快照）": "Indicator trends (snapshots)",
    "摘要 SHA-256": "Digest SHA-256",
    "文件内容不是其扩展名所示的类型（%(ext)s）": (
        "the file's content is not of the type its extension says (%(ext)s)"
    ),
    "文件大小（字节）": "File size (bytes)",
    "文件类型": "File type",
    "无基期值": "no baseline",
    "无目标值": "no target",
    "暂无记录": "No records yet",
    "暂无记录：计量技术规范登记尚未建立": (
        "No records: the registry of technical specifications does not exist yet"
    ),
    "暂无记录：计量比对与能力验证模块尚未建立": (
        "No records: comparison and proficiency-testing participation is not recorded yet"
    ),
    "暂无记录：重点用能单位能源计量器具配备尚未登记": (
        "No records: energy meters of key energy-using units are not registered yet"
    ),
    "未找到区划": "Region not found",
    "未找到区划 %(code)s": "Region %(code)s not found",
    "未知的指标“%(id)s”": "unknown indicator “%(id)s”",
    "本区域及国家规划": "The region's and the national plan",
    "百分比不得大于 100": "a percentage may not exceed 100",
    "目标值": "Target",
    "目标年": "Target year",
    "目标年不晚于基期年": "target year not after the baseline year",
    "红": "Red",
    "约束性": "Binding",
    "统计日期": "Reporting date",
    "绿": "Green",
    "能力空白": "Capability gaps",
    "规划": "Plan",
    "规划指标": "Plan indicators",
    "规划指标监测": "Plan indicator tracking",
    "规范化 JSON": "Canonical JSON",
    "计数须为整数": "a count must be a whole number",
    "计算公式": "Formula",
    "证明材料": "Evidence",
    "证明材料 SHA-256": "Evidence SHA-256",
    "须为 json 或 csv": "must be json or csv",
    "须附证明材料": "evidence file required",
    "预期性": "Expected",
    "预计达标年": "Projected year",
    "黄": "Amber",
    "查询": "Show",
    "记录": "Records",
    "快照": "Snapshots",
    "未找到快照 %(pk)s": "Snapshot %(pk)s not found",
    "未知的区划代码“%(code)s”": "Unknown region code “%(code)s”",
    "未知的规划“%(plan)s”；可选：%(known)s": "Unknown plan “%(plan)s”; known: %(known)s",
    "文件大于 %(size)d MiB": "The file is larger than %(size)d MiB",
    "不得超过 %(n)d 字": "At most %(n)d characters",
    # were msgmerge guesses ("记录数" → "Recorded at") until test_quantity_display checked them
    "记录数": "Records",
    "无数值": "no value",
    "须为有限的非负数": "must be a finite, non-negative number",
}
