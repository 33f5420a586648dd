# Shared by the keygen*.sh suites (not a suite itself: spec/run runs *.sh only).
# bad DESC CODE ARGS...: wallet-keygen ARGS must exit CODE with exactly one line on stderr,
# nothing on stdout, and leave no ./bad behind (the --out the bad-input cases use).
bad() {
	local d=$1 code=$2; shift 2
	rm -rf bad
	$KG "$@" >bad.out 2>bad.err
	local rc=$? lines
	lines=$(wc -l <bad.err)
	if [ "$rc" -eq "$code" ] && [ "$lines" -eq 1 ] && [ ! -s bad.out ] && [ ! -e bad ]; then
		t_pass "$d"
	else
		t_fail "$d" "exit $rc (want $code), $lines stderr lines, bad/ exists: $([ -e bad ] && echo yes || echo no)" \
			"$(head -3 bad.err)"
	fi
}
# help_same CMD...: `wallet-keygen CMD --help` exits 0 and prints CMD's usage, and
# `wallet-keygen help CMD` prints the same
help_same() {
	local c
	for c in "$@"; do
		t_ok "$c --help exits 0" $KG "$c" --help
		t_grep "$c --help prints its usage" "Usage: wallet-keygen $c" "$T_DIR/last.out"
		cp "$T_DIR/last.out" help1.txt
		$KG help "$c" >help2.txt 2>&1
		t_ok "'help $c' prints the same as '$c --help'" cmp -s help1.txt help2.txt
	done
}
