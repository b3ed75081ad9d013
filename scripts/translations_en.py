"""English translations of the UI's Chinese source strings.

The UI is written in Chinese (the source language) and translated to English through Django i18n.
Apps add their own strings in ``src/jiliang/platform/<app>/translations_en.py`` (dicts ``EN`` and
``PLURALS``). Run ``scripts/i18n`` (makemessages, this fill, compilemessages); untranslated
strings are listed and make it exit 1, so none slip through.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

EN = {
    "账号与角色": "Accounts and roles",
    "机构": "Organisation",
    "监管区域": "Supervised region",
    "用户资料": "User profile",
    "名称": "Name",
    "API 令牌": "API token",
    "审计追踪": "Audit trail",
    "新建": "New",
    "修改": "Update",
    "删除": "Delete",
    "时间": "Time",
    "用户": "User",
    "用户名": "Username",
    "操作": "Action",
    "对象类型": "Object type",
    "对象标识": "Object ID",
    "对象": "Object",
    "修改前": "Before",
    "修改后": "After",
    "变更字段": "Changed fields",
    "原因": "Reason",
    "条目哈希": "Entry hash",
    "透明日志序号": "Transparency-log index",
    "审计条目": "Audit entry",
    "计量体系登记": "Measurement-system registry",
    "GB/T 2260 区划代码为 6 位数字": "A GB/T 2260 region code has 6 digits",
    "标准物质编号形如 GBW08601 或 GBW(E)080123": "Reference-material numbers look like GBW08601 or GBW(E)080123",
    "省级": "Province",
    "市级": "City",
    "县级": "County",
    "区划代码": "Region code",
    "英文名称": "English name",
    "级别": "Level",
    "上级区划": "Parent region",
    "行政区划": "Region",
    "区划代码必须以上级区划代码前缀开头": "The region code must start with the parent region's prefix",
    "国家计量院": "National metrology institute",
    "法定计量检定机构": "Statutory verification institution",
    "授权计量检定机构": "Authorised verification institution",
    "校准实验室": "Calibration lab",
    "企业": "Enterprise",
    "市场监管部门": "Market regulator",
    "统一社会信用代码": "Unified social credit code",
    "类型": "Kind",
    "所在区划": "Region",
    "地址": "Address",
    "有效": "Active",
    "认可 (CNAS)": "Accreditation (CNAS)",
    "计量授权": "Metrological authorisation",
    "法定检定": "Statutory verification",
    "量": "Quantity",
    "器具类别": "Instrument category",
    "下限": "Lower limit",
    "上限": "Upper limit",
    "最佳扩展不确定度 U": "Best expanded uncertainty U",
    "包含因子 k": "Coverage factor k",
    "证书编号": "Certificate number",
    "有效期起": "Valid from",
    "有效期至": "Valid until",
    "能力范围": "Scopes",
    "上限不得小于下限": "The upper limit must not be below the lower limit",
    "有效期至不得早于有效期起": "'Valid until' must not be before 'valid from'",
    "姓名": "Name",
    "账号": "Account",
    "职务": "Title",
    "电子邮件": "E-mail",
    "人员": "People",
    "一级注册计量师": "Registered metrologist, grade 1",
    "二级注册计量师": "Registered metrologist, grade 2",
    "计量检定员": "Verification officer",
    "专业": "Specialty",
    "资格": "Qualification",
    "计量基准": "National primary standard",
    "国家计量标准": "National standard",
    "社会公用计量标准": "Social public standard",
    "部门/行业计量标准": "Department/industry standard",
    "企事业单位计量标准": "Enterprise standard",
    "在用": "In use",
    "暂停": "Suspended",
    "撤销": "Revoked",
    "标准编号": "Standard code",
    "等级": "Level",
    "测量范围下限": "Range, lower limit",
    "测量范围上限": "Range, upper limit",
    "扩展不确定度 U": "Expanded uncertainty U",
    "建标单位": "Owner",
    "状态": "Status",
    "计量标准考核证书号": "Standard certificate number",
    "证书有效期起": "Certificate valid from",
    "证书有效期至": "Certificate valid until",
    "计量标准": "Measurement standards",
    "不确定度必须为正数": "The uncertainty must be positive",
    "包含因子 k 不得小于 1": "The coverage factor k must be at least 1",
    "停用": "Suspended",
    "报废": "Retired",
    "贸易结算": "Trade settlement",
    "安全防护": "Safety protection",
    "医疗卫生": "Medical care",
    "环境监测": "Environmental monitoring",
    "其他": "Other",
    "器具识别编码": "Lifetime ID",
    "UUID": "UUID",
    "类别": "Category",
    "型号": "Model",
    "出厂编号": "Serial number",
    "制造商": "Manufacturer",
    "准确度等级": "Accuracy class",
    "最大允许误差 MPE": "Maximum permissible error (MPE)",
    "使用单位": "Owner",
    "使用地点": "Location",
    "列入强制管理目录": "In the compulsory-management catalogue",
    "用途": "Use",
    "启用日期": "In service since",
    "计量器具": "Instruments",
    "最大允许误差必须为正数": "The MPE must be positive",
    "标准物质编号": "Reference-material number",
    "认定值": "Certified value",
    "研制单位": "Producer",
    "标准物质": "Reference materials",
    "KCDB 编号": "KCDB ID",
    "提供机构": "Provider",
    "计量领域": "Metrology area",
    "服务/仪器": "Service/instrument",
    "范围下限": "Range, lower limit",
    "范围上限": "Range, upper limit",
    "不确定度公式": "Uncertainty equation",
    "包含概率": "Coverage probability",
    "校准测量能力 CMC": "Calibration and measurement capabilities (CMC)",
    "需给出扩展不确定度或不确定度公式": "Give an expanded uncertainty or an uncertainty equation",
    "校准": "Calibration",
    "检定": "Verification",
    "合格": "Pass",
    "不合格": "Fail",
    "无法判定": "Inconclusive",
    "未作判定": "No decision",
    "被校器具": "Instrument calibrated",
    "被校标准": "Standard calibrated",
    "被测标准物质": "Reference material measured",
    "所用计量标准": "Standards used",
    "所用标准物质": "Reference materials used",
    "执行机构": "Performed by",
    "检定/校准人员": "Performed by (person)",
    "检定/校准日期": "Performed on",
    "发证日期": "Issued on",
    "有效期至/下次到期": "Due on",
    "结果值": "Result",
    "符合性结论": "Conformity",
    "已撤回": "Withdrawn",
    "检定/校准记录": "Calibrations & verifications",
    "须且只能指定一个被校对象（器具、标准或标准物质）": "Give exactly one item calibrated (instrument, standard or reference material)",
    "发证日期不得早于检定/校准日期": "The issue date must not be before the performance date",
    "有效期至必须晚于检定/校准日期": "The due date must be after the performance date",
    "长度": "Length",
    "质量": "Mass",
    "力": "Force",
    "压力": "Pressure",
    "温度": "Temperature",
    "容量/体积": "Volume",
    "流量": "Flow",
    "电能": "Electrical energy",
    "电压": "Voltage",
    "电流": "Current",
    "电阻": "Resistance",
    "频率": "Frequency",
    "声压级": "Sound pressure level",
    "浓度/含量": "Concentration",
    "速度": "Speed",
    "里程/距离": "Distance",
    "SI 值": "SI value",
    "单位 (D-SI)": "Unit (D-SI)",
    "例如 \\\\metre、\\\\kilo\\\\pascal": "e.g. \\\\metre, \\\\kilo\\\\pascal",
    "SI 单位": "SI unit",
    "是": "Yes",
    "否": "No",
    "未找到%(model)s “%(key)s”": "No %(model)s “%(key)s”",
    "您无权修改此记录": "You may not change this record",
    "您无权在此范围内保存记录": "You may not save a record in this scope",
    "您无权新建此类记录": "You may not create records of this kind",
    "标称值/参考值": "Nominal/reference value",
    "注意": "Note",
    "判定规则": "Decision rule",
    "保护带系数 r（w = r·U）": "Guard-band factor r (w = r·U)",
    "按记录的判定规则，结论应为“%(d)s”": "Under the recorded decision rule the verdict is “%(d)s”",
    "简单接受": "Simple acceptance",
    "风险共担": "Shared risk",
    "保护带接受": "Guarded acceptance",
    "保护带拒绝": "Guarded rejection",
    "非二元判定": "Non-binary statement",
    "内部校准：由器具使用单位自行完成，不是检定，不计入强制检定，也不关闭强检备案。": (
        "Internal calibration: done by the instrument's owner itself. It is not a verification, "
        "counts in no compulsory-verification figure and closes no filing."
    ),
    "您无权设置字段：%(fields)s": "You may not set these fields: %(fields)s",
    "与已有记录冲突（编号或代码重复）": "Conflicts with an existing record (duplicate number or code)",
    "简体中文": "简体中文",
    "English": "English",
    "计量": "Metrology",
    "语言": "Language",
    "切换": "Switch",
    "管理": "Admin",
    "退出": "Log out",
    "登录": "Log in",
    "jiliang — 开放的智慧计量平台": "jiliang — the open smart-metrology platform",
    "首页": "Home",
    "国家现代先进测量体系 · 数据平台": "National modern measurement system · data platform",
    "登记计量标准、计量器具、标准物质、检定/校准记录与证书，量值溯源可查可验。": "Register standards, instruments, reference materials, calibrations and certificates; "
    "every traceability chain can be looked up and checked.",
    "超期未检的在用器具": "Instruments in use past their due date",
    "已过有效期": "Overdue",
    "数量": "Count",
    "编辑": "Edit",
    "没有记录": "No records",
    "变更记录": "Change history",
    "变更原因": "Reason for change",
    "保存": "Save",
    "搜索": "Search",
    "筛选": "Filter",
    "上一页": "Previous",
    "下一页": "Next",
    # lists (platform/lists.py, templates/lists/_pager.html): pager, export, count definitions
    "分页": "Pages",
    "第一页": "First",
    "最后一页": "Last",
    "第 %(n)s / %(total)s 页": "Page %(n)s of %(total)s",
    "导出全部筛选结果": "Export all filtered rows",
    "口径": "Definition",
    "format：须为 %(formats)s 之一": "format: must be one of %(formats)s",
    "返回首页": "Back to the home page",
    "请求无效": "Bad request",
    "服务器无法处理此请求。请检查地址或表单后重试。": "The server cannot process this request. Check the address or the form and try again.",
    "无权访问": "Access denied",
    "安全校验未通过": "Security check failed",
    "为保护您的账户，本次提交未被接受。": "To protect your account, this submission was not accepted.",
    "您的角色无权执行此操作或打开此页面。": "Your role may not do this or open this page.",
    "页面不存在": "Page not found",
    "您要找的页面或记录不存在，或不在您可查看的范围内。": "The page or record you are looking for does not exist, or is outside what you may see.",
    "服务器错误": "Server error",
    "处理请求时出错，已记录。请稍后重试。": "Something went wrong while processing the request; it has been logged. Please try again later.",
    "表单已过期或浏览器未发送安全令牌（Cookie）。请返回、刷新页面后重试。": "The form has expired or the browser did not send its security token (cookie). Go back, reload the page and try again.",
    "公众查询与核验": "Public search and verification",
    "核验证书": "Verify certificate",
    "查询机构": "Find an organisation",
    "扫描器具上的二维码可查看其检定状态并投诉。": "Scan the QR code on an instrument to see its verification status and to file a complaint.",
    "本机构的能力范围": "My organisation's scopes",
    "测量范围": "Measuring range",
    "已过期": "expired",
}
PLURALS = {"共 %(counter)s 条": ("%(counter)s record", "%(counter)s records")}


def _app_tables() -> None:
    """Merge ``EN``/``PLURALS`` tables that apps keep in ``platform/<app>/translations_en.py``."""
    import importlib.util

    root = Path(__file__).resolve().parents[1] / "src/jiliang/platform"
    for path in sorted(root.glob("*/translations_en.py")):
        spec = importlib.util.spec_from_file_location(f"_tr_{path.parent.name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        EN.update(getattr(module, "EN", {}))
        PLURALS.update(getattr(module, "PLURALS", {}))


def _po(text: str) -> str:
    """A table value as a PO string: double quotes escaped (backslashes are kept as written:
    the tables hold them PO-escaped already, e.g. ``\\\\metre``)."""
    return re.sub(r'(?<!\\)"', r'\\"', text)


def fill(po_path: Path) -> list[str]:
    text = po_path.read_text(encoding="utf-8")
    missing: list[str] = []

    def single(match: re.Match) -> str:
        msgid, msgstr = match.group(1), match.group(2)
        if msgid == "":
            return match.group(0)
        if msgid not in EN:
            if not msgstr:
                missing.append(msgid)
            return match.group(0)
        # the table wins over what the catalogue holds: a msgstr once guessed by msgmerge
        # ("不确定度预算" → "Uncertainty equation") must not outlive a fixed table entry
        return f'msgid "{msgid}"\nmsgstr "{_po(EN[msgid])}"'

    text = re.sub(r'msgid "(.*)"\nmsgstr "(.*)"', single, text)

    def fuzzy(match: re.Match) -> str:
        # msgmerge's guess from a similar msgid: compilemessages skips it, so the English UI
        # would show Chinese. Fill it from the tables like an empty entry (keep other flags).
        flags, msgid, plural = match.group(1), match.group(2), match.group(3)
        if msgid not in (PLURALS if plural else EN):
            missing.append(msgid)
            return match.group(0)
        keep = f"#{flags}\n" if flags else ""
        if plural:
            one, many = PLURALS[msgid]
            forms = f'msgid_plural "{plural}"\nmsgstr[0] "{one}"\nmsgstr[1] "{many}"'
            return f'{keep}msgid "{msgid}"\n{forms}'
        return f'{keep}msgid "{msgid}"\nmsgstr "{_po(EN[msgid])}"'

    text = re.sub(
        r'#, fuzzy((?:, [\w-]+)*)\n(?:#\| .*\n)*msgid "(.+)"\n'
        r'(?:msgstr ".*"|msgid_plural "(.+)"\nmsgstr\[0\] ".*"\nmsgstr\[1\] ".*")',
        fuzzy,
        text,
    )
    for msgid, (one, many) in PLURALS.items():
        text = text.replace(
            f'msgid "{msgid}"\nmsgid_plural "{msgid}"\nmsgstr[0] ""\nmsgstr[1] ""',
            f'msgid "{msgid}"\nmsgid_plural "{msgid}"\nmsgstr[0] "{one}"\nmsgstr[1] "{many}"',
        )
    # only the header's flag: a second run must not turn an entry's fuzzy guess into a translation
    text = text.replace('#, fuzzy\nmsgid ""\n', 'msgid ""\n', 1)
    po_path.write_text(text, encoding="utf-8")
    return missing


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1] / "src/jiliang/platform/locale/en/LC_MESSAGES"
    _app_tables()
    left = fill(root / "django.po")
    for msgid in left:
        print(f"untranslated: {msgid}")
    sys.exit(1 if left else 0)
