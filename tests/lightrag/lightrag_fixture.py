"""A LightRAG deployment written and read back by LightRAG's own storage classes, no LLM needed.

    python lightrag_fixture.py write  --expected E.json [storage options]
    python lightrag_fixture.py verify --expected E.json [storage options] [--cache-types default|all]
    python lightrag_fixture.py legacy --working-dir DIR --expected E.json

`write` upserts the fixture of shared/reference/lightrag-layouts.md section 13 (1 document, 1 chunk,
2 entities + an attribute-less node, 1 relation, extract/gleaning/summary/query caches, doc
status with a duplicate, the edge cases) through the configured storages, calls
index_done_callback, then reads every record back through the same classes and saves that view in
E.json. `verify` reads the same keys through the configured storages (possibly other classes,
another workspace) and compares them with E.json: KV and doc-status records exactly, vector
metadata exactly, vectors within float16 precision, cosine query results within float32
precision, graph nodes and edges exactly. `legacy` writes a pre-July-2025 nested
kv_store_llm_response_cache.json and, as E.json, the flattened records LightRAG makes of it.

Storage classes and workspace come from the options or LightRAG's own environment variables
(LIGHTRAG_KV_STORAGE, LIGHTRAG_DOC_STATUS_STORAGE, LIGHTRAG_VECTOR_STORAGE, LIGHTRAG_GRAPH_STORAGE,
WORKSPACE), so the same script drives Redis, PostgreSQL or MongoDB storages when their own
connection variables (REDIS_URI, POSTGRES_*, MONGO_URI, ...) are set. Exit status 0 when every
check passed, 1 with one line per difference otherwise.
"""

import argparse
import datetime
import asyncio
import importlib
import json
import math
import os
import sys

import numpy as np

EMBEDDING_DIM = 4
T_ISO = "2025-01-01T00:00:00+00:00"
DOC_TEXT = "Alice works at Acme. Acme builds rockets."
DOC_ID = "doc-709b9267c13ef79e8aa436195c1f40c7"
CHUNK_ID = "chunk-709b9267c13ef79e8aa436195c1f40c7"
ALICE_ID = "ent-64489c85dc2fe0787b85cd87214b3810"
ACME_ID = "ent-79d894520f4f94c267986a819e110bec"
REL_ID = "rel-69cc1de8057db454073ac6ab6c54fbbc"
EXTRACT_KEY = "default:extract:a764fcf2d3aee35234a352ff0410fcd9"
TRICKY = 'quote " backslash \\ newline \n bell \x07 tab \t Zürich 😀 \u2028 del \x7f'
# XML cannot hold most control characters: graph attributes get the rest of the edge cases.
TRICKY_XML = TRICKY.replace("\x07", "")

NAMESPACES_KV = ["full_docs", "text_chunks", "llm_response_cache", "full_entities", "full_relations",
                 "entity_chunks", "relation_chunks"]
VECTOR_META = {
    "entities": {"entity_name", "source_id", "content", "file_path"},
    "relationships": {"src_id", "tgt_id", "source_id", "content", "file_path"},
    "chunks": {"full_doc_id", "content", "file_path"},
}
# Embeddings with exact norms, so that normalisation is exact in numpy and elsewhere.
EMBEDDINGS = {
    "Alice\nA researcher at Acme": [3.0, 4.0, 0.0, 0.0],
    "Acme\nA rocket company": [0.0, 0.0, 5.0, 12.0],
    "works at\tAcme\nAlice\nAlice works at Acme": [1.0, 0.0, 0.0, 0.0],
    DOC_TEXT: [0.1, 0.2, 0.3, 0.4],
}


def md5(text):
    import hashlib
    return hashlib.md5(text.encode("utf-8")).hexdigest()


async def fake_embed(texts, **_):
    """Deterministic embeddings: the table above, else one derived from the text's md5."""
    rows = []
    for text in texts:
        if text in EMBEDDINGS:
            rows.append(EMBEDDINGS[text])
        else:
            digest = bytes.fromhex(md5(text))
            rows.append([(b - 128) / 64.0 for b in digest[:EMBEDDING_DIM]])
    return np.array(rows, dtype=np.float32)


