#!/usr/bin/env bash
# Makes a Debian 12 base image without any registry: debootstrap
# --variant=minbase bookworm from a Debian mirror, trimmed as debian:bookworm-slim
# is, then `docker import`. The root file system is cached as a tarball.
#
# Usage: deploy/make-base-image.sh [TAG]      (default hornet-base:bookworm)
# Then:  docker build -f deploy/Dockerfile --build-arg BASE=TAG -t hornet .
# Environment [default]:
#   HORNET_CACHE_DIR [/var/cache/hornet]   where the tarball is kept between runs
#   DEBIAN_MIRROR [http://deb.debian.org/debian]
# Does nothing when the image exists; re-imports from the cached tarball when
# only the tarball exists; needs root (debootstrap) only when neither does.
# Installs debootstrap with apt-get when it is missing.
set -euo pipefail

tag=${1:-hornet-base:bookworm}
cache=${HORNET_CACHE_DIR:-/var/cache/hornet}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball="$cache/debian-bookworm-minbase.tar.gz"
say() { echo "make-base-image: $*"; }
die() { echo "make-base-image: $*" >&2; exit 1; }

if docker image inspect "$tag" >/dev/null 2>&1; then
    say "$tag exists"
    exit 0
fi

if [ ! -s "$tarball" ]; then
    [ "$(id -u)" = 0 ] || die "debootstrap needs root (or put a root file system tarball at $tarball)"
    if ! command -v debootstrap >/dev/null; then
        say "installing debootstrap"
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap \
            >/dev/null || die "cannot install debootstrap"
    fi
    mkdir -p "$cache"
    root=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$root" "$tarball.tmp"' EXIT
    say "debootstrap --variant=minbase bookworm from $mirror (log: $cache/debootstrap.log)"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
        { tail -n 20 "$cache/debootstrap.log"; die "debootstrap failed"; }

    # What debian:bookworm-slim does: no documentation, manual pages or
    # translations now or in later installs, no package caches in layers.
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
    rm -f "$root/etc/apt/sources.list"
    cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$root"/usr/share/{man,groff,info,locale,lintian,linda}/* \
        "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
        "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/var/log/apt/*
    : >"$root/etc/hostname"
    : >"$root/etc/resolv.conf"

    tar --numeric-owner --xattrs -C "$root" -czf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
    trap - EXIT
    say "cached $tarball ($(du -h "$tarball" | cut -f1))"
fi

say "docker import $tarball as $tag"
docker import --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$tarball" "$tag" >/dev/null
say "$tag ready"
