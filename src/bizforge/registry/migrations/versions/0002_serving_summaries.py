"""Drift monitoring: compact summaries of what the server scored (schema 2).

One row per model version per flush of one server: counts on the training
profile's bins, category and predicted-class counts, text lengths — never a
raw row. Several servers insert their own rows; ``bizforge monitor`` adds
them up over a period.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "serving_summaries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("period_start", sa.String(32), nullable=False),
        sa.Column("period_end", sa.String(32), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
    )
    op.create_index("ix_serving_summaries_name_period_end", "serving_summaries",
                    ["name", "period_end"])
    op.execute("UPDATE registry_meta SET schema = 2 WHERE id = 1")


def downgrade() -> None:
    op.drop_index("ix_serving_summaries_name_period_end", "serving_summaries")
    op.drop_table("serving_summaries")
    op.execute("UPDATE registry_meta SET schema = 1 WHERE id = 1")