def fixture(args=None):
    """The records to upsert: {namespace: {key: value}}, doc status, vectors, graph."""
    gleaning_prompt = "USER PROMPT\nSYSTEM PROMPT\n" + json.dumps(
        [{"role": "user", "content": "Extract"}, {"role": "assistant", "content": "entity<|#|>Alice"}],
        ensure_ascii=False)
    gleaning_key = "default:extract:" + md5(gleaning_prompt)
    summary_prompt = "Summarize: Alice<SEP>Alice, again"
    summary_key = "default:summary:" + md5(summary_prompt)
    query_key = "mix:query:" + md5("mixWho is Alice?")
    kv = {
        "full_docs": {
            DOC_ID: {"content": DOC_TEXT, "file_path": "a.txt",
                     "extra": {"ratio": 1e-05, "big": 1e16, "third": 0.30000000000000004, "minus_zero": -0.0,
                               "empty_list": [], "empty_object": {}, "huge": 12345678901234567890,
                               "tricky": TRICKY, "flag": True, "nothing": None}},
        },
        "text_chunks": {
            CHUNK_ID: {"tokens": 11, "content": DOC_TEXT, "chunk_order_index": 0, "full_doc_id": DOC_ID,
                       "file_path": "a.txt", "llm_cache_list": [EXTRACT_KEY, gleaning_key]},
        },
        "llm_response_cache": {
            EXTRACT_KEY: {"return": "entity<|#|>Alice<|#|>person<|#|>A researcher\n<|COMPLETE|>",
                          "cache_type": "extract", "chunk_id": CHUNK_ID,
                          "original_prompt": "USER PROMPT\nSYSTEM PROMPT", "queryparam": None},
            gleaning_key: {"return": "entity<|#|>Acme<|#|>organization<|#|>A rocket company\n<|COMPLETE|>",
                           "cache_type": "extract", "chunk_id": CHUNK_ID, "original_prompt": gleaning_prompt,
                           "queryparam": None},
            summary_key: {"return": "Alice is a researcher. " + TRICKY, "cache_type": "summary", "chunk_id": None,
                          "original_prompt": summary_prompt, "queryparam": None},
            query_key: {"return": "Alice works at Acme.", "cache_type": "query", "chunk_id": None,
                        "original_prompt": "Who is Alice?",
                        "queryparam": {"mode": "mix", "response_type": "Multiple Paragraphs", "top_k": 40,
                                       "chunk_top_k": 20, "max_entity_tokens": 6000, "max_relation_tokens": 8000,
                                       "max_total_tokens": 30000, "hl_keywords": ["work"], "ll_keywords": ["Alice"],
                                       "user_prompt": "", "enable_rerank": True}},
        },
        "full_entities": {DOC_ID: {"entity_names": ["Alice", "Acme"], "count": 2}},
        "full_relations": {DOC_ID: {"relation_pairs": [["Acme", "Alice"]], "count": 1}},
        "entity_chunks": {"Alice": {"chunk_ids": [CHUNK_ID], "count": 1},
                          "Acme": {"chunk_ids": [CHUNK_ID], "count": 1}},
        "relation_chunks": {"Acme<SEP>Alice": {"chunk_ids": [CHUNK_ID], "count": 1}},
    }
    if args is not None and (args.kv_storage in BSON_KV or args.int64_only):
        del kv["full_docs"][DOC_ID]["extra"]["huge"]  # BSON integers stop at int64
    doc_status = {
        DOC_ID: {"status": "processed", "chunks_count": 1, "chunks_list": [CHUNK_ID], "content_summary": DOC_TEXT,
                 "content_length": len(DOC_TEXT), "created_at": T_ISO, "updated_at": T_ISO, "file_path": "a.txt",
                 "track_id": "insert_20250101_000000_abcd1234",
                 "metadata": {"processing_start_time": 1735689600, "processing_end_time": 1735689601}},
        "dup-" + md5(DOC_ID + "-insert_20250101_000000_ffff0000"): {
            "status": "failed", "content_summary": "[DUPLICATE] Original document: " + DOC_ID, "content_length": 0,
            "chunks_count": 0, "chunks_list": [], "created_at": T_ISO, "updated_at": T_ISO, "file_path": "a.txt",
            "track_id": "insert_20250101_000000_ffff0000", "error_msg": "Content already exists",
            "metadata": {"is_duplicate": True, "original_doc_id": DOC_ID,
                         "original_track_id": "insert_20250101_000000_abcd1234"}},
    }
    vectors = {
        "entities": {
            ALICE_ID: {"entity_name": "Alice", "entity_type": "person", "content": "Alice\nA researcher at Acme",
                       "source_id": CHUNK_ID + "<SEP>chunk-other", "file_path": "a.txt"},
            ACME_ID: {"entity_name": "Acme", "entity_type": "organization", "content": "Acme\nA rocket company",
                      "source_id": CHUNK_ID, "file_path": "a.txt"},
        },
        "relationships": {
            REL_ID: {"src_id": "Acme", "tgt_id": "Alice", "source_id": CHUNK_ID,
                     "content": "works at\tAcme\nAlice\nAlice works at Acme", "file_path": "a.txt"},
        },
        # tokens and chunk_order_index: PGVectorStorage needs them (nano keeps only the meta fields).
        "chunks": {CHUNK_ID: {"content": DOC_TEXT, "full_doc_id": DOC_ID, "file_path": "a.txt", "tokens": 11,
                              "chunk_order_index": 0}},
    }
    nodes = [
        ("Alice", {"entity_id": "Alice", "entity_type": "person", "description": "A researcher<SEP>" + TRICKY_XML,
                   "source_id": CHUNK_ID + "<SEP>chunk-other", "file_path": "a.txt", "created_at": 1735689600,
                   "truncate": ""}),
        ("Acme", {"entity_id": "Acme", "entity_type": "organization", "description": "A rocket company",
                  "source_id": CHUNK_ID, "file_path": "a.txt", "created_at": 1735689600, "truncate": ""}),
        ("Lonely & <odd> \"name\"", {}),
    ]
    edges = [
        ("Alice", "Acme", {"weight": 1.0, "description": "Alice works at Acme", "keywords": "works at",
                           "source_id": CHUNK_ID, "file_path": "a.txt", "created_at": 1735689600, "truncate": "",
                           "rank": 0.1}),
    ]
    return kv, doc_status, vectors, nodes, edges


