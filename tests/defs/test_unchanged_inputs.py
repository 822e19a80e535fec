"""A refresh whose inputs are the same as at the last verified sync skips the domain (0 texts
embedded, says since which run), and every kind of change still reaches search: real
PostgreSQL, S3 (moto) and the embedded store, through the Dagster assets."""

import dataclasses
from datetime import date, timedelta


from helio_pipeline.defs.resources import EmbedderResource
from helio_pipeline.domains import DOMAINS
from helio_pipeline.vectorstore import close_embedded_stores
from tests.hardening.test_faults_store import damage_vectors
from tests.helpers import add_message, execute

DROP = "catalog/products/distribuidor.csv"
CSV_HEADER = "sku,name,manufacturer,category,description\n"


def skipped(kb, result, domain: str) -> bool:
    """Whether the run skipped ``domain`` as unchanged (what its index metadata says)."""
    meta = kb.index_metadata(result, domain)
    return "unchanged_since" in meta


def texts(kb, domain: str) -> dict[str, str]:
    return {p.payload["source_id"]: p.payload["text"]
            for p in kb.store.retrieve(f"test-{domain}", list(kb.store.read_index(f"test-{domain}")))}


def test_a_no_change_rerun_is_skipped_embeds_nothing_and_says_since_when(indexed):
    kb = indexed
    first = kb.refresh(["products", "prices", "rules"])
    for domain in ("products", "prices", "rules"):
        meta = kb.index_metadata(first, domain)
        assert meta["unchanged_since"].startswith("unchanged since run ") and meta["embedded_texts"] == 0
        assert meta["collection_size"] == kb.store.count(f"test-{domain}")
        assert {"index", "code", "golden", "settings"} <= set(meta["fingerprint_parts"])
    parts = kb.index_metadata(first, "prices")["fingerprint_parts"]
    assert {"postgres/prices", "postgres/products", "s3/catalog/prices/", "s3/catalog/products/", "time"} <= set(parts)
    # nothing was extracted, chunked or written: no materialization, no check re-run
    assert first.get_asset_materialization_events() == []
    assert first.get_asset_check_evaluations() == []
    hits = kb.knowledge_base().search("M3-400", domains=["products"], mode="sparse", top_k=1)
    assert hits[0].source_id == "SKU-3"  # search is untouched


def test_forcing_a_full_pass_extracts_and_syncs_again(indexed):
    kb = indexed
    result = kb.refresh(["products"], index_config={"full": True})
    meta = kb.index_metadata(result, "products")
    assert "unchanged_since" not in meta and (meta["unchanged"], meta["embedded_texts"]) == (8, 0)
    assert {c.check_name for c in result.get_asset_check_evaluations()} >= {"golden_query_recall"}


def test_row_update_and_row_delete_reach_search(indexed):
    kb = indexed
    execute(kb.engine, "UPDATE products SET description = 'Moldura reforçada contra granizo.' WHERE sku = 'SKU-2'")
    execute(kb.engine, "DELETE FROM products WHERE sku = 'SKU-5'")
    result = kb.refresh(["products", "prices", "rules"])
    assert not skipped(kb, result, "products") and not skipped(kb, result, "prices")
    assert skipped(kb, result, "rules")  # reads neither table
    now = texts(kb, "products")
    assert "granizo" in now["SKU-2"] and "SKU-5" not in now
    assert "SKU-5" not in texts(kb, "prices")


def test_object_added_changed_and_removed_reach_search(indexed):
    kb = indexed
    kb.objects.put_bytes("rules/warranty/rma.md", "# RMA\n\nAbra o chamado com a nota fiscal.".encode())
    kb.objects.put_bytes("rules/warranty/garantia.md", "# Garantia\n\nQuinze anos contra defeitos.".encode())
    kb.objects.delete("rules/logistics/retirada.md")
    result = kb.refresh(["products", "rules"])
    assert skipped(kb, result, "products") and not skipped(kb, result, "rules")
    now = texts(kb, "rules")
    assert "nota fiscal" in now["rules/warranty/rma.md"] and "Quinze" in now["rules/warranty/garantia.md"]
    assert "rules/logistics/retirada.md" not in now


def test_a_fixed_quarantined_line_is_indexed(indexed):
    kb = indexed
    kb.objects.put_bytes(DROP, (CSV_HEADER + 'CSV-1,"Modelo Quebrado,Acme,module,sem fim\n').encode())
    kb.refresh(["products"])
    assert "CSV-1" not in texts(kb, "products")
    assert skipped(kb, kb.refresh(["products"]), "products")  # the bad line alone changes nothing
    kb.objects.put_bytes(DROP, (CSV_HEADER + "CSV-1,Modelo Consertado,Acme,module,agora legível\n").encode())
    result = kb.refresh(["products"])
    assert not skipped(kb, result, "products") and "Consertado" in texts(kb, "products")["CSV-1"]


