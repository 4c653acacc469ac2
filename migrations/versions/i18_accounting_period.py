"""roster_entry.accounting_period: each officer's accounting period of working time (issue 18)

Revision ID: i18_accounting_period
Revises: c253f6e603f4
Create Date: 2026-12-01 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i18_accounting_period'
down_revision = 'c253f6e603f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('roster_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accounting_period', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('roster_entry', schema=None) as batch_op:
        batch_op.drop_column('accounting_period')
