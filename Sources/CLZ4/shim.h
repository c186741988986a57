// The headers of this system library that the project's one bridge file uses.
#pragma once
#include <lz4.h>
