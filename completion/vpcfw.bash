# bash completion for vpcfw(8)                             -*- shell-script -*-
#
# Table-driven: the subcommands, their options and the values the usage
# lines spell out (show rules|flows|stats|metrics, steer on|off, --to
# native|nacl-json|sg-json, FILE, PATH, IFACE=FILE) come from `vpcfw help`,
# which prints the program's own table of subcommands. A subcommand added to
# that table completes without a change here. Only the values no usage line
# spells out are listed below (_vpcfw_values).
#
# A usage of several forms, "list [--json] | up FILE | down [LAB]", is
# narrowed to the form the first positional word names. Usage lines are
# then read token by token: "[--opt]" (the bracket closes on the
# token) is a flag, "--opt ARG" / "[--opt ARG]" takes ARG, any other token
# is a positional argument. ARG and positionals complete as:
#   a|b|c            the lowercase words (an alternative FILE adds files)
#   FILE, PATH       file names (also TRACE-FILE, ...);  DIR  directories
#   IFACE=FILE...    an interface name and '=', then file names
#   IFACE            interface names
#   anything else    nothing (numbers, addresses, CIDRs)

# COMPREPLY=($(compgen ...)) splits on purpose, as bash-completion does:
# candidates are words.
# shellcheck disable=SC2207

# Values of options whose usage line only names a metavariable. --proto
# takes the protocol names the filters know (src/lib/ruleset.c proto_name).
_vpcfw_values()
{
	case $1 in
	--proto) echo "tcp udp icmp icmpv6" ;;
	esac
}

