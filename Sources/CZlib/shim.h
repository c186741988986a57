// The headers of this system library that the project's one bridge file uses.
#pragma once
#include <zlib.h>

// inflateInit is a macro that passes zlib's version string and sizeof(z_stream) to inflateInit_, so that
// the library can refuse a z_stream laid out by a different header; Swift cannot import such a macro.
static inline int CZlib_inflateInit(z_streamp strm) {
    return inflateInit(strm);
}
