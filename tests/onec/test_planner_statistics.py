"""A large first import keeps PostgreSQL's statistics of the tables it grows current
(this matters where autovacuum has not analysed them yet)."""

import pytest
from django.db import connection

from onec import importer, services
from onec.models import ExternalRef


def _last_analyze(table: str) -> object:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_table_that_more_than_doubled_is_analysed_once_per_doubling(tenant_a):
    account = services.create_account(tenant_a, username="1c-alpha", password="x" * 10)
    ExternalRef.objects.bulk_create(
        [ExternalRef(account=account, kind="product", external_id=f"p{n}", object_id=n) for n in range(3000)]
    )
    table = ExternalRef._meta.db_table
    statistics = importer.PlannerStatistics(every=0)
    before = _last_analyze(table)

    statistics.refresh()

    analysed = _last_analyze(table)
    assert analysed is not None and analysed != before
    statistics.refresh()  # nothing changed since: not analysed again
    assert _last_analyze(table) == analysed