def test_a_file_that_cannot_be_parsed_keeps_its_points_and_its_inputs_are_recorded(indexed):
    """A file whose bytes were read but cannot be parsed fails the same way on the same bytes
    (its ETag is in the fingerprint): its old points are kept, the inputs are recorded, and a
    fixed file is read at once."""
    kb = indexed
    kb.objects.put_bytes(DROP, (CSV_HEADER + "CSV-7,Painel Antigo,Acme,module,primeira versão\n").encode())
    kb.refresh(["products"])
    kb.objects.put_bytes(DROP, "codigo;nome\nCSV-7;Painel Novo\n".encode())  # unreadable header
    meta = kb.index_metadata(kb.refresh(["products"]), "products")
    assert meta["protected_sources"] == 1 and "primeira" in texts(kb, "products")["CSV-7"]  # kept
    assert skipped(kb, kb.refresh(["products"]), "products")
    kb.objects.put_bytes(DROP, (CSV_HEADER + "CSV-7,Painel Novo,Acme,module,segunda versão\n").encode())
    assert not skipped(kb, kb.refresh(["products"]), "products")
    assert "segunda" in texts(kb, "products")["CSV-7"]


def test_a_sync_that_could_not_fetch_a_source_is_never_recorded_as_verified(indexed, monkeypatch):
    """A read error may be passing (a timeout): the file's old points are kept, and its inputs
    are not recorded, so the next refresh reads it again instead of skipping past its change."""
    from helio_pipeline.lib import objectstore

    kb = indexed
    flaky = "rules/warranty/garantia.md"
    real = objectstore.S3ObjectStore.get_bytes

    def timing_out(self, key):
        if key == flaky:
            raise TimeoutError("read timed out")
        return real(self, key)

    kb.objects.put_bytes(flaky, "# Garantia\n\nVinte anos contra defeitos.".encode())
    with monkeypatch.context() as patch:
        patch.setattr(objectstore.S3ObjectStore, "get_bytes", timing_out)
        for _ in range(2):
            result = kb.refresh(["rules"])
            assert not skipped(kb, result, "rules") and kb.index_metadata(result, "rules")["protected_sources"] == 1
            assert "Doze" in texts(kb, "rules")[flaky]  # the last good version stays searchable
    assert not skipped(kb, kb.refresh(["rules"]), "rules")  # read at last
    assert "Vinte" in texts(kb, "rules")[flaky]
    assert skipped(kb, kb.refresh(["rules"]), "rules")


def test_an_embedder_change_rebuilds(indexed):
    kb = indexed
    kb.resources["embedder"] = EmbedderResource(kind="static", dimensions=32)
    result = kb.refresh(["rules"])
    assert not skipped(kb, result, "rules")
    assert kb.store.vector_size("test-rules") == 32


def test_the_redaction_setting_changes_what_is_stored(kb, monkeypatch):
    add_message(kb.engine, "c-1", "cliente-1", "user", "Meu e-mail é joana@example.com, me mande a proposta.")
    kb.refresh(["conversations"])
    assert "[EMAIL]" in next(iter(texts(kb, "conversations").values()))
    monkeypatch.setenv("HELIO_REDACT_PII", "false")
    result = kb.refresh(["conversations"])
    assert not skipped(kb, result, "conversations")
    assert "joana@example.com" in next(iter(texts(kb, "conversations").values()))


def test_a_collection_dropped_or_emptied_behind_our_back_is_refilled(indexed):
    kb = indexed
    kb.store.drop(kb.store.resolve("test-rules"))
    result = kb.refresh(["rules"])
    assert not skipped(kb, result, "rules") and kb.store.count("test-rules") == 3
    live = kb.store.resolve("test-products")
    kb.store.delete(live, list(kb.store.read_index(live)))
    result = kb.refresh(["products"])
    assert not skipped(kb, result, "products") and kb.store.count("test-products") == 8


def test_a_golden_set_change_is_measured(indexed):
    kb = indexed
    before = kb.refresh(["rules"])
    assert skipped(kb, before, "rules")
    execute(kb.engine, "INSERT INTO kb_golden_queries (domain, query, expected) "
                       "VALUES ('rules', 'quanto tempo de garantia', '{\"source_id\": \"rules/warranty/garantia.md\"}')")
    result = kb.refresh(["rules"])
    assert not skipped(kb, result, "rules")
    golden = {c.check_name: c for c in result.get_asset_check_evaluations()}["golden_query_recall"]
    assert golden.metadata["hand_written"].value == 1


def test_damaged_vectors_are_never_unchanged_and_their_check_keeps_failing(indexed):
    """The inputs cannot vouch for the bytes on disk: the gate reads the vectors as the check does."""
    kb = indexed
    live = kb.store.resolve("test-rules")
    close_embedded_stores()
    assert damage_vectors(kb.tmp / "qdrant", live)
    for _ in range(2):  # a failed check records nothing: the next run measures again
        result = kb.refresh(["rules"], raise_on_error=False)
        assert not skipped(kb, result, "rules")
        checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
        assert not checks["vectors_are_finite_and_normalized"].passed


