#!/usr/bin/env bash
# lightrag: working directories (SPEC 11.5.3), on the directory LightRAG itself wrote in
# tests/data/lightrag: export -> import gives back LightRAG's bytes, through SQLite too; workspace
# renames; --cache-types; conflicts, --drop, dimension mismatches and failed imports leave the
# target as it was; legacy nested caches are converted.
source "$(dirname "$0")/testlib.bash" "$@"

SRC=$DATA/lightrag/rag_storage

run backends
check_contains "$TMP/out" "lightrag:  LightRAG working directory" "backends lists the lightrag: source and target"
check_contains "$TMP/out" "--layout lightrag: LightRAG's own KV and doc-status keys" "backends shows Redis's LightRAG layout"
check_contains "$TMP/out" "--cache-types" "backends shows the LightRAG options"

# same_files A B WHAT: the LightRAG files of directory A and B (not their subdirectories) are
# byte-identical.
same_files() {
  checks=$((checks + 1))
  local f listed=0
  for f in "$1"/kv_store_*.json "$1"/vdb_*.json "$1"/graph_*.graphml; do
    listed=$((listed + 1))
    cmp -s "$f" "$2/$(basename "$f")" || fail "$3: $(basename "$f") differs ($(cmp "$f" "$2/$(basename "$f")" 2>&1))"
  done
  ((listed == 12)) || fail "$3: expected 12 LightRAG files in $1, found $listed"
}

# --- the whole directory, both workspaces
run export "lightrag:$SRC" --cache-types all -o all.ndjson
check_rc 0 "export of the working directory"
streams=$(jq -r 'select(.t == "stream") | .name' all.ndjson | paste -sd' ')
check_eq "$streams" "entity_chunks full_docs full_entities full_relations llm_response_cache relation_chunks text_chunks doc_status chunks entities relationships chunk_entity_relation.nodes chunk_entity_relation.edges space1/entity_chunks space1/full_docs space1/full_entities space1/full_relations space1/llm_response_cache space1/relation_chunks space1/text_chunks space1/doc_status space1/chunks space1/entities space1/relationships space1/chunk_entity_relation.nodes space1/chunk_entity_relation.edges" \
  "streams in SPEC 11.5.3 order"
# (grep, not jq: jq 1.6 prints float32 values with float64 digits)
check_contains all.ndjson '"s":"entities","r":{"_id":"ent-64489c85dc2fe0787b85cd87214b3810"' "the entity vector row"
check_eq "$(grep -o '"s":"entities","r":{"_id":"ent-64489c85dc2fe0787b85cd87214b3810".*' all.ndjson | grep -o '"\(vector\|normalized\)":{[^}]*}' | paste -sd' ')" \
  '"vector":{"$vector":[3,4,0,0]} "normalized":{"$vector":[0.6,0.8,0,0]}' \
  "a vector record has the raw float16 copy and the normalised matrix row"
check_eq "$(jq -c 'select(.t == "rec" and .s == "chunk_entity_relation.edges") | .r._id' all.ndjson)" \
  '{"source":"Alice","target":"Acme"}' "an edge is keyed by its end points"
check_eq "$(jq -c 'select(.t == "rec" and .s == "chunk_entity_relation.nodes") | .r | select(._id | startswith("Lonely"))' all.ndjson)" \
  '{"_id":"Lonely & <odd> \"name\""}' "an attribute-less node is its _id alone"
check_eq "$(jq -c 'select(.t == "rec" and .s == "full_docs") | .r.extra.huge' all.ndjson)" \
  '{"$numberDecimal":"12345678901234567890"}' "an integer beyond int64 survives"

run import -i all.ndjson lightrag:copy
check_rc 0 "import into a new directory"
same_files "$SRC" copy "default workspace: LightRAG's bytes"
same_files "$SRC/space1" copy/space1 "workspace space1: LightRAG's bytes"
check_no_temp_files copy "a committed import"
run diff all.ndjson lightrag:copy --cache-types all
check_rc 0 "diff archive vs the copy"

run import -i all.ndjson lightrag:per_stream --txn stream
check_rc 0 "import with --txn stream (each file renamed as its stream ends)"
same_files "$SRC" per_stream "--txn stream: LightRAG's bytes"
check_no_temp_files per_stream "--txn stream"

# --- through SQLite (table form, SPEC 11.0) and back
run import -i all.ndjson sqlite:lightrag.db
check_rc 0 "import the LightRAG streams into SQLite"
run export sqlite:lightrag.db -o via_sqlite.ndjson
check_rc 0 "export them from SQLite"
run import -i via_sqlite.ndjson lightrag:from_sqlite
check_rc 0 "import the SQLite export into a directory"
same_files "$SRC" from_sqlite "dir -> SQLite -> dir, default workspace"
same_files "$SRC/space1" from_sqlite/space1 "dir -> SQLite -> dir, space1"

