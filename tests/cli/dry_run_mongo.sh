#!/usr/bin/env bash
# import --dry-run into MongoDB reads and checks the whole archive against the target and
# prints the plan, writing nothing: each collection it would create or add to (with its
# documents and what --truncate / --drop would do), the documents it would add, every _id
# conflict with the collection (looked up one query per bulk) or within the archive counted
# under the chosen --conflict (under error a failure naming the first), the indexes it would
# build, and the size of the documents beside the database's and the server's free disk. With
# --max-errors the conflicts are counted as rejects. On SecantusDB and on mongo-java-server.
# servers: secantus mongo-java
source "$(dirname "$0")/testlib.bash" "$@"
use_secantus
use_server mongo-java
db=$SECANTUS/dry_mongo
# The target's collections and their documents, and each document, as they stand.
contents() {
  mongo "db = c.dry_mongo; print(sorted((n, sorted(map(str, db[n].find()))) for n in db.list_collection_names()))" | md5sum
}

"$DECANT" export -q "$CHINOOK" --only Artist --only Album -o "$TMP/a.ndjson" || fail "export"
# An existing collection with two of the archive's _ids (and one of its own); Album is missing.
mongo "c.drop_database('dry_mongo'); c.dry_mongo.Artist.insert_many([{'_id': 1, 'Name': 'mine'},
  {'_id': 2, 'Name': 'mine too'}, {'_id': 9999, 'Name': 'other'}])"
before=$(contents)

run import "$db" -i "$TMP/a.ndjson" --dry-run
check_rc 4 "dry run with conflicts under --conflict error"
check_contains "$TMP/err" 'collection "Album": would create it and insert 347 documents' "the plan for a missing collection"
check_contains "$TMP/err" 'collection "Artist": exists with 3 documents; would add 273 documents; 2 documents have an _id already in the collection or earlier in the archive' \
  "the existing collection, its documents and every conflict counted"
check_contains "$TMP/err" 'the import would fail (--conflict error; use skip, replace or merge); the first, collection "Artist" { "_id" : 1 }' \
  "the failure names the first conflict"
check_contains "$TMP/err" "the documents total about" "the size of the documents"
run import "$db" -i "$TMP/a.ndjson" --dry-run --conflict skip --txn batch
check_rc 0 "dry run under --conflict skip"
check_contains "$TMP/err" 'would add 273 documents; 2 documents have an _id already in the collection or earlier in the archive (--conflict skip: not written)' \
  "the plan counts the skipped documents"
check_contains "$TMP/err" "dry run: would import 2 streams, 622 records" "the summary"
run import "$db" -i "$TMP/a.ndjson" --dry-run --conflict replace
check_rc 0 "dry run under --conflict replace"
check_contains "$TMP/err" '(--conflict replace: they would replace those documents)' "the plan counts the replaced documents"
run import "$db" -i "$TMP/a.ndjson" --dry-run --truncate
check_rc 0 "dry run with --truncate"
check_contains "$TMP/err" 'exists with 3 documents, which would be deleted (--truncate); would add 275 documents' \
  "nothing conflicts once truncated"
run import "$db" -i "$TMP/a.ndjson" --dry-run --drop
check_rc 0 "dry run with --drop"
check_contains "$TMP/err" 'exists with 3 documents; would be dropped and created again (--drop); would add 275 documents' "--drop in the plan"

# An _id twice in the archive counts as a conflict too (Artist 6 made a second 5).
run import "$db" -i "$TMP/a.ndjson" --dry-run --truncate --only Artist --jq 'if .t == "rec" and .r.ArtistId == 6 then .r.ArtistId = 5 else . end'
check_rc 4 "dry run of an archive with an _id twice"
check_contains "$TMP/err" '1 document has an _id already in the collection or earlier in the archive' "the archive's own duplicate"
check_contains "$TMP/err" 'the first, collection "Artist" { "_id" : 5 }' "named"

# With --max-errors the conflicts are the rejects a real import would make.
run import "$db" -i "$TMP/a.ndjson" --dry-run --txn batch --max-errors 10 --rejects "$TMP/rejects.ndjson" --report "$TMP/dry.json"
check_rc 0 "dry run with --max-errors"
check_eq "$(jq -c '[.batches.failed, .records_failed, .records]' "$TMP/dry.json")" "[1,2,620]" "the dry run counts the rejects"
check_eq "$(jq -sc '[.[] | .record.ArtistId]' "$TMP/rejects.ndjson")" "[1,2]" "the rejected records"

check_eq "$(contents)" "$before" "the dry runs wrote nothing: the same collections, documents and no checkpoint"

# A server without transactions: the same plan, nothing written either.
java=${DECANT_TEST_MONGO_JAVA_URI%/}/dry_mongo_java
run import "$java" -i "$TMP/a.ndjson" --dry-run
check_rc 0 "dry run on mongo-java-server"
check_contains "$TMP/err" 'collection "Artist": would create it and insert 275 documents' "its plan"
run export -q "$java" -o "$TMP/java.ndjson"
check_eq "$(jq -sc 'map(select(.t == "stream")) | length' "$TMP/java.ndjson")" "0" "and it wrote nothing"
mongo "c.drop_database('dry_mongo')"

finish
