#!/usr/bin/env bash
# decant migrate: the stores come from LightRAG's own configuration (.env, config.ini, the
# environment); unattended with flags, guided on a terminal; the report counts what moved,
# what the target does not store and what failed; a failed import keeps its archive, which
# the suggested command then imports; passwords stay out of every output. Databases 26-28 of
# the shared test server are this test's own.
# servers: redis pgvector
source "$(dirname "$0")/testlib.bash" "$@"
use_server redis
use_server pgvector

BASE=${DECANT_TEST_REDIS_URL%/*}
rcli() { redis-cli -p "$DECANT_TEST_REDIS_PORT" "$@"; }
for db in 26 27 28; do rcli -n $db FLUSHDB >/dev/null; done
cp -r "$DATA/lightrag/rag_storage" rag_storage
export TMPDIR=$TMP/tmpdir  # where migrate keeps its temporary archive
mkdir "$TMPDIR"
unset WORKING_DIR WORKSPACE REDIS_URI REDIS_WORKSPACE POSTGRES_HOST POSTGRES_PORT POSTGRES_USER POSTGRES_PASSWORD \
  POSTGRES_DATABASE POSTGRES_WORKSPACE MONGO_URI MONGO_DATABASE MONGODB_WORKSPACE

# --- without a terminal every choice must be a flag; the message lists what is configured
run migrate --to redis
check_rc 2 "no --from and no terminal"
check_contains "$TMP/err" "--from is needed" "the missing flag is named"
check_contains "$TMP/err" "json (lightrag:./rag_storage)" "the working directory is LightRAG's default ./rag_storage"
grep -q "redis (" "$TMP/err" && fail "Redis is offered while nothing configures it"
pass

printf '[redis]\nuri = %s/26\n' "$BASE" >config.ini
run migrate --to redis
check_contains "$TMP/err" "redis ($BASE/26)" "config.ini [redis] uri configures Redis"
printf 'REDIS_URI=%s/27   # the .env wins over config.ini\n' "$BASE" >.env
run migrate --to redis
check_contains "$TMP/err" "redis ($BASE/27)" ".env's REDIS_URI wins over config.ini"
REDIS_URI=$BASE/28 run migrate --to redis
check_contains "$TMP/err" "redis ($BASE/28)" "the environment wins over .env"
printf 'REDIS_URI\n' >bad.env
run migrate --env-file bad.env --from json --to redis
check_rc 2 "a malformed .env"
check_contains "$TMP/err" "bad.env:1: expected KEY=VALUE" "the error names the file and line"

# --- unattended: the working directory into Redis (.env: database 27)
run migrate --from json --to redis --cache-types all --report migrate.json --progress off
check_rc 0 "unattended migration into Redis"
check_contains "$TMP/err" "records   42 exported, 26 imported, 16 left out" "the report counts moved and left-out records"
check_contains "$TMP/err" "success   100.0 %" "every record Redis stores was moved"
check_contains "$TMP/err" "left out: LightRAG has no Redis vector storage" "the report says why vectors stay behind"
check_eq "$(rcli -n 27 DBSIZE)" "26" "13 KV and doc-status keys per workspace"
check_eq "$(jq -c '[.ok, .records_exported, .records_imported, .records_left_out, .success_rate, .failures_by_type]' migrate.json)" \
  '[true,42,26,16,1,{}]' "the JSON report"
KV=full_docs,text_chunks,llm_response_cache,full_entities,full_relations,entity_chunks,relation_chunks,doc_status
run diff lightrag:rag_storage "$BASE/27" --layout lightrag --cache-types all --namespaces "$KV"
check_rc 0 "the working directory and Redis hold the same records"
check_eq "$(ls "$TMPDIR")" "" "a successful migration removes its temporary archive"

# --- again: the keys exist, the import fails, the archive stays and the suggested command works
run migrate --from json --to redis --cache-types all --archive kept.ndjson.zst --report failed.json --progress off
check_rc 4 "a conflict in the target fails the migration (target side)"
check_contains "$TMP/err" "migration stopped during the import; the source is unchanged and the archive is kept at kept.ndjson.zst" \
  "the failure says what is kept"
check_contains "$TMP/err" "already exists" "the target's error is shown"
check_eq "$(jq -c '[.ok, .records_imported, .success_rate, (.failures_by_type | length)]' failed.json)" '[false,0,0,1]' \
  "the failed report: nothing imported, one failure type"
retry=$(grep -o 'retry with: [^)]*' "$TMP/err" | sed 's/^retry with: decant //')
check_eq "$retry" "import $BASE/27 --layout lightrag -i kept.ndjson.zst" "the suggested command"
eval "run $retry --conflict replace"
check_rc 0 "the kept archive imports with the suggested command"

# --- on a terminal: pick the source, one workspace, the target, rename the workspace, confirm
q() { printf '%q' "$1"; }
on_tty() {  # on_tty ANSWERS COMMAND: COMMAND on a pseudo-terminal, ANSWERS typed at its prompts
  printf '%s' "$1" | script -qec "$2" /dev/null >"$TMP/out" 2>&1
  rc=$?
  LAST="(on a terminal) $2"
}
rcli -n 28 FLUSHDB >/dev/null
printf 'REDIS_URI=%s/28\n' "$BASE" >.env
on_tty $'1\nspace1\n1\ntenant9\ny\n' "$(q "$DECANT") migrate --progress off"
check_rc 0 "guided migration"
check_contains "$TMP/out" "1) json     lightrag:./rag_storage" "the working directory is offered"
check_contains "$TMP/out" "workspace (default): 13 streams" "its workspaces are shown with their contents"
check_contains "$TMP/out" "space1: 13 streams" "the second workspace is shown"
check_contains "$TMP/out" "About to migrate workspace space1 of json" "the plan is shown before anything is written"
check_contains "$TMP/out" "to workspace tenant9 of redis" "the target workspace is in the plan"
check_eq "$(rcli -n 28 --scan --pattern 'tenant9_*' | wc -l)" "12" "space1's KV records are now tenant9's"
check_eq "$(rcli -n 28 DBSIZE)" "12" "nothing else was written"

rcli -n 28 FLUSHDB >/dev/null
on_tty $'1\n\n1\n\nn\n' "$(q "$DECANT") migrate --progress off"
check_rc 2 "answering no cancels"
check_contains "$TMP/out" "migration cancelled; nothing was written" "the cancellation is said"
check_eq "$(rcli -n 28 DBSIZE)" "0" "a cancelled migration writes nothing"

# --- into PostgreSQL as LightRAG's POSTGRES_* variables describe it (the password is unused:
# the test server trusts loopback, as LightRAG's own test setups do)
psql_() { "$DECANT_TEST_PGVECTOR_BIN/psql" -X -q -At -h "$DECANT_TEST_PGVECTOR_HOST" -p "$DECANT_TEST_PGVECTOR_PORT" -U postgres "$@"; }
psql_ -d postgres -c "DROP DATABASE IF EXISTS migrate_test" -c "CREATE DATABASE migrate_test" >/dev/null 2>&1
printf 'POSTGRES_HOST=%s\nPOSTGRES_PORT=%s\nPOSTGRES_USER=postgres\nPOSTGRES_PASSWORD=unused-pw\nPOSTGRES_DATABASE=migrate_test\n' \
  "$DECANT_TEST_PGVECTOR_HOST" "$DECANT_TEST_PGVECTOR_PORT" >.env
run migrate --from json --to postgres --workspace space1 --cache-types all --progress off
check_rc 0 "migration into PostgreSQL configured by POSTGRES_* in .env"
check_contains "$TMP/err" "records   21 exported, 21 imported, 0 left out" "every record of space1 moved"
check_eq "$(psql_ -d migrate_test -c "SELECT workspace, count(*) FROM lightrag_doc_full GROUP BY 1")" "space1|1" \
  "LightRAG's table holds space1's document"
check_eq "$(psql_ -d migrate_test -c "SELECT count(*) FROM lightrag_llm_cache WHERE workspace = 'space1'")" "4" \
  "and its four cache entries"
grep -q "unused-pw" "$TMP/err" && fail "the PostgreSQL password appears in the output"
pass

# --- a source file that breaks half-way: PostgreSQL's import reads while the export writes
# (one transaction), Redis's after it (batches commit); neither keeps anything
rows() { psql_ -d migrate_test -c "SELECT (SELECT count(*) FROM lightrag_doc_full) + (SELECT count(*) FROM lightrag_llm_cache)"; }
before=$(rows)
cp -r rag_storage broken
head -c 300 rag_storage/kv_store_text_chunks.json >broken/kv_store_text_chunks.json
WORKING_DIR=broken run migrate --from json --to postgres --target-workspace broken --cache-types all --progress off
check_rc 3 "a malformed source file fails the migration on the source side"
check_contains "$TMP/err" "kv_store_text_chunks.json" "the error names the broken file"
check_contains "$TMP/err" "migration stopped during the export; the import rolled back; nothing was written to postgres://" \
  "the failure says nothing was written"
check_eq "$(rows)" "$before" "PostgreSQL holds no record of the broken migration"
check_eq "$(ls "$TMPDIR")" "" "the partial archive is removed"
rcli -n 28 FLUSHDB >/dev/null
WORKING_DIR=broken REDIS_URI=$BASE/28 run migrate --from json --to redis --cache-types all --progress off
check_rc 3 "the same failure into Redis"
check_eq "$(rcli -n 28 DBSIZE)" "0" "Redis holds no record of the broken migration"

# --- a password from LightRAG's configuration never reaches a message or the report
printf 'POSTGRES_HOST=127.0.0.1\nPOSTGRES_PORT=1\nPOSTGRES_USER=lr\nPOSTGRES_PASSWORD=s3cret-pw\n' >.env
run migrate --from postgres --to json --report pg.json --progress off
check_rc 3 "an unreachable PostgreSQL source fails on the source side"
check_contains "$TMP/err" "postgres://lr@127.0.0.1:1/postgres" "the redacted URI is shown"
grep -q "s3cret-pw" "$TMP/err" "$TMP/out" pg.json && fail "the password appears in the output or the report"
pass

finish
