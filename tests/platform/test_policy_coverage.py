"""Every model has an access policy or a named exemption (issue 12: the authority rules live in
one table; a new model without one is a decision made in review, not an accident)."""

from __future__ import annotations

import pytest
from django.apps import apps

from jiliang.platform.registry.permissions import POLICIES, POLICY_EXEMPT, exempt_from_policy


def test_every_model_has_a_policy_or_a_reason():
    missing = [
        m._meta.label
        for m in apps.get_models()
        if m not in POLICIES and m._meta.label not in POLICY_EXEMPT
    ]
    assert missing == [], (
        f"models without an access rule: {missing}; add POLICIES[model] in the app's "
        "AppConfig.ready(), or exempt_from_policy(label, reason) naming the rule that applies"
    )


def test_no_model_is_both_in_policies_and_exempt():
    assert [m._meta.label for m in POLICIES if m._meta.label in POLICY_EXEMPT] == []


def test_every_policy_exemption_is_a_model_with_a_reason():
    labels = {m._meta.label for m in apps.get_models()}
    assert sorted(set(POLICY_EXEMPT) - labels) == []
    assert all(reason.strip() for reason in POLICY_EXEMPT.values())


def test_a_policy_exemption_needs_a_reason():
    with pytest.raises(ValueError, match="reason"):
        exempt_from_policy("registry.Instrument", "")
