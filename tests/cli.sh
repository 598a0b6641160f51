#!/usr/bin/env bash
# tests/cli.sh BINARY: checks the llmspell command-line tool (tools/llmspell.c) through a built binary.
# Prints one line per check, "PASS cli_<name>" or "FAIL cli_<name>: <what differed> [command]", and
# exits 1 when any check failed. Works in a fresh scratch directory, removed at the end.
# The tool's rules: exit 0 ok, 1 bad data or a failed operation (stderr says what and where),
# 2 usage error (stderr shows the usage); --help prints the usage on stdout and exits 0.
set -u
[ $# -eq 1 ] || { echo "usage: bash tests/cli.sh PATH_TO_BINARY" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$BIN" ] || { echo "tests/cli.sh: $1 is not an executable" >&2; exit 2; }
W=$(mktemp -d) || exit 2
trap 'rm -rf "$W"' EXIT
mkdir "$W/s" && cd "$W/s" || exit 2
# a sanitizer build: its own exit codes, so a report never passes for an expected exit 1
export ASAN_OPTIONS="exitcode=86:${ASAN_OPTIONS:-}" UBSAN_OPTIONS="print_stacktrace=1:exitcode=87:${UBSAN_OPTIONS:-}"

failures=0 sanitizer_hits=""
short() { printf '%s' "$1" | tr '\n\t' '|>' | cut -c1-160; }
report() { # NAME WHY: PASS when WHY is empty
    if [ -z "$2" ]; then echo "PASS cli_$1"; else echo "FAIL cli_$1: $2"; failures=$((failures + 1)); fi
}
check() { # NAME CONDITION MESSAGE: CONDITION is evaluated; MESSAGE and the last command on failure
    if eval "$2"; then report "$1" ""; else report "$1" "$3 [$cmd]"; fi
}
run() { # ARGS...: one invocation with empty stdin; sets rc, out, err and cmd
    cmd="llmspell $*"
    "$BIN" "$@" < /dev/null > "$W/out" 2> "$W/err"
    finish_run
}
run_in() { # FILE ARGS...: the same with stdin from FILE
    local f=$1
    shift
    cmd="llmspell $* < $f"
    "$BIN" "$@" < "$f" > "$W/out" 2> "$W/err"
    finish_run
}
finish_run() {
    rc=$?
    out=$(cat "$W/out")
    err=$(cat "$W/err")
    case $err in *Sanitizer* | *"runtime error:"*) sanitizer_hits="$sanitizer_hits [$cmd]" ;; esac
}
expect() { # NAME RC [out=TEXT out~TEXT out!~TEXT err=TEXT err~TEXT usage]: one check on the last run
    local name=$1 want=$2 why="" a
    shift 2
    [ "$rc" = "$want" ] || why="exit $rc, want $want; "
    for a in "$@"; do
        case $a in
            out=*) [ "$out" = "${a#out=}" ] || why+="stdout is not '$(short "${a#out=}")'; " ;;
            out~*) [[ $out == *"${a#out~}"* ]] || why+="stdout lacks '$(short "${a#out~}")'; " ;;
            out!~*) [[ $out != *"${a#out!~}"* ]] || why+="stdout has '${a#out!~}'; " ;;
            err=*) [ "$err" = "${a#err=}" ] || why+="stderr is not '${a#err=}'; " ;;
            err~*) [[ $err == *"${a#err~}"* ]] || why+="stderr lacks '${a#err~}'; " ;;
            usage) [[ $err == *"usage: llmspell"* ]] || why+="stderr shows no usage; " ;;
            *) why+="(bad expectation '$a') " ;;
        esac
    done
    [ -z "$why" ] || why="${why}stdout '$(short "$out")', stderr '$(short "$err")' [$cmd]"
    report "$name" "$why"
}
ids() { printf '%s\n' "$out" | cut -f2 | paste -sd, -; } # the id column of search results
body() { sed -E 's/"exported_at":"[^"]*",//; s/"source_backend":"[^"]*",//' "$1"; } # an export without its stamps
export_body() { # KIND PATH: the store's export, without the stamps
    "$BIN" storage export --backend "$1" --path "$2" 2> /dev/null > "$W/exp.json" || echo "export of $1:$2 failed"
    body "$W/exp.json"
}

# ---- the command line ------------------------------------------------------------------------
run --help
expect help_main 0 "out~usage: llmspell <group> <command>" "out~storage migrate"
run
expect no_args 2 "out=" usage
run --version
check version '[ $rc = 0 ] && [[ $out =~ ^llmspell\ [0-9]+\.[0-9]+ ]]' "want exit 0 and 'llmspell X.Y', got $rc '$out'"
run bogus get
expect unknown_group 2 "err~unknown group 'bogus'" usage
run kv bogus
expect unknown_command 2 "err~unknown command 'bogus'" "err~llmspell kv scan" usage
run storage
expect group_without_command 2 "err~which command" usage
run storage --help
expect group_help 0 "out~usage: llmspell storage export" "out~usage: llmspell storage migrate" "err="
for gc in "storage export" "storage import" "storage validate" "storage info" "storage compact" "storage migrate" "kv get" "kv put" \
    "kv del" "kv scan" "vec create" "vec add" "vec search" "vec info" "graph put" "graph get" "graph history" \
    "graph neighbors" "graph traverse"; do
    run $gc --help
    check "help_${gc/ /_}" '[ $rc = 0 ] && [[ $out == "usage: llmspell $gc"* ]] && [ -z "$err" ]' \
        "want exit 0 and stdout starting 'usage: llmspell $gc', got $rc '$(short "$out")'"
