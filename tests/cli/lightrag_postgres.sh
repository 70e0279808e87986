#!/usr/bin/env bash
# postgres:// --layout lightrag (SPEC 11.5.4), proven by LightRAG itself (lightrag-hku 1.5.7 from
# tools/python/lightrag.txt, with asyncpg and pgvector): LightRAG's own PGKVStorage,
# PGDocStatusStorage, PGVectorStorage and PGTableGraphStorage read back every record decant wrote
# into PostgreSQL, and LightRAG's JSON storages every record decant took out of it, compared on
# what LightRAG's PostgreSQL storages keep of a record (lightrag_fixture.py --compare pg: the
# columns, timestamps included; vectors within float16 precision). Covers JSON dir -> PostgreSQL,
# PostgreSQL -> JSON dir, LightRAG's PostgreSQL -> JSON dir, LightRAG's Redis -> PostgreSQL,
# workspaces, the embedding dimension check, conflicts and --drop. The graph goes through
# PGTableGraphStorage's tables (LightRAG's other PostgreSQL graph, PGGraphStorage, needs Apache
# AGE, which the test server does not have). Redis database 24 is this test's own.
# servers: pgvector redis
ROOT=$(realpath "$(dirname "$0")/../..")
source "$(dirname "$0")/testlib.bash" "$@"
use_server pgvector
use_server redis

