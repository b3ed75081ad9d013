"""English for the audit app's strings (merged by scripts/i18n)."""

EN = {
    "前一条目哈希": "Previous entry hash",
}
