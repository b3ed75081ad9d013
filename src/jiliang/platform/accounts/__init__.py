"""Accounts: roles (groups), the user's organisation and region, API tokens."""
