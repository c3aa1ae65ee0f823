/* The scenario's data: section: each feeder's CSV file found next to the
 * scenario, checked (a regular file, bounded) and read into the model
 * (data_csv.c reads the CSV itself). */
#include "data_csv.h"
#include "scenario_load_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool is_identifier(const char *s)
{
    if (!(isalpha((unsigned char)s[0]) || s[0] == '_') || strlen(s) > 64)
        return false;
    for (const char *p = s + 1; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

static bool load_feeder(struct hn_loader *L, struct hn_yaml_pair *p, char *err, size_t err_len)
{
    static const char *const keys[] = {"csv", "order", NULL};
    struct hn_yaml *y = &L->y;
    if (!is_identifier(p->name))
        return hn_yaml_fail(y, p->key,
                            "data feeder name '%s': letters, digits and _ only, not starting "
                            "with a digit",
                            p->name);
    if (!hn_yaml_is_map(p->value))
        return hn_yaml_fail(y, p->value, "data %s: expected {csv: FILE, order: ...}, got %s",
                            p->name, hn_yaml_kind(p->value));
    char what[100];
    snprintf(what, sizeof(what), "data %s", p->name);
    if (!hn_yaml_check_keys(y, p->value, keys, what))
        return false;
    struct hn_feeder *f = hn_scenario_add_feeder(L->s);
    if (!f)
        return hn_yaml_fail(y, p->key, "more than %d data feeders", HN_MODEL_FEEDERS_MAX);
    if (!(f->name = strdup(p->name)))
        return hn_yaml_fail(y, p->key, "out of memory");
    yaml_node_t *order = hn_yaml_get(y, p->value, "order");
    if (order) {
        const char *o = hn_yaml_is_scalar(order) ? (const char *)order->data.scalar.value : "";
        if (!strcmp(o, "sequential"))
            f->order = HN_ORDER_SEQUENTIAL;
        else if (!strcmp(o, "random"))
            f->order = HN_ORDER_RANDOM;
        else if (!strcmp(o, "unique"))
            f->order = HN_ORDER_UNIQUE;
        else
            return hn_yaml_fail(y, order, "%s order: sequential, random or unique, got %s%s%s",
                                what, hn_yaml_is_scalar(order) ? "'" : "",
                                hn_yaml_is_scalar(order) ? o : hn_yaml_kind(order),
                                hn_yaml_is_scalar(order) ? "'" : "");
    }
    yaml_node_t *csv = hn_yaml_get(y, p->value, "csv");
    if (!csv)
        return y->failed || hn_yaml_fail(y, p->value, "%s: csv: FILE is missing", what);
    const char *rel;
    if (!hn_yaml_string(y, csv, PATH_MAX - 1, &rel, NULL, "csv"))
        return false;
    if (L->opt->no_files)
        return hn_yaml_fail(y, csv, "%s: files cannot be read here", what);
    char path[PATH_MAX * 2];
    hn_load_resolve_path(L, rel, path, sizeof(path));
    /* A file, and one of a bounded size: the reader holds a line at a
     * time, and /dev/zero or a huge file without a line break would hold
     * all memory before any limit on fields could say no. */
    struct stat sb;
    if (stat(path, &sb) != 0)
        return hn_yaml_fail(y, csv, "%s: cannot read %s: %s", what, path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return hn_yaml_fail(y, csv, "%s: %s is not a regular file", what, path);
    if ((uint64_t)sb.st_size > HN_DATA_CSV_FILE_MAX)
        return hn_yaml_fail(y, csv, "%s: %s is %llu bytes (a data file is at most %u MiB)", what,
                            path, (unsigned long long)sb.st_size, HN_DATA_CSV_FILE_MAX >> 20);
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return hn_yaml_fail(y, csv, "%s: cannot read %s: %s", what, path, strerror(errno));
    fclose(probe);
    uint32_t idx = L->s->n_feeders - 1;
    if (L->info && !(L->info->data_paths[idx] = strdup(path)))
        return hn_yaml_fail(y, csv, "out of memory");
    int rc = hn_data_csv_load(path, f, &L->data_left, err, err_len);
    if (rc)
        return false; /* err holds "CSV_FILE:LINE:COL: message" */
    f->rows_shipped = true;
    if (f->n_rows == 0)
        return hn_yaml_fail(y, csv, "%s: %s has a header but no row", what, path);
    return true;
}

bool hn_load_data(struct hn_loader *L, yaml_node_t *n, char *err, size_t err_len)
{
    struct hn_yaml_pair *pairs;
    size_t np;
    if (!hn_yaml_map_pairs(&L->y, n, "data", "name: {csv: FILE}", &pairs, &np))
        return false;
    bool ok = true;
    for (size_t i = 0; i < np && ok; i++)
        ok = load_feeder(L, &pairs[i], err, err_len);
    free(pairs);
    return ok;
}
