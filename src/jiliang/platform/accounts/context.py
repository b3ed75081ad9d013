"""Template context: the current user's role."""

from .roles import role_of


def role(request):
    return {"jiliang_role": role_of(getattr(request, "user", None)).value}
