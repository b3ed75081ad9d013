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
    # results and forms of a certificate (issue 18 item 7)
    "校准证书": "Calibration certificate",
    "检定证书": "Verification certificate",
    "检定结果通知书": "Verification result notice",
    "%(title)s所载结果": "Results stated in the %(title)s",
    "被测量": "Measurand",
    "测得值": "Measured value",
    "有条件合格": "Conditional pass",
    "有条件不合格": "Conditional fail",
    "未判定不合格": "Not failed",
    "扩展不确定度 U 取两位有效数字，测得值修约到与 U 相同的数位（JJF 1059.1 / GUM 7.2.6）。": (
        "The expanded uncertainty U is given to two significant digits and the measured value "
        "is rounded to the same decimal place (JJF 1059.1 / GUM 7.2.6)."
    ),
    "证书未给出测量结果。": "The certificate states no measurement results.",
    "不合格项目": "Non-conforming items",
    "证书未说明判定规则。": "The certificate states no decision rule.",
    "经检定，该计量器具合格。": "Verified: the measuring instrument conforms.",
    "经检定，该计量器具不合格，不符合检定规程的要求。": (
        "Verified: the measuring instrument does not conform to the requirements of the "
        "verification regulation."
    ),
    "经检定，该计量器具未被判定为合格。": (
        "Verified: the measuring instrument was not found to conform."
    ),
    "此证书未通过核验：以下结果不可信赖。": (
        "This certificate did not pass verification: do not rely on the results below."
    ),
    "编号为 %(number)s 的证书确实存在，但此副本与签发的版本不一致（已被篡改，或不是签发的版本）。": (
        "A certificate numbered %(number)s exists, but this copy differs from the issued one "
        "(tampered, or not the issued version)."
    ),
    "本机构的证书": "My organisation's certificates",
    "待完成的证书": "Certificates to finish",
    # workflow and verification messages (issue 18 item 3)
    "只有执行检定/校准的实验室可以编制或签发其证书": (
        "only the performing laboratory may prepare or issue its certificates"
    ),
    "该检定/校准记录已有证书；请更正该证书": (
        "this event already has a certificate; amend it instead"
    ),
    "该检定/校准记录无法表示为 DCC：%(error)s": "the event cannot be expressed as a DCC: %(error)s",
    "只有草稿可以提交核验（当前状态：%(status)s）": (
        "only a draft can be submitted (status: %(status)s)"
    ),
    "证书无法签发：%(hint)s": "the certificate cannot be issued: %(hint)s",
    "（另有 %(more)d 项）": " (and %(more)d more)",
    "证书不符合要求（XSD、D-SI 单位、语义），无法签发：%(problems)s": (
        "the certificate is not valid (XSD, D-SI units, semantics) and cannot be issued: "
        "%(problems)s"
    ),
    "只有待核验的证书可以签发（当前状态：%(status)s）": (
        "only a certificate in review can be issued (status: %(status)s)"
    ),
    "核验人必须是编制人以外的另一人": (
        "the reviewer must be a second person, not the one who prepared it"
    ),
    "实验室的签名未通过验证，未签发任何证书：%(reason)s": (
        "the laboratory's signature does not verify, nothing was issued: %(reason)s"
    ),
    "只有已签发的证书可以更正": "only an issued certificate can be amended",
    "更正 %(number)s（%(status)s）已在进行中：请继续完成，或先将其撤回": (
        "amendment %(number)s (%(status)s) is already under way: continue it, or withdraw it first"
    ),
    "只有已签发的证书可以撤回": "only an issued certificate can be withdrawn",
    "reason：请填写撤回原因": "reason: give the reason for the withdrawal",
    "未署名的签名人": "an unnamed signer",
    "签名人（%(who)s）无权代表 %(name)s（%(code)s）签名：其证书既未载明该统一社会信用代码，也未载明该机构名称": (
        "the signer (%(who)s) is not entitled to sign for %(name)s (%(code)s): its certificate "
        "names neither that credit code nor that organisation"
    ),
    "透明日志：证书不在透明日志中": (
        "transparency log: the certificate is not in the transparency log"
    ),
    "透明日志：内容的规范化哈希与透明日志中记录的不一致": (
        "transparency log: the content's canonical hash is not the one in the transparency log"
    ),
    "无签名": "none",
    "签名：此签名不是透明日志记录的签名（签发后被重新签名？）：日志记录的签名人证书序列号为 %(logged)s，此签名的为 %(shown)s": (
        "signature: the signature is not the logged one (re-signed after issue?): logged "
        "signer certificate serial %(logged)s, this signature's %(shown)s"
    ),
    "状态：状态栏记载为“%(column)s”，但证书的日志叶表明为“%(logged)s”：该记录在平台之外被修改过": (
        "status: the status column says %(column)s but the certificate's leaves say "
        "%(logged)s: the record was changed outside the platform"
    ),
    "本服务器未安装 DCC schemaVersion %(version)s 的 XSD，因此无法检查格式": (
        "the XSD for DCC schemaVersion %(version)s is not installed on this server, so the "
        "format could not be checked"
    ),
    "本平台未签发过具有此编号或内容的证书": (
        "no certificate with this number or content was issued here"
    ),
    "未核实的外部证书：由实验室登记，但没有受信任且有权代表其所称签发机构的签名人的有效签名": (
        "unverified external certificate: registered by a laboratory without a valid "
        "signature of a trusted signer entitled for the issuer it names"
    ),
    "签名：无效（完整性或信任检查未通过）": "signature: not valid (integrity or trust failed)",
    "签名：签名未覆盖所显示的内容": "signature: it does not cover the content shown",
    "签名人：%(problem)s": "signer: %(problem)s",
    "格式：不符合其 schemaVersion 的 XSD 与 D-SI": (
        "format: not valid against the XSD of its schemaVersion and D-SI"
    ),
    "规范化哈希：无法计算内容的哈希": "canonical hash: the content could not be hashed",
    "规范化哈希：内容与本平台签发的证书不一致": (
        "canonical hash: the content differs from the certificate issued here"
    ),
    "透明日志：没有经过验证的包含证明": "transparency log: no verified inclusion proof",
    "状态：不是现行版本（%(status)s，依据透明日志）": (
        "status: not the current version (%(status)s, per the log)"
    ),
    "状态：不是现行版本（%(status)s）": "status: not the current version (%(status)s)",
    "不是可读取的 DCC：%(error)s": "not a readable DCC: %(error)s",
    "本平台未签发过具有此内容的证书": "no certificate with this content was issued here",
    "文件与所给编号不是同一份证书": "the file is a different certificate than the number given",
    "存储的证书不是可读取的 DCC：%(error)s": (
        "the stored certificate is not a readable DCC: %(error)s"
    ),
    "没有编号为 %(number)s 的证书": "no certificate numbered %(number)s",
    "只有计量标准的所有者可以登记其校准证书": (
        "only the owner of the standard may register its calibrations"
    ),
    "file：不是可读取的 DCC：%(error)s": "file: not a readable DCC: %(error)s",
    "file：证书编号：%(error)s": "file: certificate identifier: %(error)s",
    "证书 %(number)s 已登记": "certificate %(number)s is already registered",
    "file：DCC 中没有 beginPerformanceDate": "file: the DCC has no beginPerformanceDate",
    "该 DCC 不能构成有效的校准记录：%(errors)s": (
        "the DCC does not make a valid calibration record: %(errors)s"
    ),
    "未找到证书 %(pk)s": "certificate %(pk)s not found",
    "event：未知的检定/校准记录“%(event)s”": "event: unknown calibration event '%(event)s'",
    "standard：未知的计量标准“%(code)s”": "standard: unknown standard '%(code)s'",
    "laboratory：未知的机构“%(code)s”": "laboratory: unknown organisation '%(code)s'",
    # kinds of DCC validation problems (templatetags/dcc_problems.py)
    "XML 格式错误": "XML error",
    "不符合 XSD": "not valid against the XSD",
    "XSD 未安装": "XSD not installed",
    "D-SI 单位错误": "D-SI unit error",
    "语义错误": "semantic error",
}
