/*
 * backupd's log lines: one line on standard error each. Under systemd
 * (JOURNAL_STREAM set: stderr is the journal) each line starts with its
 * syslog priority as "<N>" (sd-daemon(3)), which journald strips and
 * records, so `journalctl -p err` shows every failure and nothing else.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "backupd.h"
#include "cli.h"

void
bd_log(int prio, const char *fmt, ...)
{
	static int journal = -1;
	va_list ap;

	/* --quiet: failures and warnings only. */
	if (cli_quiet() && (prio & LOG_PRIMASK) > LOG_WARNING)
		return;
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	if (journal)
		fprintf(stderr, "<%d>", prio & LOG_PRIMASK);
	fprintf(stderr, "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
