/*
 * uri: names of HSMs and partitions on the command line.
 *
 *   hsm:DIR#LABEL   partition LABEL of the emulated HSM in directory DIR
 *   hsm:DIR         the HSM itself (HSM-level commands)
 *
 * DIR may itself contain '#'; the label is what follows the last one.
 * Labels may not contain '#' (lib/hsm.h hsm_label_check).
 */
#ifndef COFFER_URI_H
#define COFFER_URI_H

struct hsm_uri {
	char *dir;    /* never NULL after a successful parse */
	char *label;  /* NULL when the URI names no partition */
};

/*
 * Parses s into u (free with uri_clear). With need_label set, a URI without
 * "#LABEL" is CE_USAGE; with it clear a bare directory (no "hsm:") is also
 * accepted. Returns CE_USAGE with a detail that shows the expected form.
 */
int uri_parse_hsm(const char *s, int need_label, struct hsm_uri *u);

void uri_clear(struct hsm_uri *u);

#endif