done
run kv get k --path kv.db --help
expect help_wins_over_args 0 "out~usage: llmspell kv get"
run kv get k --bogus --path kv.db
expect unknown_option 2 "err~unknown option --bogus" usage
run kv get k --path
expect missing_value 2 "err~missing value after --path" usage
run kv get a b --path kv.db
expect too_many_args 2 "err~unexpected argument b" usage
run kv get --path kv.db
expect missing_arg 2 "err~missing argument" usage
run kv get k --raw=yes --path kv.db
expect flag_with_value 2 "err~--raw=yes" usage
run vec search docs --vector 1,0 --k 0 --path v.db
expect int_zero 2 "err~--k must be an integer" "err~not 0" usage
run vec search docs --vector 1,0 --k abc --path v.db
expect int_text 2 "err~--k must be an integer" "err~not abc" usage
run graph traverse alice --depth 11 --path g.db
expect int_too_big 2 "err~--depth must be an integer in 1..10" usage
run kv scan --limit -1 --path kv.db
expect int_negative 2 "err~--limit" usage
run graph get alice --valid-at yesterday --path g.db
expect time_bad 2 "err~--valid-at wants RFC 3339" "err~yesterday" usage
run graph get alice --valid-at 2024-05-01T12:00:00 --path g.db
expect time_without_zone 2 "err~--valid-at" usage
run vec create docs --metric hamming --path v.db
expect metric_bad 2 "err~--metric is cosine, l2 or ip, not hamming" usage
run graph neighbors alice --dir up --path g.db
expect dir_bad 2 "err~--dir is out, in or both, not up" usage
run vec search docs --vector 1,0 --where year --path v.db
expect where_without_op 2 "err~--where wants FIELD<op>VALUE" usage
run vec search docs --vector 1,0 --where '=3' --path v.db
expect where_without_field 2 "err~--where wants FIELD<op>VALUE" usage
run kv get k --backend rocksdb --path kv.db
expect backend_unknown 2 "err~unknown backend 'rocksdb'" usage
run kv get k
expect path_missing 2 "err~--path is required" usage
check nothing_created_by_usage_errors '[ -z "$(ls)" ]' "files appeared: $(ls | paste -sd' ' -)"

# ---- kv --------------------------------------------------------------------------------------
for be in file sqlite; do
    db=kv_$be.db
    run kv put greeting hello --backend $be --path $db
    expect kv_${be}_put 0 "out="
    run kv get greeting --backend $be --path $db
    expect kv_${be}_get 0 "out=hello"
    run kv get nope --backend $be --path $db
    expect kv_${be}_get_missing 1 "err~key 'nope' not found" "err~$be:$db" "out="
    run kv put k in-acme --tenant acme --backend $be --path $db
    expect kv_${be}_tenant_put 0
    run kv get k --tenant acme --backend $be --path $db
    expect kv_${be}_tenant_get 0 "out=in-acme"
    run kv get k --backend $be --path $db
    expect kv_${be}_tenant_key_not_at_root 1 "err~key 'k' not found"
    run kv get greeting --tenant acme --backend $be --path $db
    expect kv_${be}_root_key_not_in_tenant 1 "err~key 'greeting' not found"
    for k in user:1 user:2 user:3 other; do "$BIN" kv put $k "v$k" --backend $be --path $db; done
    run kv scan user: --limit 2 --backend $be --path $db
    expect kv_${be}_scan_prefix_limit 0 "out=$(printf 'user:1\tvuser:1\nuser:2\tvuser:2')"
    run kv scan --backend $be --path $db
    expect kv_${be}_scan_all_user_keys 0 "out=$(printf 'greeting\thello\nother\tvother\nuser:1\tvuser:1\nuser:2\tvuser:2\nuser:3\tvuser:3')"
    run kv del user:2 --backend $be --path $db
    expect kv_${be}_del 0 "out="
    run kv get user:2 --backend $be --path $db
    expect kv_${be}_get_after_del 1 "err~not found"
    run kv del user:2 --backend $be --path $db
    expect kv_${be}_del_missing 1 "err~key 'user:2' not found"
