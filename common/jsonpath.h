/* The JSONPath subset of captures and checks: "$", then any of ".key",
 * "['key']" (or double quotes, for keys with dots or spaces) and "[N]" (an
 * array index from 0), e.g. "$.data[0].id". Compiled once at load time;
 * matched against a response by the worker's JSON extractor. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HN_JSONPATH_STEPS_MAX 32
#define HN_JSONPATH_KEY_MAX 256

struct hn_jsonpath_step {
    bool is_index;
    uint32_t index; /* array index, when is_index */
    char *key;      /* object key (owned), when !is_index */
    uint32_t key_len;
};

struct hn_jsonpath {
    struct hn_jsonpath_step steps[HN_JSONPATH_STEPS_MAX];
    uint32_t n_steps; /* 0: the whole document ("$") */
};

/* Compile @src[0..len). 0; HN_E_INVALID with a message in @why and the byte
 * offset of the problem in *@err_offset; -ENOMEM. */
int hn_jsonpath_compile(struct hn_jsonpath *p, const char *src, size_t len, char *why,
                        size_t why_len, size_t *err_offset);
void hn_jsonpath_deinit(struct hn_jsonpath *p);
