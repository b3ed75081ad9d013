"""Every model is audited or deliberately exempt, with a reason (issue 12: the guard that a new
model's audit trail is a decision, not an accident; issue 17: deletions and changes of every
audited row are evidence)."""

from __future__ import annotations

import pytest
from django.apps import apps

from jiliang.platform.audit.signals import AUDIT_EXEMPT, exempt_from_audit, is_audited


def _label(model) -> str:
    return model._meta.label


def test_every_model_is_audited_or_exempt_with_a_reason():
    missing = [
        _label(m) for m in apps.get_models() if not is_audited(m) and _label(m) not in AUDIT_EXEMPT
    ]
    assert missing == [], (
        f"models neither audited nor exempt: {missing}; call audit_models(...) in the app's "
        "AppConfig.ready(), or exempt_from_audit(label, reason) saying what makes its changes "
        "evident instead"
    )


def test_no_model_is_both_audited_and_exempt():
    both = [_label(m) for m in apps.get_models() if is_audited(m) and _label(m) in AUDIT_EXEMPT]
    assert both == []


def test_every_exemption_names_an_installed_model_and_a_reason():
    labels = {_label(m) for m in apps.get_models()}
    stale = sorted(set(AUDIT_EXEMPT) - labels)
    assert stale == [], f"exemptions of models that do not exist: {stale}"
    assert all(reason.strip() for reason in AUDIT_EXEMPT.values())


def test_the_accounts_and_tokens_that_grant_rights_are_audited():
    # issue 17: a user promoted in SQL or an inserted API token must be evidence
    for label in ("auth.User", "auth.Group", "accounts.Profile", "accounts.ApiToken"):
        assert is_audited(apps.get_model(label)), label


def test_an_exemption_needs_a_reason():
    with pytest.raises(ValueError, match="reason"):
        exempt_from_audit("registry.Instrument", "  ")
