"""Asset checks on each index: one property per check, run after every materialization.

The same properties are verified inside the index asset before an alias is moved during a
rebuild (see lib/sync.py), so a failed check there leaves search on the old collection.
In a shard partition's run, each check looks at that shard's points only."""


import dagster as dg

from helio_pipeline import settings

from helio_pipeline.domains import DOMAINS, Domain
from helio_pipeline.defs.resources import EmbedderResource, QdrantResource, SourceDatabase
from helio_pipeline.lib import fingerprint, verify
from helio_pipeline.lib.golden import golden_set, quality_problem, too_few
from helio_pipeline.lib.indexing import index_config
from helio_pipeline.lib.records import ChunkSet
from helio_pipeline.lib.shard_builds import ShardBuilds
from helio_pipeline.lib.sharding import Shard

CHECKS = {
    "point_count_matches_chunks": "The collection holds exactly one point per chunk the sources produced.",
    "no_unknown_source_ids": "No point belongs to a source row or file that no longer exists.",
    "vector_size_matches_embedder": "Vectors have the configured embedder's dimensions.",
    "vectors_are_finite_and_normalized": "Every stored dense vector is finite and, for cosine, of norm 1 (not damaged on disk).",
    "alias_on_current_fingerprint": "The alias readers query points at the collection built with the current configuration.",
    "golden_query_recall": "Golden queries (at least the minimum number, hand-written and derived reported apart) find "
                           "their expected documents: recall@5 at or above the domain's floor (MRR reported).",
}


def build_domain_checks(domain: Domain) -> dg.AssetChecksDefinition:
    asset_key = dg.AssetKey(f"{domain.name}_index")

    @dg.multi_asset_check(
        name=f"{domain.name}_index_checks",
        specs=[dg.AssetCheckSpec(check, asset=asset_key, description=text, blocking=True,
                                  additional_deps=[f"{domain.name}_chunks"])
               for check, text in CHECKS.items()],
        ins={"handed": dg.AssetIn(f"{domain.name}_chunks")},
    )
    def checks(context: dg.AssetCheckExecutionContext, handed: ChunkSet, qdrant: QdrantResource,
               embedder: EmbedderResource, database: SourceDatabase):
        run = context.op_execution_context
        shard = Shard.parse(run.partition_key) if run.has_partition_key else None
        store = qdrant.store(log=context.log.info)
        alias = domain.collection(qdrant.collection_prefix)
        model = embedder.embedder()
        expected = f"{alias}__{index_config(domain, model).fingerprint}"
        live = store.resolve(alias)
        checked, building = live, None
        if shard is not None and live != expected and store.exists(expected):
            # a sharded build in progress: the alias moves when its last shard is in; until
            # then this shard's part is checked where it was written
            generation = str(store.metadata(expected).get("created_at", ""))
            built = ShardBuilds(database.engine()).built(expected, generation, shard.count)
            if len(built) < shard.count:
                checked, building = expected, f"{len(built)}/{shard.count} shards built"
        problems = {
            "alias_on_current_fingerprint": None if live == expected or building
            else f"{alias} points at {live}, the current configuration builds {expected}",
        }
        quality, golden, notes, warn_only = {}, None, {}, set()
        if checked:
            problems.update(_collection_problems(store, checked, handed, model, shard))
            golden = golden_set(domain, handed.chunks, database.engine(), settings.load().golden_min_queries)
            damaged = problems["vectors_are_finite_and_normalized"]
            few = too_few(golden)
            if damaged:  # its searches refuse the scores such vectors give
                problems["golden_query_recall"] = f"not evaluated: {damaged}"
            elif few:
                problems["golden_query_recall"] = few
            elif golden.documents == 0:  # not a pass: a warning that nothing was measured
                problems["golden_query_recall"] = "the domain holds no documents: retrieval quality not measured"
                warn_only.add("golden_query_recall")
            else:
                if shard is not None:  # a shard answers for its own documents (the domain has enough)
                    golden.queries = [g for g in golden.queries if any(shard.contains(s) for s in g.expected)]
                if golden.queries:
                    problems["golden_query_recall"], quality = quality_problem(store, checked, domain, golden,
                                                                               model, minimum=0)
                else:
                    problems["golden_query_recall"] = None
                    notes["golden_query_recall"] = "none of the domain's golden queries expects a document of this shard"
        if checked:
            # the inputs of this run's sync count as verified only when every check passed, so a
            # later run on the same inputs may skip the domain or the shard (lib/fingerprint.py)
            fingerprint.confirm(store, checked, run.run_id, all(problems.get(check) is None for check in CHECKS),
                                shard)
        for check in CHECKS:
            problem = problems.get(check, f"{alias} does not exist")
            metadata = {"collection": checked or "", "problem": problem or "",
                        **({"shard": shard.key} if shard else {}), **({"building": building} if building else {})}
            if check in notes:
                metadata["note"] = notes[check]
            if check == "golden_query_recall" and golden is not None:
                metadata.update(hand_written=golden.count("hand-written"), derived=golden.count("derived"),
                                minimum=golden.minimum, floor=domain.min_recall_at_5,
                                **({"unanswerable": dg.MetadataValue.json(golden.unanswerable[:20])}
                                   if golden.unanswerable else {}),
                                **({"golden_problems": dg.MetadataValue.json(golden.problems[:20])}
                                   if golden.problems else {}))
            if check == "golden_query_recall" and quality:
                metadata.update(queries=quality["queries"], recall_at_5=round(quality["recall_at_5"], 4),
                                mrr=round(quality["mrr"], 4),
                                **{f"recall_at_5_{origin.replace('-', '_')}": value["recall_at_5"]
                                   for origin, value in quality["by_origin"].items()
                                   if value["recall_at_5"] is not None})
            yield dg.AssetCheckResult(check_name=check, asset_key=asset_key, passed=problem is None, metadata=metadata,
                                      severity=dg.AssetCheckSeverity.WARN if check in warn_only
                                      else dg.AssetCheckSeverity.ERROR)

    return checks


def _collection_problems(store, collection: str, handed: ChunkSet, model, shard: Shard | None) -> dict:
    known = handed.source_ids
    # sources that could not be read this time keep their points (see lib/sync.py): expected here
    protected = set(handed.protected_ids)
    kept = verify.kept_protected(store, collection, known, protected, shard)
    count = len(handed.chunks)
    return {
        "point_count_matches_chunks": verify.count_problem(store, collection, count, kept) if shard is None
        else verify.shard_count_problem(store, collection, count, shard, kept),
        "no_unknown_source_ids": verify.unknown_source_problem(store, collection, known, shard, protected),
        "vector_size_matches_embedder": verify.vector_size_problem(store, collection, model.dimensions),
        "vectors_are_finite_and_normalized": verify.vector_problem(store, collection, shard),
    }


def all_domain_checks() -> list[dg.AssetChecksDefinition]:
    return [build_domain_checks(domain) for domain in DOMAINS.values()]
