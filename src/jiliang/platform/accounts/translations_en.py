"""English translations of the accounts app's Chinese source strings (merged by scripts/i18n)."""

EN = {
    "登录已暂时锁定": "Login temporarily locked",
    "请 %(minutes)s 分钟后再试，或联系管理员解锁。": (
        "Try again in %(minutes)s minutes, or ask an administrator to unlock it."
    ),
    "请联系管理员解锁。": "Ask an administrator to unlock it.",
}

PLURALS = {
    "该用户名从此地址连续 %(n)s 次登录失败。": (
        "%(n)s failed login for this username from this address.",
        "%(n)s failed logins in a row for this username from this address.",
    ),
}