def storage_class(name):
    from lightrag.kg import STORAGES
    module = importlib.import_module(STORAGES[name], package="lightrag")
    cls = getattr(module, name)
    if name == "MongoVectorDBStorage":
        # Its initialize() creates an Atlas Search vector index and gives up when the server has
        # no Atlas Search (SecantusDB, a plain mongod): the index only serves query(), which the
        # view then leaves out (ATLAS_QUERIES). Upsert and the id lookups are plain commands.
        async def no_search_index(self):
            return None
        cls.create_vector_index_if_not_exists = no_search_index
    return cls


# KV storages that keep BSON, whose integers stop at int64.
BSON_KV = {"MongoKVStorage"}
# Vector storages whose query() needs a server feature the test servers lack ($vectorSearch).
ATLAS_QUERIES = {"MongoVectorDBStorage"}


def global_config(args):
    return {"working_dir": args.working_dir, "embedding_batch_num": 10, "vector_storage": args.vector_storage,
            "vector_db_storage_cls_kwargs": {"cosine_better_than_threshold": -1.0},
            "max_graph_nodes": 1000}


class Deployment:
    """The four storages of one LightRAG instance, opened as LightRAG opens them."""

    def __init__(self, args):
        from lightrag.utils import EmbeddingFunc
        self.args = args
        config = global_config(args)
        embedding = EmbeddingFunc(embedding_dim=EMBEDDING_DIM, func=fake_embed, model_name=args.embedding_model)
        kv_class = storage_class(args.kv_storage)
        self.kv = {ns: kv_class(namespace=ns, workspace=args.workspace, global_config=config, embedding_func=embedding)
                   for ns in NAMESPACES_KV}
        self.doc_status = storage_class(args.doc_status_storage)(
            namespace="doc_status", workspace=args.workspace, global_config=config, embedding_func=embedding)
        vector_class = storage_class(args.vector_storage)
        self.vectors = {ns: vector_class(namespace=ns, workspace=args.workspace, global_config=config,
                                         embedding_func=embedding, meta_fields=meta)
                        for ns, meta in VECTOR_META.items()}
        self.graph = storage_class(args.graph_storage)(
            namespace="chunk_entity_relation", workspace=args.workspace, global_config=config,
            embedding_func=embedding)
        self.all = [*self.kv.values(), self.doc_status, *self.vectors.values(), self.graph]

    async def initialize(self):
        for storage in self.all:
            await storage.initialize()

    async def finalize(self):
        for storage in self.all:
            await storage.finalize()


