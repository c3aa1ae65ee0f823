/* Data feeder files: CSV with a header row (RFC 4180 quoting, spaces kept
 * in their field; parsed by libcsv), read into a feeder of the scenario
 * model. Errors are "FILE:LINE:COL: message", like the scenario's own; a
 * row's error names the line the row starts on. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* Most bytes a data file may take on disk (its cells: HN_MODEL_DATA_BYTES_MAX
 * for all files together); the reader stops past it too. */
#define HN_DATA_CSV_FILE_MAX (64u << 20)

/* Read @path into @f's columns, cells and row count, within the model's
 * limits (rows, columns, cell size) and @bytes_left bytes of cells, which
 * it lowers. Cells must be UTF-8 without NUL; every row has as many fields
 * as the header. 0; HN_E_INVALID with the message in @err; -ENOMEM. */
int hn_data_csv_load(const char *path, struct hn_feeder *f, uint64_t *bytes_left, char *err,
                     size_t err_len);
