#!/bin/bash
# Starts a Docker engine when none is reachable, and stops the one it started.
#
#   scripts/docker-engine.sh start DIR   prints the DOCKER_HOST to use on stdout
#   scripts/docker-engine.sh stop DIR    stops the engine started into DIR (nothing else)
#   scripts/docker-engine.sh status DIR  exit 0 when the engine of DIR answers
#
# `start` first tries the engine the environment already points at (DOCKER_HOST, or the
# default socket); if it answers, it prints that and starts nothing. Otherwise it starts
# dockerd with the flags these machines need (no bridge, no iptables: docs/DESIGN.md,
# "Platform notes"), its data root, exec root, socket and pid file under DIR, and records that
# it did so; `stop` acts only on that record. DIR is kept between runs, so images and the build cache are too.
# The Debian client (/usr/bin/docker, 20.10) is used when present: it builds with BuildKit
# without the buildx plugin.
set -u

usage() {
	echo "usage: scripts/docker-engine.sh start|stop|status DIR"
}
case "${1:-}" in --help | -h) usage; exit 0 ;; esac
[ $# -eq 2 ] || { usage >&2; exit 2; }
cmd=$1
dir=$2
case "$cmd" in start | stop | status) ;; *) usage >&2; exit 2 ;; esac

if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi

die() {
	echo "docker-engine: $*" >&2
	exit 1
}

# answers HOST: the engine at HOST (empty = the client's default) replies to a version query.
answers() {
	if [ -n "$1" ]; then
		DOCKER_HOST=$1 timeout 10 "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1
	else
		(unset DOCKER_HOST; timeout 10 "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1)
	fi
}

mkdir -p "$dir" || die "cannot create $dir"
dir=$(cd "$dir" && pwd)
sock="unix://$dir/docker.sock"

running_pid() {
	local pid
	[ -f "$dir/pid" ] || return 1
	pid=$(cat "$dir/pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# The pid must still be the dockerd we started, not a recycled number.
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--pidfile $dir/pid" || return 1
	echo "$pid"
}

# Mounts a stopped dockerd may leave under DIR (its exec root's netns): deepest first.
unmount_leftovers() {
	findmnt -rn -o TARGET | awk -v d="$dir/" 'index($0, d) == 1' | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}

case "$cmd" in
status)
	answers "$sock"
	exit
	;;
stop)
	[ -f "$dir/started" ] || exit 0
	pid=$(running_pid) || { rm -f "$dir/started"; unmount_leftovers; exit 0; }
	kill -TERM "$pid"
	# dockerd stops its containers (10 s grace each, in parallel) and its containerd.
	for _ in $(seq 1 600); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "docker-engine: dockerd $pid did not stop in 60 s; killing it" >&2
		kill -KILL "$pid"
	fi
	rm -f "$dir/started"
	unmount_leftovers
	exit 0
	;;
esac

# start
if [ -n "${DOCKER_HOST:-}" ] && answers "$DOCKER_HOST"; then
	echo "$DOCKER_HOST"
	exit 0
fi
if [ -z "${DOCKER_HOST:-}" ] && answers ""; then
	echo "unix:///var/run/docker.sock"
	exit 0
fi
if running_pid >/dev/null && answers "$sock"; then
	echo "$sock"
	exit 0
fi
command -v dockerd >/dev/null || die "dockerd not found; run scripts/deps.sh docker"
[ "$(id -u)" -eq 0 ] || die "starting dockerd needs root"

mkdir -p "$dir/root" "$dir/exec"
rm -f "$dir/docker.sock" "$dir/pid"
# setsid: the engine outlives the shell that started it until `stop`; its output goes to a log.
setsid dockerd --bridge=none --iptables=false --ip6tables=false \
	--data-root "$dir/root" --exec-root "$dir/exec" \
	-H "$sock" --pidfile "$dir/pid" </dev/null >"$dir/dockerd.log" 2>&1 &
touch "$dir/started"
for _ in $(seq 1 600); do
	if answers "$sock"; then
		echo "$sock"
		exit 0
	fi
	kill -0 $! 2>/dev/null || break
	sleep 0.1
done
echo "docker-engine: dockerd did not answer on $sock; last lines of $dir/dockerd.log:" >&2
tail -n 15 "$dir/dockerd.log" >&2
"$0" stop "$dir"
exit 1