async def write(args):
    kv, doc_status, vectors, nodes, edges = fixture(args)
    deployment = Deployment(args)
    await deployment.initialize()
    for ns, records in kv.items():
        await deployment.kv[ns].upsert(records)
    await deployment.doc_status.upsert(doc_status)
    for ns, records in vectors.items():
        await deployment.vectors[ns].upsert(records)
    for node_id, data in nodes:
        if args.graph_storage != "NetworkXStorage" and "entity_id" not in data:
            data = {"entity_id": node_id}  # the PostgreSQL graph storages insist on it
        await deployment.graph.upsert_node(node_id, data)
    for source, target, data in edges:
        await deployment.graph.upsert_edge(source, target, data)
    for storage in deployment.all:
        await storage.index_done_callback()
    view = await read_view(deployment, kv, doc_status, vectors, nodes, edges)
    await deployment.finalize()
    with open(args.expected, "w", encoding="utf-8") as f:
        json.dump(view, f, ensure_ascii=False, indent=1)


def plain(value):
    """A JSON-comparable copy: numpy scalars and arrays become Python numbers and lists."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def without_id(record):
    return {k: v for k, v in record.items() if k != "_id"} if isinstance(record, dict) else record


# What MongoGraphStorage adds to every node and edge and derives from the others (source_id split
# on <SEP>, the end points): not attributes of the graph, so other stores have none.
MONGO_GRAPH_BOOKKEEPING = {"source_ids", "source_node_id", "target_node_id", "edge_lo", "edge_hi"}


def without_empty_strings(attributes):
    # networkx's GraphML reader drops attributes written as <data key=".." />, other graph
    # stores keep them: the comparison treats a missing attribute and "" alike.
    return {k: v for k, v in (attributes or {}).items() if v != "" and k not in MONGO_GRAPH_BOOKKEEPING}


async def read_view(deployment, kv, doc_status, vectors, nodes, edges):
    """Everything the storages return for the fixture's keys, in a JSON-comparable form."""
    view = {"kv": {}, "doc_status": {}, "vectors": {}, "queries": {}, "graph": {"nodes": {}, "edges": []}}
    for ns, records in kv.items():
        view["kv"][ns] = {key: plain(await deployment.kv[ns].get_by_id(key)) for key in records}
    if type(deployment.kv["full_docs"]).__name__ == "PGKVStorage":
        # PGKVStorage.get_by_id leaves out the timestamps LIGHTRAG_DOC_FULL keeps: read them with
        # LightRAG's own client, so that --compare pg checks them too.
        storage = deployment.kv["full_docs"]
        for key, record in view["kv"]["full_docs"].items():
            if record is not None:
                row = await storage.db.query(
                    "SELECT EXTRACT(EPOCH FROM create_time)::BIGINT AS create_time, EXTRACT(EPOCH FROM update_time)::BIGINT"
                    " AS update_time FROM LIGHTRAG_DOC_FULL WHERE workspace=$1 AND id=$2", [storage.workspace, key])
                record.update(row)
    # MongoDocStatusStorage returns its document's _id too; the JSON and Redis ones do not.
    view["doc_status"] = {key: without_id(plain(await deployment.doc_status.get_by_id(key))) for key in doc_status}
    for ns, records in vectors.items():
        storage = deployment.vectors[ns]
        rows = {}
        found = await storage.get_vectors_by_ids(list(records))
        for key in records:
            row = plain(await storage.get_by_id(key))
            if row is not None:
                # The stores' own copies of id and created_at (nano __id__ / __created_at__, MongoDB
                # _id) sit beside the "id" and "created_at" every vector storage returns.
                row = {k: v for k, v in row.items() if k not in (
                    "__write_seq__", "vector", "__vector__", "distance", "_id", "__id__", "__created_at__")}
            rows[key] = {"row": row, "vector": plain(found.get(key))}
        view["vectors"][ns] = rows
        if deployment.args.vector_storage in ATLAS_QUERIES:
            view["queries"][ns] = None
            continue
        results = await storage.query("", top_k=10, query_embedding=np.array([3.0, 4.0, 12.0, 5.0], dtype=np.float32))
        # PGVectorStorage answers with names and no distances: only nano's answers are compared.
        view["queries"][ns] = [[r["id"], float(r["distance"])] for r in results if "distance" in r]
    for node_id, _ in nodes:
        view["graph"]["nodes"][node_id] = without_empty_strings(plain(await deployment.graph.get_node(node_id)))
    for source, target, _ in edges:
        view["graph"]["edges"].append([source, target, without_empty_strings(plain(
            await deployment.graph.get_edge(source, target)))])
    view["graph"]["labels"] = sorted(await deployment.graph.get_all_labels())
    return view


