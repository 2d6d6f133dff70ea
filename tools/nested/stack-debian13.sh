# stack-debian13.sh — sourced by build-cache.sh: the debian13 stack is Debian
# 13 trixie's packages, whatever the host runs: the cloud kernel (Linux 6.12)
# and qemu-system-x86 (QEMU 10.0) with ALL its libraries (trixie's libc and
# loader too), SeaBIOS, OVMF and QEMU's firmware blobs. They come from a
# PRIVATE apt state in CACHE/apt (own sources list, lists, status, archives;
# the host's /etc/apt is never read or changed), fetched with apt-get only.
# CACHE/apt/debs keeps the .debs, so a rebuild for a script change downloads
# nothing. Defines the stack interface (see build-cache.sh).
# A stack file that sources this one after setting backports=SUITE (and
# pins=PATTERNS, the binary packages taken from SUITE) adds that suite beside
# trixie and pins those packages to it (stack-debian13-backports.sh).
# Variables shared with build-cache.sh (read and set across the two files):
# shellcheck shell=sh disable=SC2154,SC2034
# suite: trixie, unless the file sourcing this one set it (stack-debian12.sh on a
# host that is not Debian 12: bookworm)
: "${suite:=trixie}" "${backports:=}" "${pins:=}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
apt_dir=$cache/apt

aptp() { APT_CONFIG=$apt_dir/apt.conf apt-get "$@"; }
aptc() { APT_CONFIG=$apt_dir/apt.conf apt-cache "$@"; }
apt_init() {
	[ -r "$keyring" ] || die "stack $stack: $keyring missing (package debian-archive-keyring)"
	a=$apt_dir
	mkdir -p "$a/etc/apt.conf.d" "$a/etc/preferences.d" "$a/etc/sources.list.d" \
		"$a/etc/trusted.gpg.d" "$a/lists/partial" "$a/cache/archives/partial" "$a/debs"
	[ -e "$a/status" ] || : >"$a/status"  # nothing installed: resolve the whole closure
	{ echo "deb [signed-by=$keyring] http://deb.debian.org/debian $suite main"
	  [ -z "$backports" ] || echo "deb [signed-by=$keyring] http://deb.debian.org/debian $backports main"
	} >"$a/etc/sources.list"
	# A backports suite has priority 100 (its Release says NotAutomatic and
	# ButAutomaticUpgrades): the pinned packages get 990, so they are the
	# candidates, and their versioned dependencies may come from there too.
	: >"$a/etc/preferences"
	[ -z "$backports" ] || printf 'Package: %s\nPin: release n=%s\nPin-Priority: 990\n' \
		"$pins" "$backports" >"$a/etc/preferences"
	cat >"$a/apt.conf" <<EOF
Dir::Etc "$a/etc";
Dir::Etc::SourceList "$a/etc/sources.list";
Dir::Etc::SourceParts "$a/etc/sources.list.d";
Dir::Etc::Parts "$a/etc/apt.conf.d";
Dir::Etc::Preferences "$a/etc/preferences";
Dir::Etc::PreferencesParts "$a/etc/preferences.d";
Dir::Etc::Trusted "$a/etc/trusted.gpg";
Dir::Etc::TrustedParts "$a/etc/trusted.gpg.d";
Dir::State "$a";
Dir::State::Lists "$a/lists";
Dir::State::status "$a/status";
Dir::Cache "$a/cache";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Sandbox::User "root";
Acquire::Languages "none";
EOF
}
apt_update() {
	log "stack $stack: apt-get update of the private $suite${backports:+ + $backports} lists ($apt_dir)"
	aptp update -q >"$apt_dir/update.log" 2>&1 || {
		cat "$apt_dir/update.log" >&2
		grep -q NO_PUBKEY "$apt_dir/update.log" &&
			die "stack $stack: $keyring lacks $suite's signing key (update debian-archive-keyring)"
		die "stack $stack: apt-get update of $suite failed"
	}
	# apt-get update only warns when a list could not be fetched
	grep -E '^(W|E): ' "$apt_dir/update.log" >&2 && die "stack $stack: apt-get update of $suite failed"
	return 0
}

# Sets kpkg, kver, sinputs and the closure (CACHE/resolved: lists fingerprint,
# kpkg, kver, then "pkg ver arch" for every userland package).
stack_resolve() {
	apt_init
	have_lists=
	for f in "$apt_dir"/lists/*_Packages*; do [ -e "$f" ] && have_lists=1; done
	if [ -z "$have_lists" ] || [ -n "$update" ]; then apt_update; fi
	lists=$({ cat "$apt_dir/etc/preferences"; ls -l --full-time "$apt_dir/lists/"; } | cksum)
	if [ ! -s "$cache/resolved" ] || [ "$(head -n1 "$cache/resolved")" != "$lists" ]; then
		kpkg=$(aptc depends linux-image-cloud-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n1)
		[ -n "$kpkg" ] || die "stack $stack: package linux-image-cloud-amd64 not found in $suite"
		kver=$(aptc policy "$kpkg" | sed -n 's/^ *Candidate: //p')
		[ -n "$kver" ] && [ "$kver" != "(none)" ] || die "stack $stack: no candidate for package $kpkg"
		for p in qemu-system-x86 seabios ovmf; do
			v=$(aptc policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: //p')
			[ -n "$v" ] && [ "$v" != "(none)" ] || die "stack $stack: package $p not found in $suite"
		done
		# The dependency closure, as apt would install it on an empty system.
		aptp install -s -q qemu-system-x86 seabios ovmf >"$apt_dir/closure.log" 2>&1 || {
			cat "$apt_dir/closure.log" >&2
			die "stack $stack: cannot resolve the dependencies of qemu-system-x86 seabios ovmf"
		}
		{ printf '%s\n%s\n%s\n' "$lists" "$kpkg" "$kver"
		  sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) [^[]*\[\([a-z0-9]*\)\]).*/\1 \2 \3/p' "$apt_dir/closure.log"
		} >"$cache/resolved.new"
		grep -q '^qemu-system-x86 ' "$cache/resolved.new" || die "stack $stack: closure lacks qemu-system-x86"
		# A pin that matched nothing would silently give trixie's versions.
		[ -z "$backports" ] || for p in "$kpkg $kver" "$(grep '^qemu-system-x86 ' "$cache/resolved.new")"; do
			case $p in *bpo*) ;; *) die "stack $stack: ${p%% *} is not from $backports (${p#* })" ;; esac
		done
		mv "$cache/resolved.new" "$cache/resolved"
	fi
	kpkg=$(sed -n 2p "$cache/resolved"); kver=$(sed -n 3p "$cache/resolved")
	qemu_pkg=$(sed -n 's/^qemu-system-x86 \([^ ]*\) .*/\1/p' "$cache/resolved")
	sinputs="qemu=$qemu_pkg closure=$(sed 1,3d "$cache/resolved" | cksum | cut -d' ' -f1)"
}

