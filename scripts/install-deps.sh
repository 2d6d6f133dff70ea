#!/bin/sh
# install-deps.sh — install the Debian packages hvconform needs, when missing.
# Quiet when everything is present. Each package is checked with `dpkg -s`;
# `apt-get update` runs once, only when something must be installed.
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

missing=
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

say() { echo "install-deps: $*" >&2; }
if ! command -v apt-get >/dev/null 2>&1; then
	say "missing packages:$missing; apt-get not found (hvconform targets Debian 12): install them by hand"
	exit 1
fi
sudo=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo -n"
	else
		say "missing packages:$missing; run as root: apt-get install$missing"
		exit 1
	fi
fi
say "installing$missing"
$sudo apt-get update -q >&2 || { say "apt-get update failed"; exit 1; }
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2 ||
	{ say "apt-get install$missing failed"; exit 1; }
exit 0
