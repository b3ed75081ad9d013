"""English for the transparency-log app's strings (merged by scripts/i18n)."""

EN = {
    "透明日志": "Transparency log",
    "每一条变更记录与证书的摘要都写入只增不改的默克尔树（RFC 9162）。任何人都可以用签名检查点和包含证明独立核验。": "A digest of every change record and certificate goes into an append-only Merkle tree "
    "(RFC 9162). Anyone can check it independently with a signed checkpoint and an inclusion proof.",
    "当前检查点": "Current checkpoint",
    "尚未签发检查点": "No checkpoint signed yet",
    "叶子数": "Leaves",
    "验证公钥": "Verifier key",
    "包含证明检查": "Inclusion proof check",
    "叶序号": "Leaf index",
    "叶哈希（十六进制）": "Leaf hash (hex)",
    "检查": "Check",
    "叶 %(index)s 包含在已签名的 %(size)s 叶树中。": "Leaf %(index)s is included in the signed tree of %(size)s leaves.",
    "记录摘要": "Logged payload",
    "叶哈希": "Leaf hash",
    "审计路径": "Audit path",
    "离线核验：下载证明与检查点后运行": "Offline check: download the proof and checkpoint, then run",
    "序号须为整数，叶哈希须为十六进制": "The index must be an integer and the leaf hash hexadecimal",
    "日志中没有该叶": "No such leaf in the log",
    "日志序号": "Log index",
}
