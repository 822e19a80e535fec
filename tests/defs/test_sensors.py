"""Sensors on a test instance, with real PostgreSQL (change-log triggers) and S3 (moto)."""

import dagster as dg

from helio_pipeline.defs.resources import ObjectStoreResource, SourceDatabase
from helio_pipeline.defs.schedules import build_jobs
from helio_pipeline.defs.sensors import build_sensors, catalog_change_sensor, object_drop_sensor
from helio_pipeline.lib.sharding import Shard, shard_keys, shard_of
from tests.helpers import add_price, add_product, add_rule, execute


def tick(kb, sensor, cursor=None, **resource_overrides):
    resources = {"database": kb.resources["database"], "objects": kb.resources["objects"], **resource_overrides}
    context = dg.build_sensor_context(instance=kb.instance, cursor=cursor, resources=resources)
    return sensor(context)


def run_requests(kb, result, shards=None):
    """Execute the sensor's run requests like the daemon would: the job each names, for its partition."""
    defs = kb.definitions(shards=shards)
    for request in result.run_requests:
        out = defs.resolve_job_def(request.job_name).execute_in_process(
            instance=kb.instance, asset_selection=request.asset_selection, run_config=request.run_config,
            tags=request.tags, partition_key=request.partition_key)
        assert out.success


def test_no_changes_means_no_runs(kb):
    result = tick(kb, catalog_change_sensor)
    assert isinstance(result, dg.SkipReason) and "no catalog changes" in result.skip_message


def test_changes_are_grouped_per_domain_with_one_run_key_per_batch(kb):
    first = tick(kb, catalog_change_sensor)
    pid = add_product(kb.engine, "SKU-1", "Modelo 1")
    add_price(kb.engine, pid, "Solar Atacado SP", "B1", 100)
    add_rule(kb.engine, "frete", "Frete", "CIF acima de 10 mil", "logistics")
    result = tick(kb, catalog_change_sensor, cursor=None if isinstance(first, dg.SkipReason) else first.cursor)
    by_domain = {r.tags["helio/kb"]: r for r in result.run_requests}
    assert set(by_domain) == {"products", "prices", "rules"}
    assert by_domain["products"].run_config["ops"]["products_index"]["config"]["source_ids"] == ["SKU-1"]
    assert by_domain["rules"].run_config["ops"]["rules_index"]["config"]["source_ids"] == ["business_rules:1"]
    assert len({r.run_key for r in result.run_requests}) == 3
    assert int(result.cursor) >= 3
    again = tick(kb, catalog_change_sensor, cursor=result.cursor)  # the cursor advanced: nothing repeats
    assert isinstance(again, dg.SkipReason)


def test_a_burst_of_a_thousand_changes_is_one_run_per_domain(kb):
    for i in range(20):
        add_product(kb.engine, f"SKU-{i}", f"Modelo {i}")
    cursor = tick(kb, catalog_change_sensor).cursor
    execute(kb.engine, "UPDATE products SET stock = stock + g FROM generate_series(1, 50) g")  # 20 x 50 updates
    result = tick(kb, catalog_change_sensor, cursor=cursor)
    assert [r.tags["helio/kb"] for r in result.run_requests] == ["prices", "products"]
    products = next(r for r in result.run_requests if r.tags["helio/kb"] == "products")
    assert len(products.run_config["ops"]["products_index"]["config"]["source_ids"]) == 20


def test_unreachable_database_skips_with_reason_and_keeps_cursor(kb):
    dead = SourceDatabase(url="postgresql://helio@127.0.0.1:9/helio")
    result = tick(kb, catalog_change_sensor, cursor="41", database=dead)
    assert isinstance(result, dg.SkipReason)
    assert "cursor kept at change 41" in result.skip_message and "127.0.0.1:9" in result.skip_message


def test_update_insert_delete_reach_search_through_sensor_runs(kb):
    for i in range(10):
        add_product(kb.engine, f"SKU-{i}", f"Fabricante{i} Modelo M{i}-400")
    kb.refresh(domains=["products", "prices"])
    cursor = tick(kb, catalog_change_sensor).cursor

    execute(kb.engine, "UPDATE products SET description = 'Moldura reforçada contra granizo.' WHERE sku = 'SKU-2'")
    add_product(kb.engine, "SKU-NEW", "Nova Energia NE-700", description="Bifacial topcon para usinas.")
    execute(kb.engine, "DELETE FROM products WHERE sku = 'SKU-5'")
    result = tick(kb, catalog_change_sensor, cursor=cursor)
    products = next(r for r in result.run_requests if r.tags["helio/kb"] == "products")
    assert sorted(products.run_config["ops"]["products_index"]["config"]["source_ids"]) == ["SKU-2", "SKU-5", "SKU-NEW"]
    run_requests(kb, result)

    search = kb.knowledge_base().search
    assert search("moldura reforçada granizo", domains=["products"], top_k=1)[0].source_id == "SKU-2"
    assert search("NE-700 bifacial topcon", domains=["products"], top_k=1)[0].source_id == "SKU-NEW"
    sources = {v["source_id"] for v in kb.store.read_index("test-products").values()}
    assert "SKU-5" not in sources and len(sources) == 10


