#!/bin/bash
# wallet serve under concurrent fetches while `wallet store` publishes new versions of the same
# name: every response is one complete, valid version (old or new), never an error. Also the
# idle memory target (resident set, not time).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_common.sh"

KEYS=$T_DIR/keys
DATA=$T_DIR/data
export WALLET_DATA=$DATA
serve_keys "$KEYS" || { echo "Bail out! key material"; exit 1; }
serve_data "$DATA" "$KEYS" || { echo "Bail out! data directory"; exit 1; }
A1=$KEYS/clients/app1
FETCHERS=20
ROUNDS=4

payload() { printf 'payload-%s-' "$1"; head -c 3000 /dev/zero | tr '\0' x; }
payload 0 | wallet store hot --to app1,app2 >"$T_DIR/stored" || { echo "Bail out! store"; exit 1; }
serve_start conc --tls-cert "$KEYS/wallet/server.crt" --tls-key "$KEYS/wallet/server.key" \
	--tls-ca "$KEYS/ca/ca.crt" --audit-log "$T_DIR/audit.log"
t_cond "server started" "$?" = 0

# Idle memory (a target of docs/DESIGN.md, "Performance targets"), after a few requests have
# warmed it up.
for i in 1 2 3; do cfetch "$A1" /v1/objects/hot -o /dev/null; done
rss=$(awk '/^VmRSS/{print $2}' "/proc/$SERVE_PID/status")
echo "# idle RSS: $rss KiB"
# Memory is a benchmark figure (bench/server-bench.sh, docs/BENCHMARKS.md), not a test verdict.

# The writer: new versions until the fetchers are done; "i version" per store.
(
	i=1
	while [ ! -e "$T_DIR/done" ]; do
		payload "$i" | wallet store hot --to app1,app2 >>"$T_DIR/stored" 2>>"$T_DIR/store.err" || break
		i=$((i + 1))
	done
) &
WPID=$!
at_exit "kill -9 $WPID"
# wait until the writer published at least once, so fetches overlap publication
stores_at_least() { [ "$(wc -l <"$T_DIR/stored")" -ge "$1" ]; }
wait_until 60 stores_at_least 2

# Each fetcher makes at least ROUNDS requests, and goes on (up to 60) until the writer has
# published two more versions, so that fetches certainly overlap publications.
start_n=$(wc -l <"$T_DIR/stored")
mkdir "$T_DIR/r"
for f in $(seq "$FETCHERS"); do
	(
		k=0
		while [ "$k" -lt "$ROUNDS" ] || { ! stores_at_least $((start_n + 2)) && [ "$k" -lt 60 ]; }; do
			k=$((k + 1))
			code=$(cfetch "$A1" /v1/objects/hot -D "$T_DIR/r/$f-$k.h" -o "$T_DIR/r/$f-$k.b" -w '%{http_code}')
			echo "$f-$k $? $code" >>"$T_DIR/r/codes"
		done
	) &
done
for j in $(jobs -p); do [ "$j" = "$WPID" ] || [ "$j" = "$SERVE_PID" ] || wait "$j"; done
touch "$T_DIR/done"
wait "$WPID"
t_cond "writer published during the fetches (versions: $(wc -l <"$T_DIR/stored"))" "$(wc -l <"$T_DIR/stored")" -ge $((start_n + 2))
t_cond "store never failed" "$(wc -c <"$T_DIR/store.err")" = 0

total=$(ls "$T_DIR"/r/*.b | wc -l)
echo "# $total responses"
t_cond "every fetch completed" "$(wc -l <"$T_DIR/r/codes")" = "$total"
t_cond "at least $((FETCHERS * ROUNDS)) responses" "$total" -ge $((FETCHERS * ROUNDS))
t_cond "every response was 200 over a clean transfer" "$(grep -cv ' 0 200$' "$T_DIR/r/codes")" = 0

# Every distinct body decrypts, is signed by the wallet, names "hot" and a version, and is the
# payload that store published as that version; every response's headers agree with its body.
gpg_home app1
wallet signing-key | gpg --batch --homedir "$GH" --import 2>/dev/null
WFPR=$(wallet signing-key --fingerprint)
mkdir "$T_DIR/u"
bad=0
for b in "$T_DIR"/r/*.b; do
	sum=$(sha256sum <"$b" | cut -d' ' -f1)
	if [ ! -e "$T_DIR/u/$sum.v" ]; then
		v=BAD
		if gpg --batch --homedir "$GH" --status-fd 3 -d "$b" >"$T_DIR/u/$sum.plain" 2>/dev/null 3>"$T_DIR/u/$sum.st" &&
			grep -q "VALIDSIG $WFPR" "$T_DIR/u/$sum.st" &&
			[ "$(grep -A2 'NOTATION_NAME name@containerwallet' "$T_DIR/u/$sum.st" | sed -n 's/.*NOTATION_DATA //p')" = hot ]; then
			sv=$(grep -A2 'NOTATION_NAME version@containerwallet' "$T_DIR/u/$sum.st" | sed -n 's/.*NOTATION_DATA //p')
			i=$(sed -n 's/^payload-\([0-9]*\)-.*/\1/p' "$T_DIR/u/$sum.plain")
			if [ -n "$i" ] && grep -qx "hot $sv" <(sed -n "$((i + 1))p" "$T_DIR/stored") &&
				cmp -s "$T_DIR/u/$sum.plain" <(payload "$i"); then
				v=$sv
			fi
		fi
		echo "$v" >"$T_DIR/u/$sum.v"
	fi
	v=$(cat "$T_DIR/u/$sum.v")
	hv=$(sed -n 's/^X-Wallet-Version: \([0-9]*\).*/\1/p' "${b%.b}.h")
	etag=$(sed -n 's/^ETag: "\([0-9a-f]*\)".*/\1/p' "${b%.b}.h")
	if [ "$v" = BAD ] || [ "$hv" != "$v" ] || [ "$etag" != "$sum" ]; then
		bad=$((bad + 1))
		echo "# bad response $b: body version $v, header version $hv"
	fi
done
t_cond "every response is a complete, valid version ($bad bad)" "$bad" = 0
nv=$(ls "$T_DIR"/u/*.v | wc -l)
t_cond "responses span several versions ($nv)" "$nv" -ge 2
t_cond "server still alive" "$(kill -0 "$SERVE_PID" && echo yes)" = yes
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
t_cond "SIGTERM after load: exit 0" "$?" = 0
exit 0
