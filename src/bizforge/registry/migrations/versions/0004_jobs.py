"""Training jobs started from the web console (schema 4).

One row per job: what to train (``spec``), where it stands (``status``: queued,
running, done, failed, cancelled, interrupted), its progress events and its
result. Kept in the registry database so a server restart finds a job that was
running and marks it interrupted instead of losing it.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("started", sa.String(32)),
        sa.Column("finished", sa.String(32)),
        sa.Column("key_id", sa.String(32)),
        sa.Column("owner", sa.String(100)),  # host:pid of the server running it
        sa.Column("heartbeat", sa.String(32)),  # last sign of life of that server
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.execute("UPDATE registry_meta SET schema = 4 WHERE id = 1")


def downgrade() -> None:
    op.drop_index("ix_jobs_status", "jobs")
    op.drop_table("jobs")
    op.execute("UPDATE registry_meta SET schema = 3 WHERE id = 1")
