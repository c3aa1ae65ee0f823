/* Random byte-level mutations of encoded frames, shared by the tests that
 * check decoders against hostile input (test-msg, test-scenario-codec). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Apply one random mutation to @b[0..len) (capacity @cap): bit flip,
 * overwrite (often with a msgpack type byte), insert, delete 1..4 bytes or
 * duplicate a chunk of up to 16 bytes. @rnd supplies the randomness, so a
 * test stays reproducible from its own seed. Returns the new length. */
size_t test_mutate(uint8_t *b, size_t len, size_t cap, uint64_t (*rnd)(void));
