"""Jobs and schedules: the nightly refresh of every KB and the early-morning price refresh."""


import dagster as dg

kb_refresh_job = dg.define_asset_job(
    "kb_refresh", selection=dg.AssetSelection.all(),
    description="Extract, chunk and sync all four knowledge bases (incremental: a quiet night embeds nothing).",
    tags={"helio/kb": "all"},
)
prices_refresh_job = dg.define_asset_job(
    "prices_refresh", selection=dg.AssetSelection.groups("prices"),
    description="Re-sync the prices KB (tariff updates arrive early in the morning).",
    tags={"helio/kb": "prices"},
)

nightly_kb_refresh = dg.ScheduleDefinition(
    name="nightly_kb_refresh", job=kb_refresh_job, cron_schedule="0 2 * * *",
    execution_timezone="America/Sao_Paulo", default_status=dg.DefaultScheduleStatus.STOPPED,
)
morning_prices_refresh = dg.ScheduleDefinition(
    name="morning_prices_refresh", job=prices_refresh_job, cron_schedule="0 6 * * *",
    execution_timezone="America/Sao_Paulo", default_status=dg.DefaultScheduleStatus.STOPPED,
)
