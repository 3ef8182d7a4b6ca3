"""initial schema

Revision ID: 0001
Revises:
Written by Alembic autogenerate from ledger.models, then checked by
tests/ledger/test_migrations.py (models and migrations must agree).

Create Date: 2026-12-04 16:14:35.106643
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("access_key_id", sa.String(length=200), nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("api_endpoint", sa.String(length=300), nullable=True),
        sa.Column("tls_edge", sa.String(length=300), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_name")),
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("cert_type", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("common_name", sa.String(length=300), nullable=True),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("key_type", sa.String(length=30), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chain_pem", sa.Text(), nullable=False),
        sa.Column("key_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "cert_type IN ('uploaded', 'issued', 'shared')", name=op.f("ck_certificates_cert_type")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_certificates_fingerprint")),
    )
    op.create_table(
        "quota_balance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.CheckConstraint("units >= 0", name=op.f("ck_quota_balance_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_balance")),
    )
    op.create_table(
        "remote_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("remote_id", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_remote_certificates_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_remote_certificates_certificate_id_certificates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_certificates")),
        sa.UniqueConstraint(
            "account_id",
            "certificate_id",
            "scope",
            name=op.f("uq_remote_certificates_account_id_certificate_id_scope"),
        ),
    )
    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.Column("native_id", sa.String(length=500), nullable=False),
        sa.Column("hostnames", sa.JSON(), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=True),
        sa.Column("https_endpoint", sa.Boolean(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("served_remote_id", sa.String(length=500), nullable=True),
        sa.Column("served_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("served_not_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discovered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gone_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_resources_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint(
            "account_id",
            "product",
            "native_id",
            name=op.f("uq_resources_account_id_product_native_id"),
        ),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("certificate_ids", sa.JSON(), nullable=False),
        sa.Column("cert_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("rollback_of", sa.Integer(), nullable=True),
        sa.Column("canary", sa.Integer(), nullable=True),
        sa.Column("halt_failure_rate", sa.Float(), nullable=True),
        sa.Column("halt_min_finished", sa.Integer(), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "cert_type IN ('uploaded', 'issued', 'shared')", name=op.f("ck_tasks_cert_type")
        ),
        sa.CheckConstraint("kind IN ('deploy', 'rollback')", name=op.f("ck_tasks_kind")),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'running', 'halted', 'succeeded', 'partial', 'failed', 'cancelled')",
            name=op.f("ck_tasks_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_tasks_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["rollback_of"], ["tasks.id"], name=op.f("fk_tasks_rollback_of_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_status_run_at", ["status", "run_at"], unique=False)

    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("target_remote_id", sa.String(length=500), nullable=True),
        sa.Column("target_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("canary", sa.Boolean(), nullable=False),
        sa.Column("charged", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("transient_failures", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remote_cert_id", sa.String(length=500), nullable=True),
        sa.Column("previous_remote_id", sa.String(length=500), nullable=True),
        sa.Column("previous_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_deployments_state"),
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_deployments_certificate_id_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_deployments_resource_id_resources")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_deployments_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_deployments_idempotency_key")),
        sa.UniqueConstraint(
            "task_id", "resource_id", name=op.f("uq_deployments_task_id_resource_id")
        ),
    )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.create_index("ix_deployments_state_lease", ["state", "lease_until"], unique=False)
        batch_op.create_index("ix_deployments_task_state", ["task_id", "state"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gave_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_notifications_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "task_id", "event", "recipient", name=op.f("uq_notifications_task_id_event_recipient")
        ),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_pending", ["sent_at", "gave_up_at", "next_attempt_at"], unique=False
        )

    op.create_table(
        "quota_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'purchase' AND units > 0 AND deployment_id IS NULL) OR (kind = 'debit' AND units = -1 AND deployment_id IS NOT NULL) OR (kind = 'refund' AND units = 1 AND deployment_id IS NOT NULL)",
            name=op.f("ck_quota_entries_shape"),
        ),
        sa.CheckConstraint(
            "kind IN ('purchase', 'debit', 'refund')", name=op.f("ck_quota_entries_kind")
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_quota_entries_deployment_id_deployments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_entries")),
        sa.UniqueConstraint(
            "deployment_id", "kind", name=op.f("uq_quota_entries_deployment_id_kind")
        ),
    )
    # The single balance row every debit and purchase updates (see ledger.models.QuotaBalance).
    op.bulk_insert(
        sa.table("quota_balance", sa.column("id", sa.Integer), sa.column("units", sa.Integer)),
        [{"id": 1, "units": 0}],
    )


def downgrade() -> None:
    op.drop_table("quota_entries")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_pending")

    op.drop_table("notifications")
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_index("ix_deployments_task_state")
        batch_op.drop_index("ix_deployments_state_lease")

    op.drop_table("deployments")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_status_run_at")

    op.drop_table("tasks")
    op.drop_table("resources")
    op.drop_table("remote_certificates")
    op.drop_table("quota_balance")
    op.drop_table("certificates")
    op.drop_table("accounts")
