"""What every platform app shares (公共部分): the request's user and change reason, the API's
field-error and upload-limit answers, and the list page shape.

An app imports these from here, never from another app (``registry.api`` re-exports the old
names for code not yet moved). Nothing in this package imports an app.

- :mod:`.requests` — :func:`~.requests.current_user`, :func:`~.requests.change_reason`
- :mod:`.errors` — :class:`~.errors.FieldErrors` (HTTP 422, one shape for the whole API)
- :mod:`.uploads` — :data:`~.uploads.MAX_UPLOAD_BYTES`, :func:`~.uploads.check_upload` (HTTP 413)
- :mod:`.paging` — :func:`~.paging.page` (``{count, limit, offset, items}``) and its bounds
"""
