#!/bin/sh
# check-kvm.sh — a CI job's first step: say whether /dev/kvm is usable here.
# The matrix's jobs boot a Debian L1 that runs the test kernel under its own KVM
# (nested); with the host's /dev/kvm the L1 runs on KVM, else under TCG, several
# times slower. Exit status: 0 /dev/kvm usable (or HVCONFORM_CI_TCG=1 set: TCG
# accepted, said on stderr), 1 not usable (with the reason and the fix).
set -u
say() { echo "check-kvm: $*" >&2; }
why=
if [ ! -e /dev/kvm ]; then
	why="no /dev/kvm on this runner (GitHub: a larger Linux runner or a self-hosted one; GitLab: a self-hosted runner whose executor passes /dev/kvm, e.g. docker devices = [\"/dev/kvm\"])"
elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	why="/dev/kvm is there but not read-write for $(id -un 2>/dev/null || id -u) (add the user to group kvm, or a udev rule MODE=\"0666\")"
fi
if [ -z "$why" ]; then
	say "/dev/kvm usable"
	exit 0
fi
if [ "${HVCONFORM_CI_TCG:-}" = 1 ]; then
	say "$why; HVCONFORM_CI_TCG=1: going on under TCG (slower)"
	exit 0
fi
say "$why; set HVCONFORM_CI_TCG=1 to run under TCG instead"
exit 1
