#!/bin/bash
# Makes a Debian 12 base image without a registry, when the engine has none:
#   scripts/docker-base.sh [IMAGE]        (default local/debian:bookworm)
# Does nothing when IMAGE exists. Otherwise debootstraps a minbase bookworm from the host's
# Debian mirror (about 45 s), gives it the host's apt sources (bookworm, -updates, -security,
# like debian:bookworm-slim), drops the package lists and caches, and imports it.
# Uses DOCKER_HOST from the environment. Prints the image name on stdout.
set -eu
image=${1:-local/debian:bookworm}
case "$image" in -h | --help)
	echo "usage: scripts/docker-base.sh [IMAGE]   (default local/debian:bookworm)"
	exit 0
	;;
esac
if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi

if "$DOCKER" image inspect "$image" >/dev/null 2>&1; then
	echo "$image"
	exit 0
fi
command -v debootstrap >/dev/null || { echo "docker-base: debootstrap not found; run scripts/deps.sh docker" >&2; exit 1; }

# The host's mirror: the first URIs of deb822 sources, else the first deb line of sources.list.
mirror=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
	mirror=$(awk '$1 == "deb" && $0 !~ /security/ { print ($2 ~ /^\[/ ? $3 : $2); exit }' /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /tmp/cw-debootstrap.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
echo "docker-base: debootstrap --variant=minbase bookworm from $mirror" >&2
if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/log" 2>&1; then
	echo "docker-base: debootstrap failed; last lines:" >&2
	tail -n 15 "$work/log" >&2
	exit 1
fi
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/debian.sources"
	rm -f "$rootfs/etc/apt/sources.list"
fi
# Like debian:bookworm-slim: no documentation, man pages or translations, now or later.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF2'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF2
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
	"$rootfs"/usr/share/lintian/*
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
	"$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log "$rootfs"/tmp/*
tar --numeric-owner -C "$rootfs" -c . | "$DOCKER" import \
	-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	-c 'CMD ["bash"]' - "$image" >/dev/null
echo "$image"
