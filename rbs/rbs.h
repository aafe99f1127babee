/* rbs: the Remote Backup Service tool (docs/rbs.md). */
#ifndef COFFER_RBS_TOOL_H
#define COFFER_RBS_TOOL_H

#define PROG "rbs"
#define RBS_STATE_DEFAULT "/var/lib/coffer/rbs"

struct rbsconf;

/* rbs serve: runs until SIGTERM/SIGINT; returns the exit status. */
int serve_main(const struct rbsconf *c, const char *port_file, int to_stderr);

#endif
