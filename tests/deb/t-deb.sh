#!/bin/bash
#
# t-deb.sh - the Debian package: `dpkg-buildpackage -us -uc -b` in a copy of
# the source tree (the tree itself is left as it is) builds a .deb that
# lintian passes without an error; `apt-get install ./vpcfw_*.deb` puts the
# program, the man pages, the systemd unit (neither enabled nor started),
# /etc/default/vpcfw (a conffile), the example rules and the bash completion
# where they belong; the installed vpcfw runs its demo (real traffic between
# namespaces); `apt-get purge` leaves nothing of it behind. Then the
# Ansible role (contrib/ansible) installs the same .deb, and it is purged.
#
# As root on Debian 12, with ./bootstrap's packages (dpkg-dev, debhelper,
# lintian, man-db, bash-completion). Refuses to run (exit 77) when a vpcfw
# package is already installed: it would replace and then purge it. The
# unit tests run in make check already: the package build skips them
# (DEB_BUILD_OPTIONS=nocheck) unless VPCFW_DEB_CHECK=1.
#
# Usage: VPCFW_SRCDIR=. bash tests/deb/t-deb.sh
set -u
: "${VPCFW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
SRC=$(cd "$VPCFW_SRCDIR" && pwd)
FAILED=0 CHECKS=0 WORK="" INSTALLED=""

