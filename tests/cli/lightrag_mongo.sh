#!/usr/bin/env bash
# mongodb:// --layout lightrag (SPEC 11.5.4): a LightRAG working directory -> archive -> MongoDB ->
# archive -> working directory gives back the same logical records (decant diff); the collection
# names are LightRAG's; workspace rename, noise collections, conflicts, a vector dimension
# mismatch refused before writing; and LightRAG 1.5.7's own MongoKVStorage,
# MongoDocStatusStorage, MongoVectorDBStorage and MongoGraphStorage read what decant wrote and
# write what decant exports (tests/lightrag/lightrag_fixture.py). SecantusDB has no Atlas Search,
# so MongoVectorDBStorage's vector index and query() are left out (the fixture says why); its
# upserts and id lookups are checked. Databases lrm_* of the shared server are this test's own.
# servers: secantus
ROOT=$(realpath "$(dirname "$0")/../..")
source "$(dirname "$0")/testlib.bash" "$@"
use_server secantus

source "$ROOT/tests/lightrag/fixture.bash"
SRC=$DATA/lightrag/rag_storage
URI=${DECANT_TEST_SECANTUS_URI%/}
unset WORKSPACE MONGODB_WORKSPACE
MONGO_STORAGES=(--kv-storage MongoKVStorage --doc-status-storage MongoDocStatusStorage
  --vector-storage MongoVectorDBStorage --graph-storage MongoGraphStorage)
# mongo DB SCRIPT: runs SCRIPT with `db`, a pymongo database of the test server.
mongo() {
  "$PY" -c "import pymongo, sys; db = pymongo.MongoClient('$URI')['$1']; $2"
}
for db in lrm_a lrm_b lrm_c lrm_d lrm_e lrm_f lrm_g; do mongo $db "db.client.drop_database('$db')"; done

# The logical records without nano's normalised matrix rows, which MongoDB does not keep.
without_normalized() { zstd -dcf "$1" | jq -c 'if .t == "rec" then del(.r.normalized) else . end'; }

# --- directory -> MongoDB: LightRAG's collection names
run export "lightrag:$SRC" --cache-types all -o all.ndjson
check_rc 0 "export the working directory"
run import -i all.ndjson "$URI/lrm_a" --layout lightrag
check_rc 0 "import into MongoDB with the LightRAG layout"
check_eq "$(mongo lrm_a "print(' '.join(sorted(db.list_collection_names())))")" \
  "chunk_entity_relation chunk_entity_relation_edges chunks doc_status entities entity_chunks full_docs full_entities full_relations llm_response_cache relation_chunks relationships space1_chunk_entity_relation space1_chunk_entity_relation_edges space1_chunks space1_doc_status space1_entities space1_entity_chunks space1_full_docs space1_full_entities space1_full_relations space1_llm_response_cache space1_relation_chunks space1_relationships space1_text_chunks text_chunks" \
  "collections WS_NS, NS for the default workspace, _edges for the graph's edges"
check_eq "$(mongo lrm_a "d = db.entities.find_one(); print(type(d['vector']).__name__, type(d['vector'][0]).__name__, len(d['vector']), 'created_at' in d)")" \
  "list float 4 True" "vectors are arrays of doubles beside created_at"
check_eq "$(mongo lrm_a "e = db.chunk_entity_relation_edges.find_one(); print(type(e['_id']).__name__, sorted(k for k in e if k in ('source_node_id','target_node_id','edge_lo','edge_hi','source_ids')))")" \
  "ObjectId ['edge_hi', 'edge_lo', 'source_ids', 'source_node_id', 'target_node_id']" \
  "edges carry MongoGraphStorage's end point fields and source_ids"

# MongoDB keeps the raw embedding only: everything but nano's normalised rows compares equal.
run diff "lightrag:$SRC" "$URI/lrm_a" --layout lightrag --cache-types all --namespaces \
  full_docs,text_chunks,llm_response_cache,full_entities,full_relations,entity_chunks,relation_chunks,doc_status,chunk_entity_relation
check_rc 0 "decant diff of the directory and MongoDB (KV, doc status, graph)"
check_contains "$TMP/out" "equal: 20 streams" "every KV, doc-status and graph stream of both workspaces"

# --- MongoDB -> archive -> directory: the same records
run export "$URI/lrm_a" --layout lightrag --cache-types all -o from_mongo.ndjson
check_rc 0 "export MongoDB with the LightRAG layout"
without_normalized all.ndjson >all_raw.ndjson
run diff all_raw.ndjson from_mongo.ndjson
check_rc 0 "MongoDB gives back every logical record, vectors included (bit for bit)"
run import -i from_mongo.ndjson lightrag:back
check_rc 0 "import the MongoDB export into a directory"
run export lightrag:back --cache-types all -o back.ndjson
without_normalized back.ndjson >back_raw.ndjson
run diff all_raw.ndjson back_raw.ndjson
check_rc 0 "dir -> MongoDB -> dir: the same logical records"