def test_object_sensor_triggers_on_new_objects_not_on_unchanged_reuploads(kb):
    header = "sku,distributor,tier,price,currency,valid_from,valid_to\n"
    kb.objects.put_bytes("catalog/prices/eco.csv", (header + "SKU-1,EcoVolt,B1,10,BRL,2026-01-01,\n").encode())
    first = tick(kb, object_drop_sensor)
    assert [r.tags["helio/kb"] for r in first.run_requests] == ["prices"]

    kb.objects.put_bytes("catalog/prices/eco.csv", (header + "SKU-1,EcoVolt,B1,10,BRL,2026-01-01,\n").encode())
    same = tick(kb, object_drop_sensor, cursor=first.cursor)
    assert not same.run_requests

    kb.objects.put_bytes("rules/warranty/nova.md", b"# Nova regra\n\nTexto.")
    kb.objects.delete("catalog/prices/eco.csv")
    changed = tick(kb, object_drop_sensor, cursor=same.cursor)
    assert sorted(r.tags["helio/kb"] for r in changed.run_requests) == ["prices", "rules"]


def test_csv_drop_with_wrong_header_is_quarantined_and_sensor_moves_on(kb):
    kb.objects.put_bytes("catalog/products/ruim.csv", b"codigo;nome\nX;Y\n")
    result = tick(kb, object_drop_sensor)
    assert not result.run_requests
    assert "catalog/products/ruim.csv" in result.cursor  # seen: not retried every tick
    from helio_pipeline.lib.quarantine import latest_problems

    problems = latest_problems(kb.engine, "catalog")
    assert problems[0]["source"] == "catalog/products/ruim.csv" and "header lacks" in problems[0]["reason"]


def test_unreachable_object_store_skips_with_reason(kb):
    dead = ObjectStoreResource(url="s3://nowhere/kb", endpoint_url="http://127.0.0.1:9")
    result = tick(kb, object_drop_sensor, cursor='{"rules/a.md":"x"}', objects=dead)
    assert isinstance(result, dg.SkipReason) and "127.0.0.1:9" in result.skip_message


def test_changes_in_a_sharded_domain_run_only_the_shards_they_fall_in(kb):
    shards = {"products": 4}
    sharded_change_sensor, sharded_drop_sensor = build_sensors(shards, build_jobs(shards))
    for i in range(12):
        add_product(kb.engine, f"SKU-{i}", f"Fabricante{i} Modelo M{i}-400")
    defs = kb.definitions(shards=shards)
    for key in shard_keys(4):
        assert defs.resolve_job_def("products_refresh").execute_in_process(instance=kb.instance, partition_key=key).success
    cursor = tick(kb, sharded_change_sensor).cursor

    changed = ["SKU-3", "SKU-8"]
    execute(kb.engine, "UPDATE products SET description = 'Moldura reforçada contra granizo.' "
                       "WHERE sku IN ('SKU-3', 'SKU-8')")
    result = tick(kb, sharded_change_sensor, cursor=cursor)
    products = [r for r in result.run_requests if r.job_name == "products_refresh"]
    expected = {Shard(shard_of(s, 4), 4).key for s in changed}
    assert {r.partition_key for r in products} == expected          # only the shards with changes
    for request in products:
        ids = request.run_config["ops"]["products_index"]["config"]["source_ids"]
        assert all(Shard.parse(request.partition_key).contains(s) for s in ids) and set(ids) <= set(changed)
        assert request.tags["helio/kb"] == f"products/{request.partition_key}"
    assert len({r.run_key for r in products}) == len(products)
    run_requests(kb, result, shards)
    hits = kb.knowledge_base().search("moldura reforçada granizo", domains=["products"], top_k=2)
    assert {h.source_id for h in hits} == set(changed)
    assert kb.store.count("test-products") == 12

    kb.objects.put_bytes("catalog/products/novos.csv", b"sku,name,manufacturer,category,description,stock\n"
                                                       b"SKU-X,Painel X,Acme,module,,5\n")
    drop = tick(kb, sharded_drop_sensor)
    assert sorted(r.partition_key for r in drop.run_requests if r.job_name == "products_refresh") == shard_keys(4)
