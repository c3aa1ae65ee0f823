/* Structural check of raw msgpack bytes, run before msgpack-c sees a frame:
 * msgpack-c's unpacker trusts declared lengths and would allocate whatever a
 * 5-byte array header asks for. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Bounds of the structural check. */
struct hn_frame_limits {
    uint32_t depth_max;   /* array nesting, <= HN_FRAME_DEPTH_LIMIT */
    uint32_t array_max;   /* elements of one array */
    uint32_t str_max;     /* bytes of one str */
    uint32_t bin_max;     /* bytes of one bin */
    uint32_t objects_max; /* msgpack values in all */
};

/* Deepest nesting any caller may ask for (sizes a stack array). */
#define HN_FRAME_DEPTH_LIMIT 32

/* The limits of control messages: HN_PROTO_DEPTH_MAX, HN_PROTO_ARRAY_MAX,
 * HN_PROTO_STR_MAX, HN_PROTO_SCENARIO_MAX, HN_PROTO_OBJECTS_MAX. */
extern const struct hn_frame_limits hn_frame_limits_default;

/* Check that @buf[0..len) holds exactly one msgpack value, with no trailing
 * bytes, that only uses nil, bool, int, float, str, bin and array (maps and
 * ext types are rejected), nests arrays at most HN_PROTO_DEPTH_MAX deep, and
 * declares no array longer than HN_PROTO_ARRAY_MAX or than the bytes left,
 * no str longer than HN_PROTO_STR_MAX, no bin longer than
 * HN_PROTO_SCENARIO_MAX, and at most HN_PROTO_OBJECTS_MAX objects in all.
 * After it succeeds, msgpack_unpack of the same bytes allocates at most
 * about HN_PROTO_OBJECTS_MAX * sizeof(msgpack_object). Never reads outside
 * the buffer, never allocates.
 * @return 0, HN_E_TRUNCATED (a length runs past the end), HN_E_TOO_LARGE
 *         (a limit is exceeded), HN_E_TYPE (map, ext) or HN_E_INVALID
 *         (reserved byte 0xc1, trailing bytes, empty input). */
int hn_frame_check(const void *buf, size_t len);

/* Same check with caller-chosen bounds (e.g. a scenario blob carrying many
 * data rows). msgpack-c may then allocate about
 * @lim->objects_max * sizeof(msgpack_object). A depth_max above
 * HN_FRAME_DEPTH_LIMIT is treated as HN_FRAME_DEPTH_LIMIT. */
int hn_frame_check_limits(const void *buf, size_t len, const struct hn_frame_limits *lim);
