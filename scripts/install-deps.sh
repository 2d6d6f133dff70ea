#!/bin/sh
# install-deps.sh — install the Debian packages hvconform needs, when missing.
# Quiet when everything is present.
# Needs root (or sudo) only when a package is missing.
# Exit status: 0 all present (or installed), 1 install failed / not possible.
set -u

# build: gcc make nasm binutils libc6-dev (host tests); images: grub-*, xorriso,
# mtools, gnu-efi; boot: qemu-system-x86 qemu-utils seabios ovmf; checker:
# python3; nested runner (tools/nested/build-cache.sh): busybox-static cpio,
# apt-get download of the Debian cloud kernel (apt is part of Debian).
PKGS="gcc make nasm binutils libc6-dev qemu-system-x86 qemu-utils seabios ovmf
grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools gnu-efi python3
busybox-static cpio"

# the installing itself (dpkg -s per package, one apt-get update, sudo -n) is
# tools/ci/install-pkgs.sh's
# shellcheck disable=SC2086
exec sh "$(dirname "$0")/../tools/ci/install-pkgs.sh" $PKGS
