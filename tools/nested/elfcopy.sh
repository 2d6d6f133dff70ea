#!/bin/sh
# elfcopy.sh STAGE ROOT FILE — copy the dynamic executable STAGE/FILE to
# ROOT/FILE with everything the loader needs to start it, all taken from
# STAGE (a tree of extracted .debs), never from the host: its program
# interpreter at the path it names (ROOT/lib64/ld-linux-x86-64.so.2) and the
# closure of its DT_NEEDED libraries, dereferenced, in
# ROOT/usr/lib/x86_64-linux-gnu, a directory glibc searches by default (so no
# ld.so.cache is needed). Symlinks are followed inside STAGE (absolute targets
# are taken relative to it), and /lib* paths fall back to /usr/lib* (merged
# /usr). A library that STAGE lacks is an error.
# Exit 0 ok, 1 failure (the reason on stderr).
set -eu
die() { echo "elfcopy: error: $*" >&2; exit 1; }
[ $# -eq 3 ] || die "usage: elfcopy.sh STAGE ROOT FILE"
stage=$1 root=$2 file=$3
libdirs="usr/lib/x86_64-linux-gnu lib/x86_64-linux-gnu usr/lib64 lib64 usr/lib lib"

# resolve PATH: PATH (absolute, inside STAGE) with its symlinks followed in STAGE
resolve() {
	p=$1 n=0
	while [ -L "$stage$p" ]; do
		n=$((n + 1)); [ $n -le 20 ] || die "symlink loop at $stage$p"
		t=$(readlink "$stage$p")
		case $t in /*) p=$t ;; *) p=$(dirname "$p")/$t ;; esac
	done
	[ -e "$stage$p" ] && { echo "$p"; return 0; }
	# merged /usr: /lib64 -> usr/lib64 etc. are base-files' links, not in STAGE
	case $p in /lib/*|/lib64/*|/bin/*|/sbin/*) resolve "/usr$p" ;; *) return 1 ;; esac
}
# put SRC DEST: copy STAGE/SRC (resolved) to ROOT/DEST
put() {
	s=$(resolve "$1") || die "$1 missing in $stage"
	mkdir -p "$root$(dirname "$2")"
	cp "$stage$s" "$root$2" || die "cannot copy $stage$s"
}
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }

put "$file" "$file"
interp=$(readelf -l "$root$file" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
[ -n "$interp" ] || die "$file has no program interpreter (static?)"
put "$interp" "$interp"
ild=$(basename "$interp")

todo=$(needed "$root$file") done=" $ild "
while [ -n "$todo" ]; do
	next=
	for so in $todo; do
		case $done in *" $so "*) continue ;; esac
		done="$done$so "
		found=
		for d in $libdirs; do
			if p=$(resolve "/$d/$so"); then found=$p; break; fi
		done
		[ -n "$found" ] || die "$so (needed by the closure of $file) is in none of the packages"
		put "$found" "/usr/lib/x86_64-linux-gnu/$so"
		next="$next $(needed "$root/usr/lib/x86_64-linux-gnu/$so")"
	done
	todo=$next
done
echo "elfcopy: $file: $(echo "$done" | wc -w) libraries incl. the loader" >&2
