"""Accounts: login with throttling, sign-up by the site operator, logout."""
