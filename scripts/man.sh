#!/bin/sh
# Renders one tool's page, docs/TOOL.md, as the man page TOOL.1 on stdout.
# The docs are written man-page style ("# TOOL(1) — what it is", then
# "## NAME", "## SYNOPSIS", ...), so the page is the same text: the title
# line becomes the .TH header, each "##" section a .SH, and a page without
# a NAME section gets one made from its title line.
# Usage: scripts/man.sh docs/TOOL.md > TOOL.1   (needs lowdown)
set -eu
doc=$1
tool=$(basename "$doc" .md)
title=$(sed -n '1s/^# *//p' "$doc")
{
	if ! grep -q '^## NAME' "$doc"; then
		printf '# NAME\n\n%s\n\n' "$(printf '%s' "$title" |
			sed 's/([0-9])//')"
	fi
	sed '1d; s/^##/#/' "$doc"
} | lowdown -s -Tman -M "title=$tool" -M section=1 \
	-M "source=Coffer $(sed -n 's/^#define COFFER_VERSION "\(.*\)"/\1/p' \
	"$(dirname "$0")/../lib/version.h")"