# Relative tolerance of cosine query scores: float32 arithmetic, or a matrix normalised from the
# float16 copy of each embedding (all a nano-vectordb file keeps of its magnitude).
QUERY_TOLERANCE = {"float32": 1e-6, "float16": 2 ** -10}


def close(a, b, relative):
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=relative, abs_tol=1e-7) for x, y in zip(a, b))


# --compare pg: what LightRAG's PostgreSQL storages keep of a record (postgres_impl.py of 1.5.7),
# each member with the value their reads give when it is missing. A record read from any store is
# cut down to these, so that one written by LightRAG's JSON storages and one read back from
# PostgreSQL compare member by member; the timestamps are among them.
TIMES = {"create_time": None, "update_time": None}
PG_KV = {
    "full_docs": {"content": "", "file_path": "", "sidecar_location": None, "parse_format": None, "content_hash": None,
                  "process_options": None, "chunk_options": {}, "parse_engine": None, **TIMES},
    "text_chunks": {"tokens": None, "content": "", "chunk_order_index": None, "full_doc_id": None, "file_path": None,
                    "llm_cache_list": [], "heading": {}, "sidecar": {}, **TIMES},
    "llm_response_cache": {"return": "", "cache_type": None, "chunk_id": None, "original_prompt": "",
                           "queryparam": None, **TIMES},
    "full_entities": {"entity_names": [], "count": None, **TIMES},
    "full_relations": {"relation_pairs": [], "count": None, **TIMES},
    "entity_chunks": {"chunk_ids": [], "count": None, **TIMES},
    "relation_chunks": {"chunk_ids": [], "count": None, **TIMES},
}
PG_DOC_STATUS = {"status": None, "chunks_count": None, "chunks_list": [], "content_summary": None,
                 "content_length": None, "created_at": None, "updated_at": None, "file_path": None, "track_id": None,
                 "metadata": {}, "error_msg": None, "content_hash": None}
PG_VECTOR = {"entities": ["entity_name", "content", "source_id", "file_path", "created_at"],
             "relationships": ["src_id", "tgt_id", "source_id", "content", "file_path", "created_at"],
             "chunks": ["content", "full_doc_id", "file_path", "created_at"]}


def pg_record(members, record):
    return None if record is None else {m: record.get(m, default) for m, default in members.items()}


def pg_row(ns, row):
    if row is None:
        return None
    if "workspace" in row and "chunk_ids" in row:  # a PGVectorStorage row: its own column names
        row = dict(row)
        if ns == "relationships":
            row["src_id"], row["tgt_id"] = row.get("source_id"), row.get("target_id")
        row["source_id"] = "<SEP>".join(row.get("chunk_ids") or [])
    return {m: row.get(m) for m in PG_VECTOR[ns]}


