#!/usr/bin/env bash
# LightRAG LLM-cache migration, JSON working directory -> Redis and -> PostgreSQL: LightRAG's own
# lightrag.tools.migrate_llm_cache (interactive: answered on stdin) against
# `decant export lightrag:DIR | decant import redis://… (postgres://…) --layout lightrag` and
# `decant migrate` (the same two halves in one command, with an archive file), on the same
# generated kv_store_llm_response_cache.json (CACHE_RECORDS default:extract entries) and the same
# throwaway Redis and PostgreSQL (tools/servers/pgvector.sh), in one run. Needs .venv/lightrag
# (tools/setup.sh --test). See bench/README.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${CACHE_RECORDS:-100000}
PY=$ROOT/.venv/lightrag/bin/python
[ -x "$PY" ] || { echo "bench/lightrag.sh: $PY is missing: run tools/setup.sh --test" >&2; exit 1; }
S="$OUT/lightrag.jsonl"
: > "$S"
D=$DATA/lightrag
mkdir -p "$D/rag_storage"
bash "$ROOT/tools/servers/redis.sh" start "$D/server" > /dev/null
bash "$ROOT/tools/servers/pgvector.sh" start "$D/pg" > /dev/null
trap 'bash "$ROOT/tools/servers/redis.sh" stop "$D/server"; bash "$ROOT/tools/servers/pgvector.sh" stop "$D/pg"' EXIT
source "$D/server/env"
source "$D/pg/env"
URL=$DECANT_TEST_REDIS_URL
CLI=(redis-cli -p "$DECANT_TEST_REDIS_PORT")

# N extraction caches as LightRAG writes them: key default:extract:md5(prompt), ~1.5 KB prompt,
# ~0.5 KB answer, json.dump(indent=2, ensure_ascii=False).
"$PY" - "$D/rag_storage/kv_store_llm_response_cache.json" "$N" <<'EOF'
import hashlib, json, sys
path, n = sys.argv[1], int(sys.argv[2])
system = "---Role---\nYou are a Knowledge Graph Specialist extracting entities and relations. " * 18
cache = {}
for i in range(n):
    prompt = f"---Input Text---\nDocument chunk {i}: Alice works at Acme {i}. Zürich office.\n{system}"
    key = "default:extract:" + hashlib.md5(prompt.encode()).hexdigest()
    cache[key] = {"return": f"entity<|#|>Alice {i}<|#|>person<|#|>A researcher at Acme.\n" * 8 + "<|COMPLETE|>",
                  "cache_type": "extract", "chunk_id": f"chunk-{hashlib.md5(str(i).encode()).hexdigest()}",
                  "original_prompt": prompt, "queryparam": None, "create_time": 1735689600,
                  "update_time": 1735689600, "_id": key}
with open(path, "w", encoding="utf-8") as f:
    json.dump(cache, f, indent=2, ensure_ascii=False)
EOF
bytes=$(stat -c %s "$D/rag_storage/kv_store_llm_response_cache.json")
# The same SETs as raw RESP, for the server's own floor: redis-cli --pipe does nothing but send.
"$PY" - "$D/rag_storage/kv_store_llm_response_cache.json" "$D/sets.resp" <<'EOF'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    cache = json.load(f)
with open(sys.argv[2], "wb") as out:
    for key, value in cache.items():
        k, v = f"llm_response_cache:{key}".encode(), json.dumps(value).encode()
        out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
EOF
log "generated $N cache records, $bytes bytes"
flush="${CLI[*]} flushall > /dev/null"
check_count() {
  local n; n=$("${CLI[@]}" dbsize)
  [ "$n" = "$1" ] || { log "$2: expected $1 keys, found $n"; exit 1; }
}

wait_for_quiet
# Source 1 (JsonKVStorage), target 1 of the renumbered list (RedisKVStorage), confirm.
cat > "$D/migrate.sh" <<EOF
cd "$D" && printf '1\n1\ny\n' | env -u WORKSPACE -u REDIS_WORKSPACE WORKING_DIR="$D/rag_storage" REDIS_URI="$URL" \
  "$PY" -m lightrag.tools.migrate_llm_cache > "$D/migrate.log" 2>&1
