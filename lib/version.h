/*
 * version: Coffer's one version number. Every tool's --version and every
 * backup manifest's tool_version come from here, so they cannot disagree.
 * Bumped once per release (docs/architecture.md "Versions").
 */
#ifndef COFFER_VERSION_H
#define COFFER_VERSION_H

#define COFFER_VERSION "1.2.0"

#endif
