#!/usr/bin/env bash
# Proof by LightRAG itself (lightrag-hku from tools/python/lightrag.txt, no LLM): LightRAG's own
# storage classes write a deployment, decant moves it, and LightRAG's storage classes read every
# record back from what decant wrote: KV and doc status exactly, vectors within float16
# precision, cosine queries, graph nodes and edges (tests/lightrag/lightrag_fixture.py verify).
# Covers JSON dir -> JSON dir, JSON dir -> Redis (renamed workspace) + dir, LightRAG's Redis ->
# JSON dir, and a legacy nested cache. Database 23 of the shared test server is this test's own.
# servers: redis
ROOT=$(realpath "$(dirname "$0")/../..")
source "$(dirname "$0")/testlib.bash" "$@"
use_server redis

source "$ROOT/tests/lightrag/fixture.bash"
BASE=${DECANT_TEST_REDIS_URL%/*}
REDIS=$BASE/23
unset WORKSPACE REDIS_WORKSPACE
rcli() { redis-cli -p "$DECANT_TEST_REDIS_PORT" -n 23 "$@"; }
rcli FLUSHDB >/dev/null


# --- LightRAG writes a working directory, two workspaces
lightrag write --working-dir written --expected expected.json
check_lightrag "LightRAG writes the default workspace"
lightrag write --working-dir written --workspace space1 --expected expected_space1.json
check_lightrag "LightRAG writes workspace space1"

# --- JSON dir -> archive -> JSON dir
run export lightrag:written --cache-types all -o all.ndjson.zst
check_rc 0 "decant export of LightRAG's directory"
run import -i all.ndjson.zst lightrag:copy
check_rc 0 "decant import into a new directory"
lightrag verify --working-dir copy --expected expected.json
check_lightrag "LightRAG reads every record of the copy (default workspace)"
lightrag verify --working-dir copy --workspace space1 --expected expected_space1.json
check_lightrag "LightRAG reads every record of the copy (space1)"

# --- vectors without nano's normalised rows (as PostgreSQL and MongoDB give them): decant
# normalises them itself, and LightRAG's cosine queries agree within the float16 precision of the
# raw embeddings a nano file keeps (SPEC 11.5.2)
zstd -dcf all.ndjson.zst | jq -c 'if .t == "rec" and (.r | has("normalized")) then del(.r.normalized) else . end' >raw_vectors.ndjson
check_eq "$(grep -c '"normalized"' raw_vectors.ndjson)" "0" "jq removed every normalized row"
run import -i raw_vectors.ndjson lightrag:raw_copy --transformed
check_rc 0 "import vectors that have only their raw embedding"
lightrag verify --working-dir raw_copy --expected expected.json --query-precision float16
check_lightrag "LightRAG reads the vectors decant normalised and answers the same cosine queries"

# --- JSON dir -> Redis (KV, doc status) + dir (vectors, graph), renamed to tenant2, default caches
run export lightrag:written --workspace space1 -o space1.ndjson
check_rc 0 "export workspace space1 with the default --cache-types"
run import -i space1.ndjson "$REDIS" --layout lightrag --workspace tenant2
check_rc 0 "its KV and doc status into Redis, workspace tenant2"
run import -i space1.ndjson lightrag:tenant_dir --workspace tenant2 --namespaces entities,relationships,chunks,chunk_entity_relation
check_rc 0 "its vectors and graph into a directory, workspace tenant2"
REDIS_URI=$REDIS lightrag verify --working-dir tenant_dir --workspace tenant2 --expected expected_space1.json \
  --kv-storage RedisKVStorage --doc-status-storage RedisDocStatusStorage --cache-types default
check_lightrag "LightRAG's Redis storages read tenant2 (query caches left behind, as asked)"

# --- LightRAG writes Redis -> archive -> JSON dir
rcli FLUSHDB >/dev/null
REDIS_URI=$REDIS lightrag write --working-dir redis_side --expected expected_redis.json \
  --kv-storage RedisKVStorage --doc-status-storage RedisDocStatusStorage
check_lightrag "LightRAG writes KV and doc status into Redis, vectors and graph into a directory"
run export "$REDIS" --layout lightrag --cache-types all -o redis.ndjson
check_rc 0 "decant export of LightRAG's Redis keys"
run export lightrag:redis_side -o redis_side.ndjson
check_rc 0 "decant export of the vectors and graph"
run import -i redis.ndjson lightrag:from_redis
check_rc 0 "Redis records into a directory"
run import -i redis_side.ndjson lightrag:from_redis
check_rc 0 "vectors and graph into the same directory"
lightrag verify --working-dir from_redis --expected expected_redis.json
check_lightrag "LightRAG's JSON storages read every record that came from Redis"

# --- a legacy nested cache file, converted by decant: LightRAG reads the flattened records
lightrag legacy --working-dir legacy --expected expected_legacy.json
check_lightrag "LightRAG's legacy cache layout"
run export lightrag:legacy --cache-types all -o legacy.ndjson
check_rc 0 "decant export of the legacy file"
run import -i legacy.ndjson lightrag:legacy_copy
check_rc 0 "decant import of the converted records"
check_eq "$(head -c 60 legacy_copy/kv_store_llm_response_cache.json | tr -d '\n ' | cut -c1-20)" '{"default:extract:a7' \
  "the written file is flattened"
lightrag verify-legacy --working-dir legacy_copy --expected expected_legacy.json
check_lightrag "LightRAG reads the converted cache"

rcli FLUSHDB >/dev/null
finish
