# Makes the public header from its template:
#   awk -v version=X.Y.Z -f walletclient.awk common/status.def walletclient.h.in > walletclient.h
# The first file gives the status list (one CW_STATUS(NAME, NUMBER, "message", "comment") a
# line), the second is copied with @WALLET_STATUS_VALUES@ replaced by the enumerators and
# @VERSION@, @VERSION_MAJOR@, @VERSION_MINOR@, @VERSION_PATCH@, @VERSION_NUM@ by the version.
# Fails (exit 1, no output kept by the Makefile) on a malformed list or version.
function fail(msg) {
	print "walletclient.awk: " msg > "/dev/stderr"
	failed = 1
	exit 1
}
BEGIN {
	if (split(version, v, ".") != 3 || version !~ /^[0-9]+\.[0-9]+\.[0-9]+$/)
		fail("VERSION is not MAJOR.MINOR.PATCH: '" version "'")
	num = sprintf("0x%02x%02x%02x", v[1], v[2], v[3])
	n = 0
	width = 0
}
FNR == NR {
	if ($0 !~ /^CW_STATUS\(/)
		next
	# CW_STATUS(NAME, NUMBER, "message", "comment"): split on the quotes
	if (split($0, q, "\"") != 5 || q[5] != ")")
		fail(FILENAME ":" FNR ": not CW_STATUS(NAME, NUMBER, \"message\", \"comment\")")
	head = q[1]
	sub(/^CW_STATUS\(/, "", head)
	if (split(head, f, ",") != 3 || f[3] !~ /^ *$/)
		fail(FILENAME ":" FNR ": not CW_STATUS(NAME, NUMBER, ...)")
	name = f[1]
	number = f[2]
	gsub(/ /, "", number)
	if (name !~ /^[A-Z][A-Z_]*$/ || number != n "")
		fail(FILENAME ":" FNR ": " name " must be number " n " (numbers run 0, 1, 2, ... in order)")
	item[n] = "WALLET_" name " = " number ","
	comment[n] = q[4]
	if (length(item[n]) > width)
		width = length(item[n])
	n++
	next
}
/^@WALLET_STATUS_VALUES@$/ {
	if (n == 0)
		fail("no status in the list")
	for (i = 0; i < n; i++) {
		line = sprintf("%-" width "s /* %s */", item[i], comment[i])
		if (8 + length(line) > 100)
			fail("the comment of " item[i] " makes a line over 100 columns")
		print "\t" line
	}
	next
}
{
	gsub(/@VERSION_MAJOR@/, v[1] + 0)
	gsub(/@VERSION_MINOR@/, v[2] + 0)
	gsub(/@VERSION_PATCH@/, v[3] + 0)
	gsub(/@VERSION_NUM@/, num)
	gsub(/@VERSION@/, version)
	if ($0 ~ /@[A-Z_]+@/)
		fail("unknown placeholder in: " $0)
	print
}