def as_pg(view):
    view = json.loads(json.dumps(view))
    for ns, records in view["kv"].items():
        view["kv"][ns] = {key: pg_record(PG_KV[ns], record) for key, record in records.items()}
    view["doc_status"] = {key: pg_record(PG_DOC_STATUS, record) for key, record in view["doc_status"].items()}
    for ns, rows in view["vectors"].items():
        for entry in rows.values():
            entry["row"] = pg_row(ns, entry["row"])
    view["queries"] = {}
    # PGTableGraphStorage gives every node its entity_id, attribute-less ones included.
    for node_id, attributes in view["graph"]["nodes"].items():
        if attributes is not None:
            attributes["entity_id"] = node_id
    return view


def compare(expected, actual, cache_types, query_precision, mode):
    problems = []
    if mode == "pg":
        expected, actual = as_pg(expected), as_pg(actual)
    for ns, records in expected["kv"].items():
        for key, record in records.items():
            want = record
            if ns == "llm_response_cache" and cache_types != "all" and not key.startswith("default:"):
                want = None  # query caches travel only when asked for
            got = actual["kv"][ns].get(key)
            if got != want:
                problems.append(f"{ns} {key}: expected {json.dumps(want, ensure_ascii=False)}, "
                                f"got {json.dumps(got, ensure_ascii=False)}")
    for key, record in expected["doc_status"].items():
        if actual["doc_status"].get(key) != record:
            problems.append(f"doc_status {key}: expected {record}, got {actual['doc_status'].get(key)}")
    for ns, rows in expected["vectors"].items():
        for key, want in rows.items():
            got = actual["vectors"][ns].get(key)
            if got["row"] != want["row"]:
                problems.append(f"{ns} {key}: row expected {want['row']}, got {got['row']}")
            # float16 keeps 11 significant bits: half an ulp is 2^-11 relative.
            if want["vector"] is None or got["vector"] is None or not close(want["vector"], got["vector"], 2 ** -10):
                problems.append(f"{ns} {key}: vector expected {want['vector']}, got {got['vector']}")
        if ns not in expected["queries"]:
            continue
        want_query, got_query = expected["queries"][ns], actual["queries"][ns]
        if want_query is None or got_query is None:
            continue  # one side cannot query (ATLAS_QUERIES)
        if [r[0] for r in want_query] != [r[0] for r in got_query] or not close(
                [r[1] for r in want_query], [r[1] for r in got_query], QUERY_TOLERANCE[query_precision]):
            problems.append(f"{ns}: cosine query expected {want_query}, got {got_query}")
    for node_id, attributes in expected["graph"]["nodes"].items():
        if actual["graph"]["nodes"].get(node_id) != attributes:
            problems.append(f"graph node {node_id!r}: expected {attributes}, got {actual['graph']['nodes'].get(node_id)}")
    if actual["graph"]["edges"] != expected["graph"]["edges"]:
        problems.append(f"graph edges: expected {expected['graph']['edges']}, got {actual['graph']['edges']}")
    if actual["graph"]["labels"] != expected["graph"]["labels"]:
        problems.append(f"graph labels: expected {expected['graph']['labels']}, got {actual['graph']['labels']}")
    return problems


async def verify(args):
    with open(args.expected, encoding="utf-8") as f:
        expected = json.load(f)
    deployment = Deployment(args)
    await deployment.initialize()
    actual = await read_view(deployment, *fixture(args))
    await deployment.finalize()
    problems = compare(expected, json.loads(json.dumps(actual)), args.cache_types, args.query_precision, args.compare)
    checks = sum(len(r) for r in expected["kv"].values()) + len(expected["doc_status"]) + \
        sum(len(r) for r in expected["vectors"].values()) + len(expected["graph"]["nodes"]) + 1
    for problem in problems:
        print("FAIL:", problem)
    print(f"{checks - min(len(problems), checks)} passed, {min(len(problems), checks)} failed")
    return 1 if problems else 0


