"""English translations of the supervision app's Chinese source strings (merged by scripts/i18n)."""

EN = {
    "不合格": "Fail",
    "不合格原因": "Reasons for failure",
    "不属实": "Unfounded",
    "不是本次抽中的对象": "Not an object drawn in this draw",
    "事件类型": "Event type",
    "体积 (mL)": "Volume (mL)",
    "使用单位": "Owner",
    "例如：electronic_price_scale 0.05": "For example: electronic_price_scale 0.05",
    "依据": "Basis",
    "保存": "Save",
    "信用事件": "Credit event",
    "信用等级": "Credit grade",
    "修正因子 λ": "Correction factor λ",
    "允许短缺量 T": "Tolerable deficiency T",
    "全部标为已读": "Mark all as read",
    "公开时间": "Revealed at",
    "公开查验页": "Public verification page",
    "公开种子": "Reveal seed",
    "公称口径 DN (mm)": "Nominal diameter DN (mm)",
    "共 %(rows)s 行，导入 %(imported)s 行，错误 %(bad)s 行。": (
        "%(rows)s rows, %(imported)s imported, %(bad)s with errors."
    ),
    "其他": "Other",
    "内容": "Message",
    "冻结名录库": "Frozen pools",
    "分值": "Points",
    "判定并保存": "Judge and save",
    "到期日": "Due date",
    "制造商": "Manufacturer",
    "区划": "Region",
    "区划代码": "Region code",
    "单位": "Entity",
    "单位测得值": "Measured values per unit",
    "即将到期": "Due soon",
    "原因": "Reason",
    "参数": "Parameters",
    "双随机、一公开": "Double-random, one-public",
    "双随机抽查": "Double-random checks",
    "受检单位": "Inspected entity",
    "受检单位统一社会信用代码": "Credit code of the inspected entity",
    "变更原因": "Reason for change",
    "各区县按期检定率": "Verified-on-time share by county",
    "各单位测得值（空格或换行分隔）": "Measured value of each unit (space or newline separated)",
    "各目录条目按期检定率": "Verified-on-time share by catalogue item",
    "合格": "Pass",
    "名录库 SHA-256": "Pools SHA-256",
    "名称": "Name",
    "商品名称": "Product",
    "器具": "Instrument",
    "器具识别编码": "Lifetime ID",
    "备案": "File",
    "备案时间": "Filed at",
    "字段": "Field",
    "定量包装商品": "Prepackaged goods",
    "定量包装商品净含量检验": "Net-content inspection of prepackaged goods",
    "定量包装商品净含量检验报告": "Net-content inspection report (prepackaged goods)",
    "定量包装商品检验": "Prepackaged goods inspection",
    "导入": "Import",
    "导入报告": "Import report",
    "封印/标志缺失": "Seal or mark missing",
    "尚未抽取": "Not drawn yet",
    "抽取结果在公开种子前保密": "The selections stay confidential until the seed is revealed",
    "属实": "Confirmed",
    "已停用或报废": "Suspended or retired",
    "已公开": "Revealed",
    "已发邮件": "E-mailed",
    "已备案": "Filed",
    "已承诺": "Committed",
    "已抽取": "Drawn",
    "已收到您的举报，谢谢。": "Your report has been received. Thank you.",
    "已读时间": "Read at",
    "平均实际含量": "Mean net content",
    "应轮换/报废": "Replace or scrap",
    "强制检定监管看板": "Compulsory verification dashboard",
    "强检器具": "Compulsory instruments",
    "强检器具数": "Compulsory instruments",
    "强检备案": "Compulsory verification filings",
    "强检监管": "Supervision",
    "录入检验": "Record an inspection",
    "待处理": "Open",
    "得分": "Score",
    "情况说明": "Description",
    "我的备案": "My filings",
    "我要举报": "Report a problem",
    "打印": "Print",
    "打印二维码标签": "Print QR labels",
    "扫码查验": "Scan to verify",
    "批量 N": "Lot size N",
    "批量导入": "Bulk import",
    "批量导入备案": "Bulk import of filings",
    "承诺": "Commit",
    "承诺时间": "Committed at",
    "投诉举报": "Complaints",
    "抽取": "Draw",
    "抽取前公布随机种子的 SHA-256 承诺；抽取后公开种子，任何人可用 jiliang draw verify 复核。": (
        "The SHA-256 commitment to the random seed is published before the draw; the seed is "
        "revealed afterwards so anyone can recheck the draw with jiliang draw verify."
    ),
    "抽取时间": "Drawn at",
    "抽取结果与检查结果": "Drawn objects and inspection results",
    "抽查结果": "Spot-check result",
    "抽查记录": "Draw record",
    "抽样方案版本": "Sampling plan edition",
    "按信用风险分类抽取": "Weight by credit-risk class",
    "按期检定": "Verified on time",
    "按期检定数": "Verified on time",
    "按期检定率": "Verified-on-time share",
    "按用途": "By use",
    "接受部分导入（仅导入无误的行）": "Accept a partial import (only the rows without errors)",
    "接收人": "Recipient",
    "提交": "Submit",
    "提交后冻结检查对象名录库和检查人员名录库，并公布随机种子的承诺。": (
        "Submitting freezes the object and inspector pools and publishes the seed commitment."
    ),
    "提交过于频繁，请稍后再试": "Too many reports; please try again later",
    "文件 (CSV 或 XLSX)": "File (CSV or XLSX)",
    "文件有错误，未导入任何数据。改正后重新导入，或勾选“接受部分导入”。": (
        "The file has errors; nothing was imported. Correct it and import again, or tick "
        "“Accept a partial import”."
    ),
    "新建双随机抽查": "New double-random check",
    "新建备案": "New filing",
    "新建抽查": "New check",
    "无": "None",
    "无效提交": "Invalid submission",
    "日期": "Date",
    "时间": "Time",
    "最近检定": "Latest verification",
    "最近检定日期": "Latest verification date",
    "最近检定日期不得早于首次检定日期": (
        "The latest verification date must not be before the initial verification date"
    ),
    "最近检定结论": "Latest verification result",
    "有效": "Active",
    "有效期至": "Valid until",
    "未发现问题线索": "No problem found",
    "未备案": "Not filed",
    "未备案的在用器具": "Instruments in use not yet filed",
    "未按期": "Not on time",
    "未排期": "Not scheduled",
    "未知单位": "Unknown entity",
    "未经官方文本核实": "not confirmed against the official text",
    "标注净含量 Qn": "Nominal quantity Qn",
    "标注方式": "Quantity kind",
    "标签 PDF": "Label PDF",
    "样本标准偏差 s": "Sample standard deviation s",
    "样本量 n": "Sample size n",
    "检定机构": "Verified by",
    "检定能力覆盖率": "Verification capability coverage",
    "检查事项": "Check item",
    "检查事项（每行：目录条目 比例）": "Check items (one per line: catalogue item and ratio)",
    "检查人员": "Inspectors",
    "检查对象": "Object",
    "检验报告": "Inspection report",
    "检验日期": "Inspection date",
    "每个对象的检查人员数": "Inspectors per object",
    "气压表式": "Aneroid",
    "汞柱": "Mercury",
    "没有记录": "No records",
    "没有通知": "No notifications",
    "法制计量监管": "Legal metrology supervision",
    "测得值为毛重": "Measured values are gross weights",
    "测得值须为数字": "Measured values must be numbers",
    "燃气表规格 G": "Gas meter size G",
    "状态": "Status",
    "状态日期": "Status date",
    "用途": "Use",
    "电子": "Automatic",
    "疑似作弊": "Suspected cheating",
    "皮重": "Tare",
    "监管看板": "Dashboard",
    "目录条目": "Catalogue item",
    "短缺量大于 2T 的件数": "Units short by more than 2T",
    "短缺量大于 T 的件数": "Units short by more than T",
    "种子": "Seed",
    "种子承诺 SHA-256": "Seed commitment SHA-256",
    "移出名单日期": "Removed from the list on",
    "第 %(n)s 行：比例须为数字": "Line %(n)s: the ratio must be a number",
    "等级": "Level",
    "筛选": "Filter",
    "类别": "Category",
    "类型": "Kind",
    "结果": "Result",
    "结果公开期限": "Results published by",
    "结论": "Verdict",
    "联系方式": "Contact",
    "至少一个检查事项": "At least one check item",
    "血压计类型": "Sphygmomanometer type",
    "行": "Row",
    "表头列：lifetime_id（必填）、item_code、use、dn_mm、g_size、type。文件中有任何错误行时，默认不导入任何数据。": (
        "Header columns: lifetime_id (required), item_code, use, dn_mm, g_size, type. If any "
        "row has an error, nothing is imported by default."
    ),
    "计数 (件)": "Count (items)",
    "计量不准": "Inaccurate",
    "计量器具": "Instruments",
    "计量器具查验": "Instrument verification status",
    "记录时间": "Recorded at",
    "记录检查结果": "Record an inspection result",
    "证书/通知书编号": "Certificate / notice number",
    "诚信计量": "Metrology credit",
    "诚信计量分类": "Metrology credit classification",
    "说明": "Notes",
    "请至少写 5 个字说明情况": "Please describe the problem in at least 5 characters",
    "请选择您辖区内的区划": "Choose a region within your jurisdiction",
    "质量 (g)": "Mass (g)",
    "超期与到期": "Overdue and due",
    "超期数": "Overdue",
    "超期未检": "Overdue",
    "超期未检 / 应轮换": "Overdue / to replace",
    "超期移送监管": "Escalated to the regulator",
    "超期趋势": "Overdue trend",
    "轮换日期": "Replacement date",
    "通知": "Notifications",
    "错误": "Error",
    "长度 (m)": "Length (m)",
    "阶段": "Stage",
    "非强制检定": "Not compulsory",
    "面积": "Area",
    "风险分": "Risk score",
    "风险预警": "Risk warnings",
    "首次检定日期": "Initial verification date",
    "Qn − λs": "Qn − λs",
    "抽取结果 SHA-256": "Selections SHA-256",
    "检查对象数": "Objects in the pool",
    "抽中数": "Objects drawn",
    "可承担检定的授权机构": "Authorised institutions able to verify it",
    "辖区内没有授权机构覆盖此项目": "No authorised institution in the area covers this item",
    # institution portal (检定机构)
    "%(id)s %(name)s · 承检机构：%(org)s": "%(id)s %(name)s · assigned institution: %(org)s",
    "%(org)s 在 %(day)s 无覆盖此器具的有效授权": (
        "%(org)s held no valid authorisation covering this instrument on %(day)s"
    ),
    "%(org)s 无覆盖此器具（%(item)s）及其所在区划的有效授权": (
        "%(org)s holds no valid authorisation covering this instrument (%(item)s) in its area"
    ),
    "不合格时填写": "For a failure",
    "合格时填写": "For a pass",
    "不合格的器具不加封印/标志": "A failed instrument gets no seal or label",
    "不合格的器具出具不合格通知书，不出具检定证书": (
        "A failed instrument gets a notice of failure, not a verification certificate"
    ),
    "合格的器具出具检定证书，不出具不合格通知书": (
        "A passed instrument gets a verification certificate, not a notice of failure"
    ),
    "不合格通知书编号": "Notice-of-failure number",
    "不合格须填写不合格通知书编号": "A failure needs the notice-of-failure number",
    "合格须填写封印/标志号": "A pass needs the seal/label number",
    "合格须填写检定证书编号": "A pass needs the certificate number",
    "不得超过 %(n)s 个字符": "At most %(n)s characters",
    "封印/标志号": "Seal/label number",
    "已取消指定": "Assignment withdrawn",
    "已指定承检机构": "Verification assigned",
    "已记录检定结果": "Verification result recorded",
    "强制检定结果": "Compulsory-verification result",
    "承检任务": "Assigned verifications",
    "承检机构": "Assigned institution",
    "指定承检机构": "Assign the verification",
    "指定日期": "Assigned on",
    "指定由本机构承担的强制检定。检定后在器具页面记录结论、证书或不合格通知书编号及封印/标志号，备案的到期日随之更新。": (
        "Compulsory verifications assigned to this institution. After verifying, record the "
        "result, certificate or notice-of-failure number and seal/label number on the "
        "instrument's page; the filing's due date follows."
    ),
    "未指定": "Not assigned",
    "（取消指定）": "(withdraw the assignment)",
    "备注": "Remarks",
    "全部": "All",
    "超期": "Overdue",
    "已检定": "Verified",
    "检定日期": "Verification date",
    "检定日期不得早于最近一次检定 %(day)s": (
        "The verification date must not be before the last verification, %(day)s"
    ),
    "检定日期不得晚于今天": "The verification date must not be in the future",
    "检定结果": "Verification results",
    "检定结论": "Result",
    "检定记录": "Verification record",
    "检定证书编号": "Certificate number",
    "此器具的检定尚未指定检定机构": "This instrument's verification is not assigned to an institution yet",
    "编号 %(no)s 已被使用": "Number %(no)s is already in use",
    "记录检定结果": "Record a verification result",
    "请填写检定日期": "Give the verification date",
    "须为 %(states)s 之一": "Must be one of %(states)s",
    "须为 pass（合格）或 fail（不合格）": "Must be pass or fail",
    # draws in the transparency log
    "公开已记入透明日志": "Reveal in the transparency log",
    "承诺已记入透明日志": "Commitment in the transparency log",
    "公开日志序号": "Reveal log index",
    "承诺日志序号": "Commitment log index",
    "叶 %(index)s 与本记录不符": "Leaf %(index)s does not match this record",
    "日志内容与包含证明": "Logged content and inclusion proof",
    # commitments, demonstration units, serious-violation list
    "作出诚信计量自我承诺的经营者与诚信计量示范单位，由市场监管部门公示。": (
        "Businesses that made a metrology-integrity self-commitment, and metrology-integrity "
        "demonstration units, as published by the market regulators."
    ),
    "诚信计量公示": "Metrology integrity: public list",
    "诚信计量承诺与示范": "Commitments and demonstration units",
    "诚信计量示范单位": "Metrology-integrity demonstration unit",
    "诚信计量自我承诺": "Metrology-integrity self-commitment",
    "承诺内容": "Commitment",
    "列入公示": "Add to the public list",
    "已列入公示": "Added to the public list",
    "自 %(day)s 起已列入": "Already listed since %(day)s",
    "起始日期": "Since",
    "起始日期不得晚于今天": "The start date must not be in the future",
    "请填写起始日期": "Give the start date",
    "撤销原因": "Reason for withdrawal",
    "撤销日期": "Withdrawn on",
    "撤销日期不得早于起始日期 %(day)s": "The withdrawal date must not be before the start, %(day)s",
    "撤销日期不得晚于今天": "The withdrawal date must not be in the future",
    "请填写撤销原因": "Give the reason for the withdrawal",
    "请填写撤销日期": "Give the withdrawal date",
    "已于 %(day)s 撤销": "Already withdrawn on %(day)s",
    "已撤销": "Withdrawn",
    "须为 %(kinds)s 之一": "Must be one of %(kinds)s",
    # a business's own self-commitment (portal)
    "本单位承诺：遵守计量法律法规，使用经检定合格的计量器具，不破坏计量器具准确度，"
    "不短斤缺两，诚信计量，接受社会监督。": (
        "We commit to abide by the metrology laws and regulations, to use only measuring "
        "instruments verified as conforming, not to impair their accuracy, to give full measure, "
        "to practise metrology integrity and to accept public supervision."
    ),
    "自我承诺自声明之日起生效，起始日期须为今天": (
        "A self-commitment takes effect on the day it is declared: the start date must be today"
    ),
    "请填写承诺内容": "Give the text of the commitment",
    "已作出诚信计量自我承诺": "Self-commitment declared",
    "自 %(day)s 起已作出承诺（在诚信计量公示中列出）：": (
        "Committed since %(day)s (shown on the public metrology-integrity list):"
    ),
    "撤销承诺": "Withdraw the commitment",
    "本单位可自愿作出诚信计量自我承诺，承诺在诚信计量公示中列出并计入信用。": (
        "Your organisation may voluntarily declare a metrology-integrity self-commitment; it is "
        "shown on the public list and counts in your credit."
    ),
    "作出承诺": "Declare the commitment",
    "严重违法失信名单": "Serious-violation list",
    "有列入记录": "Has been listed",
    "列入日期": "Listed on",
    "列入期限至": "Listing ends",
    "最早可移出日期": "Earliest removal",
    "在列": "Listed",
    "已移出": "Removed",
    "期满": "Expired",
    "未列入": "Not listed",
    "移出原因": "Reason for removal",
    "移出名单": "Remove from the list",
    "移出日期": "Removed on",
    "移出日期不得晚于今天": "The removal date must not be in the future",
    "请填写移出原因": "Give the reason for the removal",
    "请填写移出日期": "Give the removal date",
    "已于 %(day)s 移出名单": "Already removed from the list on %(day)s",
    "已移出严重违法失信名单": "Removed from the serious-violation list",
    "列入名单满规定期限后方可移出：最早 %(day)s": (
        "Removal is possible only after the waiting period: on %(day)s at the earliest"
    ),
    "列入期限已于 %(day)s 届满，无需移出": "The listing already ended on %(day)s; nothing to remove",
    "该信用事件不列入严重违法失信名单": "This credit event does not list on the serious-violation list",
    # notifications
    "%(lifetime_id)s %(name)s：强制检定即将到期（%(day)s）": (
        "%(lifetime_id)s %(name)s: compulsory verification due soon (%(day)s)"
    ),
    "%(lifetime_id)s %(name)s：超期未检（应于 %(day)s 检定）": (
        "%(lifetime_id)s %(name)s: overdue for verification (was due by %(day)s)"
    ),
    "%(lifetime_id)s %(name)s：超期未检（应于启用前检定）": (
        "%(lifetime_id)s %(name)s: overdue for verification (required before first use)"
    ),
    "%(lifetime_id)s %(name)s：应轮换/报废（%(day)s）": (
        "%(lifetime_id)s %(name)s: must be replaced or scrapped (%(day)s)"
    ),
    "%(lifetime_id)s %(name)s（%(owner)s）：超期超过宽限期，移送监管": (
        "%(lifetime_id)s %(name)s (%(owner)s): overdue beyond the grace period, escalated to "
        "the regulator"
    ),
    "已保存通知设置": "Notification settings saved",
    "通知设置": "Notification settings",
    "通知语言": "Notification language",
    "通过电子邮件接收": "Receive by e-mail",
    # definitions shown next to the overdue / due-soon / coverage counts (services.py)
    "在用、备案有效的强检器具中，按检定排期已超期的：从未检定、超过检定周期、最近一次检定不合格，"
    "或已到轮换/报废期。": (
        "In-use compulsory instruments under a filing in force that the verification schedule "
        "finds overdue: never verified, past the verification period, last verification failed, "
        "or due for replacement/scrapping."
    ),
    "备案有效的强检器具中，检定有效期（或轮换期）将在目录规定的提前提醒天数内到期的。": (
        "Compulsory instruments under a filing in force whose verification (or service life) "
        "expires within the catalogue's reminder window."
    ),
    "强检器具：备案有效、按目录属强制检定的器具（不论是否在用）；按期检定：评价日检定仍在有效期内；"
    "未按期 = 强检器具 − 按期检定。与“超期未检”不同，未按期也计入非在用的器具。": (
        "Compulsory instruments: instruments under a filing in force that the catalogue puts "
        "under compulsory verification (in use or not); verified on time: the verification is "
        "still valid on the evaluation date; not on time = compulsory − on time. Unlike "
        '"overdue", not on time also counts instruments that are not in use.'
    ),
    "检定有效、未到提醒期的。": "Verification valid and not yet within the reminder window.",
    "已读": "Read",
    "辖区强检备案": "Filings in my region",
    "未指定承检机构": "No institution assigned",
    "我的器具到期日": "Due dates of my instruments",
    # prepackaged inspection report: failure reasons rebuilt from the stored fields
    "平均实际含量 %(mean)s 小于 Qn − λ·s = %(limit)s（λ = %(lam)s）": (
        "mean %(mean)s < Qn − λ·s = %(limit)s (λ = %(lam)s)"
    ),
    "%(count)s 件短缺量大于 T = %(t)s（允许 %(allowed)s 件）": (
        "%(count)s unit(s) short by more than T = %(t)s (allowed %(allowed)s)"
    ),
    "%(count)s 件短缺量大于 2T = %(t2)s（允许 %(allowed)s 件）": (
        "%(count)s unit(s) short by more than 2T = %(t2)s (allowed %(allowed)s)"
    ),
    # bulk filing import (imports.py): file- and row-level errors
    "文件：不是可读取的 XLSX 工作簿（不是 zip 压缩包）": (
        "file: not a readable XLSX workbook (not a zip archive)"
    ),
    "文件：工作簿解压后超过 %(mb)s MB": "file: the workbook unpacks to more than %(mb)s MB",
    "文件：不是可读取的 XLSX 工作簿（%(reason)s）": "file: not a readable XLSX workbook (%(reason)s)",
    "文件：CSV 必须是 UTF-8 编码（第 %(row)s 行）": "file: CSV must be UTF-8 encoded (row %(row)s)",
    "第 %(row)s 行：%(reason)s": "row %(row)s: %(reason)s",
    "文件：内容为空": "file: empty",
    "文件：表头行必须包含列 “lifetime_id”": "file: header row must contain the column 'lifetime_id'",
    "文件：未知的列 %(unknown)s；可用的列为 %(expected)s": (
        "file: unknown column(s) %(unknown)s; expected %(expected)s"
    ),
    "文件：每次导入最多 %(max)s 行": "file: at most %(max)s rows per import",
    "第 %(row)s 行，%(column)s：超过 %(max)s 个字符": (
        "row %(row)s, %(column)s: longer than %(max)s characters"
    ),
    "未命名列": "unnamed column",
    "必填": "required",
    "登记册中没有计量器具 “%(id)s”": "no instrument '%(id)s' in the registry",
    "计量器具 “%(id)s” 已备案": "instrument '%(id)s' is already filed",
    "计量器具 “%(id)s” 在文件中出现了两次": "instrument '%(id)s' appears twice in the file",
    "计量器具 “%(id)s” 不属于本单位": "instrument '%(id)s' is not your organisation's",
    # prepackaged inspection field errors (inspections.record_inspection; 必填 is above)
    "须为正数": "must be a positive number",
    "须为以下之一：%(kinds)s": "must be one of: %(kinds)s",
    "须为非空的数值列表": "must be a non-empty list of numbers",
    "测得值为毛重时必填": "required when the measured values are gross weights",
    # filing parameter and catalogue errors (services.clean_params / check_filing)
    "params 须为参数名到取值的对象，例如 {dn_mm: 20}": "params must map names to values, e.g. {dn_mm: 20}",
    "未知参数 %(name)s；可用参数：%(known)s": "unknown parameter %(name)s; known: %(known)s",
    "参数 %(name)s 须为%(kind)s": "parameter %(name)s must be a %(kind)s",
    "数值": "number",
    "整数": "whole number",
    "文本": "text",
    "item_code %(code)s 不在目录 %(edition)s 中": "item_code %(code)s is not in catalogue %(edition)s",
    "use %(use)s 须为以下之一：%(uses)s": "use %(use)s must be one of: %(uses)s",
}

PLURALS = {
    "%(n)s 项检查结果逾期未公开": (
        "%(n)s inspection result not published by the deadline",
        "%(n)s inspection results not published by the deadline",
    ),
    "[jiliang] 强制检定提醒（%(n)s 条）": (
        "[jiliang] Compulsory verification reminder (%(n)s)",
        "[jiliang] Compulsory verification reminders (%(n)s)",
    ),
    "%(counter)s 条未读通知": (
        "%(counter)s unread notification",
        "%(counter)s unread notifications",
    ),
}
