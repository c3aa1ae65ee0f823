/* Report paths compared by the file they write (see report_paths.h): two
 * reports on one file are refused on the command line. */
#include "report_paths.h"
#include "cli.h"
#include "sanitize.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Append @rest (components that do not exist yet) to the resolved @out:
 * "." and empty ones dropped, ".." takes the last one off (what the
 * kernel will do once the writer made those directories). */
static void append_lexical(char *out, size_t len, const char *rest)
{
    size_t o = strlen(out);
    while (*rest) {
        while (*rest == '/')
            rest++;
        size_t n = strcspn(rest, "/");
        if (n == 1 && rest[0] == '.') {
            /* nothing */
        } else if (n == 2 && rest[0] == '.' && rest[1] == '.') {
            while (o > 1 && out[o - 1] != '/')
                o--;
            if (o > 1)
                o--; /* the slash, unless it is the root */
            out[o] = '\0';
        } else if (n && o + 1 + n < len) {
            if (o == 0 || out[o - 1] != '/')
                out[o++] = '/';
            memcpy(out + o, rest, n);
            o += n;
            out[o] = '\0';
        }
        rest += n;
    }
}

/* @path as the file it will write: symbolic links (a dangling one at the
 * end too) and ".." resolved as far as the path exists (realpath), the
 * rest taken as written. @path itself when nothing of it resolves. */
static void resolved_path(char *out, size_t len, const char *path)
{
    char abs[2 * PATH_MAX + 2], real[PATH_MAX];
    char cwd[PATH_MAX];
    if (path[0] == '/')
        snprintf(abs, sizeof(abs), "%s", path);
    else if (getcwd(cwd, sizeof(cwd)) && strlen(cwd) + 1 + strlen(path) < sizeof(abs))
        snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
    else {
        snprintf(out, len, "%s", path);
        return;
    }
    /* A dangling link as the last component: the writer creates the file
     * it names (through a chain of them, as open does, 40 at most). */
    for (int hops = 0; hops < 40 && !realpath(abs, real); hops++) {
        char target[PATH_MAX];
        ssize_t n = readlink(abs, target, sizeof(target) - 1);
        if (n <= 0)
            break; /* not a link: resolved below as far as it exists */
        target[n] = '\0';
        char *slash = strrchr(abs, '/'); /* abs is absolute: there is one */
        if (target[0] == '/')
            snprintf(abs, sizeof(abs), "%s", target);
        else if ((size_t)(slash - abs) + 1 + (size_t)n < sizeof(abs))
            memcpy(slash + 1, target, (size_t)n + 1); /* next to the link */
        else
            break;
    }
    for (size_t cut = strlen(abs); cut > 0;) {
        char saved = abs[cut];
        abs[cut] = '\0';
        bool ok = realpath(abs, real) != NULL;
        abs[cut] = saved;
        if (ok && strlen(real) < len) {
            snprintf(out, len, "%s", real);
            append_lexical(out, len, abs + cut);
            return;
        }
        while (cut > 0 && abs[cut - 1] != '/')
            cut--; /* back to the previous component */
        while (cut > 1 && abs[cut - 1] == '/')
            cut--;
    }
    snprintf(out, len, "%s", path);
}

/* What two report paths are compared by: the file they write (symbolic
 * links, "..", "./", "//" and the working directory resolved as far as
 * the path exists), and standard output for "-" (@dash_is_stdout) and its
 * names in /dev and /proc. */
#define STDOUT_KEY "\001stdout"
static void report_file_key(char *out, size_t len, const char *path, const char *suffix,
                            bool dash_is_stdout)
{
    static const char *const stdout_names[] = {"/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"};
    char raw[PATH_MAX];
    snprintf(raw, sizeof(raw), "%s%s", path, suffix);
    bool std = dash_is_stdout && !strcmp(raw, "-");
    for (size_t i = 0; i < sizeof(stdout_names) / sizeof(stdout_names[0]); i++)
        std |= !strcmp(raw, stdout_names[i]);
    if (std) {
        snprintf(out, len, "%s", STDOUT_KEY);
        return;
    }
    resolved_path(out, len, raw);
}

bool hn_report_paths_conflict(const struct hn_master_config *cfg, char *msg, size_t msg_len)
{
    const struct {
        const char *path, *flag;
        bool dash_is_stdout; /* "-" is standard output, except for --hdr-log (a file named -) */
    } reports[] = {
        {cfg->json_path, "--json", true},
        {cfg->html_path, "--html", true},
        {cfg->hdr_log_path, "--hdr-log", false},
        {cfg->junit_path, "--junit", true},
        {cfg->summary_md_path, "--summary-md", true},
    };
    const char *const csv_suffix[] = {"_stats.csv", "_stats_history.csv", "_failures.csv",
                                      "_exceptions.csv"};
    enum { N_REPORTS = sizeof(reports) / sizeof(reports[0]), N_CSV = 4 };
    char files[N_REPORTS + N_CSV][PATH_MAX];
    const char *names[N_REPORTS + N_CSV];
    size_t n_files = 0;
    for (size_t i = 0; i < N_REPORTS; i++)
        if (reports[i].path) {
            report_file_key(files[n_files], PATH_MAX, reports[i].path, "",
                            reports[i].dash_is_stdout);
            names[n_files++] = reports[i].flag;
        }
    for (size_t i = 0; cfg->csv_prefix && i < N_CSV; i++) {
        report_file_key(files[n_files], PATH_MAX, cfg->csv_prefix, csv_suffix[i], false);
        names[n_files++] = "--csv";
    }
    for (size_t i = 0; i < n_files; i++)
        for (size_t j = i + 1; j < n_files; j++)
            if (!strcmp(files[i], files[j])) {
                char safe[HN_SANITIZE_SIZE(256)];
                snprintf(
                    msg, msg_len, "%s and %s both write %s: give each report a file of its own",
                    names[i], names[j],
                    !strcmp(files[i], STDOUT_KEY) ? "standard output"
                                                  : hn_sanitize_str(safe, sizeof(safe), files[i]));
                return true;
            }
    return false;
}