source "$ROOT/tests/lightrag/fixture.bash"
unset WORKSPACE REDIS_WORKSPACE POSTGRES_WORKSPACE
psql_() { "$DECANT_TEST_PGVECTOR_BIN/psql" -X -q -At -h "$DECANT_TEST_PGVECTOR_HOST" -p "$DECANT_TEST_PGVECTOR_PORT" -U postgres "$@"; }
PGBASE=${DECANT_TEST_PGVECTOR_URI%/*}
fresh_db() {
  psql_ -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
}
REDIS=${DECANT_TEST_REDIS_URL%/*}/29
rcli() { redis-cli -p "$DECANT_TEST_REDIS_PORT" -n 29 "$@"; }
rcli FLUSHDB >/dev/null

# LightRAG's PostgreSQL connection for database $1 (the test server trusts loopback logins;
# LightRAG insists on a password all the same).
pg_env() {
  export POSTGRES_HOST=$DECANT_TEST_PGVECTOR_HOST POSTGRES_PORT=$DECANT_TEST_PGVECTOR_PORT POSTGRES_USER=postgres
  export POSTGRES_PASSWORD=unused POSTGRES_DATABASE=$1
}
PG_STORAGES=(--kv-storage PGKVStorage --doc-status-storage PGDocStatusStorage --vector-storage PGVectorStorage
  --graph-storage PGTableGraphStorage --embedding-model test-model)


# --- LightRAG writes a working directory, two workspaces; decant moves it into PostgreSQL
lightrag write --working-dir written --expected expected.json
check_lightrag "LightRAG writes the default workspace"
lightrag write --working-dir written --workspace space1 --expected expected_space1.json
check_lightrag "LightRAG writes workspace space1"
run export lightrag:written --cache-types all -o all.ndjson
check_rc 0 "export LightRAG's directory"

fresh_db lr_a
run import -i all.ndjson "$PGBASE/lr_a" --layout lightrag --embedding-model test-model
check_rc 0 "import the directory into PostgreSQL"
check_contains "$TMP/err" 'member "extra" left out of 1 record: lightrag_doc_full has no column for it' \
  "a member LightRAG's PostgreSQL storage cannot keep is named"
check_eq "$(psql_ -d lr_a -c "SELECT relname FROM pg_class WHERE relname LIKE 'lightrag_vdb_%' AND relkind = 'r' ORDER BY 1" | paste -sd' ')" \
  "lightrag_vdb_chunks_test_model_4d lightrag_vdb_entity_test_model_4d lightrag_vdb_relation_test_model_4d" \
  "vector tables named as LightRAG names them for model test-model, dimension 4"
check_eq "$(psql_ -d lr_a -c "SELECT DISTINCT workspace FROM lightrag_llm_cache ORDER BY 1" | paste -sd' ')" "default space1" \
  "LightRAG's empty workspace is 'default' in PostgreSQL"
T=$(jq -r 'select(.t == "rec" and .s == "full_docs") | .r.create_time' all.ndjson)
check_eq "$(psql_ -d lr_a -c "SELECT EXTRACT(EPOCH FROM create_time)::bigint FROM lightrag_doc_full WHERE workspace = 'default'")" "$T" \
  "full_docs keeps the record's create_time"
pg_env lr_a
lightrag verify --working-dir written --expected expected.json "${PG_STORAGES[@]}" --compare pg
check_lightrag "LightRAG's PostgreSQL storages read every record (default workspace)"
lightrag verify --working-dir written --workspace space1 --expected expected_space1.json "${PG_STORAGES[@]}" --compare pg
check_lightrag "LightRAG's PostgreSQL storages read every record (space1)"

check_eq "$(psql_ -d lr_a -c "SELECT count(*) FROM lightrag_graph_nodes WHERE workspace = 'default'") $(psql_ -d lr_a -c "SELECT src_id || '|' || tgt_id FROM lightrag_graph_edges WHERE workspace = 'space1'")" \
  "3 Acme|Alice" "the graph is in PGTableGraphStorage's tables, each edge with src_id < tgt_id"

# --- and back out of PostgreSQL into a directory
run export "$PGBASE/lr_a" --layout lightrag --cache-types all -o from_pg.ndjson
check_rc 0 "export PostgreSQL with the LightRAG layout"
check_eq "$(jq -r 'select(.t == "stream") | .name' from_pg.ndjson | wc -l)" "26" "13 streams per workspace"
check_eq "$(jq -c 'select(.t == "stream" and .name == "entities") | .options.lightrag.embedding_dim' from_pg.ndjson)" "4" \
  "a vector stream carries the table's dimension"
run import -i from_pg.ndjson lightrag:back
check_rc 0 "PostgreSQL records into a directory"
lightrag verify --working-dir back --expected expected.json --compare pg
check_lightrag "LightRAG's JSON storages read every record that went through PostgreSQL"
lightrag verify --working-dir back --workspace space1 --expected expected_space1.json --compare pg
check_lightrag "the same for space1"

# --- LightRAG writes PostgreSQL itself; decant exports it to a directory, LightRAG reads it there
fresh_db lr_b
pg_env lr_b
lightrag write --working-dir pg_side --expected expected_pg.json "${PG_STORAGES[@]}"
check_lightrag "LightRAG writes KV, doc status, vectors and graph into PostgreSQL"
run export "$PGBASE/lr_b" --layout lightrag --cache-types all -o lightrag_pg.ndjson
check_rc 0 "decant export of LightRAG's tables"
run import -i lightrag_pg.ndjson lightrag:from_lightrag_pg
check_rc 0 "into a directory"
lightrag verify --working-dir from_lightrag_pg --expected expected_pg.json --compare pg
check_lightrag "LightRAG's JSON storages read what LightRAG wrote into PostgreSQL"

# --- LightRAG writes Redis (KV, doc status) and a directory (vectors, graph) -> PostgreSQL
REDIS_URI=$REDIS lightrag write --working-dir redis_side --expected expected_redis.json \
  --kv-storage RedisKVStorage --doc-status-storage RedisDocStatusStorage
check_lightrag "LightRAG writes Redis"
run export "$REDIS" --layout lightrag --cache-types all -o redis.ndjson
check_rc 0 "export LightRAG's Redis keys"
run export lightrag:redis_side --namespaces entities,relationships,chunks,chunk_entity_relation -o redis_side.ndjson
fresh_db lr_c
run import -i redis.ndjson "$PGBASE/lr_c" --layout lightrag
check_rc 0 "Redis records into PostgreSQL"
run import -i redis_side.ndjson "$PGBASE/lr_c" --layout lightrag --embedding-model test-model
check_rc 0 "the vectors and the graph into PostgreSQL"
pg_env lr_c
lightrag verify --working-dir redis_side --expected expected_redis.json "${PG_STORAGES[@]}" --compare pg
check_lightrag "LightRAG's PostgreSQL storages read what came from Redis"

# --- an embedding dimension the existing table does not have: refused, nothing written
fresh_db lr_d
psql_ -d lr_d -c "CREATE TABLE lightrag_vdb_entity_test_model_4d (id varchar(255), workspace varchar(255), entity_name varchar(512),
  content text, content_vector vector(8), create_time timestamp(0), update_time timestamp(0), chunk_ids varchar(255)[],
  file_path text, PRIMARY KEY (workspace, id))" >/dev/null
run import -i all.ndjson "$PGBASE/lr_d" --layout lightrag --embedding-model test-model
check_rc 4 "a 4-dimensional archive into an 8-dimensional table"
check_contains "$TMP/err" "embedding dimension mismatch: the archive's entities vectors have 4 dimensions, lightrag_vdb_entity_test_model_4d holds vector(8)" \
  "the refusal names both dimensions"
check_eq "$(psql_ -d lr_d -c "SELECT count(*) FROM pg_class WHERE relname LIKE 'lightrag\\_%' AND relkind = 'r'")" "1" \
  "no LightRAG table was created (the streams before the vectors rolled back)"

# --- conflicts, --drop, workspace rename, default cache types
run import -i all.ndjson "$PGBASE/lr_a" --layout lightrag --embedding-model test-model
check_rc 4 "existing keys conflict by default"
check_contains "$TMP/err" "already exists" "the conflict names the key"
run import -i all.ndjson "$PGBASE/lr_a" --layout lightrag --embedding-model test-model --conflict skip
check_rc 0 "--conflict skip"
check_contains "$TMP/err" "skipped 42 existing keys" "skip counts every existing row (34 records, 8 graph rows)"
psql_ -d lr_a -c "UPDATE lightrag_llm_cache SET return_value = 'stale' WHERE workspace = 'space1'" >/dev/null
run import -i all.ndjson "$PGBASE/lr_a" --layout lightrag --embedding-model test-model --conflict replace --namespaces llm_response_cache
check_rc 0 "--conflict replace"
check_eq "$(psql_ -d lr_a -c "SELECT count(*) FROM lightrag_llm_cache WHERE return_value = 'stale'")" "0" "replace rewrote the rows"
run export "$PGBASE/lr_a" --layout lightrag --workspace space1 -o space1.ndjson
check_rc 0 "export workspace space1, default --cache-types"
check_contains "$TMP/err" "left out 1 cache entries" "the query cache is left out"
psql_ -d lr_a -c "INSERT INTO lightrag_doc_full (id, workspace, content) VALUES ('doc-stale', 'tenant2', 'old')" >/dev/null
run import -i space1.ndjson "$PGBASE/lr_a" --layout lightrag --workspace tenant2 --drop --embedding-model test-model
check_rc 0 "space1 into workspace tenant2, --drop"
check_eq "$(psql_ -d lr_a -c "SELECT count(*) FROM lightrag_doc_full WHERE id = 'doc-stale'")" "0" "--drop removed the workspace's old rows"
check_eq "$(psql_ -d lr_a -c "SELECT count(*) FROM lightrag_llm_cache WHERE workspace = 'tenant2'")" "3" \
  "tenant2 has the three default-mode caches"
check_eq "$(psql_ -d lr_a -c "SELECT count(*) FROM lightrag_llm_cache WHERE workspace = 'space1'")" "4" "space1 is untouched"
run import -i space1.ndjson "$PGBASE/lr_a" --layout lightrag --txn stream
check_rc 2 "--layout lightrag refuses --txn stream"
run export "$PGBASE/lr_a" --workspace space1 -o x.ndjson
check_rc 2 "--workspace without --layout lightrag"

rcli FLUSHDB >/dev/null
finish
