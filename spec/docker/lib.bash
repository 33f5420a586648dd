# Helpers for the container suites (spec/docker/*.sh), sourced after spec/lib.sh.
# Not a suite itself (spec/run runs *.sh only).
#   CW_DOCKER_DIR   where scripts/docker-engine.sh keeps the engine it starts
#                   (default /var/lib/containerwallet/docker, outside the tree: the docker CLI walks the
#                   whole build context; kept between runs: base image, build cache)
#   CW_DOCKER_BASE  the base image (default local/debian:bookworm, made by scripts/docker-base.sh)
# Every image, container and volume a suite makes carries the suite's unique prefix and is
# removed at exit; the engine is stopped at exit if the suite started it.
CW_BUILD=${CW_BUILD:-$CW_ROOT/build}
CW_DOCKER_DIR=${CW_DOCKER_DIR:-/var/lib/containerwallet/docker}
CW_DOCKER_BASE=${CW_DOCKER_BASE:-local/debian:bookworm}
if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
export DOCKER_BUILDKIT=1
# Unique per suite run: image repositories, container and volume names.
CW_ID="cwt$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
dk() { "$DOCKER" "$@"; }

# Starts (or finds) the engine and the base image; any failure ends the suite.
docker_up() {
	local h was_up=0
	# An engine that answers already (ours from an earlier suite, or the machine's) stays up.
	if [ -n "${DOCKER_HOST:-}" ] && dk version >/dev/null 2>&1; then was_up=1; fi
	"$CW_ROOT/scripts/docker-engine.sh" status "$CW_DOCKER_DIR" && was_up=1
	if ! h=$("$CW_ROOT/scripts/docker-engine.sh" start "$CW_DOCKER_DIR" 2>"$T_DIR/engine.err"); then
		t_fail "a Docker engine answers" "$(cat "$T_DIR/engine.err")"
		exit 1
	fi
	export DOCKER_HOST=$h
	[ "$was_up" = 1 ] || at_exit "'$CW_ROOT/scripts/docker-engine.sh' stop '$CW_DOCKER_DIR'"
	t_pass "a Docker engine answers at $DOCKER_HOST"
	if ! "$CW_ROOT/scripts/docker-base.sh" "$CW_DOCKER_BASE" >"$T_DIR/base.out" 2>&1; then
		t_fail "base image $CW_DOCKER_BASE exists or is bootstrapped" "$(tail -n 5 "$T_DIR/base.out")"
		exit 1
	fi
	t_pass "base image $CW_DOCKER_BASE"
}

# build_image TARGET: builds docker/Dockerfile's TARGET as $CW_ID/TARGET; the suite ends
# when it fails (what follows needs the image).
build_image() {
	local target=$1 tag=$CW_ID/$1:latest
	at_exit "$DOCKER rmi -f $tag"
	t_ok "image $target builds" dk build --network host --progress=plain -f "$CW_ROOT/docker/Dockerfile" \
		--build-arg "BASE=$CW_DOCKER_BASE" --target "$target" -t "$tag" "$CW_ROOT"
	cp "$T_DIR/last.out" "$T_DIR/build-$target.log"
	if ! dk image inspect "$tag" >/dev/null 2>&1; then
		grep -E 'ERROR|error|\*\*\*|stage.sh' "$T_DIR/build-$target.log" | tail -n 15 | sed 's/^/# /'
		exit 1
	fi
	echo "# image $target: $(image_mb "$tag") MB"
}
# build_images TARGET...: build_image for each.
build_images() {
	local t
	for t in "$@"; do build_image "$t"; done
}

image_mb() { dk image inspect -f '{{.Size}}' "$1" 2>/dev/null | awk '{ printf "%.1f", $1 / 1000000 }'; }

# build_example DIR TAG [ARGS...]: builds a docker/DIR example FROM this run's wallet-entry.
build_example() {
	local dir=$1 tag=$2
	shift 2
	at_exit "$DOCKER rmi -f $tag"
	dk build --network host --progress=plain --build-arg "ENTRY_IMAGE=$CW_ID/wallet-entry:latest" \
		-t "$tag" "$@" "$CW_ROOT/docker/$dir"
}

# A random secret, printable, with a marker that cannot appear by chance.
new_secret() { echo "cwsecret-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"; }
sha256_of() { sha256sum | cut -d' ' -f1; }

# make_keys DIR CLIENTS: wallet-keygen init (in its image) into DIR, owned by the UIDs of the
# containers that mount the parts: wallet/ by 10001, clients/* by 10002.
# DIR is made here, mode 0711, so that the containers' users can reach what they mount.
make_keys() {
	local dir=$1 clients=$2
	mkdir -p "$dir"
	chmod 0711 "$dir"
	at_exit "rm -rf '$dir'"
	t_ok "wallet-keygen init in its container" dk run --rm --network host -v "$dir:/out" \
		"$CW_ID/wallet-keygen:latest" init --out /out/keys --clients "$clients"
	chown -R 10001:10001 "$dir/keys/wallet"
	chown -R 10002:10002 "$dir/keys/clients"
}

# new_keys CLIENTS: make_keys into a new directory, $KEYS.
new_keys() {
	KEYS=$(mktemp -d /tmp/cwkeys.XXXXXX)
	make_keys "$KEYS" "$1"
}

