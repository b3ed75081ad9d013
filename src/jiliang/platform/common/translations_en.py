"""English for the shared messages of :mod:`jiliang.platform.common` (see scripts/i18n)."""

EN = {
    "%(n)d MiB": "%(n)d MiB",
    "%(n)d KiB": "%(n)d KiB",
    "%(n)d 字节": "%(n)d bytes",
    "%(field)s：文件大于 %(size)s": "%(field)s: the file is larger than %(size)s",
}
