"""Helpers shared by the web apps: configuration, permissions, audit, jobs."""
