/* Two reports on one file: the paths of a master's reports compared by the
 * file each will write (links, "..", the working directory resolved), so
 * that the command line can refuse them before anything is written. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sanitize.h"

struct hn_master_config;

/* Room for hn_report_paths_conflict's message, NUL included. */
#define HN_REPORT_PATHS_MSG_SIZE (HN_SANITIZE_SIZE(256) + 128)

/* Whether two of @cfg's report files (--json, --html, --hdr-log, --junit,
 * --summary-md and the four files of --csv) are one file, or both standard
 * output ("-", except for --hdr-log, where it is a file named "-";
 * /dev/stdout, ...). If so, true, and @msg (@msg_len bytes) says which:
 * "--json and --html both write FILE: give each report a file of its own".
 * Empty paths are the caller's to refuse first. */
bool hn_report_paths_conflict(const struct hn_master_config *cfg, char *msg, size_t msg_len);