# The program to ask: the one being completed, else vpcfw on the PATH or in
# /usr/sbin (an administrator's program: not on a user's PATH in Debian).
_vpcfw_prog()
{
	local p=$1
	[[ $p == */* && -x $p ]] && { echo "$p"; return; }
	p=$(type -P "${p:-vpcfw}" 2>/dev/null) || p=""
	[[ -z $p && -x /usr/sbin/vpcfw ]] && p=/usr/sbin/vpcfw
	echo "$p"
}

# _vpcfw_usage PROG: one line per subcommand, "NAME USAGE", continuation
# lines of `vpcfw help` joined to their subcommand.
_vpcfw_usage()
{
	"$1" help 2>/dev/null | awk '
		/^  vpcfw [^ ]/ {
			if (name != "") print name " " usage
			name = $2; usage = substr($0, length("  vpcfw " name) + 1); next
		}
		name != "" && /^   / { usage = usage " " $0; next }
		name != "" { print name " " usage; name = "" }
		END { if (name != "") print name " " usage }'
}

# _vpcfw_clean TOKEN: the token without the brackets and "..." that mark it
# optional or repeated ("[--map" -> "--map", "FILE]..." -> "FILE").
_vpcfw_clean()
{
	local t=$1
	while [[ $t == '['* ]]; do t=${t#'['}; done
	while [[ $t == *... || $t == *']' ]]; do t=${t%...}; t=${t%']'}; done
	printf '%s' "$t"
}

# _vpcfw_parse USAGE: sets _vpcfw_opts (options), _vpcfw_arg[OPT] (the
# metavariables of options that take one, space-separated when an option
# appears twice), _vpcfw_pos (positional metavariables, in order) and
# _vpcfw_rep (set when the last positional repeats: "FILE...").
_vpcfw_parse()
{
	local tok t want=""
	_vpcfw_opts=() _vpcfw_pos=() _vpcfw_rep=""
	_vpcfw_arg=()
	for tok in $1; do
		t=$(_vpcfw_clean "$tok")
		[[ -n $t && $t != '|' ]] || continue
		if [[ -n $want ]]; then
			_vpcfw_arg[$want]+="${_vpcfw_arg[$want]:+ }$t"
			want=""
		elif [[ $t == -* ]]; then
			t=${t%%=*}
			[[ " ${_vpcfw_opts[*]} " == *" $t "* ]] || _vpcfw_opts+=("$t")
			# "[--flag]" closes on this token: it takes no argument.
			[[ ${tok%...} == *']' ]] || want=$t
		else
			_vpcfw_pos+=("$t")
			_vpcfw_rep=""
			[[ $tok == *... ]] && _vpcfw_rep=1
		fi
	done
}

# _vpcfw_form LINE FIRST: a usage of several forms each named by its first
# word, "plan FILE | up FILE | down [LAB]", narrowed to the form FIRST (the
# first positional word typed) names; with no FIRST, or one no form starts
# with, a usage whose one positional is the forms' first words
# ("plan|up|down"). Forms told apart by an option ("A | --replay FILE")
# are left as they are: one usage, every option of every form.
_vpcfw_form()
{
	local rest=$1 form firsts="" forms=()
	while [[ -n $rest ]]; do
		form=${rest%%' | '*}
		[[ $rest == *' | '* ]] && rest=${rest#*' | '} || rest=""
		form=${form#"${form%%[! ]*}"}
		[[ $form == [a-z]* ]] || { printf '%s' "$1"; return; }
		forms+=("$form")
	done
	for form in "${forms[@]}"; do
		[[ -n $2 && ${form%% *} == "$2" ]] && { printf '%s' "$form"; return; }
		firsts+="${firsts:+|}${form%% *}"
	done
	printf '%s' "$firsts"
}

# _vpcfw_words META: the literal words of an alternatives list "a|b|FILE".
_vpcfw_words()
{
	local alt out=""
	local IFS='|'
	for alt in $1; do
		[[ $alt =~ ^[a-z0-9][a-z0-9._-]*$ ]] && out+="$alt "
	done
	printf '%s' "$out"
}

# _vpcfw_files [-d]: file (or directory) names for $cur.
_vpcfw_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir "$@"
	else
		local IFS=$'\n'
		COMPREPLY+=($(compgen ${1:--f} -- "$cur"))
		[[ $1 == -d ]] || compopt -o filenames 2>/dev/null
	fi
}

_vpcfw_ifaces()
{
	local d out=""
	for d in /sys/class/net/*; do out+="${d##*/} "; done
	printf '%s' "$out"
}

# _vpcfw_complete_meta META...: candidates for $cur from metavariables.
_vpcfw_complete_meta()
{
	local m words="" files="" dirs="" iface="" ifeq=""
	for m in "$@"; do
		words+=$(_vpcfw_words "$m")
		case $m in
		IFACE=*) ifeq=1 ;;
		IFACE) iface=1 ;;
		esac
		# An alternative FILE, TRACE-FILE, PATH, FILE[,FILE...]; DIR.
		local alts alt
		IFS='|' read -ra alts <<<"$m"
		for alt in "${alts[@]}"; do
			[[ $alt =~ ^([A-Z]+-)*(FILE|PATH)([,[].*)?$ ]] && files=1
			[[ $alt =~ ^([A-Z]+-)*DIR$ ]] && dirs=1
		done
	done
	if [[ -n $ifeq && $cur == *=* ]]; then
		# IFACE=FILE[,FILE...]: the file after '=' or the last ','. Bash
		# replaces the text after the last word break: after '=' when
		# COMP_WORDBREAKS holds it (the default), else the whole word.
		local head=${cur%%=*}= rest=${cur#*=} pre=""
		[[ $COMP_WORDBREAKS == *=* ]] && head=""
		[[ $rest == *,* ]] && { pre=${rest%,*},; rest=${rest##*,}; }
		local IFS=$'\n'
		COMPREPLY=($(compgen -f -P "$head$pre" -- "$rest"))
		compopt -o filenames -o nospace 2>/dev/null
		return
	fi
	[[ -n $ifeq ]] && {
		COMPREPLY+=($(compgen -W "$(_vpcfw_ifaces)" -S = -- "$cur"))
		compopt -o nospace 2>/dev/null
	}
	[[ -n $iface ]] && COMPREPLY+=($(compgen -W "$(_vpcfw_ifaces)" -- "$cur"))
	[[ -n $words ]] && COMPREPLY+=($(compgen -W "$words" -- "$cur"))
	[[ -n $files ]] && _vpcfw_files
	[[ -n $dirs ]] && _vpcfw_files -d
	return 0
}

_vpcfw()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		# -s: "--opt=VALUE" completes VALUE as the value of --opt.
		_init_completion -s || return
	else
		# Without bash-completion: whole words, "--opt=" split by bash.
		COMPREPLY=()
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
		cur=${words[cword]} prev=${words[cword - 1]}
		[[ $cur == = ]] && { cur=""; prev=${words[cword - 1]}; }
		[[ $prev == = && $cword -ge 2 ]] && prev=${words[cword - 2]}
	fi

	local prog usage cmd line i n_pos=0 skip=""
	prog=$(_vpcfw_prog "${words[0]}")
	[[ -n $prog ]] || return 0
	usage=$(_vpcfw_usage "$prog")

	# The subcommand: the first word after the program.
	if ((cword == 1)); then
		local names
		names=$(printf '%s\n' "$usage" | cut -d' ' -f1)
		COMPREPLY=($(compgen -W "$names --help --version" -- "$cur"))
		return 0
	fi
	cmd=${words[1]}
	line=$(printf '%s\n' "$usage" | awk -v c="$cmd" '$1 == c { sub(/^[^ ]+ ?/, ""); print; exit }')
	if [[ $line == *' | '* ]]; then
		local first=""
		for ((i = 2; i < cword; i++)); do
			[[ ${words[i]} == -* ]] || { first=${words[i]}; break; }
		done
		line=$(_vpcfw_form "$line" "$first")
	fi
	declare -A _vpcfw_arg
	local _vpcfw_opts _vpcfw_pos _vpcfw_rep
	_vpcfw_parse "$line"

	# The value of the option before.
	if [[ $prev == -* && -n ${_vpcfw_arg[$prev]-} ]]; then
		local vals
		vals=$(_vpcfw_values "$prev")
		if [[ -n $vals ]]; then
			COMPREPLY=($(compgen -W "$vals" -- "$cur"))
		else
			# shellcheck disable=SC2086
			_vpcfw_complete_meta ${_vpcfw_arg[$prev]}
		fi
		return 0
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "${_vpcfw_opts[*]}" -- "$cur"))
		return 0
	fi
	# A positional: count the ones already given (option values skipped).
	for ((i = 2; i < cword; i++)); do
		if [[ -n $skip ]]; then
			skip=""
		elif [[ ${words[i]} == -* ]]; then
			[[ ${words[i]} != *=* && -n ${_vpcfw_arg[${words[i]}]-} ]] && skip=1
		else
			n_pos=$((n_pos + 1))
		fi
	done
	((${#_vpcfw_pos[@]})) || return 0
	# Past the last positional: more only if it repeats (FILE...).
	if ((n_pos >= ${#_vpcfw_pos[@]})); then
		[[ -n $_vpcfw_rep ]] || return 0
		n_pos=$((${#_vpcfw_pos[@]} - 1))
	fi
	_vpcfw_complete_meta "${_vpcfw_pos[n_pos]}"
	return 0
}
complete -F _vpcfw vpcfw