# deb_name PKG VER ARCH: the file name apt-get download gives the package
deb_name() { echo "$1_$(echo "$2" | sed 's/:/%3a/g')_$3.deb"; }
# fetch: read "PKG VER ARCH" lines, download what CACHE/apt/debs lacks
# (one apt-get for all; on failure, one at a time to name the culprit).
fetch() {
	missing=
	while read -r p v a; do
		[ -s "$apt_dir/debs/$(deb_name "$p" "$v" "$a")" ] || missing="$missing $p=$v"
	done
	[ -n "$missing" ] || return 0
	log "stack $stack: downloading $(echo "$missing" | wc -w) package(s) from $suite"
	# shellcheck disable=SC2086
	(cd "$apt_dir/debs" && aptp download -q $missing >"$apt_dir/download.log" 2>&1) || {
		cat "$apt_dir/download.log" >&2
		for m in $missing; do
			(cd "$apt_dir/debs" && aptp download -q "$m" >/dev/null 2>&1) ||
				die "stack $stack: cannot fetch package ${m%%=*} version ${m#*=} from $suite (rerun with --update: the archive may have moved on)"
		done
	}
}

# stack_kernel_deb DIR: set kdebs to the kernel package's file and those of
# the packages it depends on at its own version (Linux 7.x's linux-image-* is
# a shell around linux-binary-* (vmlinuz) and linux-modules-*).
stack_kernel_deb() {
	karch=amd64
	parts=$(aptc show "$kpkg=$kver" 2>/dev/null | sed -n 's/^Depends: //p' | head -n1 | tr ',' '\n' |
		sed -n "s/^ *\([^ ]*\) (= $kver)\$/\1/p")
	kdebs=
	for p in "$kpkg" $parts; do
		echo "$p $kver $karch" | fetch
		kdebs="$kdebs $apt_dir/debs/$(deb_name "$p" "$kver" "$karch")"
	done
}

# stack_userland ROOT: QEMU with the library closure, firmware; set qemu_ver.
stack_userland() {
	closure=$(sed 1,3d "$cache/resolved")
	echo "$closure" | fetch
	st=$tmp/stage
	mkdir -p "$st"
	echo "$closure" | while read -r p v a; do
		dpkg-deb -x "$apt_dir/debs/$(deb_name "$p" "$v" "$a")" "$st" ||
			die "cannot extract package $p $v"
	done
	sh "$here/elfcopy.sh" "$st" "$1" /usr/bin/qemu-system-x86_64 || die "cannot copy QEMU's libraries"
	# Firmware under the names init and QEMU use (-L /fw). trixie's ovmf has
	# only the 4 MiB variants: they stand in for OVMF_CODE.fd/OVMF_VARS.fd.
	# ?: the option ROMs for fw_cfg without DMA, which QEMU 11.1 no longer
	# ships (the machines that lacked fw_cfg DMA are gone): copied if there.
	for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
		/usr/share/qemu/linuxboot_dma.bin ?/usr/share/qemu/linuxboot.bin \
		/usr/share/qemu/multiboot_dma.bin ?/usr/share/qemu/multiboot.bin \
		/usr/share/qemu/pvh.bin /usr/share/qemu/qboot.rom \
		/usr/share/OVMF/OVMF_CODE_4M.fd:OVMF_CODE.fd /usr/share/OVMF/OVMF_VARS_4M.fd:OVMF_VARS.fd; do
		opt=
		case $f in \?*) opt=1 f=${f#\?} ;; esac
		[ -z "$opt" ] || [ -e "$st${f%%:*}" ] || continue
		src=${f%%:*} dst=${f#*:}
		[ "$dst" = "$f" ] && dst=$(basename "$src")
		p=$src n=0
		while [ -L "$st$p" ] && [ $n -lt 20 ]; do
			t=$(readlink "$st$p"); n=$((n + 1))
			case $t in /*) p=$t ;; *) p=$(dirname "$p")/$t ;; esac
		done
		cp "$st$p" "$1/fw/$dst" || die "firmware $src missing in $suite's packages"
	done
	# Run it in ROOT: proves the closure is complete (no host library).
	qemu_ver=$(chroot "$1" /usr/bin/qemu-system-x86_64 --version 2>&1 |
		sed -n 's/^QEMU emulator version //p') || true
	[ -n "$qemu_ver" ] || {
		chroot "$1" /usr/bin/qemu-system-x86_64 --version >&2 || true
		die "stack $stack: QEMU does not start inside the L1 tree"
	}
}
