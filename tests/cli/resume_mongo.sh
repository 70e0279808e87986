#!/usr/bin/env bash
# --resume into MongoDB (SecantusDB, which has transactions): an import in batch (or stream)
# mode killed with SIGKILL at 20 random points continues after the checkpoint document that
# each transaction commits with its documents (_decant_checkpoint); the resumed run first ends
# the killed run's open transaction (killSessions on the session the checkpoint names), which
# would otherwise hold the documents it writes again. Afterwards `decant diff` finds the target
# equal to the archive (counts and digests: nothing missing, nothing twice), the indexes are
# there and the checkpoint is gone. A checkpoint of another archive is refused, and so is
# --resume on mongo-java-server, which has no transactions. 15,000 generated documents.
# servers: secantus mongo-java
source "$(dirname "$0")/testlib.bash" "$@"
use_secantus
use_server mongo-java

seed=${RESUME_SEED:-$RANDOM}
RANDOM=$seed
echo "resume_mongo: random seed $seed (RESUME_SEED=$seed reproduces the kill points)"
uri=$SECANTUS
# The collections and their indexes, sorted.
shape() {
  mongo "db = c['$1']; print(' '.join(sorted('%s:%s' % (n, ','.join(sorted(i['name'] for i in db[n].list_indexes())))
    for n in db.list_collection_names())))"
}

mongo "c.drop_database('resume_mongo_src'); db = c.resume_mongo_src
db.people.insert_many([{'_id': i, 'name': 'user %d' % i, 'tags': ['t%d' % (i % 7)] * (i % 4)} for i in range(10000)])
db.people.create_index('name')
db.orders.insert_many([{'_id': 'o%05d' % i, 'n': i * 1000003, 'nested': {'i': i}} for i in range(5000)])
db.orders.create_index('n', unique=True)"
"$DECANT" export -q "$uri/resume_mongo_src" -o "$TMP/a.ndjson.zst" || fail "export"
expected_shape=$(shape resume_mongo_src)
check_eq "$expected_shape" "orders:_id_,n_1 people:_id_,name_1" "the source's collections and indexes"

points=20
for ((i = 0; i < points; i++)); do
  txn=batch
  ((i >= points - 3)) && txn=stream
  db=resume_mongo_$i
  mongo "c.drop_database('$db')"
  at=$((RANDOM % 10000 + 1000))
  kill_after "$at" import -q "$uri/$db" -i "$TMP/a.ndjson.zst" --txn "$txn"
  check_eq "$killed_rc" "137" "point $i: the import was killed after $at records"
  run import "$uri/$db" -i "$TMP/a.ndjson.zst" --txn "$txn" --resume
  check_rc 0 "point $i: resume after SIGKILL at record $at (--txn $txn)"
  # Batch mode commits (and checkpoints) every 1,000 documents.
  [[ $txn == batch ]] && check_contains "$TMP/err" "resumed after archive line" "point $i: it resumed"
  run diff "$TMP/a.ndjson.zst" "$uri/$db"
  check_rc 0 "point $i: the target equals the archive"
  check_contains "$TMP/out" "equal: 2 streams" "point $i: counts and digests equal"
  check_eq "$(shape "$db")" "$expected_shape" "point $i: the indexes are there and the checkpoint is gone"
  mongo "c.drop_database('$db')"
done

# A checkpoint of another archive is refused.
mongo "c.drop_database('resume_mongo_other')"
kill_after 5000 import -q "$uri/resume_mongo_other" -i "$TMP/a.ndjson.zst" --txn batch
"$DECANT" export -q "$uri/resume_mongo_src" --only orders -o "$TMP/b.ndjson" || fail "export b"
run import "$uri/resume_mongo_other" -i "$TMP/b.ndjson" --txn batch --resume
check_rc 2 "another archive's checkpoint is not resumed"
check_contains "$TMP/err" "belongs to archive" "and the error says why"
mongo "c.drop_database('resume_mongo_other'); c.drop_database('resume_mongo_src')"

# Without transactions a batch and its checkpoint cannot commit together: refused, nothing written.
java=${DECANT_TEST_MONGO_JAVA_URI%/}/resume_mongo_java
run import "$java" -i "$TMP/a.ndjson.zst" --txn batch --resume
check_rc 2 "--resume on a server without transactions"
check_contains "$TMP/err" "mongodb: --resume needs multi-document transactions" "is refused, saying why"
run export -q "$java" -o "$TMP/java.ndjson"
check_eq "$(jq -s 'map(select(.t == "rec")) | length' "$TMP/java.ndjson")" "0" "and writes nothing"

finish
