#!/usr/bin/env bash
# --resume into a LightRAG working directory (--txn stream): each stream's file is put in place
# by a rename when the stream ends, and the checkpoint is a file beside them. An import killed
# with SIGKILL at 20 random points continues after the last file put in place; the directory
# then equals the archive (decant diff), no temporary file is left and the checkpoint is gone.
# A kill between a file's rename and the checkpoint's update is told apart by whether the
# file's temporary still exists (shown with the checkpoint rewritten as such a kill leaves it).
# Generated data: 15,000 records in 13 streams, three of them large.
source "$(dirname "$0")/testlib.bash" "$@"

seed=${RESUME_SEED:-$RANDOM}
RANDOM=$seed
echo "resume_lightrag: random seed $seed (RESUME_SEED=$seed reproduces the kill points)"

cp -r "$DATA/lightrag/rag_storage" src
rm -rf src/space1
python3 - <<'PY'
import hashlib, json
def dump(name, entries):
    with open(f"src/kv_store_{name}.json", "w", encoding="utf-8") as f:
        json.dump(entries, f, indent=2, ensure_ascii=False)
dump("full_docs", {f"doc-{i}": {"content": f"Document {i} über Zürich " * 5, "file_path": f"f{i}.txt", "_id": f"doc-{i}"}
                   for i in range(3000)})
dump("text_chunks", {f"chunk-{i}": {"tokens": i % 300, "content": f"chunk {i}", "chunk_order_index": i % 7,
                                    "full_doc_id": f"doc-{i // 2}", "file_path": "x", "_id": f"chunk-{i}"} for i in range(6000)})
cache = {}
for i in range(6000):
    key = "default:extract:" + hashlib.md5(str(i).encode()).hexdigest()
    cache[key] = {"return": f"answer {i}", "cache_type": "extract", "chunk_id": f"chunk-{i}", "original_prompt": f"prompt {i}",
                  "queryparam": None, "create_time": 1735689600 + i, "update_time": 1735689600 + i, "_id": key}
dump("llm_response_cache", cache)
PY
"$DECANT" export -q lightrag:src -o a.ndjson.zst || fail "export"
total=$(jq -s 'map(select(.t == "end")) | map(.count) | add' <(zstd -dc a.ndjson.zst))
check_eq "$total" "15015" "the archive holds the generated records"

checkpoint=.decant-import-checkpoint.json
leftovers() { find "$1" -name '*.decant-tmp-*' | wc -l; }
equal_to_archive() {  # equal_to_archive DIR WHAT
  run diff a.ndjson.zst "lightrag:$1"
  check_rc 0 "$2: the directory equals the archive"
  check_contains "$TMP/out" "equal: 13 streams" "$2: counts and digests equal"
  check_eq "$(leftovers "$1")" "0" "$2: no temporary file is left"
  [[ -e $1/$checkpoint ]] && fail "$2: the checkpoint is still there"
  pass
}

for ((i = 0; i < 20; i++)); do
  at=$(((RANDOM * 32768 + RANDOM) % 13000 + 1024))
  kill_after "$at" import -q "lightrag:t$i" -i a.ndjson.zst --txn stream
  check_eq "$killed_rc" "137" "point $i: the import was killed after $at records"
  run import "lightrag:t$i" -i a.ndjson.zst --txn stream --resume --report "report-$i.json"
  check_rc 0 "resume after SIGKILL at record $at (point $i)"
  equal_to_archive "t$i" "point $i"
  check_eq "$(jq '.records' "report-$i.json")" "15015" "point $i: resumed and new records add up"
done

# The two sides of a kill between full_docs's rename (the second stream) and the checkpoint's
# update, as such a kill leaves them. Point 1: killed while full_docs is written (entity_chunks
# is in place); point 2: killed after full_docs, full_entities and full_relations are.
kill_after 2000 import -q lightrag:e -i a.ndjson.zst --txn stream
check_eq "$(jq -c '.done' "e/$checkpoint")" '["entity_chunks"]' "point 1: entity_chunks is in place"
temp=$(cd e && ls kv_store_full_docs.json.decant-tmp-*)
[[ -n $temp && ! -e e/kv_store_full_docs.json ]] || fail "point 1: full_docs is being written"
kill_after 4100 import -q lightrag:k -i a.ndjson.zst --txn stream
check_eq "$(jq -c '.done | index("full_docs") != null' "k/$checkpoint")" "true" "point 2: full_docs is in place"

# After the rename: full_docs is in place, its temporary gone, the checkpoint still says
# "committing". The resume must not write full_docs again (its keys would clash).
cp -r k renamed
rm renamed/kv_store_full_entities.json renamed/kv_store_full_relations.json
jq -c --arg temp "$temp" '.committing = {temp: $temp, streams: ["full_docs"]}' "e/$checkpoint" >"renamed/$checkpoint"
run import lightrag:renamed -i a.ndjson.zst --txn stream --resume
check_rc 0 "resume after a kill just after a rename"
equal_to_archive renamed "just after a rename"

# Before the rename: the temporary is still there. The resume writes full_docs afresh.
cp -r e not_renamed
jq -c --arg temp "$temp" '.committing = {temp: $temp, streams: ["full_docs"]}' "e/$checkpoint" >"not_renamed/$checkpoint"
run import lightrag:not_renamed -i a.ndjson.zst --txn stream --resume
check_rc 0 "resume after a kill just before a rename"
equal_to_archive not_renamed "just before a rename"

# Another archive's checkpoint is refused, and nothing is written.
"$DECANT" export -q lightrag:src -o b.ndjson.zst || fail "second export"
before=$(ls -la k | md5sum)
run import lightrag:k -i b.ndjson.zst --txn stream --resume
check_rc 2 "resuming with another archive"
check_contains "$TMP/err" "belongs to archive" "the refusal names the archives"
check_eq "$(ls -la k | md5sum)" "$before" "the directory is unchanged"

# A damaged checkpoint is named, with what to do.
echo '{"archive_id": 7}' >"k/$checkpoint"
run import lightrag:k -i a.ndjson.zst --txn stream --resume
check_rc 4 "a damaged checkpoint"
check_contains "$TMP/err" "k/$checkpoint: not a decant import checkpoint (no archive_id); remove it to import afresh" \
  "the error names the file and the way out"

finish