done
printf 'tab\there\nnewline \\ end' > value.bin
run_in value.bin kv put odd --path kv_file.db
expect kv_put_from_stdin 0
run kv get odd --raw --path kv_file.db
check kv_get_raw_exact_bytes '[ $rc = 0 ] && cmp -s "$W/out" value.bin' "stdout differs from the bytes put (exit $rc)"
{ cat value.bin; echo; } > value_nl.bin
run kv get odd --path kv_file.db
check kv_get_adds_newline '[ $rc = 0 ] && cmp -s "$W/out" value_nl.bin' "want the value and one newline (exit $rc)"
run kv scan odd --path kv_file.db
expect kv_scan_escapes 0 $'out=odd\ttab\\there\\nnewline \\\\ end'
run kv get greeting --path=kv_file.db
expect kv_option_equals_form 0 "out=hello"
run kv put "$(printf '\xffsys')" v --path kv_file.db
expect kv_key_0xff_rejected 1 "err~reserved"
run kv put "$(printf '\xffsys')" v --path kv_new.db
expect kv_failed_write_on_new_path 1 "err~reserved"
check kv_failed_write_creates_no_store '[ ! -e kv_new.db ]' "a failed put left a new store kv_new.db behind"
run kv put k v --backend memory
expect kv_memory_not_writable 2 "err~memory backend" usage
for be in file sqlite; do
    run kv get k --backend $be --path missing_$be.db
    expect kv_${be}_missing_store 1 "err~missing_$be.db" "err~does not exist"
    check kv_${be}_missing_store_not_created '[ ! -e missing_$be.db ]' "missing_$be.db was created by a read"
done
"$BIN" storage export --path kv_file.db --output kv.json 2> /dev/null
run kv get greeting --backend memory --path kv.json
expect kv_memory_from_export 0 "out=hello"
if command -v flock > /dev/null; then
    exec 9< kv_file.db
    flock -x 9
    run kv put locked v --path kv_file.db
    expect kv_locked_writer_refused 1 "err~locked" "err~kv_file.db"
    flock -u 9 && flock -s 9 # a reader's shared lock: other readers go on, writers wait
    run kv get greeting --path kv_file.db
    expect kv_shared_lock_reader_ok 0 "out=hello"
    run kv put locked v --path kv_file.db
    expect kv_shared_lock_writer_refused 1 "err~locked"
    exec 9<&-
    run kv put locked v --path kv_file.db
    expect kv_unlocked_writer_ok 0
else
    report kv_lock "flock(1) not found: the lock checks did not run"
fi

# ---- vec -------------------------------------------------------------------------------------
run vec create docs --path v.db
expect vec_create_cosine 0 "out~created collection 'docs' (cosine"
run vec create near --metric l2 --path v.db
expect vec_create_l2 0 "out~(l2"
run vec create dot --metric ip --M 8 --path v.db
expect vec_create_ip 0 "out~(ip, f32, M 8)"
run vec create small --quant int8 --path v.db
expect vec_create_int8 0 "out~created collection 'small' (cosine, int8, M 16)"
run vec create bad --quant i4 --path v.db
expect vec_create_bad_quant 2 "err~--quant is f32, f16 or int8, not i4"
run vec create docs --path v.db
expect vec_create_duplicate 1 "err~exists"
run vec add docs a --vector '[1, 0, 0]' --path v.db
expect vec_add_bracketed 0 "out~added 'a' (dimension 3)"
run vec add docs b --vector 0.9,0.1,0 --metadata '{"lang":"fr"}' --path v.db
expect vec_add_plain 0 "out~added 'b'"
run vec add docs c --vector 0,1,0 --ttl 3600 --path v.db
expect vec_add_ttl 0 "out~added 'c'"
run vec add docs d --vector x,y --path v.db
expect vec_add_bad_vector 2 "err~--vector" usage
run vec add docs d --vector '[1, "a"]' --path v.db
expect vec_add_vector_not_numbers 2 "err~not a number" usage
run vec add docs d --vector 1,0,0 --metadata '[1]' --path v.db
expect vec_add_bad_metadata 1 "err~metadata"
run vec add docs d --vector 1,0,0 --ttl 0 --path v.db
expect vec_add_ttl_zero 2 "err~--ttl" usage
run vec add nope d --vector 1,0,0 --path v.db
expect vec_add_missing_collection 1 "err~collection 'nope'" "err~not found" "err~file:v.db"
run vec info docs --path v.db
expect vec_info_one 0 'out~collection "docs": 3 records, cosine' "out~dimensions 3 (3)"
cat > papers.jsonl << 'EOF'
{"id":"p1","vector":[1,0,0],"metadata":{"year":2020,"lang":"en","ok":true}}
{"id":"p2","vector":[0.9,0.1,0],"metadata":{"year":2023,"lang":"fr","ok":false}}
{"id":"p3","vector":[0.5,0.5,0],"metadata":{"year":2024,"lang":"en","ok":true},"ttl_seconds":3600}
EOF
echo '{"id":"p4","vector":[0,1,0],"metadata":{"year":2022,"lang":"de","ok":false}}' > p4.jsonl
"$BIN" vec create papers --path v.db > /dev/null
run vec add papers --input papers.jsonl --path v.db
expect vec_add_input_file 0 "out~added 3 records"
run_in p4.jsonl vec add papers --input - --path v.db
expect vec_add_input_stdin 0 "out~added 1 record to"
printf '%s\n' '{"id":"p5","vector":[1,1,1]}' '{"id":"p6","vector":[1,1,1}' '{"id":"p7","vector":[1,1,1]}' > bad_syntax.jsonl
printf '%s\n' '{"id":"p5","vector":[1,1,1]}' '{"id":"p6","vector":"text"}' '{"id":"p7","vector":[1,1,1]}' > bad_record.jsonl
printf '%s\n' '{"id":"p5","vector":[1,1,1]}' '{"id":"p6","vector":[1,1,1]' '{"id":"p7","vector":[1,1,1]}' > bad_cut.jsonl
for f in bad_syntax bad_record bad_cut; do
    run vec add papers --input $f.jsonl --path v.db
    expect vec_add_input_$f 1 "err~line 2" "out="
    run vec info papers --path v.db
    expect vec_add_input_${f}_added_nothing 0 'out~"papers": 4 records'
