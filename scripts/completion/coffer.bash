# bash completion for Coffer's tools (hsm, clone, domains, mofn, backupd,
# restore, rbs). Subcommands and options are read from each tool's own
# --help at completion time, so the completion can never drift from the
# code: a subcommand is a word that follows the words typed so far in a
# usage line ("hsm partition create ...", "backupd delete|undelete ..."),
# an option any --name in the subcommand's help.
# Installed as share/bash-completion/completions/<tool> (one file, linked).

# _coffer_subcommands TOOL [WORD...]: the words that may follow.
_coffer_subcommands()
{
	local prefix="$*"
	"$1" --help 2>/dev/null | awk -v p="$prefix " '
		{
			line = $0
			while ((i = index(line, p)) > 0) {
				rest = substr(line, i + length(p))
				line = rest
				if (i > 1 && substr($0, i - 1, 1) ~ /[a-z-]/)
					continue
				split(rest, w, /[ \t]/)
				if (w[1] !~ /^[a-z][a-z|-]*$/)
					continue
				n = split(w[1], alt, "|")
				for (j = 1; j <= n; j++)
					print alt[j]
			}
		}' | sort -u
}

# _coffer_options TOOL [WORD...]: every --option the command's help names.
_coffer_options()
{
	"$@" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

_coffer()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD - 1]}
	local tool=${COMP_WORDS[0]} i w subs
	local -a words=()

	# The subcommand words typed so far; positional arguments stop it.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		[[ $w == -* ]] && break
		subs=$(_coffer_subcommands "$tool" "${words[@]}")
		grep -qx -- "$w" <<<"$subs" || break
		words+=("$w")
	done
	case $prev in
	--*-file | --config | --out | --out-dir | --shares-out | --cert | \
	--module | --rbs-identity | --share | --*-share)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_coffer_options "$tool" \
		    "${words[@]}")" -- "$cur"))
		return
	fi
	subs=$(_coffer_subcommands "$tool" "${words[@]}")
	if [[ -n $subs && ${#words[@]} -eq $((COMP_CWORD - 1)) ]]; then
		COMPREPLY=($(compgen -W "$subs" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}

# "coffer TOOL ...": the tool's completion, with the tools' directory in
# PATH for the --help it reads.
_coffer_front()
{
	local dir
	dir=$(coffer path 2>/dev/null) || return
	if [[ $COMP_CWORD -eq 1 ]]; then
		COMPREPLY=($(compgen -W "path $(ls "$dir")" -- \
		    "${COMP_WORDS[1]}"))
		return
	fi
	local -a saved=("${COMP_WORDS[@]}")
	COMP_WORDS=("${COMP_WORDS[@]:1}")
	((COMP_CWORD--))
	PATH="$dir:$PATH" _coffer
	COMP_WORDS=("${saved[@]}")
	((COMP_CWORD++))
}

complete -F _coffer hsm clone domains mofn backupd restore rbs
complete -F _coffer_front coffer
