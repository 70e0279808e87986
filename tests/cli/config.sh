#!/usr/bin/env bash
# --config FILE names source, target, selection, a jq transform and options as an alternative to flags:
# top-level keys for every command that has them, [export] / [import] sections for one; flags
# win over the file; a key no command knows is a usage error. DECANT_SOURCE / DECANT_TARGET
# give the URIs from the environment, out of argv.
source "$(dirname "$0")/testlib.bash" "$@"

cat >"$TMP/job.toml" <<TOML
# copy two tables
source = "sqlite:$CHINOOK"
target = "sqlite:$TMP/copy.db"
only = ["Album", "Artist"]
quiet = true

[export]
output = "$TMP/job.ndjson"

[import]
input = "$TMP/job.ndjson"
report = "$TMP/report.json"
TOML

run export --config "$TMP/job.toml"
check_rc 0 "export from a config file"
check_empty "$TMP/err" "quiet = true applies"
check_eq "$(jq -r 'select(.t == "stream") | .name' "$TMP/job.ndjson" | tr '\n' ' ')" "Album Artist " \
  "the selection from the file"
run --config "$TMP/job.toml" import
check_rc 0 "import from a config file (--config before the command)"
check_eq "$(sqlite3 "$TMP/copy.db" "SELECT count(*) FROM Album; SELECT count(*) FROM Artist" | tr '\n' ' ')" "347 275 " \
  "the target from the file"
check_eq "$(jq -c '[.ok, .options.conflict]' "$TMP/report.json")" '[true,"error"]' "the [import] section applies"

# Flags win over the file: --conflict replace lets the same import run again.
run import --config "$TMP/job.toml" --conflict replace
check_rc 0 "a flag overrides the file"
check_eq "$(jq -r .options.conflict "$TMP/report.json")" "replace" "the flag's value was used"
run import --config "$TMP/job.toml"
check_rc 4 "without the flag the file's settings hold (keys exist)"
run import --config "$TMP/job.toml" "sqlite:$TMP/other.db"
check_rc 0 "a TARGET on the command line wins over the file's"
check_eq "$(sqlite3 "$TMP/other.db" "SELECT count(*) FROM Album")" "347" "the command line's target was written"

# The whole selection from the file: only, exclude and rename-stream; --only on the command line
# replaces the file's only (the others still apply).
cat >"$TMP/selection.toml" <<TOML
source = "sqlite:$CHINOOK"
only = ["Genre", "Album", "Artist"]
exclude = ["Album"]
rename-stream = ["Artist=Singer"]
TOML
run export --config "$TMP/selection.toml" -o "$TMP/sel.ndjson" -q
check_rc 0 "export with the selection from a file"
check_eq "$(jq -r 'select(.t == "stream") | .name' "$TMP/sel.ndjson" | tr '\n' ' ')" "Singer Genre " \
  "only, exclude and rename-stream from the file"
run export --config "$TMP/selection.toml" --only Artist --only Album -o "$TMP/sel2.ndjson" -q
check_rc 0 "export with --only over the file's selection"
check_eq "$(jq -r 'select(.t == "stream") | .name' "$TMP/sel2.ndjson" | tr '\n' ' ')" "Singer " \
  "the flag's only replaced the file's; its exclude and rename still apply"
printf 'only = ["Genre"]\n' >"$TMP/import-selection.toml"
run import --config "$TMP/import-selection.toml" "sqlite:$TMP/sel.db" -i "$TMP/job.ndjson" -q
check_rc 0 "import with only from a file (no such stream in the archive)"
check_eq "$(sqlite3 "$TMP/sel.db" "SELECT count(*) FROM sqlite_schema WHERE type = 'table'")" "0" \
  "the file's selection left every stream out"

# A transform from the file: jq in [import]; --jq on the command line replaces it.
cat >"$TMP/transform.toml" <<TOML
[import]
input = "$TMP/job.ndjson"
jq = 'select(.t != "rec" or .s != "Album" or .r.ArtistId < 10)'
report = "$TMP/transform.json"
TOML
run import --config "$TMP/transform.toml" "sqlite:$TMP/jq.db" -q
check_rc 0 "import with a jq transform from the file"
check_eq "$(sqlite3 "$TMP/jq.db" "SELECT count(*) FROM Album; SELECT count(*) FROM Artist" | tr '\n' ' ')" "14 275 " \
  "the file's transform kept only the albums of artists 1 to 9"
check_eq "$(jq -c '[.options.jq, .transformed]' "$TMP/transform.json")" \
  '["select(.t != \"rec\" or .s != \"Album\" or .r.ArtistId < 10)",true]' "the report names the transform"
run import --config "$TMP/transform.toml" "sqlite:$TMP/jq2.db" -q --jq 'select(.t != "rec" or .s != "Artist")'
check_rc 0 "--jq on the command line"
check_eq "$(sqlite3 "$TMP/jq2.db" "SELECT count(*) FROM Album; SELECT count(*) FROM Artist" | tr '\n' ' ')" "347 0 " \
  "the flag's transform replaced the file's"
run import "sqlite:$TMP/jq3.db" -i "$TMP/job.ndjson" --jq 'not a filter (('
check_rc 2 "a jq filter that does not compile"
check_contains "$TMP/err" "jq: error" "jq's own message"
check_contains "$TMP/err" "--jq: jq does not accept the filter" "decant says which step failed"
run import "sqlite:$TMP/jq3.db" -i "$TMP/job.ndjson" --jq 'if .t == "trailer" then error("no trailer wanted") else . end'
check_rc 5 "a jq filter that fails (jq 1.6 exits 5 when its last input fails)"
check_contains "$TMP/err" "--jq: jq failed (exit 5)" "the failure of jq is reported"
check_absent "$TMP/jq3.db" "nothing written when the transform fails"

printf 'conflct = "replace"\n' >"$TMP/typo.toml"
run import --config "$TMP/typo.toml" "sqlite:$TMP/x.db" -i "$TMP/job.ndjson"
check_rc 2 "a misspelt key"
check_contains "$TMP/err" "conflct" "names the key"
printf '[imprt]\nconflict = "replace"\n' >"$TMP/section.toml"
run import --config "$TMP/section.toml" "sqlite:$TMP/x.db" -i "$TMP/job.ndjson"
check_rc 2 "a misspelt section"
check_absent "$TMP/x.db" "nothing written on a config error"
run import --config "$TMP/missing.toml" "sqlite:$TMP/x.db" -i "$TMP/job.ndjson"
check_rc 2 "a missing config file"

# URIs from the environment.
DECANT_SOURCE="sqlite:$CHINOOK" run export --only Genre -o "$TMP/env.ndjson" -q
check_rc 0 "export with DECANT_SOURCE"
DECANT_TARGET="sqlite:$TMP/env.db" run import -i "$TMP/env.ndjson" -q
check_rc 0 "import with DECANT_TARGET"
check_eq "$(sqlite3 "$TMP/env.db" "SELECT count(*) FROM Genre")" "25" "the target from the environment"
DECANT_TARGET="sqlite:$TMP/env2.db" run import "sqlite:$TMP/arg.db" -i "$TMP/env.ndjson" -q
check_rc 0 "an argument wins over the environment"
check_absent "$TMP/env2.db" "the environment's target was not used"

finish
