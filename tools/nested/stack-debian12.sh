# stack-debian12.sh — sourced by build-cache.sh: the debian12 stack is the
# HOST's Debian 12 packages (QEMU 7.2 + its libraries as installed, copied with
# ldd) and the Debian 12 cloud kernel (Linux 6.1) fetched with the host's apt.
# On a host that is not Debian 12 (its packages would be another QEMU and
# Linux under this stack's name), the same packages come from a private
# bookworm apt state instead, as the debian13 stack's come from trixie
# (stack-debian13.sh, sourced at the end with suite=bookworm).
# Defines the stack interface (see build-cache.sh): stack_resolve, stack_kernel_deb,
# stack_userland. Its host packages are in scripts/packages.txt.
# Variables shared with build-cache.sh (read and set across the two files):
# shellcheck shell=sh disable=SC2154,SC2034

# The kernel package: whatever linux-image-cloud-amd64 depends on right now.
kpkg_resolve() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n1
}

# Sets kpkg, kver and sinputs (the userland's versions, for the stamp).
stack_resolve() {
	# apt-cache reads every package list: ask it only when the lists changed
	# since the last resolution (their listing is the fingerprint).
	lists=$(ls -l --full-time /var/lib/apt/lists/ 2>/dev/null | cksum)
	if [ -s "$cache/resolved" ] && [ "$(head -n1 "$cache/resolved")" = "$lists" ]; then
		kpkg=$(sed -n 2p "$cache/resolved"); kver=$(sed -n 3p "$cache/resolved")
	else
		kpkg=$(kpkg_resolve)
		if [ -z "$kpkg" ]; then
			log "linux-image-cloud-amd64 unknown to apt; running apt-get update"
			apt-get update -q >&2 || true
			kpkg=$(kpkg_resolve)
			lists=$(ls -l --full-time /var/lib/apt/lists/ 2>/dev/null | cksum)
		fi
		if [ -z "$kpkg" ]; then
			# Offline with a usable cache: keep the kernel we have.
			[ -s "$cache/kernel/pkg" ] ||
				die "stack debian12: cannot resolve package linux-image-cloud-amd64 (apt lists?)"
			kpkg=$(cat "$cache/kernel/pkg"); kver=$(cat "$cache/kernel/version")
			log "warning: apt cannot resolve the kernel; reusing cached $kpkg"
		else
			kver=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
			[ -n "$kver" ] || die "stack debian12: apt knows no candidate version of package $kpkg"
			printf '%s\n%s\n%s\n' "$lists" "$kpkg" "$kver" >"$cache/resolved"
		fi
	fi
	sinputs="qemu=$(dpkg-query -W -f '${Version}' qemu-system-x86)"
	sinputs="$sinputs seabios=$(dpkg-query -W -f '${Version}' seabios)"
	sinputs="$sinputs ovmf=$(dpkg-query -W -f '${Version}' ovmf)"
	qemu_pkg=$(dpkg-query -W -f '${Version}' qemu-system-x86)
}

# stack_kernel_deb DIR: download the kernel package into DIR, set kdebs.
stack_kernel_deb() {
	log "downloading $kpkg $kver"
	(cd "$1" && apt-get download -q -o APT::Sandbox::User=root "$kpkg=$kver" >&2) ||
		die "stack debian12: download of package $kpkg=$kver failed"
	kdebs=$(ls "$1"/*.deb) || die "stack debian12: no .deb after download of package $kpkg"
}

# stack_userland ROOT: QEMU, its libraries and firmware into ROOT; set qemu_ver.
stack_userland() {
	# the package's binary (the stamp names its version), never whatever is
	# first on PATH: a build put there would silently become L2's QEMU
	# (run-qemu.sh --qemu is the way to run another binary)
	q=/usr/bin/qemu-system-x86_64
	[ -x "$q" ] || die "$q not found (package qemu-system-x86)"
	cp "$q" "$1/usr/bin/qemu-system-x86_64"
	# Libraries at their own paths (the loader's included), so no ld.so.conf needed.
	for lib in $(ldd "$q" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
		mkdir -p "$1$(dirname "$lib")"
		cp -L "$lib" "$1$lib" || die "cannot copy $lib"
	done
	# Firmware, dereferenced (Debian's /usr/share/qemu links into other packages).
	# L2 runs with -L /fw. OVMF for --efi-img: the 2 MiB code + its vars.
	for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
		/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/linuxboot.bin \
		/usr/share/qemu/multiboot_dma.bin /usr/share/qemu/multiboot.bin \
		/usr/share/qemu/pvh.bin /usr/share/qemu/qboot.rom /usr/share/OVMF/OVMF_CODE.fd /usr/share/OVMF/OVMF_VARS.fd; do
		cp -L "$f" "$1/fw/" || die "firmware $f missing"
	done
	qemu_ver=$("$q" --version | sed -n 's/^QEMU emulator version //p')
	[ -n "$qemu_ver" ] || die "$q --version printed no version"
}

# /etc/os-release names the host's release (VERSION_CODENAME, Debian 9 on)
host_codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null | tr -d '"')
if [ "$host_codename" != bookworm ]; then
	log "stack debian12: the host is ${host_codename:-not Debian 12}: QEMU, firmware and kernel from a private bookworm apt state ($cache/apt)"
	suite=bookworm
	# shellcheck disable=SC1091
	. "$here/stack-debian13.sh"
fi