done
run vec add papers x --input papers.jsonl --path v.db
expect vec_add_input_with_id 2 usage
run vec search papers --vector 1,0,0 --path v.db
expect vec_search_order 0 "out~$(printf '1\tp1\t1.000000\t{"year":2020,"lang":"en","ok":true}')"
check vec_search_ranks_ids '[ "$(printf "%s\n" "$out" | cut -f1,2 | tr "\t\n" ":,")" = "1:p1,2:p2,3:p3,4:p4," ]' \
    "want ranks 1..4 for p1,p2,p3,p4, got $(short "$out")"
check vec_search_scores_best_first 'printf "%s\n" "$out" | awk -F"\t" "NR > 1 && \$3 > prev { exit 1 } { prev = \$3 }"' \
    "scores rise: $(short "$out")"
while read -r name where want; do
    run vec search papers --vector 1,0,0 --where "$where" --path v.db
    check "vec_where_$name" '[ $rc = 0 ] && [ "$(ids)" = "$want" ]' "want $want, got exit $rc ids '$(ids)'"
done << 'EOF'
eq_text      lang=en     p1,p3
ne_text      lang!=en    p2,p4
eq_json_text lang="fr"   p2
lt_int       year<2022   p1
le_int       year<=2022  p1,p4
gt_int       year>2023   p3
ge_int       year>=2023  p2,p3
eq_true      ok=true     p1,p3
eq_false     ok=false    p2,p4
EOF
run vec search papers --vector 1,0,0 --where 'year>=2022' --where lang=en --path v.db
check vec_where_two '[ $rc = 0 ] && [ "$(ids)" = p3 ]' "want p3, got exit $rc ids '$(ids)'"
run vec search papers --vector 0,1,0 --exact --k 2 --path v.db
check vec_search_exact_k '[ $rc = 0 ] && [ "$(ids)" = p4,p3 ]' "want p4,p3, got exit $rc ids '$(ids)'"
run vec search papers --vector 0,1,0 --k 1 --path v.db
check vec_search_k1_same_top '[ $rc = 0 ] && [ "$(ids)" = p4 ]' "want p4, got exit $rc ids '$(ids)'"
for r in a:0,0 b:3,4 c:1,0; do "$BIN" vec add near ${r%:*} --vector ${r#*:} --path v.db > /dev/null; done
run vec search near --vector 0,0 --path v.db
expect vec_search_l2_nearest_first 0 "out=$(printf '1\ta\t0.000000\t{}\n2\tc\t1.000000\t{}\n3\tb\t5.000000\t{}')"
run vec search nope --vector 1,0,0 --path v.db
expect vec_search_missing_collection 1 "err~collection 'nope'" "err~not found" "err~file:v.db" "out="
run vec search papers --vector 1,0 --path v.db
expect vec_search_wrong_dimension 1 "err~dimension 2" "out="
run vec info --path v.db
expect vec_info_all 0 'out~"docs": 3 records' 'out~"dot": 0 records, ip, f32, M 8' 'out~"small": 0 records, cosine, int8' 'out~"near": 3 records, l2' 'out~"papers": 4'
run vec info nope --path v.db
expect vec_info_missing 1 "err~collection 'nope'" "err~not found" "err~file:v.db"
"$BIN" vec create tv --tenant acme --backend sqlite --path v_sqlite.db > /dev/null
"$BIN" vec add tv t1 --vector 1,2 --tenant acme --backend sqlite --path v_sqlite.db > /dev/null
run vec search tv --vector 1,2 --tenant acme --backend sqlite --path v_sqlite.db
expect vec_sqlite_tenant_search 0 $'out~1\tt1\t'
run vec search tv --vector 1,2 --backend sqlite --path v_sqlite.db
expect vec_tenant_collection_not_at_root 1 "err~collection 'tv'" "err~not found"

# ---- graph -----------------------------------------------------------------------------------
g() { "$BIN" graph put "$@" --path g.db > /dev/null || echo "setup failed: graph put $*" >&2; }
versions() { # the history rows as "current|old NAME", sorted (old: recorded_to is not +inf)
    printf '%s\n' "$out" | awk -F'\t' 'NR > 1 { print ($4 == "+inf" ? "current" : "old") " " $6 }' | sort | paste -sd, -
}
HISTORY_HEADER=$'valid_from\tvalid_to\trecorded_from\trecorded_to\ttype\tname\tproperties'
run graph put alice --type person --name Alice --props '{"age":30}' --valid-from 2024-01-01T00:00:00Z --path g.db
expect graph_put_entity_rfc3339_z 0 "out=stored entity 'alice' in file:g.db"
g alice --type person --name 'Alice B' --valid-from 2024-06-01T02:00:00+02:00
g bob --type person --name Bob --valid-from 2024-01-01
g acme --type org --name Acme --valid-from 1704067200000000
g carol --type person --name Carol --valid-from 2024-01-01T00:00:00.5Z
g dave --name Dave --valid-from 2024-01-01T00:00:00-05:00 --valid-to 2024-03-01
run graph put r1 --type knows --source alice --target bob --valid-from 2024-01-01 --path g.db
expect graph_put_rel 0 "out=stored relationship 'r1' in file:g.db"
g r2 --type works_at --source bob --target acme --valid-from 2024-01-01
g r3 --type knows --source carol --target alice --valid-from 2024-02-01
g r6 --type knew --source bob --target carol --valid-from 1704067200000000 --valid-to 2024-02-01T00:00:00+02:00
while read -r id at valid; do # offsets, date only, microseconds, fractions all come back in UTC
    run graph get $id --valid-at $at --path g.db
    expect graph_valid_interval_$id 0 "out~valid $valid"
done << 'EOF'
alice 2024-07-01             [2024-06-01T00:00:00Z, +inf)
bob   now                    [2024-01-01T00:00:00Z, +inf)
acme  now                    [2024-01-01T00:00:00Z, +inf)
carol +inf                   [2024-01-01T00:00:00.500000Z, +inf)
dave  2024-02-01T00:00:00Z   [2024-01-01T05:00:00Z, 2024-03-01T00:00:00Z)
EOF
run graph get alice --valid-at 2024-03-01 --path g.db
expect graph_get_before_change 0 $'out~name Alice\n' 'out~properties {"age":30}'
run graph get alice --valid-at 2024-07-01 --path g.db
expect graph_get_after_change 0 "out~name Alice B"
run graph get alice --valid-at 2024-02-30 --path g.db
expect graph_time_no_such_day 2 "err~2024-02-30" usage
run graph get alice --valid-at 2023-12-31T23:59:59Z --path g.db
expect graph_get_before_valid 1 "err~'alice'" "err~not visible"
run graph get dave --valid-at 2024-03-01 --path g.db
expect graph_valid_to_is_exclusive 1 "err~not visible"
run graph history alice --path g.db
check graph_history '[ $rc = 0 ] && [ "$(printf "%s\n" "$out" | head -1)" = "$HISTORY_HEADER" ] && [ "$(versions)" = "current Alice,current Alice B,old Alice" ]' \
    "want the header and versions Alice (superseded), Alice, Alice B; got exit $rc: $(short "$out")"
run graph get r1 --rel --path g.db
expect graph_get_rel 0 "out~relationship r1" "out~type knows" "out~source alice" "out~target bob"
run graph get r6 --rel --valid-at 2024-01-15 --path g.db
expect graph_rel_valid_interval 0 "out~source bob" "out~valid [2024-01-01T00:00:00Z, 2024-01-31T22:00:00Z)"
run graph get r6 --rel --path g.db
expect graph_rel_ended 1 "err~'r6'" "err~not visible"
run graph history r1 --rel --path g.db
expect graph_history_rel 0 "out~source>target" "out~$(printf 'knows\talice>bob\t{}')"
run graph put r4 --type knows --source alice --target ghost --path g.db
expect graph_rel_missing_entity 1 "err~'ghost'"
run graph put r5 --source alice --path g.db
expect graph_source_without_target 2 "err~both --source and --target" usage
run graph get nobody --path g.db
expect graph_get_missing 1 "err~'nobody'" "out="
run graph history nobody --path g.db
expect graph_history_missing 1 "err~'nobody'" "out="
# bi-temporal: a belief, then a retroactive correction of the same valid time
g ceo --type role --name Ann --valid-from 2024-01-01
T=$(date +%s%6N)
T_rfc=$(date -u -d "@${T:0:-6}" +%Y-%m-%dT%H:%M:%S).${T: -6}Z
g ceo --type role --name Ben --valid-from 2024-01-01
run graph get ceo --valid-at 2024-06-01 --tx-at "$T" --path g.db
expect graph_tx_at_old_belief 0 "out~name Ann"
run graph get ceo --valid-at 2024-06-01 --tx-at "$T_rfc" --path g.db
expect graph_tx_at_rfc3339 0 "out~name Ann"
run graph get ceo --valid-at 2024-06-01 --path g.db
expect graph_current_belief 0 "out~name Ben"
run graph history ceo --path g.db
check graph_history_correction '[ $rc = 0 ] && [ "$(printf "%s\n" "$out" | head -1)" = "$HISTORY_HEADER" ] && [ "$(versions)" = "current Ben,old Ann" ]' \
    "want header + Ann (recorded until the correction) + Ben (current), got exit $rc: $(short "$out")"
run graph neighbors alice --path g.db
expect graph_neighbors_out 0 "out=$(printf 'r1\tknows\t->\tbob\tBob')"
run graph neighbors alice --dir in --path g.db
expect graph_neighbors_in 0 "out=$(printf 'r3\tknows\t<-\tcarol\tCarol')"
run graph neighbors alice --dir both --path g.db
check graph_neighbors_both '[ $rc = 0 ] && [ "$(printf "%s\n" "$out" | sort | paste -sd, -)" = "$(printf "r1\tknows\t->\tbob\tBob,r3\tknows\t<-\tcarol\tCarol")" ]' \
    "want r1 and r3, got exit $rc: $(short "$out")"
run graph neighbors bob --dir both --type works_at --path g.db
expect graph_neighbors_type 0 "out=$(printf 'r2\tworks_at\t->\tacme\tAcme')"
run graph neighbors nobody --path g.db
expect graph_neighbors_missing 1 "err~'nobody'"
run graph traverse carol --depth 3 --path g.db
expect graph_traverse_depth3 0 "out=$(printf '0\tcarol\tCarol\tcarol\n1\talice\tAlice B\tcarol > alice\n2\tbob\tBob\tcarol > alice > bob\n3\tacme\tAcme\tcarol > alice > bob > acme')"
run graph traverse carol --path g.db
check graph_traverse_default_depth2 '[ $rc = 0 ] && [ "$(printf "%s\n" "$out" | cut -f2 | paste -sd, -)" = carol,alice,bob ]' \
    "want carol,alice,bob, got exit $rc: $(short "$out")"
run graph traverse nobody --path g.db
expect graph_traverse_missing 1 "err~'nobody'"
run graph put s1 --name S --valid-from 2024-01-01 --backend sqlite --path g_sqlite.db
expect graph_sqlite_put 0 "out~stored entity 's1' in sqlite:g_sqlite.db"
run graph get s1 --backend sqlite --path g_sqlite.db
expect graph_sqlite_get 0 "out~name S"

# ---- storage ---------------------------------------------------------------------------------
# src.db: kv 2 + 1 in tenant acme, vectors 2 + 1 in acme (2 collections), 2 entities, 1 relationship: 9 records
for c in "kv put a 1" "kv put b 2" "kv put k v --tenant acme" "vec create docs" "vec create tv --tenant acme" \
    "vec add docs d1 --vector 1,0 --metadata {\"x\":1}" "vec add docs d2 --vector 0,1" "vec add tv t1 --vector 1,2,3 --tenant acme" \
    "graph put x --name X --valid-from 2024-01-01" "graph put y --name Y --valid-from 2024-01-01" \
    "graph put xy --type knows --source x --target y --valid-from 2024-02-01"; do
    "$BIN" $c --path src.db > /dev/null || echo "setup failed: $c" >&2
done
counts_ok() { # the per-section lines of a 9-record store
    [[ $out == *"  - Vectors: 3"*"  - Entities: 2"*"  - Relationships: 1"*"  - KV entries: 3"*"  - Collections: 2"* ]]
}
run storage export --path src.db
expect export_stdout 0 'out~{"version":"1.0"' 'out~"data":{' "err~exported 9 records"
printf '%s\n' "$out" > src_stdout.json
run storage export --path src.db --output src.json
expect export_output_file 0 "out=" "err~to src.json"
check export_file_equals_stdout '[ "$(body src.json)" = "$(body src_stdout.json)" ]' "src.json differs from the stdout export"
run storage export --path src.db --output src_pretty.json --pretty
check export_pretty_multiline '[ $rc = 0 ] && [ "$(wc -l < src_pretty.json)" -gt 20 ]' "want exit 0 and an indented file, got $rc"
if command -v python3 > /dev/null; then
    check export_pretty_is_json 'python3 -m json.tool src_pretty.json > /dev/null 2>&1' "python3 -m json.tool rejects src_pretty.json"
else
    report export_pretty_is_json "python3 not found: the pretty export was not checked"
fi
run storage export --path src.db --tenant acme
expect export_tenant 0 'out~"tenant_id":"acme"' 'out!~"tenant_id":""' 'out!~"key":"YQ=="' "err~exported 2 records"
run storage export --path missing.db --output missing.json
expect export_missing_store 1 "err~missing.db"
check export_missing_store_no_files '[ ! -e missing.db ] && [ ! -e missing.json ]' "a file appeared: $(ls missing* 2> /dev/null)"
run storage export --path src.db --output ''
expect export_empty_output_name 2 "err~--output wants a file name" usage
# progress goes to stderr only when it is a terminal: script(1) gives the tool one
if command -v script > /dev/null; then
    script -qec "'$BIN' storage export --path src.db --output tty.json" /dev/null > "$W/tty" 2>&1
    check export_progress_on_a_terminal 'grep -aq "export: 9 records" "$W/tty" && [ -s tty.json ]' \
        "no progress line on a terminal: $(short "$(tr '\r' '\n' < "$W/tty")")"
    run storage export --path src.db --output notty.json
    check export_no_progress_without_terminal '[[ $err != *"export: "* ]]' "progress printed to a non-terminal: $(short "$err")"
else
    report export_progress_on_a_terminal "script(1) is missing (apt-get install -y bsdutils)"
fi
want=$(body src.json)
for be in file sqlite; do
    run storage import --backend $be --path imp.$be --input src.json
    expect import_$be 0 "out~Imported 9 total records into $be:imp.$be"
    check import_${be}_counts 'counts_ok' "per-section counts differ: $(short "$out")"
    check import_${be}_roundtrip '[ "$(export_body $be imp.$be)" = "$want" ]' "the export of imp.$be differs from src.json"
done
run_in src.json storage import --path imp_stdin.db --input -
expect import_stdin 0 "out~Imported 9 total records"
check import_stdin_roundtrip '[ "$(export_body file imp_stdin.db)" = "$want" ]' "the export of imp_stdin.db differs"
head -c 700 src_pretty.json > cut.json
sed 's/"version": *"1.0"/"version":"9.0"/' src.json > v9.json
echo 'this is not JSON' > text.json
for bad in cut v9 text; do
    for be in file sqlite; do
        before=$(export_body $be imp.$be)
        run storage import --backend $be --path imp.$be --input $bad.json
        check import_${bad}_$be '[ $rc = 1 ] && [[ $err =~ line\ [0-9]+,\ column\ [0-9]+ ]] && [[ $err == *$bad.json* ]]' \
            "want exit 1 naming $bad.json and 'line L, column C', got $rc: $(short "$err")"
        check import_${bad}_${be}_unchanged '[ "$(export_body $be imp.$be)" = "$before" ]' "imp.$be changed"
    done
    run storage validate --input $bad.json
    check validate_$bad '[ $rc = 1 ] && [[ $err =~ line\ [0-9]+,\ column\ [0-9]+ ]] && [ -z "$out" ]' \
        "want exit 1 with 'line L, column C', got $rc: $(short "$err")"
done
run storage validate --input v9.json
expect validate_version_message 1 'err~"9.0"'
run storage import --path fresh.db --input cut.json
expect import_broken_into_new_path 1 "err~nothing was written"
check import_broken_creates_no_store '[ ! -e fresh.db ]' "fresh.db was created though nothing was written"
run storage import --path imp.file --input src.json
expect import_conflict 1 "err~already has versions" "err~nothing was written"
run storage import --path imp.file
expect import_without_input 2 "err~--input" usage
ls -l --time-style=full-iso > "$W/before"
md5=$(md5sum < imp.file)
run storage validate --input src.json
expect validate_good 0 "out~src.json: valid llmspell export" "out~Would import 9 total records"
check validate_counts 'counts_ok' "per-section counts differ: $(short "$out")"
run_in src.json storage validate --input -
expect validate_stdin 0 "out~<stdin>: valid"
run storage validate --input src.json --path imp.file
expect validate_against_store 1 "err~already has versions"
check validate_changes_nothing '[ "$(ls -l --time-style=full-iso)" = "$(cat "$W/before")" ] && [ "$(md5sum < imp.file)" = "$md5" ]' \
    "the directory or imp.file changed during validate"
run storage info --path src.db
expect info_file 0 "out~store file:src.db" "out~backend: file" 'out~tenant "acme"' "out~kv: 2 user keys" \
    'out~collection "docs": 2 records, cosine' "out~dimensions 2 (2)" 'out~collection "tv": 1 records' "out~dimensions 3 (1)" \
    "out~graph: 2 entities (2 versions), 1 relationships (1 versions)" "out~tenants: 1"
mentions=$(printf '%s\n' "$out" | grep -o 'llmspell storage [a-z]*' | cut -d' ' -f3 | sort -u)
for c in $mentions; do "$BIN" storage $c --help > /dev/null 2>&1 || missing_cmds+=" storage $c"; done
check info_names_only_real_commands '[ -n "$mentions" ] && [ -z "${missing_cmds:-}" ]' \
    "storage info should name the command that reclaims dead bytes, and only real ones:${missing_cmds:-} (named: ${mentions:-none})"
# compact keeps every key and leaves no dead bytes
run kv scan --path src.db
scan_before=$out
run storage compact --path src.db
expect compact_file 0 "out~compacted file:src.db"
run storage info --path src.db
expect compact_no_dead_bytes 0 "out~, 0 dead"
run kv scan --path src.db
check compact_keeps_keys '[ "$out" = "$scan_before" ] && [ -n "$out" ]' "kv scan differs after compact"
run storage compact --path nothing-here.db
expect compact_missing_store 1 "err~does not exist"
check compact_missing_not_created "[ ! -e nothing-here.db ]" "compact created the store it was asked to compact"

run storage info --backend sqlite --path imp.sqlite
expect info_sqlite 0 "out~backend: sqlite" 'out~tenant "acme"' 'out~collection "docs": 2 records'
run storage info --backend memory --path src.json
expect info_memory_export 0 "out~backend: memory" "out~graph: 2 entities"
run storage info --path missing.db
expect info_missing_store 1 "err~missing.db"
# migrate: every pair of persistent kinds, each checked against the source
while read -r name from to; do
    run storage migrate --from $from --to $to
    expect migrate_$name 0 "out~Migrated 9 total records from $from to $to"
    check migrate_${name}_data '[ "$(export_body ${to%%:*} ${to#*:})" = "$want" ]' "the export of $to differs from the source's"
done << 'EOF'
file_to_sqlite     file:src.db      sqlite:m1.db
sqlite_to_file     sqlite:m1.db     file:m2.db
file_to_file       file:m2.db       file:m3.db
sqlite_to_sqlite   sqlite:m1.db     sqlite:m4.db
memory_to_file     memory:src.json  file:m5.db
EOF
run storage migrate --from file:src.db --to file:m3.db
expect migrate_conflict 1 "err~the target is unchanged"
run storage migrate --from file:src.db --to memory:out.json
expect migrate_to_memory 2 "err~memory" usage
run storage migrate --from file:src.db --to file:src.db
expect migrate_same_store 2 "err~same store" usage
run storage migrate --to file:m9.db
expect migrate_without_from 2 "err~--from and --to" usage
run storage migrate --from src.db --to file:m9.db
expect migrate_bad_spec 2 "err~'src.db' is not KIND:PATH" usage
run storage migrate --from file:missing.db --to file:m9.db
expect migrate_missing_source 1 "err~missing.db"
check migrate_failures_create_nothing '[ ! -e m9.db ] && [ ! -e out.json ] && [ ! -e missing.db ]' "a target file appeared"

# ---- postgres: on the server make test started (tests/pg_server.sh), in a schema of its own -----
if "$BIN" storage info --backend postgres --path x 2>&1 | grep -q "built without PostgreSQL"; then
    echo "SKIP cli_postgres: this llmspell was built without PostgreSQL (libpq-dev was missing)"
elif [ -z "${LLMSPELL_TEST_PG:-}" ]; then
    report postgres "LLMSPELL_TEST_PG is not set: no server to test against (make test starts one)"
else
    schema=cli_$$_$RANDOM
    psql "$LLMSPELL_TEST_PG" -qc "CREATE SCHEMA $schema" > /dev/null 2>&1
    PGC="$LLMSPELL_TEST_PG options='-c search_path=$schema'"
    run kv get k --backend postgres --path "$PGC"
    expect postgres_read_needs_table 1 "err~llmspell_kv does not exist"
    run storage migrate --from file:src.db --to "postgres:$PGC"
    expect migrate_file_to_postgres 0 "out~Migrated 9 total records from file:src.db to postgres:"
    check migrate_file_to_postgres_data '[ "$(export_body postgres "$PGC")" = "$want" ]' "the export of the postgres store differs from the source's"
    run storage migrate --from "postgres:$PGC" --to sqlite:p1.db
    expect migrate_postgres_to_sqlite 0 "out~Migrated 9 total records from postgres:"
    check migrate_postgres_to_sqlite_data '[ "$(export_body sqlite p1.db)" = "$want" ]' "the export of p1.db differs from the source's"
    run storage migrate --from file:src.db --to "postgres:$PGC"
    expect migrate_to_postgres_conflict 1 "err~the target is unchanged"
    run kv put pgkey pgvalue --backend postgres --path "$PGC"
    expect postgres_kv_put 0
    run kv get pgkey --backend postgres --path "$PGC"
    expect postgres_kv_get 0 "out=pgvalue"
    run kv scan pg --backend postgres --path "$PGC"
    expect postgres_kv_scan 0 "out~pgkey"
    run vec add docs pg1 --vector 0.5,0.5 --backend postgres --path "$PGC"
    expect postgres_vec_add 0
    run vec search docs --vector 0.5,0.5 --k 1 --backend postgres --path "$PGC"
    expect postgres_vec_search 0 "out~pg1"
    run graph put pgnode --type person --name Pat --backend postgres --path "$PGC"
    expect postgres_graph_put 0
    run graph get pgnode --backend postgres --path "$PGC"
    expect postgres_graph_get 0 "out~Pat"
    run storage info --backend postgres --path "$PGC"
    expect postgres_info 0 "out~backend: postgres" 'out~collection "docs"'
    run storage compact --backend postgres --path "$PGC"
    expect postgres_compact 0 "out~compacted postgres:"
    run kv get pgkey --backend postgres --path "host=$W/no-server port=5432 user=postgres dbname=postgres"
    expect postgres_server_down 1 "err~connect"
    psql "$LLMSPELL_TEST_PG" -qc "DROP SCHEMA $schema CASCADE" > /dev/null 2>&1
fi

# ---- the build line at the top of tools/llmspell.c ---------------------------------------------
line=$(head -1 "$REPO/tools/llmspell.c" | sed -n 's|^/\* *\(cc .*\)$|\1|p')
mkdir "$W/b" && cp "$REPO"/llmspell_*.h "$W/b/" && cp -r "$REPO/tools" "$W/b/"
(cd "$W/b" && [ -n "$line" ] && sh -c "$line" && ./llmspell --version) > "$W/b/log" 2>&1
rc=$? cmd="(cd a copy of llmspell_*.h and tools/ && $line && ./llmspell --version)"
check first_line_builds '[ $rc = 0 ]' "exit $rc: $(short "$(cat "$W/b/log")")"

cmd="every run above"
check no_sanitizer_reports '[ -z "$sanitizer_hits" ]' "sanitizer reports in:$sanitizer_hits"
[ "$failures" -eq 0 ]
