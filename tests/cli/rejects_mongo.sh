#!/usr/bin/env bash
# --max-errors N --rejects FILE into MongoDB (SecantusDB, --txn batch): each isolated batch is a
# transaction of its own, so a document the target refuses (an _id it already holds, under
# --conflict error; a document over the server's maxBsonObjectSize) is rejected with its archive
# line and reason while its neighbours are imported; the report groups the errors by type. Too
# many rejects fail the import; --max-errors is refused in stream mode (MongoDB has no savepoints)
# and on mongo-java-server (no transactions to undo a batch with).
# servers: secantus mongo-java
source "$(dirname "$0")/testlib.bash" "$@"
use_secantus
use_server mongo-java
uri=$SECANTUS
# fresh DB: the database with three documents of its own whose _id the archive has too.
fresh() {
  mongo "c.drop_database('$1'); c['$1'].t.insert_many([{'_id': i, 'mine': True} for i in (5, 500, 999)])"
}
counts() {
  mongo "db = c['$1']; print(db.t.count_documents({}), db.t.count_documents({'mine': True}), db.big.count_documents({}))"
}

# 1,000 rows, and three of which one is 17 MB: into MongoDB, documents whose _id is the key.
sqlite3 "$TMP/src.db" "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999) INSERT INTO t SELECT i, 'row ' || i FROM n;
  CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);
  INSERT INTO big VALUES (1, 'small'), (2, replace(hex(zeroblob(8500000)), '0', 'x')), (3, 'small too');"
"$DECANT" export -q "sqlite:$TMP/src.db" -o "$TMP/a.ndjson" || fail "export"

fresh rejects_mongo
run import "$uri/rejects_mongo" -i "$TMP/a.ndjson" --txn batch --max-errors 100 --rejects "$TMP/rejects.ndjson" \
  --report "$TMP/report.json"
check_rc 0 "import with rejects"
check_contains "$TMP/err" "rejected 4 records in 2 failed batches" "the summary counts the rejects"
check_eq "$(wc -l <"$TMP/rejects.ndjson")" "4" "one line per rejected record"
check_eq "$(counts rejects_mongo)" "1000 3 2" "the neighbours are imported, the target's own documents untouched"
# The 17 MB record fills a batch by itself: the record after it makes one more, which succeeds.
check_eq "$(jq -c '[.ok, .batches.ok, .batches.failed, .records, .records_failed]' "$TMP/report.json")" \
  "[true,1,2,999,4]" "the report counts batches and records"
# Each reject holds the record exactly as the archive line it names, and the server's reason.
while read -r reject; do
  line=$(jq -r .line <<<"$reject")
  check_eq "$(jq -c .record <<<"$reject")" "$(sed -n "${line}p" "$TMP/a.ndjson" | jq -c .r)" "reject of line $line"
done <"$TMP/rejects.ndjson"
check_eq "$(jq -sc '[.[] | .stream] | unique' "$TMP/rejects.ndjson")" '["big","t"]' "rejects name their streams"
check_eq "$(jq -sc '[.[] | .record.id]' "$TMP/rejects.ndjson")" '[5,500,999,2]' "the rejected records are the right ones"
check_contains "$TMP/rejects.ndjson" 'E11000 duplicate key error' "the reason of a conflict"
check_contains "$TMP/rejects.ndjson" "over the server's limit of 16777216" "the reason of a document too large"
check_eq "$(jq -c '[.errors.by_type[] | .count] | sort' "$TMP/report.json")" "[1,3]" "errors grouped by type"
check_eq "$(mongo "print(c.rejects_mongo.list_collection_names().count('_decant_checkpoint'))")" "0" "no checkpoint left"

# More rejects than allowed: the import fails, the rejects so far are kept.
fresh rejects_mongo_strict
run import "$uri/rejects_mongo_strict" -i "$TMP/a.ndjson" --txn batch --max-errors 1 --rejects "$TMP/strict.ndjson"
check_rc 4 "more rejects than --max-errors"
check_contains "$TMP/err" "more than 1 records rejected (--max-errors)" "the failure says why"
check_eq "$(wc -l <"$TMP/strict.ndjson")" "2" "the rejects up to the failure are kept"

# Refused where a batch cannot be undone on its own, before anything is written.
run import "$uri/rejects_mongo_strict" -i "$TMP/a.ndjson" --txn stream --max-errors 10
check_rc 2 "--max-errors with --txn stream"
check_contains "$TMP/err" "mongodb: --max-errors needs --txn batch" "is refused, saying why"
java=${DECANT_TEST_MONGO_JAVA_URI%/}/rejects_mongo_java
run import "$java" -i "$TMP/a.ndjson" --txn batch --max-errors 10
check_rc 2 "--max-errors without transactions"
check_contains "$TMP/err" "mongodb: --max-errors needs multi-document transactions" "is refused, saying why"
mongo "c.drop_database('rejects_mongo'); c.drop_database('rejects_mongo_strict')"

finish
