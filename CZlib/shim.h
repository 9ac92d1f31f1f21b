#ifndef MOCKLLM_CZLIB_SHIM_H
#define MOCKLLM_CZLIB_SHIM_H

/* zlib, for crc32 only: the AWS event stream's two checksums (MockLLMCore/EventStream). */
#include <zlib.h>

#endif