async def legacy(args):
    """A nested cache file as LightRAG wrote it before July 2025, and what LightRAG makes of it."""
    entry = {"return": "entity<|#|>Alice", "cache_type": "extract", "chunk_id": CHUNK_ID, "embedding": None,
             "embedding_shape": None, "embedding_min": None, "embedding_max": None,
             "original_prompt": "USER PROMPT\nSYSTEM PROMPT"}
    query = {"return": "Alice works at Acme.", "cache_type": "query", "chunk_id": None, "embedding": "00ff",
             "embedding_shape": [1, 4], "embedding_min": -0.5, "embedding_max": 0.5, "original_prompt": "Who?"}
    nested = {"default": {md5(entry["original_prompt"]): entry, "0123456789abcdef0123456789abcdef": dict(
        entry, cache_type="summary", chunk_id=None, original_prompt="Summarize " + TRICKY)},
        "mix": {md5("mixWho?"): query}}
    os.makedirs(os.path.join(args.working_dir, args.workspace), exist_ok=True)
    path = os.path.join(args.working_dir, args.workspace, "kv_store_llm_response_cache.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(nested, f, indent=2, ensure_ascii=False)
    flattened = {}
    for mode, entries in nested.items():
        for key_hash, value in entries.items():
            record = dict(value)
            record["create_time"] = 0  # what get_by_id reports for records without timestamps
            record["update_time"] = 0
            record["_id"] = f"{mode}:{value['cache_type']}:{key_hash}"
            flattened[record["_id"]] = record
    with open(args.expected, "w", encoding="utf-8") as f:
        json.dump(flattened, f, ensure_ascii=False, indent=1)


async def verify_legacy(args):
    from lightrag.utils import EmbeddingFunc
    with open(args.expected, encoding="utf-8") as f:
        expected = json.load(f)
    storage = storage_class(args.kv_storage)(
        namespace="llm_response_cache", workspace=args.workspace, global_config=global_config(args),
        embedding_func=EmbeddingFunc(embedding_dim=EMBEDDING_DIM, func=fake_embed))
    await storage.initialize()
    problems = []
    for key, record in expected.items():
        if args.cache_types != "all" and not key.startswith("default:"):
            record = None
        got = plain(await storage.get_by_id(key))
        if got != record:
            problems.append(f"{key}: expected {record}, got {got}")
    for problem in problems:
        print("FAIL:", problem)
    print(f"{len(expected) - len(problems)} passed, {len(problems)} failed")
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["write", "verify", "legacy", "verify-legacy"])
    parser.add_argument("--expected", required=True, help="JSON file of what LightRAG read back after writing")
    parser.add_argument("--working-dir", default=os.getenv("WORKING_DIR", "./rag_storage"))
    parser.add_argument("--workspace", default=os.getenv("WORKSPACE", ""))
    parser.add_argument("--kv-storage", default=os.getenv("LIGHTRAG_KV_STORAGE", "JsonKVStorage"))
    parser.add_argument("--doc-status-storage", default=os.getenv("LIGHTRAG_DOC_STATUS_STORAGE", "JsonDocStatusStorage"))
    parser.add_argument("--vector-storage", default=os.getenv("LIGHTRAG_VECTOR_STORAGE", "NanoVectorDBStorage"))
    parser.add_argument("--graph-storage", default=os.getenv("LIGHTRAG_GRAPH_STORAGE", "NetworkXStorage"))
    parser.add_argument("--int64-only", action="store_true",
                        help="leave out the integer beyond int64 (for a deployment that moves to BSON)")
    parser.add_argument("--cache-types", choices=["default", "all"], default="all",
                        help="verify: whether query caches are expected (all) or expected absent (default)")
    parser.add_argument("--query-precision", choices=sorted(QUERY_TOLERANCE), default="float32",
                        help="verify: float16 when the vectors were normalised again from nano's float16 copies")
    parser.add_argument("--embedding-model", default=None,
                        help="the embedding function's model_name (PGVectorStorage names its tables after it)")
    parser.add_argument("--compare", choices=["exact", "pg"], default="exact",
                        help="verify: pg compares only what LightRAG's PostgreSQL storages keep of each record")
    args = parser.parse_args()

    import logging
    logging.disable(logging.WARNING)
    from lightrag.kg.shared_storage import initialize_share_data, finalize_share_data
    initialize_share_data()
    try:
        command = {"write": write, "verify": verify, "legacy": legacy, "verify-legacy": verify_legacy}[args.command]
        return asyncio.run(command(args)) or 0
    finally:
        finalize_share_data()


if __name__ == "__main__":
    sys.exit(main())
