"""The API's one answer to bad input: :class:`FieldErrors`, rendered as HTTP 422.

The body is the shape Django Ninja gives its own schema-validation errors, so a client reads one
shape whether the schema or a service refused the input::

    {"detail": [{"loc": ["body", "<field>"], "msg": "<message>", "type": "value_error"}, …]}
"""

from __future__ import annotations


class FieldErrors(Exception):
    """Validation failure carrying ``{field: [messages]}``; rendered as HTTP 422."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: str) -> FieldErrors:
        """The error of a single field."""
        return cls({field: [message]})

    def detail(self) -> list[dict]:
        """The ``detail`` list of the 422 body (module docstring)."""
        return [
            {"loc": ["body", name], "msg": msg, "type": "value_error"}
            for name, messages in self.errors.items()
            for msg in messages
        ]
