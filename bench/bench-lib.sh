# Helpers shared by bench/server-bench.sh and bench/selftest.sh (bash; source it).
# Everything happens under $BL_DIR (a fresh directory removed at exit) and on 127.0.0.1; every
# process started through bl_spawn is stopped at exit, by its PID.
set -u
BL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
O=${O:-build}
case "$O" in /*) BL_BUILD=$O ;; *) BL_BUILD=$BL_ROOT/$O ;; esac
BL_BIN=$BL_BUILD/bin
BL_DIR=$(mktemp -d /tmp/cwbench.XXXXXX)
BL_PIDS=()
BL_KEEP=${BL_KEEP:-0}

bl_log() { printf '# %s\n' "$*" >&2; }
bl_die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# Stops one process: SIGTERM, up to 10 s for it to exit, then SIGKILL.
bl_stop() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}
_bl_cleanup() {
	local p
	for p in "${BL_PIDS[@]}"; do bl_stop "$p"; done
	if [ "$BL_KEEP" = 1 ]; then bl_log "kept $BL_DIR"; else rm -rf "$BL_DIR"; fi
}
trap _bl_cleanup EXIT
trap 'exit 130' INT TERM

# bl_spawn LOGFILE CMD...: starts CMD in the background; its PID is in $BL_PID.
bl_spawn() {
	local log=$1; shift
	"$@" >"$log" 2>&1 &
	BL_PID=$!
	BL_PIDS+=("$BL_PID")
}

bl_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# bl_wait_port PORT PID: waits (10 s at most) until PORT accepts connections while PID lives.
bl_wait_port() {
	local i
	for ((i = 0; i < 200; i++)); do
		bl_port_open "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
bl_pick_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
}

# bl_certs_openssl DIR: a P-256 CA, a server certificate for 127.0.0.1/localhost, client
# certificates app1 and app2, and a second CA with a client "app1" of its own (for negative
# checks). Files: ca.crt, server.{crt,key}, app1.{crt,key}, app2.{crt,key}, rogue-ca.crt,
# rogue-app1.{crt,key}.
bl_certs_openssl() {
	local d=$1 n
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		cat >ext.cnf <<-'EOF'
		[srv]
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature
		extendedKeyUsage = serverAuth
		subjectAltName = IP:127.0.0.1,DNS:localhost
		[cli]
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature
		extendedKeyUsage = clientAuth
		EOF
		for ca in ca rogue-ca; do
			openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-keyout "$ca.key" -out "$ca.crt" -days 2 -subj "/CN=bench $ca" \
				-addext basicConstraints=critical,CA:TRUE \
				-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || exit 1
		done
		for n in server:ca:srv app1:ca:cli app2:ca:cli rogue-app1:rogue-ca:cli; do
			IFS=: read -r name ca sect <<<"$n"
			cn=$name
			[ "$name" = server ] && cn=localhost
			[ "$name" = rogue-app1 ] && cn=app1
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-keyout "$name.key" -out "$name.csr" -subj "/CN=$cn" 2>/dev/null &&
				openssl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" \
					-CAcreateserial -days 2 -extfile ext.cnf -extensions "$sect" \
					-out "$name.crt" 2>/dev/null || exit 1
		done
		chmod 600 ./*.key
	) || bl_die "openssl could not make the test certificates"
}

# bl_nginx_start DIR PORT WORKERS CERTDIR [ROOT]: nginx configured like the prototype
# (bench/nginx-prototype.conf: mutual TLS with the same certificates, no session cache or
# tickets, the access log written), serving files under ROOT (default DIR/www). CERTDIR holds
# server.crt, server.key and ca.crt. Sets BL_NGINX_PID.
bl_nginx_start() {
	local d=$1 port=$2 workers=$3 certs=$4 root=${5:-$1/www}
	mkdir -p "$d/logs" "$root" "$d/tmp"
	sed -e "s|@PREFIX@|$d|g" -e "s|@PORT@|$port|g" -e "s|@WORKERS@|$workers|g" \
		-e "s|@CERT@|$certs/server.crt|g" -e "s|@KEY@|$certs/server.key|g" \
		-e "s|@CA@|$certs/ca.crt|g" -e "s|@ROOT@|$root|g" \
		"$BL_ROOT/bench/nginx-prototype.conf" >"$d/nginx.conf"
	command -v nginx >/dev/null || bl_die "nginx is not installed (scripts/deps.sh bench)"
	bl_spawn "$d/logs/stderr.log" nginx -p "$d" -c "$d/nginx.conf"
	BL_NGINX_PID=$BL_PID
	bl_wait_port "$port" "$BL_NGINX_PID" ||
		bl_die "nginx did not start: $(tail -n 3 "$d/logs/stderr.log" "$d/logs/error.log" 2>/dev/null)"
}

# bl_json KEY: reads cw-loadgen's JSON line on stdin and prints the value of KEY (keys are
# unique in that line, nested ones included; no jq or python on a fresh machine).
bl_json() {
	local re='"'"$1"'":("[^"]*"|[^,}]*)'
	grep -oE "$re" | head -n 1 | sed -E -e 's/^"[^"]*"://' -e 's/^"(.*)"$/\1/'
}

# bl_load: the load average (1 min) now, and the number of CPUs: "1.23/2".
bl_load() { echo "$(cut -d' ' -f1 /proc/loadavg)/$(nproc)"; }

# bl_median: the median of the numbers on stdin, one a line (empty input: 0).
bl_median() {
	sort -g | awk '{a[NR] = $1} END {if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2];
		else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

# bl_callgrind_ir OUT CMD...: runs CMD under callgrind (children of CMD followed) and prints
# the instructions of all its processes (threads included) together. CMD's output goes to OUT.
bl_callgrind_ir() {
	local out=$1 f sum=0 n
	shift
	command -v valgrind >/dev/null || { echo 0; return; }
	rm -f "$BL_DIR"/cg.*.out
	valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$BL_DIR/cg.%p.out" \
		"$@" >"$out" 2>&1
	for f in "$BL_DIR"/cg.*.out; do
		[ -f "$f" ] || continue
		n=$(sed -n 's/^summary: //p' "$f")
		sum=$((sum + ${n:-0}))
	done
	echo "$sum"
}

# bl_wallet_setup W KG N: keys from `wallet-keygen init` in $BL_DIR/keys (K), a data directory
# $BL_DIR/data (D) with client app1 and N secrets s1..sN of 1 KiB sealed to it.
bl_wallet_setup() {
	local w=$1 kg=$2 n=$3 i
	K=$BL_DIR/keys D=$BL_DIR/data
	"$kg" init --out "$K" >/dev/null && "$w" --data "$D" init >/dev/null &&
		"$w" --data "$D" importkey app1 <"$K/clients/app1/gpg.pub.asc" >/dev/null || bl_die "setup failed"
	for i in $(seq 1 "$n"); do
		head -c 1024 /dev/urandom | "$w" --data "$D" store "s$i" --to app1 >/dev/null || bl_die "store failed"
	done
}

# bl_wallet_serve W: `wallet serve` of $D with the keys of $K on 127.0.0.1 (audit log
# $BL_DIR/audit.log); sets P (its port) and SPID, and waits until it listens.
bl_wallet_serve() {
	P=$(bl_pick_port)
	HP=$(bl_pick_port)
	while [ "$HP" = "$P" ]; do HP=$(bl_pick_port); done
	bl_spawn "$BL_DIR/serve.log" "$1" --data "$D" serve --listen "127.0.0.1:$P" \
		--tls-cert "$K/wallet/server.crt" --tls-key "$K/wallet/server.key" --tls-ca "$K/ca/ca.crt" \
		--health-listen "127.0.0.1:$HP" --audit-log "$BL_DIR/audit.log" "${@:2}"
	SPID=$BL_PID
	bl_wait_port "$P" "$SPID" || bl_die "wallet serve did not start"
}

# bl_bulk_objects DATA SRC FIRST LAST: objects bFIRST..bLAST (b000001, ...) in the data
# directory DATA, each a copy of SRC's published version (object.gpg, object.sig, a meta.json
# naming the copy, seq, latest -> v1) in docs/FORMAT.md's layout: not made by `wallet store`
# (hours of gpg for 100,000), and the store is blind to the difference. Perl, not links: ext4
# caps hard links at 65,000.
bl_bulk_objects() {
	perl -e '
		use strict; my ($data, $srcname, $first, $last) = @ARGV;
		my $src = "$data/objects/$srcname/" . readlink("$data/objects/$srcname/latest");
		sub slurp { open(my $f, "<:raw", $_[0]) or die "$_[0]: $!"; local $/; my $b = <$f>; $b }
		sub spit {
			open(my $f, ">:raw", $_[0]) or die "$_[0]: $!"; print $f $_[1] or die "$_[0]: $!";
			close($f) or die "$_[0]: $!"; chmod(0600, $_[0]);
		}
		my ($gpg, $sig, $meta) = map { slurp("$src/$_") } qw(object.gpg object.sig meta.json);
		for my $i ($first .. $last) {
			my $n = sprintf("b%06d", $i); my $d = "$data/objects/$n";
			mkdir($d, 0700) or die "$d: $!"; mkdir("$d/v1", 0700) or die "$d/v1: $!";
			spit("$d/v1/object.gpg", $gpg); spit("$d/v1/object.sig", $sig);
			(my $m = $meta) =~ s/"name"\s*:\s*"\Q$srcname\E"/"name":"$n"/ or die "meta.json: no name";
			spit("$d/v1/meta.json", $m); spit("$d/seq", "1\n");
			symlink("v1", "$d/latest") or die "symlink: $!";
		}' "$@"
}
