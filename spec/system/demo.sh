#!/bin/bash
# `make demo` must keep working: run the demo script against this build and check its verdict.
. "$(dirname "$0")/../lib.sh"
O=${CW_BUILD##*/} "$CW_ROOT/scripts/demo.sh" >"$T_DIR/demo.out" 2>&1
rc=$?
t_cond "demo exits 0" "$rc" -eq 0
t_grep "the application got the stored secret (sha256 matches)" "the sha256 matches the secret" "$T_DIR/demo.out"
t_grep "checkintegrity ran clean" "OK object db_pass v1" "$T_DIR/demo.out"
t_nogrep "the demo never prints a secret" "demo-" "$T_DIR/demo.out"
