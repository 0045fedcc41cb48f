"""Feedback on served answers: one row per event, for any model (schema 3).

What callers said about an answer (``POST /v1/models/{name}/feedback``: helpful or
not, the right entry) and what a model asked to remember after answering (a
question it handed over to a person). ``payload`` is JSON with personal data
masked before it is stored; ``kind`` says which event it is.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_feedback_name_created", "feedback", ["name", "created"])
    op.execute("UPDATE registry_meta SET schema = 3 WHERE id = 1")


def downgrade() -> None:
    op.drop_index("ix_feedback_name_created", "feedback")
    op.drop_table("feedback")
    op.execute("UPDATE registry_meta SET schema = 2 WHERE id = 1")
