# ruff: noqa: RUF012  (Django migrations declare their operations as class lists)
"""On PostgreSQL, make the audit trail append-only in the database itself.

The model already refuses updates and deletes; the trigger also stops a script or a shell that
goes around the model. (TRUNCATE, which a test run's flush uses, is a table operation and does not
fire row triggers.) SQLite relies on the model, as its flush deletes rows one by one.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION evsynth_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS evsynth_audit_append_only ON reviews_auditevent;
CREATE TRIGGER evsynth_audit_append_only BEFORE UPDATE OR DELETE ON reviews_auditevent
FOR EACH ROW EXECUTE FUNCTION evsynth_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS evsynth_audit_append_only ON reviews_auditevent;
DROP FUNCTION IF EXISTS evsynth_audit_append_only();
"""


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