# import_key CONTAINER CLIENT: `docker exec -i CONTAINER wallet importkey CLIENT` with CLIENT's
# public GPG key from $KEYS.
import_key() {
	t_ok "docker exec -i wallet wallet importkey $2 < $2.pub.asc" \
		sh -c "$DOCKER exec -i $1 wallet importkey $2 <'$KEYS/keys/clients/$2/gpg.pub.asc'"
}

# store_new CONTAINER NAME: a new random secret in SECRET (its sha256 in WANT), stored as NAME
# for app1 with `docker exec -i CONTAINER wallet store`; the wallet's signing-key fingerprint
# in SIGNER.
store_new() {
	SECRET=$(new_secret)
	WANT=$(printf '%s' "$SECRET" | sha256_of)
	t_ok "docker exec -i wallet wallet store $2 --to app1" \
		sh -c "printf '%s' '$SECRET' | $DOCKER exec -i $1 wallet store $2 --to app1"
	SIGNER=$(dk exec "$1" wallet signing-key --fingerprint 2>/dev/null)
}

# start_wallet NAME KEYDIR: runs the wallet image as the compose file does (read-only root,
# no capabilities), on host networking with free loopback ports; sets WPORT, HPORT.
start_wallet() {
	local name=$1 keys=$2
	WPORT=$(pick_port)
	HPORT=$(pick_port)
	while [ "$HPORT" = "$WPORT" ]; do HPORT=$(pick_port); done
	at_exit "$DOCKER volume rm -f $name-data"
	at_exit "$DOCKER rm -f $name"
	t_ok "wallet container starts" dk run -d --name "$name" --network host \
		-e "WALLET_LISTEN=127.0.0.1:$WPORT" -e "WALLET_HEALTH_LISTEN=127.0.0.1:$HPORT" \
		-v "$name-data:/var/lib/wallet" -v "$keys/keys/wallet:/etc/wallet/tls:ro" \
		--read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
		--health-interval 1s "$CW_ID/wallet:latest"
	if wait_until 60 wallet_healthy "$name"; then
		t_pass "wallet container reports healthy (its HEALTHCHECK)"
	else
		local lines
		mapfile -t lines < <(dk inspect -f '{{json .State}}' "$name" 2>&1 | head -c 600; echo; dk logs "$name" 2>&1 | tail -n 5)
		t_fail "wallet container reports healthy (its HEALTHCHECK)" "${lines[@]}"
		exit 1
	fi
}
wallet_healthy() { [ "$(dk inspect -f '{{.State.Health.Status}}' "$1")" = healthy ]; }

# run_app NAME KEYDIR [docker run options...] -- [command]: the example application with
# app1's keys, against the wallet on WPORT.
app_args() {
	echo "--network host --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges" \
		"-e WALLET_URL=https://127.0.0.1:$WPORT -e WALLET_SIGNER=$SIGNER" \
		"-v $1/keys/clients/app1:/etc/wallet-client:ro"
}

# leak_search NAME FILE SECRET: passes when SECRET is not in FILE (bytes, any encoding of
# the file: tarballs are searched as they are, their members are stored uncompressed).
leak_search() {
	if [ ! -s "$2" ]; then t_fail "no secret in $1" "nothing to search: $2 is empty"; return; fi
	if grep -aqF -- "$3" "$2"; then t_fail "no secret in $1" "the secret is in $2"; else t_pass "no secret in $1"; fi
}
# save_layers IMAGE DIR: `docker save` IMAGE and unpack it into DIR (manifest, config, layers).
save_layers() {
	mkdir -p "$2" && dk save "$1" | tar -C "$2" -x
}

# start_server LABEL NAME KEYDIR [docker run options...] [-- COMMAND...]: the wallet image as
# docker/compose.yaml runs its services (read-only root, /tmp on tmpfs, no capabilities, no
# new privileges, the TLS directory read-only), on host networking with free loopback ports;
# sets SPORT (its mutual-TLS port) and waits for its HEALTHCHECK; the suite ends when it
# does not become healthy. At exit the container goes, with its anonymous volumes.
start_server() {
	local label=$1 name=$2 keys=$3 hport opts=() lines
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	SPORT=$(pick_port)
	hport=$(pick_port)
	at_exit "$DOCKER rm -f -v $name"
	t_ok "$label starts" dk run -d --name "$name" --network host \
		-e "WALLET_LISTEN=127.0.0.1:$SPORT" -e "WALLET_HEALTH_LISTEN=127.0.0.1:$hport" \
		-v "$keys/keys/wallet:/etc/wallet/tls:ro" \
		--read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
		--health-interval 1s "${opts[@]}" "$CW_ID/wallet:latest" "$@"
	if wait_until 60 wallet_healthy "$name"; then
		t_pass "$label reports healthy (its HEALTHCHECK)"
	else
		mapfile -t lines < <(dk inspect -f '{{json .State}}' "$name" 2>&1 | head -c 600; echo; dk logs "$name" 2>&1 | tail -n 5)
		t_fail "$label reports healthy (its HEALTHCHECK)" "${lines[@]}"
		exit 1
	fi
}
