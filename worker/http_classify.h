/* Turns a libcurl result into a failure kind users can read ("connection
 * refused", "timeout", ...). */
#pragma once

#include <curl/curl.h>

#include "recorder.h"

/* Failure slot for a transfer that ended with @result != CURLE_OK;
 * @os_errno is CURLINFO_OS_ERRNO, which tells refused from unreachable
 * and a reset from other receive errors. */
uint32_t hn_classify_curl(CURLcode result, long os_errno);
