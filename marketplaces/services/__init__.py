"""The marketplaces app's rules, by topic: accounts, listings, jobs, the sync runner,
orders in and statuses out, key rotation. Callers import from here."""

from marketplaces.services.accounts import (
    DEFAULT_SETTINGS,
    MARKETPLACES,
    MAX_CREDENTIAL_LENGTH,
    MarketplaceSpec,
    accounts_visible_to,
    connect_account,
    deactivate_account,
    delete_account,
    spec_of,
    supported_marketplaces,
    update_account,
    validate_credentials,
    validate_settings,
)
from marketplaces.services.categories import (
    MarketplaceUnavailable,
    category_attributes,
    category_tree,
    find_leaf,
    search_categories,
    validate_mapping,
)
from marketplaces.services.jobs import (
    JobLost,
    cancel_job,
    claim_job,
    finish_job,
    heartbeat,
    jobs_visible_to,
    record_job_progress,
    request_sync,
    request_sync_if_idle,
    stalled_jobs,
)
from marketplaces.services.keys import encrypted_fields, rotate_encryption_keys
from marketplaces.services.listings import (
    account_health,
    ensure_listing,
    list_variants,
    listings_visible_to,
    mark_stock_changed,
    retry_listings,
)
from marketplaces.services.orderflow import queue_status_pushes, send_status_push
from marketplaces.services.sync import adapter_for, run_job, test_connection

__all__ = [
    "DEFAULT_SETTINGS", "MARKETPLACES", "MAX_CREDENTIAL_LENGTH", "JobLost", "MarketplaceSpec",
    "MarketplaceUnavailable", "account_health", "accounts_visible_to", "adapter_for", "cancel_job",
    "category_attributes", "category_tree", "claim_job", "connect_account", "deactivate_account",
    "delete_account", "encrypted_fields", "ensure_listing", "find_leaf", "finish_job", "heartbeat",
    "jobs_visible_to", "list_variants", "listings_visible_to", "mark_stock_changed", "queue_status_pushes",
    "record_job_progress", "request_sync", "request_sync_if_idle", "retry_listings", "rotate_encryption_keys",
    "run_job", "search_categories", "send_status_push", "spec_of", "stalled_jobs", "supported_marketplaces",
    "test_connection", "update_account", "validate_credentials", "validate_mapping", "validate_settings",
]  # fmt: skip