# --- workspace rename, default cache types, noise
mongo lrm_b "db.other.insert_one({'_id': 'x'})"
run export "lightrag:$SRC" --workspace space1 -o space1.ndjson
run import -i space1.ndjson "$URI/lrm_b" --layout lightrag --workspace tenant2
check_rc 0 "space1 into workspace tenant2"
check_eq "$(mongo lrm_b "print(sorted(set(n.split('_')[0] for n in db.list_collection_names())))")" "['other', 'tenant2']" \
  "every LightRAG collection has the tenant2_ prefix"
check_eq "$(mongo lrm_b "print(sorted(set(d['_id'].split(':')[0] for d in db.tenant2_llm_response_cache.find())))")" "['default']" \
  "the query cache stayed behind (default --cache-types)"
run export "$URI/lrm_b" --layout lightrag -o b.ndjson
check_rc 0 "export a database with a foreign collection"
check_contains "$TMP/err" "1 collections of database lrm_b are not LightRAG collections" "the foreign collection is counted"
run import -i space1.ndjson "$URI/lrm_b" --layout lightrag --workspace tenant2 --namespaces full_docs --txn batch
check_rc 4 "existing documents conflict by default"

# --- an embedding dimension the target collection does not have: refused before writing
mongo lrm_c "db.entities.insert_one({'_id': 'ent-old', 'created_at': 1, 'vector': [1.0, 0.0, 0.0]})"
run import -i all.ndjson "$URI/lrm_c" --layout lightrag --txn single
check_rc 4 "vectors of dimension 4 into a collection of dimension 3"
check_contains "$TMP/err" 'collection "entities" holds vectors of dimension 3, the archive'"'"'s are of dimension 4' \
  "the refusal names the collection and both dimensions"
check_eq "$(mongo lrm_c "print(sorted(db.list_collection_names()), db.entities.count_documents({}))")" "['entities'] 1" \
  "nothing was written (one transaction)"
run import -i all.ndjson "$URI/lrm_c" --layout lightrag --namespaces entities --drop
check_rc 0 "--drop replaces the collection, so its old dimension does not bind"
check_eq "$(mongo lrm_c "print(db.entities.count_documents({}), len(db.entities.find_one()['vector']))")" "2 4" \
  "the archive's vectors replaced the old one"

# --- a document that is not what LightRAG writes: one line naming it, exit 3
mongo lrm_f "db.entities.insert_one({'_id': 'ent-bad', 'created_at': 1, 'vector': 'oops'})"
run export "$URI/lrm_f" --layout lightrag -o bad.ndjson
check_rc 3 "a vector that is not an array"
check_contains "$TMP/err" 'stream "entities": _id "ent-bad": "vector" is not an array' "the error names the stream and the document"

# --- decant migrate finds the layout by itself
run migrate --from "lightrag:$SRC" --to "$URI/lrm_g" --yes --progress off
check_rc 0 "decant migrate from the directory into MongoDB"
check_contains "$TMP/err" "40 exported, 40 imported, 0 left out" "every default-cache record of both workspaces moved"
check_eq "$(mongo lrm_g "print(db.space1_chunk_entity_relation_edges.count_documents({}), db.entities.count_documents({}))")" "1 2" \
  "edges and vectors landed in LightRAG's collections"

# --- LightRAG's Mongo storages read what decant wrote (from LightRAG's own JSON storages)
lightrag write --int64-only --working-dir written --expected expected.json
check_lightrag "LightRAG writes a working directory"
run export lightrag:written --cache-types all -o written.ndjson
run import -i written.ndjson "$URI/lrm_d" --layout lightrag
check_rc 0 "decant moves it into MongoDB"
MONGO_URI=$URI/ MONGO_DATABASE=lrm_d lightrag verify --working-dir none --expected expected.json "${MONGO_STORAGES[@]}"
check_lightrag "LightRAG's Mongo storages read every record (vectors at float16 precision, nano's copy)"

# --- LightRAG writes MongoDB -> decant -> directory -> LightRAG's JSON storages read it
MONGO_URI=$URI/ MONGO_DATABASE=lrm_e lightrag write --working-dir none --workspace space1 --expected expected_mongo.json \
  "${MONGO_STORAGES[@]}"
check_lightrag "LightRAG writes all four Mongo storages, workspace space1"
MONGO_URI=$URI/ MONGO_DATABASE=lrm_e lightrag verify --working-dir none --workspace space1 --expected expected_mongo.json \
  "${MONGO_STORAGES[@]}"
check_lightrag "LightRAG reads its own Mongo deployment back (the baseline)"
run export "$URI/lrm_e" --layout lightrag --cache-types all -o lightrag_mongo.ndjson
check_rc 0 "decant export of LightRAG's collections"
run import -i lightrag_mongo.ndjson lightrag:from_mongo
check_rc 0 "into a working directory"
lightrag verify --working-dir from_mongo --workspace space1 --expected expected_mongo.json
check_lightrag "LightRAG's JSON, nano-vectordb and NetworkX storages read every record that came from MongoDB"

for db in lrm_a lrm_b lrm_c lrm_d lrm_e lrm_f lrm_g; do mongo $db "db.client.drop_database('$db')"; done
finish
