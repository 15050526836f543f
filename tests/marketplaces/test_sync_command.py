"""manage.py sync_marketplace against an in-process Trendyol sandbox."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from marketplaces import services
from marketplaces.models import Listing, ListingStatus, SyncJob, SyncState
from marketplaces.sandbox.trendyol import TrendyolSandbox
from tests.marketplaces.sync_world import SECRET, World, make_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sync")]



@pytest.fixture
def sandbox(sync_sandbox: TrendyolSandbox) -> TrendyolSandbox:
    return sync_sandbox


@pytest.fixture
def world(make_tenant: Any, sandbox: TrendyolSandbox) -> World:
    return make_world(make_tenant("acme"), sandbox, products=5, variants_per_product=2)


def sync(*args: str) -> str:
    out = StringIO()
    call_command("sync_marketplace", *args, stdout=out)
    return out.getvalue()


def test_runs_the_job_here_with_a_progress_bar_and_a_summary(world: World) -> None:
    output = sync(str(world.account.pk), "--kind", "catalog")

    job = SyncJob.objects.get()
    assert (job.state, job.done, job.started_by) == (SyncState.SUCCEEDED, 10, "manage.py sync_marketplace")
    lines = output.splitlines()
    assert lines[0] == f"Sync job {job.pk} (Catalogue) of Trendyol TR (Trendyol):"
    assert "[##############################] 100%  Catalogue  10/10 done, 0 failed" in lines
    assert "State:    Succeeded" in lines and "Done:     10 of 10" in lines and "Failed:   0" in lines
    assert any(line.startswith("Requests: ") and int(line.split()[1]) >= 2 for line in lines)
    assert any(line.startswith("Duration: ") and line.endswith(" s") for line in lines)
    assert Listing.objects.filter(status=ListingStatus.SYNCED).count() == 10


def test_rejected_items_are_listed_in_the_summary(world: World) -> None:
    bad = world.variants()[0]
    bad.vat_rate = 8  # Trendyol accepts 0, 1, 10 and 20
    bad.save()

    output = sync(f"{world.tenant.slug}:Trendyol TR", "--kind", "full")

    assert "State:    Partly failed" in output and "Failed:   1" in output
    assert f"First errors:\n  {bad.sku}: " in output and "vatRate must be one of 0, 1, 10, 20." in output


def test_a_failed_job_exits_non_zero(world: World) -> None:
    services.update_account(
        world.account, actor="test", changes={"credentials": {"api_secret": "wrong-Qz55"}}
    )
    out = StringIO()

    with pytest.raises(CommandError, match=r"The sync did not succeed \(failed\)\."):
        call_command("sync_marketplace", str(world.account.pk), "--kind", "catalog", stdout=out)

    assert "State:    Failed" in out.getvalue()
    assert "wrong-Qz55" not in out.getvalue() and SECRET not in out.getvalue()


def test_async_only_queues_the_job(world: World) -> None:
    output = sync(f"{world.tenant.slug}:Trendyol TR", "--kind", "orders", "--async")

    job = SyncJob.objects.get()
    assert output == f"Queued sync job {job.pk} (Orders) of Trendyol TR (Trendyol).\n"
    assert job.state == SyncState.QUEUED and not Listing.objects.exists()


def test_a_second_sync_while_one_is_queued_is_refused(world: World) -> None:
    running = services.request_sync(world.account, "catalog", actor="test", enqueue=False)

    with pytest.raises(CommandError, match=rf"already queued or running.*Running job: {running.pk}\."):
        sync(str(world.account.pk), "--kind", "catalog")


@pytest.mark.parametrize("reference", ["999", "acme:Nope", "nope:Trendyol TR", "Trendyol TR"])
def test_an_unknown_account_is_a_clear_error(world: World, reference: str) -> None:
    with pytest.raises(CommandError, match=rf'No marketplace account "{reference}"\. Give its id or'):
        sync(reference, "--kind", "full")
    assert not SyncJob.objects.exists()