EOF
RUNS=${LIGHTRAG_RUNS:-$RUNS}
for i in $(seq 1 "$RUNS"); do
  RUN_NUMBER=$((i - 1)) RUNS=1 measure "$S" "JSON dir -> Redis: lightrag.tools.migrate_llm_cache" --prepare "$flush" \
    --bytes "$bytes" --rows "$N" -- bash "$D/migrate.sh"
  check_count "$N" "migrate_llm_cache"
  RUN_NUMBER=$((i - 1)) RUNS=1 measure "$S" "JSON dir -> Redis: decant export piped to decant import" --prepare "$flush" \
    --bytes "$bytes" --rows "$N" -- bash -c "'$DECANT' export 'lightrag:$D/rag_storage' -q -o - | '$DECANT' import '$URL' --layout lightrag -q -i -"
  check_count "$N" "decant export | import"
  RUN_NUMBER=$((i - 1)) RUNS=1 measure "$S" "JSON dir -> Redis: decant migrate" --prepare "$flush" \
    --bytes "$bytes" --rows "$N" -- bash -c "cd '$D' && env -u WORKSPACE -u REDIS_WORKSPACE WORKING_DIR='$D/rag_storage' REDIS_URI='$URL' '$DECANT' migrate --from json --to redis -q"
  check_count "$N" "decant migrate"
  RUN_NUMBER=$((i - 1)) RUNS=1 measure "$S" "floor: redis-cli --pipe of the same SETs" --prepare "$flush" \
    --bytes "$bytes" --rows "$N" -- bash -c "${CLI[*]} --pipe < '$D/sets.resp' > /dev/null"
  check_count "$N" "redis-cli --pipe"
done
grep -q "SUCCESS" "$D/migrate.log" || { log "migrate_llm_cache did not report success"; tail "$D/migrate.log" >&2; exit 1; }

# JSON dir -> PostgreSQL: both start from an empty database; LightRAG's tool creates every
# LIGHTRAG_* table on connecting, decant the one it writes.
PSQL=("$DECANT_TEST_PGVECTOR_BIN/psql" -X -q -At -h "$DECANT_TEST_PGVECTOR_HOST" -p "$DECANT_TEST_PGVECTOR_PORT" -U postgres)
PG_URL=${DECANT_TEST_PGVECTOR_URI%/*}/lightrag_bench
pg_fresh="${PSQL[*]} -d postgres -c 'DROP DATABASE IF EXISTS lightrag_bench' -c 'CREATE DATABASE lightrag_bench' > /dev/null"
check_pg_count() {
  local n; n=$("${PSQL[@]}" -d lightrag_bench -c "SELECT count(*) FROM lightrag_llm_cache")
  [ "$n" = "$1" ] || { log "$2: expected $1 rows, found $n"; exit 1; }
}
# Source 1 (JsonKVStorage), target 2 of the renumbered list (PGKVStorage), confirm.
cat > "$D/migrate_pg.sh" <<EOF
cd "$D" && printf '1\n2\ny\n' | env -u WORKSPACE -u POSTGRES_WORKSPACE WORKING_DIR="$D/rag_storage" \
  POSTGRES_HOST="$DECANT_TEST_PGVECTOR_HOST" POSTGRES_PORT="$DECANT_TEST_PGVECTOR_PORT" POSTGRES_USER=postgres \
  POSTGRES_PASSWORD=unused POSTGRES_DATABASE=lightrag_bench "$PY" -m lightrag.tools.migrate_llm_cache > "$D/migrate_pg.log" 2>&1
EOF
for i in $(seq 1 "$RUNS"); do
  RUN_NUMBER=$((i - 1)) RUNS=1 measure "$S" "JSON dir -> PostgreSQL: lightrag.tools.migrate_llm_cache" --prepare "$pg_fresh" \
    --bytes "$bytes" --rows "$N" -- bash "$D/migrate_pg.sh"
  check_pg_count "$N" "migrate_llm_cache"
  RUN_NUMBER=$((i - 1)) RUNS=1 measure "$S" "JSON dir -> PostgreSQL: decant export piped to decant import" --prepare "$pg_fresh" \
    --bytes "$bytes" --rows "$N" -- bash -c "'$DECANT' export 'lightrag:$D/rag_storage' -q -o - | '$DECANT' import '$PG_URL' --layout lightrag -q -i -"
  check_pg_count "$N" "decant export | import"
  RUN_NUMBER=$((i - 1)) RUNS=1 measure "$S" "JSON dir -> PostgreSQL: decant migrate" --prepare "$pg_fresh" \
    --bytes "$bytes" --rows "$N" -- bash -c "cd '$D' && env -u WORKSPACE -u POSTGRES_WORKSPACE WORKING_DIR='$D/rag_storage' POSTGRES_HOST='$DECANT_TEST_PGVECTOR_HOST' POSTGRES_PORT='$DECANT_TEST_PGVECTOR_PORT' POSTGRES_USER=postgres POSTGRES_DATABASE=lightrag_bench '$DECANT' migrate --from json --to postgres -q"
  check_pg_count "$N" "decant migrate"
done
grep -q "SUCCESS" "$D/migrate_pg.log" || { log "migrate_llm_cache (PostgreSQL) did not report success"; tail "$D/migrate_pg.log" >&2; exit 1; }
rm -rf "$D/rag_storage" "$D/sets.resp"
