#!/usr/bin/env bash
# Redis -> PostgreSQL -> Redis: the keyspace becomes one row per key (key, type, value as JSON,
# expiry, page; SPEC 11.0 rule 1, 11.2, 11.3) and comes back as the same keys.
# servers: redis postgres
source "$(dirname "$0")/testlib.bash" "$@"
use_server redis
use_server postgres

redis() { redis-cli -p "$DECANT_TEST_REDIS_PORT" -n 0 "$@" >/dev/null; }
forget_keys() { redis eval "for _, k in ipairs(redis.call('keys', ARGV[1])) do redis.call('del', k) end" 0 'pgrt:*'; }
psql_in() { PGOPTIONS="-c client_min_messages=warning" "$DECANT_TEST_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "${DECANT_TEST_PG_URI%/*}/$1" -c "$2"; }

# Keys of this test only (database 0 is shared with nobody, the prefix keeps it so anyway).
forget_keys
redis set pgrt:s hello
printf 'bin\377ary' | redis -x set pgrt:bin
redis hset pgrt:h f1 v1 f2 2
redis rpush pgrt:l a b c
redis sadd pgrt:set x y
redis zadd pgrt:z 1.5 m1 -inf m2
redis xadd pgrt:st 1-1 k v
redis set pgrt:ttl v PXAT 4102444800000
psql_in postgres "DROP DATABASE IF EXISTS redis_rt WITH (FORCE)" && psql_in postgres "CREATE DATABASE redis_rt"

run export "$DECANT_TEST_REDIS_URL" --match 'pgrt:*' -q -o original.ndjson
check_rc 0 "export from Redis"
run import "${DECANT_TEST_PG_URI%/*}/redis_rt" -q -i original.ndjson
check_rc 0 "import into PostgreSQL"

check_eq "$(psql_in redis_rt "SELECT count(*) FROM public.db0")" 8 "one row per key"
check_eq "$(psql_in redis_rt "SELECT value FROM public.db0 WHERE type = 'hash'")" '{"f1":"v1","f2":"2"}' \
  "a hash is a JSON document"
check_eq "$(psql_in redis_rt "SELECT value->>1 FROM public.db0 WHERE type = 'list'")" b "a list is a JSON array"
check_eq "$(psql_in redis_rt "SELECT expire_at FROM public.db0 WHERE type = 'string' AND value::text = '\"v\"'")" \
  4102444800000 "the expiry is absolute milliseconds"
check_eq "$(psql_in redis_rt "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 'public.db0'::regclass AND attnum > 0 ORDER BY attnum" | tr '\n' ' ')" \
  "text text json bigint bigint " "column types"

run export "${DECANT_TEST_PG_URI%/*}/redis_rt" -q -o from_pg.ndjson
check_rc 0 "export from PostgreSQL"
forget_keys
run import "$DECANT_TEST_REDIS_URL" -q -i from_pg.ndjson
check_rc 0 "import back into Redis"
run export "$DECANT_TEST_REDIS_URL" --match 'pgrt:*' -q -o back.ndjson
check_rc 0 "export again from Redis"
run diff original.ndjson back.ndjson
check_rc 0 "the keys came back unchanged"
check_contains "$TMP/out" "equal: 1 streams" "diff says equal"

forget_keys
psql_in postgres "DROP DATABASE redis_rt WITH (FORCE)"
finish
