"""The whole schema: every table module, so `Base.metadata` is complete wherever it is used.

Alembic's env and the schema tests import `metadata` from here rather than from
`tables`, which alone would miss the tables other modules declare.
"""

from __future__ import annotations

from adapters.storage import audit_tables, schedule_tables, tables

metadata = tables.Base.metadata

# Named so the imports above are visibly deliberate (they register tables on Base).
TABLE_MODULES = (tables, schedule_tables, audit_tables)