def test_a_sensor_run_for_chosen_sources_always_syncs_them(indexed):
    kb = indexed
    result = kb.refresh(["products"], index_config={"source_ids": ["SKU-1"]})
    meta = kb.index_metadata(result, "products")
    assert "unchanged_since" not in meta and "source ids" in meta["scope"]
    # a scoped sync does not vouch for the whole collection: the next refresh does the whole pass
    assert not skipped(kb, kb.refresh(["products"]), "products")


def test_prices_valid_from_tomorrow_appear_tomorrow(indexed, monkeypatch):
    kb = indexed
    tomorrow = date.today() + timedelta(days=1)
    execute(kb.engine, "INSERT INTO prices (product_id, distributor, tier, price, valid_from) "
                       "SELECT id, 'Solar Atacado SP', 'B3', 321.5, :d FROM products WHERE sku = 'SKU-4'", d=tomorrow)
    kb.refresh(["prices"])
    assert "321,5" not in texts(kb, "prices")["SKU-4"]
    assert skipped(kb, kb.refresh(["prices"]), "prices")

    class Tomorrow(date):
        @classmethod
        def today(cls):
            return tomorrow

    monkeypatch.setattr("helio_pipeline.domains.prices.date", Tomorrow)
    result = kb.refresh(["prices"])
    assert not skipped(kb, result, "prices") and "321,5" in texts(kb, "prices")["SKU-4"]


def test_every_time_dependent_domain_declares_its_bucket():
    """prices keeps the rows valid today; the other domains read nothing that depends on the clock."""
    assert DOMAINS["prices"].time_bucket() == date.today().isoformat()
    assert [d.name for d in DOMAINS.values() if d.time_bucket is not None] == ["prices"]
    assert dataclasses.replace(DOMAINS["rules"]).time_bucket is None


def test_shard_runs_skip_unchanged_shards_and_sync_the_changed_one(kb):
    from helio_pipeline.domains.conversations import source_id
    from helio_pipeline.lib.sharding import Shard, shard_keys

    for i in range(8):
        add_message(kb.engine, f"c-{i}", f"cliente-{i}", "user", f"Preciso de um inversor de {i + 3} kW.", minute=i)
    job = kb.definitions(shards={"conversations": 2}).resolve_job_def("conversations_refresh")

    def nightly() -> dict[str, dict]:
        metadata = {}
        for key in shard_keys(2):
            result = job.execute_in_process(instance=kb.instance, partition_key=key)
            assert result.success
            metadata[key] = kb.index_metadata(result, "conversations")
        return metadata

    build = nightly()  # each shard records its inputs, though the alias moves only after the last one
    assert all("unchanged_since" not in meta for meta in build.values())
    second = nightly()
    assert all("unchanged_since" in meta and meta["embedded_texts"] == 0 for meta in second.values()), second
    assert {meta["shard"] for meta in second.values()} == set(shard_keys(2))

    changed = next(key for key in shard_keys(2) if Shard.parse(key).contains(source_id("cliente-5", "c-5")))
    add_message(kb.engine, "c-5", "cliente-5", "assistant", "Temos o modelo trifásico em estoque.", minute=30)
    fourth = nightly()
    assert "unchanged_since" not in fourth[changed] and fourth[changed]["embedded_texts"] >= 1
    assert all("unchanged_since" in meta for key, meta in fourth.items() if key != changed)  # the other shard stands
    assert "trifásico" in texts(kb, "conversations")[source_id("cliente-5", "c-5")]
    assert all("unchanged_since" in meta for meta in nightly().values())  # the changed shard verified again


def test_a_write_clears_the_records_it_makes_stale():
    from helio_pipeline.lib.fingerprint import PENDING, RECORDED, cleared_on_write
    from helio_pipeline.lib.sharding import Shard

    metadata = {RECORDED: {}, f"{RECORDED}@shard-0-of-2": {}, f"{RECORDED}@shard-1-of-2": {},
                f"{PENDING}@shard-1-of-2": {}, f"{RECORDED}@shard-0-of-3": {}, "write_started_at": "x"}
    by_shard = cleared_on_write(metadata, Shard(0, 2))
    # its own record, the domain's and another shard count's (overlapping ranges); not shard 1 of 2
    assert set(by_shard) == {RECORDED, PENDING, f"{RECORDED}@shard-0-of-2", f"{RECORDED}@shard-0-of-3"}
    assert all(value is None for value in by_shard.values())
    whole = cleared_on_write(metadata, None)
    assert set(whole) == {RECORDED, PENDING, f"{RECORDED}@shard-0-of-2", f"{RECORDED}@shard-1-of-2",
                          f"{PENDING}@shard-1-of-2", f"{RECORDED}@shard-0-of-3"}