# --- workspace rename: space1 -> tenant2, nothing else
run export "lightrag:$SRC" --workspace space1 --cache-types all -o space1.ndjson
check_rc 0 "export one workspace"
check_eq "$(jq -r 'select(.t == "stream") | .name' space1.ndjson | grep -vc '^space1/')" "0" "only space1 streams"
run import -i space1.ndjson lightrag:renamed --workspace tenant2
check_rc 0 "import into workspace tenant2"
same_files "$SRC/space1" renamed/tenant2 "renamed workspace: the same bytes"
check_absent renamed/space1 "the old workspace name is not created"
check_absent renamed/kv_store_full_docs.json "nothing lands in the default workspace"
run import -i all.ndjson lightrag:twice --workspace tenant2
check_rc 4 "two archive workspaces into one target workspace"
check_contains "$TMP/err" "two streams for namespace" "the refusal names the clash"
check_absent twice "a refused import leaves no directory behind"

# --- --cache-types: default-mode caches by default, query caches when asked
run export "lightrag:$SRC" --workspace "" --namespaces llm_response_cache -o cache.ndjson
check_rc 0 "export the cache with the default --cache-types"
check_contains "$TMP/err" "left out 1 cache entries" "the left-out query cache is counted"
check_eq "$(jq -r 'select(.t == "rec") | .r._id' cache.ndjson | cut -d: -f1,2 | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')" \
  "default:extract=2 default:summary=1" "default caches only"
run export "lightrag:$SRC" --workspace "" --namespaces llm_response_cache --cache-types query -o query.ndjson
check_eq "$(jq -r 'select(.t == "rec") | .r._id' query.ndjson | cut -d: -f1,2)" "mix:query" "--cache-types query"

# --- conflicts, --drop: a refused import changes nothing
cp -r "$SRC" target
run import -i cache.ndjson lightrag:target --namespaces llm_response_cache
check_rc 4 "existing keys conflict by default"
check_contains "$TMP/err" "is already in" "the conflict names the key"
same_files "$SRC" target "a failed import leaves every file as it was"
check_no_temp_files target "a failed import"
run import -i cache.ndjson lightrag:target --conflict skip
check_rc 0 "--conflict skip"
same_files "$SRC" target "skip keeps the file's records (and their bytes)"
run import -i query.ndjson lightrag:target --drop
check_rc 0 "--drop replaces the cache file"
check_eq "$(jq -r 'keys[]' target/kv_store_llm_response_cache.json | cut -d: -f1,2)" "mix:query" "after --drop only the archive's entries"
run import -i cache.ndjson lightrag:target
check_rc 0 "new keys merge into an existing file"
check_eq "$(jq -r 'keys | length' target/kv_store_llm_response_cache.json)" "4" "merged: 1 kept + 3 added"
check_eq "$(tail -c 1 target/kv_store_llm_response_cache.json)" "}" "no trailing newline, as LightRAG writes"

# --- vectors are never merged; a dimension mismatch is refused before anything is written
run export "lightrag:$SRC" --workspace "" --namespaces entities -o entities.ndjson
run import -i entities.ndjson lightrag:target
check_rc 4 "a non-empty vector file is not merged"
check_contains "$TMP/err" "never merged" "the refusal says why"
printf '{"embedding_dim": 8, "data": [], "matrix": ""}' >target/vdb_entities.json
run import -i entities.ndjson lightrag:target --truncate
check_rc 4 "an existing embedding_dim of 8 against an archive of 4"
check_contains "$TMP/err" "embedding dimension mismatch" "the refusal names the mismatch"
check_eq "$(cat target/vdb_entities.json)" '{"embedding_dim": 8, "data": [], "matrix": ""}' "the vector file is untouched"
run import -i entities.ndjson lightrag:target --drop
check_rc 0 "--drop replaces it"
cmp -s "$SRC/vdb_entities.json" target/vdb_entities.json || fail "the replaced vector file has LightRAG's bytes"
pass

# --- a truncated archive: nothing is renamed into place
head -n 20 all.ndjson >truncated.ndjson
run import -i truncated.ndjson lightrag:partial
check_rc 5 "a truncated archive is refused"
check_absent partial/kv_store_entity_chunks.json "no file of a failed import appears"
run import -i all.ndjson lightrag:dry --dry-run
check_rc 0 "--dry-run"
check_absent dry "a dry run writes nothing"

# --- legacy nested cache (before July 2025), converted as LightRAG's loader converts it
run export "lightrag:$DATA/lightrag/legacy" --cache-types all -o legacy.ndjson
check_rc 0 "export a legacy nested cache file"
check_eq "$(jq -c 'select(.t == "rec") | .r' legacy.ndjson | jq -s -c 'sort_by(._id)')" \
  "$(jq -c '[to_entries[] | {_id: .key} + (.value | del(.create_time, .update_time, ._id))] | sort_by(._id)' "$DATA/lightrag/legacy_expected.json")" \
  "legacy entries become {mode}:{cache_type}:{hash} records, members unchanged"
finish
