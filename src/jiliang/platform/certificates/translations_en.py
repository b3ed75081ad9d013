"""English for the certificates app's strings (merged by scripts/i18n)."""

EN = {
    "数字校准证书": "Digital calibration certificates",
    "草稿": "Draft",
    "待核验": "In review",
    "已签发": "Issued",
    "已被更正": "Superseded",
    "已撤回": "Withdrawn",
    "外部证书": "External",
    "更正的证书": "Replaces",
    "规范化哈希 SHA-256": "Canonical hash (SHA-256)",
    "校验报告": "Validation report",
    "编制人": "Prepared by",
    "核验人": "Reviewed by",
    "创建时间": "Created",
    "签发时间": "Issued at",
    "撤回时间": "Withdrawn at",
    "撤回原因": "Reason for withdrawal",
    "撤回日志序号": "Withdrawal log index",
    "更正": "Amend",
    "生成证书草稿": "Draft a certificate",
    "符合 XSD 与 D-SI": "Valid (XSD and D-SI)",
    "签名": "Signature",
    "提交核验": "Submit for review",
    "核验并签发": "Review and issue",
    "撤回": "Withdraw",
    "证书核验": "Verify a certificate",
    "输入证书编号、扫描证书上的二维码，或上传 DCC XML 文件：核验其格式、签名、是否为现行版本以及透明日志包含证明。": "Enter a certificate number, scan the QR code on a certificate, or upload a DCC XML file: "
    "its format, signature, whether it is the current version and its transparency-log "
    "inclusion proof are checked.",
    "证书编号": "Certificate number",
    "核验": "Verify",
    "现行有效版本": "Current version",
    "未找到": "Not found",
    "签发机构": "Issued by",
    "格式（XSD 与 D-SI）": "Format (XSD and D-SI)",
    "签名与证书链": "Signature and certificate chain",
    "DCC XML": "DCC XML",
    "PDF 暂不可用": "PDF unavailable",
    "服务器缺少中文字体，暂时无法生成该证书的 PDF。请联系平台管理员安装字体（fonts-wqy-zenhei 或设置 JILIANG_CJK_FONT）。": "The server has no Chinese font, so the PDF of this certificate cannot be produced for now. "
    "Ask the platform administrator to install one (fonts-wqy-zenhei, or set JILIANG_CJK_FONT).",
    "权威证书是 DCC XML 文件，仍可下载并核验：": "The authoritative certificate is the DCC XML file, which you can still download and verify:",
    "信任锚": "Trust anchor",
    # public verification verdict (issue 11: verification that cannot be fooled)
    "未核实的外部证书": "Unverified external",
    "证书有效": "Certificate valid",
    "证书无效": "Certificate NOT valid",
    "请勿信任此证书：": "Do not rely on this certificate:",
    "签名、签发机构、格式、规范化哈希与透明日志全部核验通过。": (
        "Signature, issuer, format, canonical hash and transparency log all verified."
    ),
    "现行版本": "Current version",
    "未核实的外部证书：签发机构未经签名证实": (
        "Unverified external certificate: no signature confirms the issuer"
    ),
    "由 %(lab)s 登记": "registered by %(lab)s",
    "核验所依据的检查点": "Checked against checkpoint",
    "树大小 %(size)s，根哈希 %(root)s": "tree size %(size)s, root hash %(root)s",
    "时间戳": "timestamp",
    "检查点未带时间戳": "the checkpoint carries no timestamp",
}