skip() { echo "SKIP: $*"; exit 77; }
hard_error() { echo "ERROR: $*"; exit 99; }
pass() { CHECKS=$((CHECKS + 1)); echo "ok - $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILED=1; echo "FAIL - $*"; }
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
check_not() { local d=$1; shift; if "$@"; then fail "$d"; else pass "$d"; fi; }
installed() { dpkg-query -W -f='${Status}' vpcfw 2>/dev/null | grep -q 'ok installed'; }
# Any trace in dpkg's database: installed, or removed with conffiles kept.
known_to_dpkg() { dpkg-query -W -f='${Status}' vpcfw 2>/dev/null | grep -qv 'not-installed'; }

[ "$(id -u)" = 0 ] || skip "needs root (installs and purges the package)"
for t in dpkg-buildpackage dh lintian apt-get man; do
	command -v "$t" >/dev/null 2>&1 || skip "$t not installed (./bootstrap installs it)"
done
known_to_dpkg && skip "a vpcfw package is installed here already: not replacing it"

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$INSTALLED" ] && known_to_dpkg; then
		echo "# purging the package the test installed"
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 purge -y -qq vpcfw >/dev/null 2>&1 ||
			dpkg --purge vpcfw >/dev/null 2>&1
	fi
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
WORK=$(mktemp -d /tmp/vpcfw-deb.XXXXXX) || hard_error "mktemp"

# ---------------------------------------------------------------- build

# The sources without the build trees and what a package build in the
# tree itself leaves in debian/ (tar: a fresh root has no version control).
mkdir "$WORK/vpcfw"
(cd "$SRC" && tar -cf - --exclude-vcs --exclude=./build --exclude='./build-*' \
	--exclude=./autom4te.cache --exclude=./debian/vpcfw --exclude=./debian/.debhelper \
	--exclude=./debian/build --exclude=./debian/tmp --exclude=./debian/files \
	--exclude='./debian/*.substvars' --exclude='./debian/*.debhelper*' \
	--exclude=./debian/debhelper-build-stamp --exclude='./debian/autoreconf.*' .) |
	tar -xf - -C "$WORK/vpcfw"
[ -f "$WORK/vpcfw/debian/control" ] || hard_error "no debian/ in the copy of $SRC"
opts=nocheck
[ "${VPCFW_DEB_CHECK:-0}" = 1 ] && opts=""
if (cd "$WORK/vpcfw" && DEB_BUILD_OPTIONS="$opts parallel=2" \
	dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
	pass "dpkg-buildpackage -us -uc -b builds the package"
else
	fail "dpkg-buildpackage -us -uc -b builds the package"
	tail -40 "$WORK/build.log" | sed 's/^/#   /'
	exit 1
fi
deb=$(ls "$WORK"/vpcfw_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || hard_error "no vpcfw_*.deb next to the build"
check_not "the source tree is untouched (no debian/vpcfw, no debian/files in it)" \
	test -e "$SRC/debian/vpcfw" -o -e "$SRC/debian/files"

# lintian: errors fail; warnings are printed (the report lists them).
lintian --tag-display-limit 0 "$WORK"/vpcfw_*.changes >"$WORK/lintian.log" 2>&1
sed 's/^/# lintian: /' "$WORK/lintian.log"
check_not "lintian reports no error" grep -q '^E: ' "$WORK/lintian.log"

# ---------------------------------------------------------------- install

INSTALLED=1
if (cd "$WORK" && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "./$(basename "$deb")") \
	>"$WORK/install.log" 2>&1; then
	pass "apt-get install ./$(basename "$deb")"
else
	fail "apt-get install ./$(basename "$deb")"
	tail -20 "$WORK/install.log" | sed 's/^/#   /'
	exit 1
fi
check "dpkg says it is installed" installed
dpkg -L vpcfw >"$WORK/files"

for f in /usr/sbin/vpcfw /usr/share/man/man8/vpcfw.8.gz /usr/share/man/man5/vpcfw.rules.5.gz \
	/lib/systemd/system/vpcfw.service /etc/default/vpcfw \
	/usr/share/bash-completion/completions/vpcfw /usr/libexec/vpcfw/vpcfw-demo \
	/usr/share/vpcfw/rules/web.rules /usr/share/doc/vpcfw/copyright; do
	check "$f is installed" test -e "$f"
done
check "the examples are in /usr/share/doc/vpcfw/examples" test -r /usr/share/doc/vpcfw/examples/web.rules
check "/etc/default/vpcfw is a conffile" \
	sh -c "dpkg-query -W -f='\${Conffiles}' vpcfw | grep -q '^ /etc/default/vpcfw '"
check "vpcfw version names the package's version" \
	sh -c "/usr/sbin/vpcfw version | grep -qx \"vpcfw \$(dpkg-query -W -f='\${Version}' vpcfw)\""
check "man -w vpcfw finds the installed page" \
	sh -c 'man -w vpcfw | grep -qx /usr/share/man/man8/vpcfw.8.gz'
check "man -w 5 vpcfw.rules too" \
	sh -c 'man -w 5 vpcfw.rules | grep -qx /usr/share/man/man5/vpcfw.rules.5.gz'
check "the unit runs the installed program" \
	grep -q '^ExecStart=/usr/sbin/vpcfw run ' /lib/systemd/system/vpcfw.service
check "the unit reads /etc/default/vpcfw" \
	grep -q '^EnvironmentFile=-/etc/default/vpcfw' /lib/systemd/system/vpcfw.service
check_not "the unit is not enabled (no symlink to it under /etc/systemd)" \
	sh -c 'find /etc/systemd -name vpcfw.service | grep -q .'
if [ -d /run/systemd/system ]; then
	check_not "systemd has not started it" systemctl --quiet is-active vpcfw.service
else
	check_not "it was not started (no control socket)" test -S /run/vpcfw.sock
fi
check "vpcfw check reads the installed examples" \
	sh -c '/usr/sbin/vpcfw check /usr/share/doc/vpcfw/examples/web.rules >/dev/null 2>&1'
check "bash-completion loads the installed completion for vpcfw" \
	bash --norc --noprofile -c '. /usr/share/bash-completion/bash_completion &&
		_completion_loader vpcfw; complete -p vpcfw | grep -q "_vpcfw vpcfw"'
check "and it completes show's views from the installed program" \
	bash --norc --noprofile -c '. /usr/share/bash-completion/bash_completion &&
		. /usr/share/bash-completion/completions/vpcfw &&
		COMP_WORDS=(vpcfw show "") COMP_CWORD=2 COMP_LINE="vpcfw show " COMP_POINT=11 &&
		PATH=/usr/sbin:$PATH _vpcfw && [ "${COMPREPLY[*]}" = "rules flows stats metrics" ]'
# The demo of the installed package: its script in /usr/libexec/vpcfw and
# its rules in /usr/share/vpcfw, real traffic between two namespaces.
if /usr/sbin/vpcfw demo --fast </dev/null >"$WORK/demo.log" 2>&1; then
	pass "vpcfw demo --fast runs from the installed package"
else
	fail "vpcfw demo --fast runs from the installed package"
	tail -30 "$WORK/demo.log" | sed 's/^/#   /'
fi

# ---------------------------------------------------------------- purge

if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 purge -y -qq vpcfw >"$WORK/purge.log" 2>&1; then
	pass "apt-get purge -y vpcfw"
else
	fail "apt-get purge -y vpcfw"
	tail -20 "$WORK/purge.log" | sed 's/^/#   /'
fi
check_not "dpkg has forgotten it (no conffiles kept)" known_to_dpkg
left=""
while read -r f; do
	# Directories other packages share (/usr/share/man/man8, /lib, a
	# symbolic link to usr/lib on a merged /usr, ...) stay.
	if [ -d "$f" ]; then
		case $f in */vpcfw | */vpcfw/*) [ -e "$f" ] && left+=" $f" ;; esac
	elif [ -e "$f" ] || [ -L "$f" ]; then
		left+=" $f"
	fi
done <"$WORK/files"
check "nothing dpkg -L listed remains${left:+ (left:$left)}" test -z "$left"
check_not "/etc/default/vpcfw is gone" test -e /etc/default/vpcfw
check_not "deb-systemd-helper keeps no state of the unit" \
	sh -c 'find /var/lib/systemd/deb-systemd-helper-* -name "*vpcfw*" 2>/dev/null | grep -q .'
check_not "no maintainer script or list of it remains in dpkg's database" \
	sh -c 'ls /var/lib/dpkg/info/ | grep -q "^vpcfw\."'

# The Ansible role's install (contrib/ansible/roles/vpcfw, tasks/install.yml:
# the .deb copied to the host, installed with apt), here on this machine.
if command -v ansible >/dev/null 2>&1; then
	if ANSIBLE_ROLES_PATH="$SRC/contrib/ansible/roles" ANSIBLE_NOCOLOR=1 \
		ANSIBLE_HOME="$WORK/ansible-home" ANSIBLE_LOCAL_TEMP="$WORK/ansible-tmp" \
		ANSIBLE_REMOTE_TEMP="$WORK/ansible-tmp" \
		ansible localhost -c local -m include_role \
		-a "name=vpcfw tasks_from=install.yml" -e "vpcfw_deb=$deb" >"$WORK/ansible.log" 2>&1
	then
		pass "the Ansible role installs the .deb"
	else
		fail "the Ansible role installs the .deb"
		tail -20 "$WORK/ansible.log" | sed 's/^/#   /'
	fi
	check "dpkg says it is installed" installed
	check "/usr/sbin/vpcfw runs" sh -c '/usr/sbin/vpcfw version >/dev/null'
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 purge -y -qq vpcfw >"$WORK/purge.log" 2>&1
	check_not "and apt-get purge removes it again" known_to_dpkg
	rm -f "/var/cache/apt/archives/$(basename "$deb")"
else
	echo "# ansible not installed: the role's install is not tried"
fi
INSTALLED=""

if [ "$FAILED" = 0 ]; then echo "# t-deb.sh: all $CHECKS checks passed"; else echo "# t-deb.sh: FAILED"; fi
exit "$FAILED"
