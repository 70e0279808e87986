#!/usr/bin/env bash
# redis:// --layout lightrag (SPEC 11.5.4): a LightRAG working directory -> archive -> Redis ->
# archive -> working directory gives back LightRAG's bytes; the Redis values are exactly what
# LightRAG's RedisKVStorage writes (json.dumps); workspaces, noise keys, legacy nested caches,
# conflicts and --drop. Databases 20-23 of the shared test server are this test's own.
# servers: redis
source "$(dirname "$0")/testlib.bash" "$@"
use_server redis

SRC=$DATA/lightrag/rag_storage
BASE=${DECANT_TEST_REDIS_URL%/*}
rcli() { redis-cli -p "$DECANT_TEST_REDIS_PORT" "$@"; }
for db in 20 21 22 23; do rcli -n $db FLUSHDB >/dev/null; done

run export "lightrag:$SRC" --cache-types all -o all.ndjson
check_rc 0 "export the working directory"

# --- into Redis: KV and doc status keys; vectors and graph are left out with a note
run import -i all.ndjson "$BASE/20" --layout lightrag
check_rc 0 "import into Redis with the LightRAG layout"
check_contains "$TMP/err" 'stream "entities" left out: LightRAG has no Redis vector storage' "vectors are named as left out"
check_eq "$(rcli -n 20 DBSIZE)" "26" "13 keys per workspace"
check_eq "$(rcli -n 20 --scan --pattern 'space1_*' | cut -d: -f1 | sort -u | paste -sd' ')" \
  "space1_doc_status space1_entity_chunks space1_full_docs space1_full_entities space1_full_relations space1_llm_response_cache space1_relation_chunks space1_text_chunks" \
  "workspace space1 keys are WS_NS:ID"

# The values are LightRAG's json.dumps of the file's records (ASCII escapes, the same order).
python3 - "$SRC" >expected_values.txt <<'EOF'
import json, os, sys
for name in sorted(os.listdir(sys.argv[1])):
    if name.startswith("kv_store_") and name.endswith(".json"):
        ns = name[len("kv_store_"):-len(".json")]
        with open(os.path.join(sys.argv[1], name), encoding="utf-8") as f:
            for key, value in json.load(f).items():
                print(f"{ns}:{key}\t{json.dumps(value)}")
EOF
while IFS=$'\t' read -r key value; do
  checks=$((checks + 1))
  got=$(rcli -n 20 GET "$key")
  [[ $got == "$value" ]] || fail "redis value of $key: expected $value, got $got"
done <expected_values.txt
check_eq "$(wc -l <expected_values.txt)" "13" "13 default-workspace records compared byte for byte"

# A working directory and Redis compare directly, no archive in between.
KV=full_docs,text_chunks,llm_response_cache,full_entities,full_relations,entity_chunks,relation_chunks,doc_status
run diff "lightrag:$SRC" "$BASE/20" --layout lightrag --cache-types all --namespaces "$KV"
check_rc 0 "decant diff of the directory and Redis"
check_contains "$TMP/out" "equal: 16 streams" "every KV and doc-status stream of both workspaces is equal"
rcli -n 20 SET space1_full_docs:doc-extra '{"content": "x", "_id": "doc-extra"}' >/dev/null
run diff "lightrag:$SRC" "$BASE/20" --layout lightrag --cache-types all --namespaces "$KV"
check_rc 1 "a key only in Redis makes the diff fail"
check_contains "$TMP/out" "space1/full_docs" "the diff names the stream"
rcli -n 20 DEL space1_full_docs:doc-extra >/dev/null

# --- back out of Redis and into a directory: LightRAG's bytes again
run export "$BASE/20" --layout lightrag --cache-types all -o from_redis.ndjson
check_rc 0 "export Redis with the LightRAG layout"
run diff all.ndjson from_redis.ndjson --exclude '*entities' --exclude '*relationships' --exclude '*chunks' --exclude '*chunk_entity_relation*'
check_rc 0 "Redis holds the same KV and doc-status records"
run import -i from_redis.ndjson lightrag:back
check_rc 0 "import the Redis export into a directory"
# Redis keeps no order (SCAN order is the hash table's): the files hold the same entries, in the
# bytes json.dump(indent=2, ensure_ascii=False) gives for that order.
python3 - "$SRC" back >kv_compare.txt <<'EOF'
import json, os, sys
src, back = sys.argv[1:]
for ws in ("", "space1"):
    for name in sorted(os.listdir(os.path.join(src, ws))):
        if not (name.startswith("kv_store_") and name.endswith(".json")):
            continue
        with open(os.path.join(src, ws, name), encoding="utf-8") as f:
            want = json.load(f)
        with open(os.path.join(back, ws, name), encoding="utf-8") as f:
            text = f.read()
        got = json.loads(text)
        same_bytes = json.dumps(got, indent=2, ensure_ascii=False) == text
        print(f"{ws}/{name} {'equal' if got == want else 'DIFFERENT'} {'pybytes' if same_bytes else 'NOT-PYTHON-BYTES'}")
EOF
check_eq "$(grep -c ' equal pybytes$' kv_compare.txt)" "16" \
  "dir -> Redis -> dir: every KV file has the same entries in LightRAG's bytes ($(grep -v ' equal pybytes$' kv_compare.txt | paste -sd' '))"

# --- workspace rename on import, default cache types on export
run export "lightrag:$SRC" --workspace space1 -o space1.ndjson
run import -i space1.ndjson "$BASE/21" --layout lightrag --workspace tenant2
check_rc 0 "space1 into Redis workspace tenant2"
check_eq "$(rcli -n 21 --scan | cut -d_ -f1 | sort -u)" "tenant2" "every key has the tenant2_ prefix"
check_eq "$(rcli -n 21 --scan --pattern 'tenant2_llm_response_cache:*' | cut -d: -f2 | sort -u)" "default" \
  "the query cache stayed behind (default --cache-types)"
run import -i space1.ndjson "$BASE/21" --layout lightrag --workspace ""
check_rc 0 "the same workspace as LightRAG's default (no prefix)"
check_eq "$(rcli -n 21 EXISTS full_docs:doc-709b9267c13ef79e8aa436195c1f40c7)" "1" "default workspace keys are NS:ID"

# --- conflicts and --drop
run import -i space1.ndjson "$BASE/21" --layout lightrag --workspace tenant2
check_rc 4 "existing keys conflict by default"
check_contains "$TMP/err" "already exists" "the conflict names the key"
run import -i space1.ndjson "$BASE/21" --layout lightrag --workspace tenant2 --conflict skip
check_rc 0 "--conflict skip"
check_contains "$TMP/err" "skipped 12 existing keys" "skip counts the existing keys"
rcli -n 21 SET tenant2_full_docs:doc-stale '{"content": "old"}' >/dev/null
run import -i space1.ndjson "$BASE/21" --layout lightrag --workspace tenant2 --namespaces full_docs --drop
check_rc 0 "--drop empties the namespace first"
check_eq "$(rcli -n 21 EXISTS tenant2_full_docs:doc-stale)" "0" "--drop removed the stale key"
check_eq "$(rcli -n 21 EXISTS tenant2_full_docs:doc-709b9267c13ef79e8aa436195c1f40c7)" "1" "and wrote the archive's"
run import -i space1.ndjson "$BASE/21" --workspace tenant2
check_rc 2 "--workspace without --layout lightrag"
check_contains "$TMP/err" "needs --layout lightrag" "the usage error says what is missing"

# --- what LightRAG's Redis storages leave behind: noise keys, legacy nested caches
rcli -n 22 SET other:key 'not LightRAG' >/dev/null
rcli -n 22 SET llm_response_cache:default:extract:a764fcf2d3aee35234a352ff0410fcd9 \
  '{"return": "r", "cache_type": "extract", "chunk_id": null, "original_prompt": "USER PROMPT\nSYSTEM PROMPT", "create_time": 1, "update_time": 2, "_id": "default:extract:a764fcf2d3aee35234a352ff0410fcd9"}' >/dev/null
rcli -n 22 SET llm_response_cache:mix \
  '{"0123456789abcdef0123456789abcdef": {"return": "q", "cache_type": "query", "original_prompt": "Who?"}}' >/dev/null
run export "$BASE/22" --layout lightrag --cache-types all -o noise.ndjson
check_rc 0 "export a database with noise and a legacy key"
check_contains "$TMP/err" "1 keys of database 22 are not LightRAG keys" "the noise key is counted"
check_eq "$(jq -r 'select(.t == "rec") | .r._id' noise.ndjson | sort | paste -sd' ')" \
  "default:extract:a764fcf2d3aee35234a352ff0410fcd9 mix:query:0123456789abcdef0123456789abcdef" \
  "the legacy nested key becomes a flattened record"
run export "$BASE/22" --layout lightrag -o noise_default.ndjson
check_contains "$TMP/err" "left out 1 cache entries" "default --cache-types leaves the query cache out"

for db in 20 21 22 23; do rcli -n $db FLUSHDB >/dev/null; done
finish
