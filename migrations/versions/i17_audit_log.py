"""audit log of staff actions (who, what, when; never officers, never survey routes)

Revision ID: i17_audit_log
Revises: i17_session_version
Create Date: 2026-12-01 19:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'i17_audit_log'
down_revision = 'i17_session_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )


def downgrade():
    op.drop_table('audit_log')
