#!/bin/sh
# Installs the Debian packages that the build and the tests need, only those missing.
# Usage: scripts/deps.sh [build|test|docker|bench|lint|fuzz]...   (default: build test)
# As root it runs apt-get (apt-get update first when the package lists are empty or a
# package is unknown); otherwise it prints the command to run and fails.
set -eu

build_pkgs="gcc make pkg-config libc6-dev libgpgme-dev librnp-dev libmbedtls-dev libcivetweb-dev
  libcurl4-openssl-dev libcjson-dev libcmocka-dev libssl-dev"
test_pkgs="gnupg gpg-agent openssl curl procps psmisc util-linux iproute2 jq strace gdb man-db nginx-light
  valgrind"
docker_pkgs="docker.io debootstrap docker-compose python3-yaml ruby"
# gnuplot draws the benchmarks' figures (make bench).
bench_pkgs="nginx-light gnuplot-nox"
lint_pkgs="cppcheck clang-format"
# clang 14 and its libFuzzer and sanitizer runtimes (make fuzz).
fuzz_pkgs="clang libclang-rt-14-dev"

sets="${*:-build test}"
want=""
for s in $sets; do
	case "$s" in
	build) want="$want $build_pkgs" ;;
	test) want="$want $test_pkgs" ;;
	docker) want="$want $build_pkgs $test_pkgs $docker_pkgs" ;;
	bench) want="$want $build_pkgs $test_pkgs $bench_pkgs" ;;
	lint) want="$want $lint_pkgs" ;;
	fuzz) want="$want $fuzz_pkgs" ;;
	*) echo "deps: unknown package set '$s' (build, test, docker, bench, lint, fuzz)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages; run as root: apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Update the lists once when they are empty or do not know a wanted package.
need_update=0
[ -n "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v -e lock -e partial -e auxfiles)" ] || need_update=1
if [ "$need_update" -eq 0 ]; then
	for p in $missing; do
		apt-cache show "$p" >/dev/null 2>&1 || { need_update=1; break; }
	done
fi
[ "$need_update" -eq 0 ] || apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
