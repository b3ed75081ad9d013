"""One upload limit and one answer when a file is over it: HTTP 413 (Payload Too Large).

Before, the limit was spelled in six places with 1, 10 and 20 MiB and answered 413 in some
and 422 in others. An app with a smaller limit of its own passes it to :func:`check_upload`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

#: largest uploaded file the platform accepts by default (bytes): 20 MiB
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: the HTTP status of a file over the limit
STATUS_TOO_LARGE = 413


class UploadTooLarge(Exception):
    """A file over its limit; the API answers :data:`STATUS_TOO_LARGE`, a page shows the message."""

    def __init__(self, field: str, limit: int):
        self.field = field
        self.limit = limit
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """“<field>：文件大于 N MiB” (KiB or bytes below), in the reader's language."""
        if self.limit >= 1024 * 1024:
            size = _("%(n)d MiB") % {"n": self.limit // (1024 * 1024)}
        elif self.limit >= 1024:
            size = _("%(n)d KiB") % {"n": self.limit // 1024}
        else:
            size = _("%(n)d 字节") % {"n": self.limit}
        return _("%(field)s：文件大于 %(size)s") % {"field": self.field, "size": size}

    def detail(self) -> list[dict]:
        """The ``detail`` list of the 413 body, in the shape of a 422's."""
        return [{"loc": ["body", self.field], "msg": self.message, "type": "too_large"}]


def check_upload(upload, field: str = "file", limit: int | None = None) -> None:
    """Raise :class:`UploadTooLarge` if ``upload`` (anything with ``size``, or bytes) is over
    ``limit`` bytes (default :data:`MAX_UPLOAD_BYTES`); ``None`` passes (no file)."""
    if upload is None:
        return
    limit = MAX_UPLOAD_BYTES if limit is None else limit
    size = len(upload) if isinstance(upload, bytes | bytearray) else upload.size
    if size is not None and size > limit:
        raise UploadTooLarge(field, limit)
